package supplychain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/pep440"
	"github.com/stripeguard/stripeguard/internal/pydeps"
	"github.com/stripeguard/stripeguard/internal/pyindex"
	"github.com/stripeguard/stripeguard/internal/typosquat"
)

// use is one place a package name appears.
type use struct {
	name      string // PEP 503
	raw       string
	version   string // exact version, "" when a range
	specifier string
	file      string
	line      int
	how       string // "declared", "locked", "installed", "install command"
	installed bool
}

// uses lists every place a package is named: manifests, lock files,
// installed environments and install commands.
func (c *checks) uses() map[string][]use {
	out := map[string][]use{}
	add := func(u use) {
		if u.name != "" {
			out[u.name] = append(out[u.name], u)
		}
	}
	for _, r := range c.inv.reqs {
		how := "declared"
		switch r.Source {
		case pydeps.SourceInstalled:
			how = "installed"
		case pydeps.SourceLockfile:
			how = "locked"
		}
		add(use{name: r.Name, raw: r.RawName, version: r.Version, specifier: r.Specifier, file: r.File, line: r.Line,
			how: how, installed: r.Source == pydeps.SourceInstalled})
	}
	for _, i := range c.inv.installs {
		r, err := pydeps.ParseRequirement(i.Spec)
		if err != nil || r.Name == "" {
			continue
		}
		add(use{name: r.Name, raw: r.RawName, version: r.Version, specifier: r.Specifier, file: i.File, line: i.Line, how: "install command"})
	}
	for n := range out {
		us := out[n]
		// Declared places first (where the fix goes), installed last.
		sort.SliceStable(us, func(i, j int) bool {
			if us[i].installed != us[j].installed {
				return !us[i].installed
			}
			if us[i].file != us[j].file {
				return us[i].file < us[j].file
			}
			return us[i].line < us[j].line
		})
	}
	return out
}

// names reports typosquats and known-malicious packages.
func (c *checks) names() {
	uses := c.uses()
	names := make([]string, 0, len(uses))
	for n := range uses {
		names = append(names, n)
	}
	sort.Strings(names)
	squats := 0
	for _, n := range names {
		us := uses[n]
		m, squat := c.squats.Check(n)
		mal := c.malicious(n, us)
		switch {
		case len(mal) > 0:
			c.reportMalicious(n, us, mal, m, squat)
		case squat && c.shadowing[n] && onlyInstalled(us):
			// supplychain/stripe-shadowed already names it.
		case squat:
			c.reportSquat(n, us, m)
		}
		if squat || len(mal) > 0 {
			squats++
		}
	}
	if len(names) > 0 && squats == 0 {
		c.sink.Observation(&finding.Observation{Mitigation: MitigationNoTyposquats, State: finding.InPlace,
			Detail: fmt.Sprintf("%d package names (declared, locked, installed) checked against stripe, its dependencies and the %d most-downloaded PyPI projects; none imitates one", len(names), typosquat.DefaultPopularTargets)})
	}
	if c.db != nil && len(names) > 0 && c.malCount == 0 {
		c.sink.Observation(&finding.Observation{Mitigation: MitigationNoKnownMalicious, State: finding.InPlace,
			Detail: fmt.Sprintf("%d packages checked against the malicious-package (MAL-) reports of %s; none is listed", len(names), c.db.Source)})
	}
	if c.db == nil && len(names) > 0 {
		// Without MAL- records nothing was matched: say so rather than
		// let silence read as "none is listed".
		c.sink.Observation(&finding.Observation{Mitigation: MitigationNoKnownMalicious, State: finding.NoData,
			Detail: fmt.Sprintf("%d packages not checked: no advisory data with malicious-package (MAL-) reports (see warnings)", len(names))})
	}
}

// malicious gathers the MAL- reports matching any use of a package.
func (c *checks) malicious(name string, us []use) []osv.Vuln {
	if c.db == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []osv.Vuln
	add := func(vs []osv.Vuln) {
		for _, v := range vs {
			if !seen[v.MaliciousID()] {
				seen[v.MaliciousID()] = true
				out = append(out, v)
			}
		}
	}
	versions := map[string]bool{}
	for _, u := range us {
		if u.version != "" {
			if !versions[u.version] {
				versions[u.version] = true
				add(maliciousReports(c.db, name, u.version, nil))
			}
			continue
		}
		ss, err := pep440.ParseSpecifierSet(u.specifier)
		if err != nil {
			continue
		}
		add(maliciousReports(c.db, name, "", ss))
	}
	if len(out) > 0 {
		c.malCount++
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MaliciousID() < out[j].MaliciousID() })
	return out
}

func (c *checks) reportMalicious(name string, us []use, mal []osv.Vuln, m typosquat.Match, squat bool) {
	u := us[0]
	for _, x := range us {
		if x.installed {
			u = x // on the machine already: the most urgent place
			break
		}
	}
	f := KnownMalicious.New()
	f.File, f.Line = u.file, u.line
	f.Key = "malicious:" + name
	pkg := &finding.Package{Name: name, Version: u.version, Specifier: u.specifier, Ecosystem: osv.Ecosystem, Source: u.how}
	var ids []string
	for _, v := range mal {
		id := v.MaliciousID()
		ids = append(ids, id)
		aliases := []string{}
		for _, a := range append([]string{v.ID}, v.Aliases...) {
			if a != id {
				aliases = append(aliases, a)
			}
		}
		pkg.Advisories = append(pkg.Advisories, finding.Advisory{ID: id, Aliases: aliases, Summary: v.Summary, Severity: finding.Critical, URL: "https://osv.dev/vulnerability/" + id})
	}
	f.Package = pkg
	what := name
	if u.version != "" {
		what += " " + u.version
	}
	f.Message = fmt.Sprintf("%s (%s) is a known-malicious package: %s", what, u.how, strings.Join(ids, ", "))
	if s := strings.TrimRight(mal[0].Summary, ". "); s != "" {
		f.Message += ": " + s
	}
	if squat {
		f.Message += fmt.Sprintf("; its name imitates %s (%s)", m.Target, m.Reason)
	}
	f.Evidence = evidenceOf(u)
	f.Related = related(us, u)
	c.sink.Finding(f)
}

func (c *checks) reportSquat(name string, us []use, m typosquat.Match) {
	u := us[0]
	installed := false
	for _, x := range us {
		installed = installed || x.installed
	}
	f := Typosquat.New()
	f.File, f.Line = u.file, u.line
	f.Key = "typosquat:" + name
	sev := finding.Medium
	target := fmt.Sprintf("%s (download rank %d)", m.Target, m.Rank)
	switch {
	case m.Target == stripe:
		sev, target = finding.High, "stripe"
	case m.Critical && isStripeDep(m.Target):
		sev, target = finding.High, m.Target+", which stripe depends on"
	case m.Critical:
		sev, target = finding.High, m.Target+" (protected in the configuration)"
	}
	if installed && sev < finding.Critical {
		sev++
	}
	f.Severity = sev
	f.Message = fmt.Sprintf("%s imitates %s: %s", displayName(u), target, m.Reason)
	if installed {
		f.Message += "; it is installed"
	}
	f.Evidence = evidenceOf(u)
	f.Package = &finding.Package{Name: name, Version: u.version, Specifier: u.specifier, Ecosystem: osv.Ecosystem, Source: u.how}
	f.Related = related(us, u)
	c.sink.Finding(f)
}

func isStripeDep(n string) bool {
	for _, c := range typosquat.Critical {
		if c == n && n != stripe {
			return true
		}
	}
	return false
}

func displayName(u use) string {
	if u.raw != "" {
		return u.raw
	}
	return u.name
}

func evidenceOf(u use) string {
	n := displayName(u)
	switch {
	case u.specifier != "":
		return n + u.specifier
	case u.version != "":
		return n + "==" + u.version
	}
	return n
}

// related lists the other places a package appears (at most 10).
func related(us []use, lead use) []finding.Location {
	var out []finding.Location
	for _, x := range us {
		if x.file == lead.file && x.line == lead.line {
			continue
		}
		if len(out) == 10 {
			break
		}
		out = append(out, finding.Location{File: x.file, Line: x.line, Message: "also " + x.how + " here"})
	}
	return out
}

// installUses is used by pinning: the parsed package of an install command.
func installUse(i pyindex.Install) (pydeps.Requirement, bool) {
	r, err := pydeps.ParseRequirement(i.Spec)
	return r, err == nil && r.Name != ""
}

func onlyInstalled(us []use) bool {
	for _, u := range us {
		if !u.installed {
			return false
		}
	}
	return true
}
