package deps

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/pep440"
	"github.com/stripeguard/stripeguard/internal/pydeps"
	"github.com/stripeguard/stripeguard/internal/rules"
)

type audit struct {
	sink    finding.Sink
	db      *osv.DB
	reqs    []pydeps.Requirement
	indexes []pydeps.IndexSetting
	files   map[string][]byte
	// compiled maps a pip-tools input to the files compiled from it.
	compiled map[string][]string
	now      time.Time

	checked, vulnerable int
	// stripeChecked: a stripe version or range was matched.
	stripeChecked bool
}

func isLocked(r pydeps.Requirement) bool {
	return r.Source != pydeps.SourceInstalled && r.Version != "" && r.URL == ""
}

func (au *audit) run(ctx context.Context) {
	byName := map[string][]pydeps.Requirement{}
	for _, r := range au.reqs {
		if r.Name != "" {
			byName[r.Name] = append(byName[r.Name], r)
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	if au.db != nil && len(names) > 0 {
		au.freshness()
		au.db.Prefetch(names)
	}
	// Unnamed direct references (a local directory, a VCS URL without
	// #egg=) still belong in the inventory.
	for _, r := range au.reqs {
		if r.Name == "" && r.URL != "" {
			au.inventory(&finding.Package{Ecosystem: "PyPI", Source: "direct-reference", URL: redactedURL(r.URL)})
		}
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		rs := byName[name]
		sortReqs(rs)
		au.checkPackage(name, rs)
		if name == stripe {
			au.stripeChecks(rs)
		}
	}
	au.unknowns(len(names), len(byName[stripe]) > 0)
}

// unknowns says, for each checklist item the audit could not decide, why:
// the data is missing, or the tree holds nothing the item applies to.
func (au *audit) unknowns(packages int, hasStripe bool) {
	obs := func(id string, st finding.MitigationState, detail string) {
		au.sink.Observation(&finding.Observation{Mitigation: id, State: st, Detail: detail})
	}
	const noStripe = "no stripe requirement, lock entry or installation in the scanned tree"
	if !hasStripe {
		obs(MitigationStripePatched, finding.NotApplicable, noStripe)
		obs(MitigationStripePinned, finding.NotApplicable, noStripe)
	}
	if packages == 0 {
		const none = "no Python dependency is declared, locked or installed in the scanned tree"
		obs(MitigationNoKnownVulns, finding.NotApplicable, none)
		obs(MitigationDataFresh, finding.NotApplicable, none+", so no advisory data was needed")
		return
	}
	if au.db == nil {
		obs(MitigationDataFresh, finding.NoData, "the advisory data could not be read (see warnings)")
		if hasStripe {
			obs(MitigationStripePatched, finding.NoData, "stripe was found but could not be matched: no advisory data")
		}
		obs(MitigationNoKnownVulns, finding.NoData, fmt.Sprintf("%d packages found but not matched: no advisory data", packages))
		return
	}
	if hasStripe && !au.stripeChecked {
		obs(MitigationStripePatched, finding.NotApplicable, "stripe has no version or range that can be matched (direct URL or VCS requirement only)")
	}
	switch {
	case au.checked == 0:
		obs(MitigationNoKnownVulns, finding.NotApplicable, "no dependency has a version or range that can be matched (direct URL or VCS requirements only)")
	case au.vulnerable == 0:
		obs(MitigationNoKnownVulns, finding.InPlace,
			fmt.Sprintf("%d package versions checked against %d advisory records; none has a known vulnerability", au.checked, au.db.Records-au.db.Withdrawn))
	}
}

func sortReqs(rs []pydeps.Requirement) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].File != rs[j].File {
			return rs[i].File < rs[j].File
		}
		return rs[i].Line < rs[j].Line
	})
}

// inventory records a package for SBOM output when the sink keeps one.
func (au *audit) inventory(p *finding.Package) {
	if ps, ok := au.sink.(finding.PackageSink); ok {
		ps.Package(p)
	}
}

// checkPackage picks the best-known versions of one package, lists them in
// the inventory and, with advisory data, matches them.
func (au *audit) checkPackage(name string, rs []pydeps.Requirement) {
	var installed, locked, ranges, direct, refs []pydeps.Requirement
	for _, r := range rs {
		switch {
		case r.Source == pydeps.SourceInstalled && r.Version != "":
			installed = append(installed, r)
		case isLocked(r):
			locked = append(locked, r)
		case r.URL != "" && r.Source != pydeps.SourceInstalled:
			refs = append(refs, r)
		case r.Source != pydeps.SourceInstalled && r.Source != pydeps.SourceLockfile:
			ranges = append(ranges, r)
		}
		if r.Direct {
			direct = append(direct, r)
		}
	}
	// A direct reference whose version is known (a wheel file name, an
	// sdist's) is audited like a pin; the others are listed only.
	var refVersions, refUnknown []pydeps.Requirement
	for _, r := range refs {
		if r.Version != "" && pep440.Valid(r.Version) {
			refVersions = append(refVersions, r)
		} else {
			refUnknown = append(refUnknown, r)
		}
	}
	tier := installed
	if len(tier) == 0 {
		tier = append(locked, refVersions...)
	}
	for _, r := range refUnknown {
		if len(installed) == 0 {
			au.inventory(&finding.Package{Name: name, Ecosystem: "PyPI", Source: "direct-reference", URL: redactedURL(r.URL)})
		}
	}
	if len(tier) > 0 {
		// One finding per distinct version, located at its first source.
		byVer := map[string][]pydeps.Requirement{}
		var order []string
		for _, r := range tier {
			v := pep440.Normalize(r.Version)
			if _, ok := byVer[v]; !ok {
				order = append(order, v)
			}
			byVer[v] = append(byVer[v], r)
		}
		for _, v := range order {
			locs := byVer[v]
			p := &finding.Package{Name: name, Version: locs[0].Version, Ecosystem: "PyPI", Source: inventorySource(locs[0])}
			if locs[0].URL != "" {
				p.URL = redactedURL(locs[0].URL)
			}
			au.inventory(p)
			if au.db == nil {
				continue
			}
			au.checked++
			au.stripeChecked = au.stripeChecked || name == stripe
			// Malicious-package reports (MAL-) are the supply-chain
			// analyzer's: such a package is hostile, not vulnerable.
			m := au.db.Check(name, locs[0].Version).WithoutMalicious()
			if len(m.Vulns) == 0 {
				if name == stripe {
					au.sink.Observation(&finding.Observation{Mitigation: MitigationStripePatched, State: finding.InPlace,
						Detail: fmt.Sprintf("stripe %s (%s), no known advisories", locs[0].Version, sourceVerb(locs[0])), File: locs[0].File, Line: locs[0].Line})
				}
				continue
			}
			au.vulnerable++
			au.emit(name, locs, direct, m, false)
		}
		return
	}
	for _, r := range ranges {
		ss, err := pep440.ParseSpecifierSet(r.Specifier)
		if err != nil {
			au.sink.Warning(&finding.Warning{File: r.File, Line: r.Line, Kind: finding.WarnParse,
				Message: fmt.Sprintf("%s: specifier %q is not PEP 440; its range was not audited", r.RawName, r.Specifier)})
			continue
		}
		au.inventory(&finding.Package{Name: name, Specifier: r.Specifier, Ecosystem: "PyPI", Source: "range"})
		if au.db == nil {
			continue
		}
		au.checked++
		au.stripeChecked = au.stripeChecked || name == stripe
		m := au.db.Admits(name, ss).WithoutMalicious()
		if len(m.Vulns) == 0 {
			if name == stripe {
				au.sink.Observation(&finding.Observation{Mitigation: MitigationStripePatched, State: finding.InPlace,
					Detail: fmt.Sprintf("stripe%s admits no version with a known advisory", displaySpec(r.Specifier)), File: r.File, Line: r.Line})
			}
			continue
		}
		au.vulnerable++
		au.emit(name, []pydeps.Requirement{r}, nil, m, true)
	}
}

// inventorySource says how the inventory knows a version: installed,
// locked (lock file), pinned (== in a manifest or a constraint),
// direct-reference (a URL or path naming the version).
func inventorySource(r pydeps.Requirement) string {
	switch {
	case r.URL != "" && r.Source != pydeps.SourceInstalled:
		return "direct-reference"
	case r.Constraint:
		return "pinned"
	}
	return sourceVerb(r)
}

// redactedURL hides credentials in a direct reference before it reaches
// a report.
func redactedURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			user := rest[:at]
			if j := strings.IndexByte(user, ':'); j >= 0 {
				user = user[:j] + ":***"
			} else if user != "git" && len(user) > 12 {
				user = "***"
			}
			return u[:i+3] + user + rest[at:]
		}
	}
	return u
}

func displaySpec(s string) string {
	if s == "" {
		return " (any version)"
	}
	return s
}

func sourceVerb(r pydeps.Requirement) string {
	switch {
	case r.Source == pydeps.SourceInstalled:
		return "installed"
	case r.Source == pydeps.SourceLockfile:
		return "locked"
	case r.URL != "":
		return "direct reference"
	case r.Constraint:
		return "pinned by constraint"
	}
	return "pinned"
}

func sourceLabel(r pydeps.Requirement, isRange bool) string {
	switch {
	case isRange:
		return "manifest-range"
	case r.Source == pydeps.SourceInstalled:
		return "installed"
	case r.Source == pydeps.SourceLockfile:
		return "lockfile"
	case r.URL != "":
		return "direct-reference"
	}
	return "pinned"
}

// lower drops a severity one level for "a range admits it"; low and info
// stay as they are.
func lower(s finding.Severity) finding.Severity {
	if s > finding.Low {
		return s - 1
	}
	return s
}

func (au *audit) emit(name string, locs, direct []pydeps.Requirement, m osv.Match, isRange bool) {
	var rule *rules.Rule
	switch {
	case name == stripe && isRange:
		rule = StripeRangeAdmitsVulnerable
	case name == stripe:
		rule = VulnerableStripe
	case isRange:
		rule = RangeAdmitsVulnerable
	default:
		rule = VulnerablePackage
	}
	loc := locs[0]
	f := rule.New()
	f.File, f.Line = loc.File, loc.Line
	var sev finding.Severity
	pkg := &finding.Package{Name: name, Ecosystem: osv.Ecosystem, Source: sourceLabel(loc, isRange), FixedIn: m.FixedIn}
	if isRange {
		pkg.Specifier = loc.Specifier
	} else {
		pkg.Version = loc.Version
	}
	fixed := map[string]bool{}
	var ids []string
	for _, v := range m.Vulns {
		pkg.Advisories = append(pkg.Advisories, finding.Advisory{ID: v.ID, Aliases: v.Aliases, Summary: v.Summary, Severity: v.Severity, URL: v.URL})
		if v.Severity > sev {
			sev = v.Severity
		}
		if v.Fixed != "" && !fixed[v.Fixed] {
			fixed[v.Fixed] = true
			pkg.FixedVersions = append(pkg.FixedVersions, v.Fixed)
		}
		id := v.ID
		if len(v.Aliases) > 0 {
			id += " (" + strings.Join(v.Aliases, ", ") + ")"
		}
		ids = append(ids, id)
	}
	sort.Slice(pkg.FixedVersions, func(i, j int) bool {
		c, _ := pep440.Compare(pkg.FixedVersions[i], pkg.FixedVersions[j])
		return c < 0
	})
	if isRange {
		sev = lower(sev)
	}
	f.Severity = sev
	f.Package = pkg
	f.Key = name + "@" + pkg.Version + pkg.Specifier
	what := fmt.Sprintf("%s %s (%s)", name, loc.Version, sourceVerb(loc))
	if !isRange && len(direct) == 0 && loc.Source != pydeps.SourceInstalled {
		what = fmt.Sprintf("%s %s (%s, transitive: no manifest declares it)", name, loc.Version, sourceVerb(loc))
	}
	if isRange {
		ex := m.Vulns[0].Example
		what = fmt.Sprintf("%s%s admits vulnerable versions (e.g. %s)", name, displaySpec(loc.Specifier), ex)
	}
	var msg string
	if len(m.Vulns) == 1 {
		msg = fmt.Sprintf("%s: %s: %s", what, ids[0], strings.TrimRight(m.Vulns[0].Summary, ". "))
	} else {
		msg = fmt.Sprintf("%s: %d known vulnerabilities: %s", what, len(m.Vulns), strings.Join(ids, "; "))
	}
	switch {
	case m.FixedIn != "" && isRange:
		msg += fmt.Sprintf(". Require >=%s, which fixes all of them", m.FixedIn)
	case m.FixedIn != "":
		msg += fmt.Sprintf(". Upgrade to %s, the smallest version that fixes all of them", m.FixedIn)
	default:
		msg += ". No fixed version is known for all of them"
	}
	if loc.Marker != "" {
		// Markers are only evaluated with --target-python/--target-platform.
		msg += fmt.Sprintf(" (the requirement applies only where %s)", loc.Marker)
	}
	f.Message = msg
	f.Evidence = evidence(loc, isRange)
	for _, l := range locs[1:] {
		f.Related = append(f.Related, finding.Location{File: l.File, Line: l.Line, Message: fmt.Sprintf("also %s here", sourceVerb(l))})
	}
	for _, d := range direct {
		if d.File == loc.File && d.Line == loc.Line {
			continue
		}
		f.Related = append(f.Related, finding.Location{File: d.File, Line: d.Line, Message: "declared here" + specSuffix(d)})
	}
	au.sink.Finding(f)
}

func specSuffix(r pydeps.Requirement) string {
	if r.Specifier == "" {
		return ""
	}
	return " as " + r.RawName + r.Specifier
}

func evidence(r pydeps.Requirement, isRange bool) string {
	n := r.RawName
	if n == "" {
		n = r.Name
	}
	if isRange {
		return n + r.Specifier
	}
	return n + "==" + r.Version
}

// freshness says which advisory data the audit used and how old it is (a
// data source every report prints), and reports it when stale.
func (au *audit) freshness() {
	db, now := au.db, au.now
	desc := db.Describe(now)
	if db.Note != "" {
		desc += "; " + db.Note
	}
	var reasons []string
	if fetchAge := db.Age(now); fetchAge > MaxFetchAge {
		reasons = append(reasons, "obtained "+osv.HumanAge(fetchAge)+" ago")
	}
	if !db.Newest.IsZero() && now.Sub(db.Newest) > MaxNewestAge {
		reasons = append(reasons, "newest record modified "+db.Newest.UTC().Format("2006-01-02")+", "+osv.HumanAge(now.Sub(db.Newest))+" ago")
	}
	stale := len(reasons) > 0
	if ds, ok := au.sink.(finding.DataSink); ok {
		ds.DataSource(dataSource(db, now, stale, desc))
	}
	if !stale {
		au.sink.Observation(&finding.Observation{Mitigation: MitigationDataFresh, State: finding.InPlace, Detail: "advisory data: " + desc})
		return
	}
	f := AdvisoryDataStale.New()
	// The data lives outside the scanned tree, so the finding has no file
	// location; the message names the source.
	f.Context = "advisory data"
	f.Key = "advisory-data"
	if db.From == osv.FromEmbedded {
		// No cache: say plainly that this is the data the binary was
		// built with, and how old it is.
		f.Message = fmt.Sprintf("No advisory data was downloaded, so the audit used the snapshot built into stripeguard, whose newest record is from %s (%s ago): vulnerabilities published since then are not reported",
			db.Newest.UTC().Format("2006-01-02"), osv.HumanAge(now.Sub(db.Newest)))
	} else {
		f.Message = fmt.Sprintf("Advisory data is stale (%s): vulnerabilities published since then are not reported. Data used: %s", strings.Join(reasons, "; "), desc)
	}
	au.sink.Finding(f)
}

// dataSource describes db for the report.
func dataSource(db *osv.DB, now time.Time, stale bool, summary string) *finding.DataSource {
	d := &finding.DataSource{Name: "advisories", Kind: db.From, Origin: db.Origin, Records: db.Records, Stale: stale, Summary: summary}
	if d.Kind == "" {
		d.Kind = osv.FromFlag
	}
	if db.From != osv.FromEmbedded {
		d.Path = db.Source
	}
	if !db.Fetched.IsZero() {
		d.Fetched = db.Fetched.UTC().Format(time.RFC3339)
	}
	if !db.Newest.IsZero() {
		d.NewestRecord = db.Newest.UTC().Format(time.RFC3339)
		if age := now.Sub(db.Newest); age > 0 {
			d.AgeDays = int(age.Hours() / 24)
		}
	}
	return d
}

// stripeChecks reports how stripe is pinned and where it comes from.
func (au *audit) stripeChecks(rs []pydeps.Requirement) {
	locked := false
	var pin *pydeps.Requirement
	for i, r := range rs {
		// A lock file or a constraints file (pip install -c) pinning
		// stripe fixes the version whatever the manifests allow.
		if (r.Source == pydeps.SourceLockfile || r.Constraint) && r.Version != "" && r.URL == "" {
			locked = true
		}
		if pin == nil && isLocked(r) {
			pin = &rs[i]
		}
	}
	bad := false
	seen := map[string]bool{}
	for _, r := range rs {
		why := unexpectedSource(r)
		if why == "" {
			continue
		}
		k := fmt.Sprintf("%s:%d", r.File, r.Line)
		if seen[k] {
			continue
		}
		seen[k] = true
		bad = true
		f := StripeUnexpectedSource.New()
		f.File, f.Line = r.File, r.Line
		f.Key = "stripe-source:" + why
		f.Message = "stripe " + why
		f.Evidence = strings.TrimSpace(r.RawName + r.Specifier + " " + redactedURL(r.URL))
		f.Package = &finding.Package{Name: stripe, Version: r.Version, Specifier: r.Specifier, Ecosystem: osv.Ecosystem, Source: string(r.Source)}
		au.sink.Finding(f)
	}
	var library *pydeps.Requirement
	// Exact pins by file, for pip-tools inputs compiled to pinned files.
	pinnedIn := map[string]pydeps.Requirement{}
	for _, r := range rs {
		if isLocked(r) && r.Source == pydeps.SourceRequirements {
			if _, ok := pinnedIn[r.File]; !ok {
				pinnedIn[r.File] = r
			}
		}
	}
	if !locked {
		for i, r := range rs {
			if !r.Direct || r.Source == pydeps.SourceInstalled || r.Source == pydeps.SourceLockfile || r.Version != "" || r.URL != "" {
				continue
			}
			if au.isLibrary(r) {
				if library == nil {
					library = &rs[i]
				}
				continue
			}
			if out, pinned := au.compiledPin(r, pinnedIn); out != "" {
				// requirements/main.in lists stripe unpinned by design:
				// pip-compile pins it in the compiled file that is
				// installed.
				au.sink.Observation(&finding.Observation{Mitigation: MitigationStripePinned, State: finding.InPlace,
					Detail: fmt.Sprintf("stripe%s in %s is pinned to %s by %s, compiled from it", displaySpec(r.Specifier), r.File, pinned.Version, out),
					File:   pinned.File, Line: pinned.Line})
				continue
			}
			f := StripeUnpinned.New()
			f.File, f.Line = r.File, r.Line
			f.Key = "stripe-unpinned"
			f.Evidence = r.RawName + r.Specifier
			f.Package = &finding.Package{Name: stripe, Specifier: r.Specifier, Ecosystem: osv.Ecosystem, Source: string(r.Source)}
			lo, hasLo := lowerBound(r.Specifier)
			switch {
			case r.Specifier == "":
				f.Severity = finding.Medium
				f.Message = "stripe is not pinned and no lock file pins it: any version, however old, can be installed"
			case !hasLo:
				f.Severity = finding.Medium
				f.Message = fmt.Sprintf("stripe%s has no lower bound and no lock file pins it: versions older than %s can be installed", r.Specifier, MinimumStripe)
			case lo.Less(pep440.MustParse(MinimumStripe)):
				f.Severity = finding.Medium
				f.Message = fmt.Sprintf("stripe%s admits versions older than %s and no lock file pins it", r.Specifier, MinimumStripe)
			default:
				f.Message = fmt.Sprintf("stripe%s is an open range and no lock file pins it: each install may get a different version", r.Specifier)
			}
			au.sink.Finding(f)
			bad = true
		}
	}
	switch {
	case !bad && pin != nil:
		au.sink.Observation(&finding.Observation{Mitigation: MitigationStripePinned, State: finding.InPlace,
			Detail: fmt.Sprintf("stripe %s (%s) from PyPI", pin.Version, sourceVerb(*pin)), File: pin.File, Line: pin.Line})
	case !bad && library != nil:
		au.sink.Observation(&finding.Observation{Mitigation: MitigationStripePinned, State: finding.NotApplicable,
			Detail: fmt.Sprintf("stripe%s is declared by a library, which should allow a range; the application that installs it pins it", displaySpec(library.Specifier)), File: library.File, Line: library.Line})
	}
}

// compiledPin finds the compiled requirements file (pip-compile, uv pip
// compile) of a pip-tools input that pins the package; "" when none does.
func (au *audit) compiledPin(r pydeps.Requirement, pinnedIn map[string]pydeps.Requirement) (string, pydeps.Requirement) {
	for _, out := range au.compiled[r.File] {
		if p, ok := pinnedIn[out]; ok {
			return out, p
		}
	}
	return "", pydeps.Requirement{}
}

// lowerBound is the highest lower bound the specifier set imposes.
func lowerBound(spec string) (pep440.Version, bool) {
	ss, err := pep440.ParseSpecifierSet(spec)
	if err != nil {
		return pep440.Version{}, false
	}
	var lo pep440.Version
	found := false
	for _, s := range ss {
		switch s.Operator() {
		case ">=", ">", "~=", "==", "===":
			v, err := pep440.Parse(strings.TrimSuffix(s.Version(), ".*"))
			if err != nil {
				continue
			}
			if !found || v.Compare(lo) > 0 {
				lo, found = v, true
			}
		}
	}
	return lo, found
}

var pypiHosts = map[string]bool{"pypi.org": true, "pypi.python.org": true, "files.pythonhosted.org": true}

// unexpectedSource says why r does not come from PyPI, "" when it does.
func unexpectedSource(r pydeps.Requirement) string {
	if r.URL != "" {
		kind := "a direct URL"
		switch {
		case strings.HasPrefix(r.URL, "git+") || strings.HasPrefix(r.URL, "hg+") || strings.HasPrefix(r.URL, "svn+") || strings.HasPrefix(r.URL, "bzr+"):
			kind = "a VCS checkout"
		case strings.HasPrefix(r.URL, "file:") || strings.HasPrefix(r.URL, ".") || strings.HasPrefix(r.URL, "/"):
			kind = "a local path"
		}
		if r.Editable {
			kind = "an editable " + strings.TrimPrefix(strings.TrimPrefix(kind, "a "), "an ")
		}
		verb := "installed"
		if r.Source == pydeps.SourceLockfile {
			verb = "locked"
		}
		return fmt.Sprintf("is %s from %s (%s), not from PyPI", verb, kind, redactedURL(r.URL))
	}
	if r.Index != "" && !isPyPI(r.Index) {
		return fmt.Sprintf("is %s from the package index %s, not PyPI", sourceVerb(r), r.Index)
	}
	return ""
}

func isPyPI(index string) bool {
	if strings.EqualFold(index, "pypi") {
		return true
	}
	u, err := url.Parse(index)
	if err != nil {
		return false
	}
	return pypiHosts[strings.ToLower(u.Hostname())]
}

// isLibrary decides whether a stripe requirement belongs to a library, which
// should declare ranges, rather than an application, which should pin.
func (au *audit) isLibrary(r pydeps.Requirement) bool {
	switch r.Source {
	case pydeps.SourceSetupPy, pydeps.SourceSetupCfg:
		return true
	case pydeps.SourcePyproject:
		dir := path.Dir(r.File)
		for f := range au.files {
			if path.Dir(f) != dir {
				continue
			}
			b := path.Base(f)
			if b == "Pipfile" || strings.HasSuffix(b, ".lock") || strings.HasPrefix(b, "pylock.") || strings.Contains(strings.ToLower(b), "requirements") {
				return false
			}
		}
		return strings.Contains(string(au.files[r.File]), "[build-system]")
	}
	return false
}
