package supplychain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyindex"
)

// indexes reports dependency confusion, plain HTTP, disabled TLS
// verification and credentials in index URLs.
func (c *checks) indexes() {
	ss := dedupeSettings(c.inv.settings)
	// An unsafe uv index strategy applies to uv's extra indexes of the same
	// file (a Dockerfile's ENV UV_INDEX_STRATEGY and its RUN uv pip
	// install) and, set in the root uv.toml or pyproject.toml, to every uv
	// command run in the project.
	unsafeUV := map[string]string{} // file ("" = project-wide) -> where
	for _, s := range ss {
		if s.Kind == pyindex.Strategy && s.Tool == pyindex.UV && isUnsafeStrategy(s.Value) {
			w := fmt.Sprintf("%s (%s:%d)", s.Value, s.File, s.Line)
			unsafeUV[s.File] = w
			if s.File == "uv.toml" || s.File == "pyproject.toml" {
				unsafeUV[""] = w
			}
		}
	}
	confusion, insecure, creds, urls, credVars := 0, 0, 0, 0, 0
	httpHosts := map[string]*finding.Finding{} // file + host -> finding
	var trusted []pyindex.Setting
	var httpFindings []*finding.Finding
	for _, s := range ss {
		if isURLKind(s.Kind) && strings.Contains(s.Value, "://") {
			urls++
			if cr, ok := pyindex.URLCredentials(s.Value); ok {
				c.reportCredentials(s, cr)
				creds++
			} else if strings.Contains(s.Value, "@") && strings.Contains(s.Value, "$") {
				credVars++
			}
		}
		switch s.Kind {
		case pyindex.TrustedHost:
			trusted = append(trusted, s)
			continue
		case pyindex.Strategy:
			continue // judged with the indexes it applies to
		}
		if !isURLKind(s.Kind) || s.Value == "" {
			continue
		}
		if why := c.confusion(s, ss, unsafeUV); why != "" {
			c.reportConfusion(s, why)
			confusion++
		}
		if pyindex.IsPlainHTTP(s.Value) {
			f := c.reportHTTP(s)
			httpFindings = append(httpFindings, f)
			insecure++
			if h := pyindex.Host(s.Value); h != "" && httpHosts[s.File+"\x00"+h] == nil {
				httpHosts[s.File+"\x00"+h] = f
			}
		}
	}
	for _, s := range trusted {
		h := pyindex.Host(s.Value)
		if f := httpHosts[s.File+"\x00"+h]; f != nil {
			// The trusted host exists to allow that http index of the
			// same file: one cause.
			f.Related = append(f.Related, finding.Location{File: s.File, Line: s.Line, Message: "trusted host " + s.Value + " (" + s.Origin + ") lets the installer use it"})
			continue
		}
		c.reportTrusted(s)
		insecure++
	}
	for _, f := range httpFindings {
		c.sink.Finding(f)
	}
	declared := 0
	for _, r := range c.inv.reqs {
		if r.Source != "installed" {
			declared++
		}
	}
	if len(ss) == 0 && declared == 0 && len(c.inv.installs) == 0 {
		return // nothing here says how packages are installed
	}
	primary := c.primaries(ss)
	if confusion == 0 {
		c.sink.Observation(&finding.Observation{Mitigation: MitigationSingleIndex, State: finding.InPlace,
			Detail: "packages come from one index at a time: " + primary + " (" + c.readSummary() + ")"})
	}
	if insecure == 0 {
		c.sink.Observation(&finding.Observation{Mitigation: MitigationIndexTLS, State: finding.InPlace,
			Detail: "every index is reached over verified HTTPS: " + primary})
	}
	if creds == 0 && urls > 0 {
		d := fmt.Sprintf("%d index URLs configured, none with written credentials", urls)
		if credVars > 0 {
			d = fmt.Sprintf("%d index URLs configured; credentials come from variables in %d of them", urls, credVars)
		}
		c.sink.Observation(&finding.Observation{Mitigation: MitigationIndexCredentials, State: finding.InPlace, Detail: d})
	}
}

func isUnsafeStrategy(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "unsafe-best-match" || s == "unsafe-first-match"
}

func isURLKind(k pyindex.Kind) bool {
	switch k {
	case pyindex.Index, pyindex.ExtraIndex, pyindex.OrderedIndex, pyindex.FallbackIndex, pyindex.ScopedIndex, pyindex.FindLinks:
		return true
	}
	return false
}

func dedupeSettings(in []pyindex.Setting) []pyindex.Setting {
	seen := map[string]bool{}
	var out []pyindex.Setting
	for _, s := range in {
		k := fmt.Sprintf("%s\x00%d\x00%s\x00%s\x00%s", s.File, s.Line, s.Tool, s.Kind, s.Value)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// confusion says why a setting lets a second index supply a package ("" if
// it does not).
func (c *checks) confusion(s pyindex.Setting, all []pyindex.Setting, unsafeUV map[string]string) string {
	switch s.Kind {
	case pyindex.ExtraIndex:
		if sameAsIndex(s, all) {
			return ""
		}
		switch s.Tool {
		case pyindex.Pip:
			return "pip looks up every package on both indexes and installs the highest version found"
		case pyindex.UV:
			return "uv's unsafe index strategy takes versions from every index"
		case pyindex.Poetry:
			return "Poetry looks up every package on all primary sources and takes the best version"
		case pyindex.Pipenv:
			return "install_search_all_sources makes pipenv look up every package on every source"
		case pyindex.PDM:
			return "PDM treats all sources as equal and takes the highest version from any of them (no respect-source-order)"
		}
		return "the installer takes the highest version from any index"
	case pyindex.OrderedIndex:
		if s.Tool != pyindex.UV {
			return ""
		}
		w := unsafeUV[s.File]
		if w == "" {
			w = unsafeUV[""]
		}
		if w != "" {
			return "uv's index strategy " + w + " takes versions from every index"
		}
	case pyindex.FallbackIndex:
		return "it is only searched for packages the primary index lacks, so a package published on PyPI under the name of a private one replaces it"
	case pyindex.FindLinks:
		if pyindex.IsLocalPath(s.Value) || c.noIndexIn(s.File) {
			return "" // a local wheel directory (or --no-index): nothing public to confuse it with
		}
		return "pip merges the archives it links to with the index and installs the highest version found"
	}
	return ""
}

// sameAsIndex: an extra index that repeats a primary index of the same file
// adds nothing.
func sameAsIndex(s pyindex.Setting, all []pyindex.Setting) bool {
	for _, o := range all {
		if o.File == s.File && o.Kind == pyindex.Index && strings.TrimRight(o.Value, "/") == strings.TrimRight(s.Value, "/") {
			return true
		}
	}
	return false
}

func (c *checks) noIndexIn(file string) bool {
	for _, s := range c.inv.settings {
		if s.File == file && s.Kind == pyindex.NoIndex {
			return true
		}
	}
	return false
}

// primaries describes the primary indexes in use.
func (c *checks) primaries(ss []pyindex.Setting) string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s.Kind == pyindex.Index && s.Value != "" {
			u := pyindex.StripCredentials(s.Value)
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	if len(out) == 0 {
		return "https://pypi.org/simple (no index configured)"
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("%d more", len(out)-3))
	}
	return strings.Join(out, ", ")
}

// readSummary says which files were read for index settings.
func (c *checks) readSummary() string {
	n := len(c.inv.indexFiles)
	reqFiles := map[string]bool{}
	for _, r := range c.inv.reqs {
		if r.Source == "requirements" {
			reqFiles[r.File] = true
		}
	}
	return fmt.Sprintf("%s and %s read", plural(len(reqFiles), "requirements file"), plural(n, "configuration, Docker, CI or script file"))
}

// origin of a setting for messages.
func where(s pyindex.Setting) string {
	if s.Name != "" && !strings.Contains(s.Origin, s.Name) {
		return fmt.Sprintf("%s (source %q)", s.Origin, s.Name)
	}
	return s.Origin
}

func (c *checks) evidence(s pyindex.Setting) string {
	ev := s.Command
	if ev == "" {
		ev = s.Value
	}
	return redactURLs(ev)
}

// redactURLs hides the credentials of every URL in a text.
func redactURLs(text string) string {
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '"' || r == '\'' || r == '=' || r == '\t' }) {
		if cr, ok := pyindex.URLCredentials(w); ok {
			text = strings.ReplaceAll(text, cr.Secret, pyindex.RedactSecret(cr.Secret))
		}
	}
	return text
}

func (c *checks) reportConfusion(s pyindex.Setting, why string) {
	f := ExtraIndex.New()
	f.File, f.Line = s.File, s.Line
	f.Key = "extra-index:" + pyindex.StripCredentials(s.Value)
	u := pyindex.RedactURL(s.Value)
	what := "an extra index"
	switch s.Kind {
	case pyindex.FallbackIndex:
		what = "a fallback index"
	case pyindex.FindLinks:
		what = "a find-links location"
	}
	if strings.EqualFold(pyindex.Host(s.Value), "test.pypi.org") {
		what += " (TestPyPI, where anyone can publish any name)"
	}
	f.Message = fmt.Sprintf("%s adds %s, %s: %s. Whoever publishes a package under the name of one you install, at a higher version, on either index gets it installed", where(s), u, what, why)
	if s.Kind == pyindex.FallbackIndex {
		f.Message = fmt.Sprintf("%s adds %s, %s: %s", where(s), u, what, why)
	}
	f.Evidence = c.evidence(s)
	c.sink.Finding(f)
}

func (c *checks) reportHTTP(s pyindex.Setting) *finding.Finding {
	f := PlainHTTPIndex.New()
	f.File, f.Line = s.File, s.Line
	f.Key = "http-index:" + pyindex.StripCredentials(s.Value)
	f.Message = fmt.Sprintf("%s uses %s over plain HTTP: anyone on the network path can substitute the packages", where(s), pyindex.RedactURL(s.Value))
	if pyindex.IsLoopback(pyindex.Host(s.Value)) {
		f.Severity = finding.Low
		f.Message = fmt.Sprintf("%s uses %s over plain HTTP on the loopback interface (a local proxy or devpi)", where(s), pyindex.RedactURL(s.Value))
	}
	f.Evidence = c.evidence(s)
	return f
}

func (c *checks) reportTrusted(s pyindex.Setting) {
	f := TrustedHost.New()
	f.File, f.Line = s.File, s.Line
	f.Key = "trusted-host:" + pyindex.Host(s.Value)
	f.Message = fmt.Sprintf("%s turns TLS certificate verification off for %s: a network attacker can serve packages in its name", where(s), s.Value)
	if pyindex.IsLoopback(pyindex.Host(s.Value)) {
		f.Severity = finding.Low
	}
	f.Evidence = c.evidence(s)
	c.sink.Finding(f)
}

func (c *checks) reportCredentials(s pyindex.Setting, cr pyindex.Credentials) {
	f := IndexCredentials.New()
	f.File, f.Line = s.File, s.Line
	f.Secret = cr.Secret
	host := pyindex.Host(s.Value)
	f.Message = fmt.Sprintf("%s writes a credential for %s in the index URL: everyone who can read this file can use the private index", where(s), host)
	if strings.HasPrefix(s.Origin, "Dockerfile ENV") || strings.HasPrefix(s.Origin, "Dockerfile ARG") {
		f.Message += "; a Dockerfile ENV/ARG value is also stored in the image's configuration and history"
	}
	f.Evidence = c.evidence(s)
	c.sink.Finding(f)
}
