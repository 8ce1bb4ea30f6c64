package supplychain

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pydeps"
	"github.com/stripeguard/stripeguard/internal/pyindex"
	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// toolingPackages are installers, build and CI tools that Dockerfiles and
// workflows commonly install by name before installing the project; an
// unlocked install of them is not reported.
var toolingPackages = map[string]bool{
	"pip": true, "setuptools": true, "wheel": true, "uv": true, "pipenv": true, "poetry": true, "pip-tools": true,
	"virtualenv": true, "build": true, "twine": true, "pipx": true, "hatch": true, "pdm": true, "tox": true,
	"nox": true, "pre-commit": true, "poetry-plugin-export": true,
}

// manifest is one file that lists packages to install.
type manifest struct {
	file   string
	source pydeps.Source
	reqs   []pydeps.Requirement
}

func (m *manifest) hashed() (n, withHash int) {
	for _, r := range m.reqs {
		if r.Editable || (r.URL != "" && m.source == pydeps.SourceLockfile) {
			continue // editable checkouts and VCS/path lock entries carry no hash
		}
		n++
		if len(r.Hashes) > 0 {
			withHash++
		}
	}
	return
}

// stripeUnpinned: the manifest declares stripe without an exact pin.
func (m *manifest) stripeUnpinned() bool {
	for _, r := range m.reqs {
		if r.Name == stripe && r.Version == "" && r.URL == "" {
			return true
		}
	}
	return false
}

func (m *manifest) hasStripe() bool {
	for _, r := range m.reqs {
		if r.Name == stripe {
			return true
		}
	}
	return false
}

// pinning reports manifests and install commands without hash checking.
func (c *checks) pinning() {
	byFile := map[string]*manifest{}
	var order []string
	for _, r := range c.inv.reqs {
		if r.Source == pydeps.SourceInstalled || r.Source == pydeps.SourceSetupPy || r.Source == pydeps.SourceSetupCfg {
			continue
		}
		m := byFile[r.File]
		if m == nil {
			m = &manifest{file: r.File, source: r.Source}
			byFile[r.File] = m
			order = append(order, r.File)
		}
		m.reqs = append(m.reqs, r)
	}
	sort.Strings(order)
	// Where the project uses hash checking already.
	for _, f := range order {
		m := byFile[f]
		n, h := m.hashed()
		switch {
		case n > 0 && h == n && m.source == pydeps.SourceLockfile:
			c.hashUse = append(c.hashUse, fmt.Sprintf("%s records hashes for %d packages", f, n))
		case n > 0 && h == n:
			c.hashUse = append(c.hashUse, fmt.Sprintf("%s pins all %d requirements with --hash", f, n))
		}
	}
	for _, s := range c.inv.settings {
		if s.Kind == pyindex.RequireHashes {
			c.hashUse = append(c.hashUse, fmt.Sprintf("--require-hashes at %s:%d", s.File, s.Line))
		}
	}
	bad := 0
	var unhashed []*finding.Finding // manifests with no hash at all
	for _, f := range order {
		fd, partial, missing := c.manifestHashes(byFile[f], byFile)
		if missing {
			bad++
		}
		switch {
		case fd == nil:
		case partial || len(c.hashUse) > 0:
			c.sink.Finding(fd)
		default:
			unhashed = append(unhashed, fd)
		}
	}
	c.reportUnhashed(unhashed)
	bad += c.unlockedInstalls()
	if bad == 0 && len(c.hashUse) > 0 {
		c.sink.Observation(&finding.Observation{Mitigation: MitigationHashPinned, State: finding.InPlace, Detail: strings.Join(c.hashUse, "; ")})
	}
}

// lockBeside finds a lock file next to a pyproject.toml or Pipfile.
func (c *checks) lockBeside(file string, byFile map[string]*manifest) string {
	dir := path.Dir(file)
	names := []string{"uv.lock", "poetry.lock", "pdm.lock", "pylock.toml"}
	if path.Base(file) == "Pipfile" {
		names = []string{"Pipfile.lock"}
	}
	for _, n := range names {
		p := path.Join(dir, n)
		if _, ok := c.inv.files[p]; ok {
			return p
		}
	}
	if path.Base(file) != "Pipfile" {
		for f := range c.inv.files {
			if path.Dir(f) == dir && strings.HasPrefix(path.Base(f), "pylock.") && strings.HasSuffix(f, ".toml") {
				return f
			}
		}
	}
	return ""
}

// isLibrary: a pyproject.toml with a build system and nothing beside it
// that pins an installation (libraries declare ranges; their users lock).
func (c *checks) isLibrary(file string) bool {
	dir := path.Dir(file)
	for f := range c.inv.files {
		if path.Dir(f) != dir {
			continue
		}
		b := strings.ToLower(path.Base(f))
		if b == "pipfile" || strings.HasSuffix(b, ".lock") || strings.HasPrefix(b, "pylock.") || strings.Contains(b, "requirements") {
			return false
		}
	}
	return strings.Contains(string(c.inv.files[file]), "[build-system]")
}

// reportUnhashed reports manifests without hashes in a project that checks
// hashes nowhere: one practice, one finding, listing them.
func (c *checks) reportUnhashed(fs []*finding.Finding) {
	if len(fs) <= 1 {
		for _, f := range fs {
			c.sink.Finding(f)
		}
		return
	}
	lead := fs[0]
	for _, f := range fs {
		if f.Severity > lead.Severity {
			lead = f // the one installing stripe
		}
	}
	var files []string
	for _, f := range fs {
		files = append(files, f.File)
		if f != lead {
			lead.Related = append(lead.Related, finding.Location{File: f.File, Line: f.Line, Message: f.Message})
		}
	}
	shown := files
	if len(shown) > 6 {
		shown = append(shown[:6:6], fmt.Sprintf("%d more", len(files)-6))
	}
	lead.Message = fmt.Sprintf("No manifest of the project installs with hash checking (%s): %s", strings.Join(shown, ", "), lead.Message)
	c.sink.Finding(lead)
}

// manifestHashes checks one manifest. It returns the finding to report
// (nil when none), whether the manifest mixes hashed and unhashed
// requirements, and whether hash checking is missing for it at all.
func (c *checks) manifestHashes(m *manifest, byFile map[string]*manifest) (*finding.Finding, bool, bool) {
	switch m.source {
	case pydeps.SourcePyproject, pydeps.SourcePipfile:
		if c.lockBeside(m.file, byFile) != "" || m.source == pydeps.SourcePyproject && c.isLibrary(m.file) {
			return nil, false, false // the lock file is checked on its own
		}
		if m.stripeUnpinned() {
			// deps/stripe-unpinned already asks for a lock file for
			// this manifest; one cause, one finding.
			c.sink.Observation(&finding.Observation{Mitigation: MitigationHashPinned, State: finding.Missing, File: m.file,
				Detail: m.file + " has no lock file, so nothing records the hashes of what it installs (see deps/stripe-unpinned)"})
			return nil, false, true
		}
		f := MissingHashes.New()
		f.File, f.Line = m.file, m.reqs[0].Line
		f.Key = "missing-hashes"
		f.Message = fmt.Sprintf("%s declares %s and no lock file records their hashes: a compromised or confused index can serve any file", m.file, plural(len(m.reqs), "dependency"))
		c.raiseIfHashedElsewhere(f)
		f.Evidence = evidenceOfReq(m.reqs[0])
		return f, false, true
	case pydeps.SourceLockfile, pydeps.SourceRequirements, pydeps.SourceConda:
	default:
		return nil, false, false
	}
	if m.source != pydeps.SourceLockfile {
		direct := false
		for _, r := range m.reqs {
			direct = direct || r.Direct
		}
		if !direct {
			return nil, false, false // a constraints file: what pins, not what installs
		}
		if len(c.inv.compiled[m.file]) > 0 {
			return nil, false, false // pip-tools input: the compiled .txt is installed
		}
	}
	n, h := m.hashed()
	if n == 0 || h == n {
		return nil, false, false
	}
	f := MissingHashes.New()
	f.Key = "missing-hashes"
	var first *pydeps.Requirement
	var without []string
	for i, r := range m.reqs {
		if len(r.Hashes) == 0 && !r.Editable {
			if first == nil {
				first = &m.reqs[i]
			}
			if len(without) < 8 {
				without = append(without, displayReq(r))
			}
		}
	}
	f.File, f.Line = m.file, first.Line
	f.Evidence = evidenceOfReq(*first)
	more := ""
	if n-h > len(without) {
		more = fmt.Sprintf(" and %d more", n-h-len(without))
	}
	switch {
	case h > 0:
		f.Severity = finding.Medium
		f.Message = fmt.Sprintf("%s pins %d of %d requirements with hashes; %s%s have none, and pip refuses a file in hash-checking mode unless every requirement is hashed", m.file, h, n, strings.Join(without, ", "), more)
	case m.source == pydeps.SourceLockfile:
		f.Message = fmt.Sprintf("%s records no hashes for %s, so installing from it checks nothing", m.file, plural(n, "package"))
		c.raiseIfHashedElsewhere(f)
	default:
		what := fmt.Sprintf("%s (%s%s)", plural(n, "package"), strings.Join(without, ", "), more)
		if m.hasStripe() {
			f.Severity = finding.Medium
			what = fmt.Sprintf("%s, stripe among them (%s%s),", plural(n, "package"), strings.Join(without, ", "), more)
		}
		f.Message = fmt.Sprintf("%s installs %s without hashes: a compromised or confused index can serve any file for a pinned version", m.file, what)
		c.raiseIfHashedElsewhere(f)
	}
	return f, h > 0, true
}

// raiseIfHashedElsewhere: a manifest without hashes in a project that
// otherwise checks them bypasses that control.
func (c *checks) raiseIfHashedElsewhere(f *finding.Finding) {
	if len(c.hashUse) == 0 {
		return
	}
	if f.Severity < finding.Medium {
		f.Severity = finding.Medium
	}
	f.Message += "; the rest of the project uses hashes (" + strings.Join(c.hashUse[:min(2, len(c.hashUse))], "; ") + ")"
}

func displayReq(r pydeps.Requirement) string {
	n := r.RawName
	if n == "" {
		n = r.URL
	}
	return n
}

func evidenceOfReq(r pydeps.Requirement) string {
	n := displayReq(r)
	return strings.TrimSpace(n + r.Specifier)
}

// unlockedInstalls reports install commands that name packages, one
// finding per file (its commands are one practice); returns how many.
func (c *checks) unlockedInstalls() int {
	type cmd struct {
		command string
		line    int
		pkgs    []pydeps.Requirement
	}
	type file struct {
		name, origin string
		cmds         []*cmd
	}
	var files []*file
	byFile := map[string]*file{}
	byCmd := map[string]*cmd{}
	for _, i := range c.inv.installs {
		if i.Hashed || i.Constrained {
			continue
		}
		r, ok := installUse(i)
		if !ok || toolingPackages[r.Name] {
			continue
		}
		fl := byFile[i.File]
		if fl == nil {
			fl = &file{name: i.File, origin: i.Origin}
			byFile[i.File] = fl
			files = append(files, fl)
		}
		k := fmt.Sprintf("%s:%d:%s", i.File, i.Line, i.Command)
		x := byCmd[k]
		if x == nil {
			x = &cmd{line: i.Line, command: i.Command}
			byCmd[k] = x
			fl.cmds = append(fl.cmds, x)
		}
		x.pkgs = append(x.pkgs, r)
	}
	for _, fl := range files {
		f := UnlockedInstall.New()
		lead := fl.cmds[0]
		f.File, f.Line = fl.name, lead.line
		var names []string
		stripeUnpinned := false
		for _, x := range fl.cmds {
			for _, r := range x.pkgs {
				names = append(names, r.RawName+r.Specifier)
				if r.Name == stripe && r.Version == "" {
					stripeUnpinned = true
				}
			}
			if x != lead {
				f.Related = append(f.Related, finding.Location{File: fl.name, Line: x.line, Message: redactURLs(x.command)})
			}
		}
		f.Key = "unlocked-install"
		where := fl.origin
		if len(fl.cmds) > 1 {
			where = fmt.Sprintf("%s (%d commands)", strings.SplitN(fl.origin, " (", 2)[0], len(fl.cmds))
		}
		f.Message = fmt.Sprintf("%s installs %s by name, outside the project's manifests: each run gets whatever the index serves that day, with no hash check", where, strings.Join(names, ", "))
		if stripeUnpinned {
			f.Severity = finding.Medium
			f.Message += "; stripe is not even pinned"
		}
		if len(c.hashUse) > 0 {
			// An image build that bypasses the project's hashed
			// manifests ships what it got; a CI job or script only
			// runs it.
			if filekind.Classify(fl.name) == filekind.Dockerfile && f.Severity < finding.Medium {
				f.Severity = finding.Medium
			}
			f.Message += "; the rest of the project uses hashes (" + strings.Join(c.hashUse[:min(2, len(c.hashUse))], "; ") + ")"
		}
		f.Evidence = redactURLs(lead.command)
		c.sink.Finding(f)
	}
	return len(files)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}
