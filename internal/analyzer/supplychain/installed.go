package supplychain

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/pydeps"
	"github.com/stripeguard/stripeguard/internal/record"
)

// installed verifies every environment against RECORD and checks who
// provides the stripe module.
func (c *checks) installed(ctx context.Context) {
	for _, e := range c.inv.envs {
		if ctx.Err() != nil {
			return
		}
		fsys := os.DirFS(e.Dir)
		// Unreadable metadata is reported by the dependency audit, which
		// reads the same environments.
		dists, _ := pydeps.ReadInstalledDetails(fsys, e.Display)
		if len(dists) == 0 {
			continue
		}
		// Installed names are checked like declared ones.
		for _, d := range dists {
			c.inv.reqs = append(c.inv.reqs, pydeps.Requirement{Name: pydeps.Normalize(d.Name), RawName: d.Name, Version: d.Version,
				Source: pydeps.SourceInstalled, File: d.File, Line: d.Line})
		}
		res, warns := record.Verify(ctx, fsys, dists, record.Options{Root: e.Dir})
		for i := range warns {
			w := warns[i]
			w.File = joinDisplay(e.Display, w.File)
			c.sink.Warning(&w)
		}
		c.envResult(e, res)
	}
}

func joinDisplay(root, p string) string {
	root = strings.TrimSuffix(root, "/")
	if root == "" || root == "." {
		return p
	}
	if p == "" || p == "." {
		return root
	}
	return root + "/" + p
}

func (c *checks) envResult(e pydeps.Env, res *record.Result) {
	problems := 0
	verified, noRecord, managed := 0, 0, 0
	for _, d := range res.Dists {
		switch {
		case d.Managed:
			managed++
		case d.HasRecord:
			verified++
		default:
			noRecord++
		}
		problems += c.distProblems(e, d)
	}
	for _, p := range res.Unowned {
		problems += c.unowned(e, p)
	}
	authentic := c.stripeChecks(e, res)
	problems += authentic
	if problems == 0 && verified > 0 {
		d := fmt.Sprintf("%s: %d distributions verified against RECORD (%d files, %.1f MB); none modified or missing, no unrecorded code", e.Display, verified, res.Files, float64(res.Bytes)/1e6)
		if noRecord > 0 {
			d += fmt.Sprintf("; %d have no RECORD (egg-info) and were not verified", noRecord)
		}
		if managed > 0 {
			d += fmt.Sprintf("; %d are managed by the OS package manager (verify them with debsums)", managed)
		}
		c.sink.Observation(&finding.Observation{Mitigation: MitigationRecordIntact, State: finding.InPlace, Detail: d})
	}
}

// severities per problem kind: [other distributions, stripe].
var problemRule = map[record.Kind]struct {
	rule     func() *finding.Finding
	sev      [2]finding.Severity
	verb     string
	manyVerb string
}{
	record.Modified:   {RecordMismatch.New, [2]finding.Severity{finding.High, finding.Critical}, "differs from RECORD", "differ from RECORD"},
	record.Missing:    {RecordMissingFile.New, [2]finding.Severity{finding.Medium, finding.High}, "is listed in RECORD but missing", "are listed in RECORD but missing"},
	record.Unrecorded: {UnrecordedFile.New, [2]finding.Severity{finding.Medium, finding.High}, "is not in RECORD", "are not in RECORD"},
}

// distProblems reports one finding per distribution and kind of problem.
func (c *checks) distProblems(e pydeps.Env, d *record.Dist) int {
	byKind := map[record.Kind][]*record.Problem{}
	for _, p := range d.Problems {
		byKind[p.Kind] = append(byKind[p.Kind], p)
	}
	n := 0
	for _, k := range []record.Kind{record.Modified, record.Missing, record.Unrecorded} {
		ps := byKind[k]
		if len(ps) == 0 {
			continue
		}
		pr := problemRule[k]
		f := pr.rule()
		isStripe := pydeps.Normalize(d.Name) == stripe
		sev := pr.sev[0]
		if isStripe {
			sev = pr.sev[1]
		}
		lead := ps[0]
		allData := true
		for _, p := range ps {
			if p.ExecutablePth || strings.HasSuffix(p.Path, ".pth") && k == record.Modified {
				sev, lead = finding.Critical, p
			}
			if isCode(p.Path) {
				allData = false
			}
		}
		if k == record.Missing && allData && !isStripe {
			sev = finding.Low // scripts, data and metadata files
		}
		eolOnly := k == record.Modified
		for _, p := range ps {
			eolOnly = eolOnly && p.LineEndings
		}
		if eolOnly && sev < finding.Critical {
			// Every gap is what a line-ending conversion makes (a venv
			// committed from Windows): likely, not provable.
			sev = finding.Medium
			if allData && !isStripe {
				sev = finding.Low
			}
		}
		f.Severity = sev
		f.File = joinDisplay(e.Display, lead.Path)
		f.Key = string(k) + ":" + pydeps.Normalize(d.Name)
		f.Package = &finding.Package{Name: pydeps.Normalize(d.Name), Version: d.Version, Ecosystem: osv.Ecosystem, Source: "installed"}
		what := d.Name + " " + d.Version
		if len(ps) == 1 {
			f.Message = fmt.Sprintf("%s of %s %s: %s", lead.Path, what, pr.verb, lead.Detail)
		} else {
			f.Message = fmt.Sprintf("%d files of %s %s, e.g. %s: %s", len(ps), what, pr.manyVerb, lead.Path, lead.Detail)
		}
		if lead.ExecutablePth {
			f.Message += "; this .pth file runs code at every interpreter start"
		}
		if isStripe && k != record.Missing {
			f.Message += "; this is the code that holds your Stripe API keys"
		}
		f.Evidence = lead.Path
		for _, p := range ps {
			if p == lead || len(f.Related) == 20 {
				continue
			}
			f.Related = append(f.Related, finding.Location{File: joinDisplay(e.Display, p.Path), Message: p.Detail})
		}
		c.sink.Finding(f)
		n++
	}
	return n
}

func isCode(p string) bool {
	switch path.Ext(p) {
	case ".py", ".pyw", ".pyc", ".so", ".pyd", ".dylib", ".dll", ".pth":
		return true
	}
	return false
}

// unowned reports files and packages no distribution installed.
func (c *checks) unowned(e pydeps.Env, p *record.Problem) int {
	display := joinDisplay(e.Display, p.Path)
	base := path.Base(p.Path)
	mod := base
	if i := strings.IndexByte(base, '.'); i > 0 {
		mod = base[:i]
	}
	var f *finding.Finding
	switch {
	case mod == stripe:
		f = StripeShadowed.New()
		f.Message = fmt.Sprintf("%s is a stripe module that no installed distribution recorded: `import stripe` may run it instead of Stripe's package", p.Path)
		f.Key = "stripe-unowned"
	case p.ExecutablePth:
		f = RoguePth.New()
		f.Message = fmt.Sprintf("%s is an executable .pth file (it has an import line, run at every interpreter start) that no distribution recorded", p.Path)
		if line := firstImportLine(e, p.Path); line != "" {
			f.Evidence = line
		}
		f.Key = "rogue-pth:" + base
	case p.Startup:
		f = UnrecordedFile.New()
		f.Severity = finding.High
		f.Message = fmt.Sprintf("%s is imported at every interpreter start and no distribution recorded it", p.Path)
		f.Key = "unrecorded:" + base
	case p.Kind == record.UnownedPackage:
		f = UnrecordedFile.New()
		f.Message = fmt.Sprintf("%s is a Python package directory that no installed distribution recorded (copied in by hand, or left by a removed distribution)", p.Path)
		f.Key = "unowned-package:" + base
	default:
		f = UnrecordedFile.New()
		f.Message = fmt.Sprintf("%s: %s", p.Path, p.Detail)
		f.Key = "unrecorded:" + base
	}
	f.File = display
	if f.Evidence == "" {
		f.Evidence = p.Path
	}
	c.sink.Finding(f)
	return 1
}

func firstImportLine(e pydeps.Env, p string) string {
	b, err := os.ReadFile(path.Join(e.Dir, p))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "import") {
			if len(l) > 120 {
				l = l[:117] + "..."
			}
			return l
		}
	}
	return ""
}

// stripeChecks: who provides the stripe module, and does the stripe
// distribution point to Stripe. Returns the number of findings.
func (c *checks) stripeChecks(e pydeps.Env, res *record.Result) int {
	n := 0
	var genuine []*record.Dist
	for _, d := range res.ProvidersOf(stripe) {
		if pydeps.Normalize(d.Name) == stripe {
			genuine = append(genuine, d)
			continue
		}
		f := StripeShadowed.New()
		f.File = d.File
		f.Line = d.Line
		f.Key = "stripe-shadowed:" + pydeps.Normalize(d.Name)
		f.Message = fmt.Sprintf("%s %s installs the top-level stripe module: `import stripe` runs its code, not Stripe's", d.Name, d.Version)
		if m, ok := c.squats.Check(d.Name); ok {
			f.Message += fmt.Sprintf("; its name imitates %s (%s)", m.Target, m.Reason)
		}
		if c.shadowing == nil {
			c.shadowing = map[string]bool{}
		}
		c.shadowing[pydeps.Normalize(d.Name)] = true
		f.Evidence = d.Name + "==" + d.Version + " provides stripe/"
		f.Package = &finding.Package{Name: pydeps.Normalize(d.Name), Version: d.Version, Ecosystem: osv.Ecosystem, Source: "installed"}
		c.sink.Finding(f)
		n++
	}
	for _, d := range res.Dists {
		dirName := distDirName(d.DistInfo)
		named := pydeps.Normalize(d.Name) == stripe
		if !named && dirName != stripe {
			continue
		}
		why := ""
		switch {
		case named && dirName != "" && dirName != stripe:
			why = fmt.Sprintf("its METADATA says Name: %s but it is installed as %s", d.Name, path.Base(d.DistInfo))
		case !named:
			why = fmt.Sprintf("it is installed as %s but its METADATA says Name: %s", path.Base(d.DistInfo), d.Name)
		case !pointsToStripe(d.URLs):
			if len(d.URLs) == 0 {
				why = "its metadata names no home page or project URL (Stripe's always names github.com/stripe/stripe-python)"
			} else {
				why = "its home page and project URLs point elsewhere: " + strings.Join(d.URLs[:min(3, len(d.URLs))], ", ")
			}
		}
		if why == "" {
			continue
		}
		f := StripeMetadata.New()
		f.File, f.Line = d.File, 0
		f.Key = "stripe-metadata:" + d.DistInfo
		f.Message = fmt.Sprintf("The installed stripe %s does not look like Stripe's distribution: %s", d.Version, why)
		f.Evidence = strings.Join(append([]string{"Name: " + d.Name}, d.URLs[:min(2, len(d.URLs))]...), "; ")
		f.Package = &finding.Package{Name: stripe, Version: d.Version, Ecosystem: osv.Ecosystem, Source: "installed"}
		c.sink.Finding(f)
		n++
	}
	if n == 0 && len(genuine) > 0 {
		d := genuine[0]
		c.sink.Observation(&finding.Observation{Mitigation: MitigationStripeAuthentic, State: finding.InPlace, File: d.File,
			Detail: fmt.Sprintf("stripe %s in %s: its metadata points to Stripe (%s) and no other distribution provides the stripe module", d.Version, e.Display, stripeURL(d.URLs))})
	}
	return n
}

// distDirName is the normalised project name of a .dist-info/.egg-info
// directory ("stripe-7.0.0.dist-info" -> "stripe"), "" when unknown.
func distDirName(distInfo string) string {
	b := path.Base(distInfo)
	if b == "EGG-INFO" {
		b = path.Base(path.Dir(distInfo))
	}
	stem := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(b, ".dist-info"), ".egg-info"), ".egg")
	if i := strings.IndexByte(stem, '-'); i > 0 {
		stem = stem[:i]
	}
	return pydeps.Normalize(stem)
}

// pointsToStripe: one of the URLs is Stripe's repository or site.
func pointsToStripe(urls []string) bool {
	return stripeURL(urls) != ""
}

func stripeURL(urls []string) string {
	for _, raw := range urls {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			continue
		}
		host := strings.ToLower(u.Hostname())
		p := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git"))
		switch {
		case (host == "github.com" || host == "www.github.com") && (p == "/stripe/stripe-python" || strings.HasPrefix(p, "/stripe/stripe-python/")):
			return raw
		case host == "stripe.com" || strings.HasSuffix(host, ".stripe.com"):
			return raw
		}
	}
	return ""
}
