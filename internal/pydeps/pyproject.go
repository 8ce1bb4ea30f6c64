package pydeps

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// addPEP508 adds a PEP 508 string found in a manifest.
func (p *parser) addPEP508(file string, line int, s string, src Source) *Requirement {
	q, err := parsePEP508(s)
	if err != nil {
		p.warn(file, line, "invalid requirement: %v", err)
		if !isMarkerError(err) {
			return nil
		}
	}
	r := Requirement{RawName: q.Name, Extras: q.Extras, Specifier: q.Specifier, URL: q.URL, Marker: q.Marker,
		Source: src, File: file, Line: line, Direct: true}
	r.Version = pinOf(r.Specifier)
	if r.URL != "" {
		_, r.Version = nameVersionFromURL(r.URL)
	}
	p.add(r)
	return &p.reqs[len(p.reqs)-1]
}

// addStringList adds every PEP 508 string of a TOML array.
func (p *parser) addStringList(file string, tt *tomlText, section string, v any, src Source, what string) {
	if v == nil {
		return
	}
	list, ok := v.([]any)
	if !ok {
		p.warn(file, tt.sectionLine(section+"."+lastKey(what)), "%s should be an array of strings, found %s", what, describe(v))
		return
	}
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			if m := tmap(x); m != nil && m["include-group"] != nil {
				continue // PEP 735 group include: the group is read on its own
			}
			p.warn(file, tt.sectionLine(section+"."+lastKey(what)), "%s: entry is %s, not a string", what, describe(x))
			continue
		}
		line := tt.stringLine(section, s)
		if strings.HasPrefix(strings.TrimSpace(s), "-") {
			p.parseRequirementLine(file, line, s, false, src) // PDM "-e path" entries
			continue
		}
		p.addPEP508(file, line, s, src)
	}
}

// sectionLine is the line of table section, or of its key in the parent
// table when it is written inline (dependencies = [...]).
func (t *tomlText) sectionLine(section string) int {
	if s, _ := t.section(section); s != 0 {
		return s
	}
	if i := strings.LastIndexByte(section, '.'); i > 0 {
		return t.keyLine(section[:i], section[i+1:])
	}
	return 0
}

func (p *parser) parsePyproject(file string, data []byte) {
	doc := p.decodeTOML(file, data)
	if doc == nil {
		return
	}
	tt := newTOMLText(data)
	first := len(p.reqs)

	// PEP 621
	if proj := tmap(doc["project"]); proj != nil {
		p.addStringList(file, tt, "project", proj["dependencies"], SourcePyproject, "[project] dependencies")
		if opt := tmap(proj["optional-dependencies"]); opt != nil {
			sec := "project.optional-dependencies"
			if tt.sectionLine(sec) == 0 {
				sec = "project"
			}
			for _, k := range sortedKeys(opt) {
				p.addStringList(file, tt, sec, opt[k], SourcePyproject, "optional-dependencies."+k)
			}
		} else if proj["optional-dependencies"] != nil {
			p.warn(file, tt.sectionLine("project.optional-dependencies"), "[project] optional-dependencies should be a table")
		}
	}
	// PEP 735
	if groups := tmap(doc["dependency-groups"]); groups != nil {
		for _, k := range sortedKeys(groups) {
			p.addStringList(file, tt, "dependency-groups", groups[k], SourcePyproject, "dependency-groups."+k)
		}
	}
	// uv
	if uv := tmap(tget(doc, "tool", "uv")); uv != nil {
		p.addStringList(file, tt, "tool.uv", uv["dev-dependencies"], SourcePyproject, "[tool.uv] dev-dependencies")
		p.uvIndexes(file, tt, uv)
	}
	// PDM
	if dev := tmap(tget(doc, "tool", "pdm", "dev-dependencies")); dev != nil {
		for _, k := range sortedKeys(dev) {
			p.addStringList(file, tt, "tool.pdm.dev-dependencies", dev[k], SourcePyproject, "tool.pdm.dev-dependencies."+k)
		}
	}
	// Hatch environments (dev/test tooling)
	if envs := tmap(tget(doc, "tool", "hatch", "envs")); envs != nil {
		for _, e := range sortedKeys(envs) {
			sec := "tool.hatch.envs." + e
			for _, k := range []string{"dependencies", "extra-dependencies"} {
				p.addStringList(file, tt, sec, tget(envs, e, k), SourcePyproject, sec+"."+k)
			}
		}
	}
	// Poetry
	if poetry := tmap(tget(doc, "tool", "poetry")); poetry != nil {
		sources := p.poetrySources(file, tt, poetry)
		p.poetryDeps(file, tt, "tool.poetry.dependencies", poetry["dependencies"], sources)
		p.poetryDeps(file, tt, "tool.poetry.dev-dependencies", poetry["dev-dependencies"], sources)
		if groups := tmap(poetry["group"]); groups != nil {
			for _, g := range sortedKeys(groups) {
				sec := "tool.poetry.group." + g + ".dependencies"
				p.poetryDeps(file, tt, sec, tget(groups, g, "dependencies"), sources)
			}
		}
	}
	// setuptools dynamic dependencies read from requirements files
	if dyn := tmap(tget(doc, "tool", "setuptools", "dynamic", "dependencies")); dyn != nil {
		line := tt.keyLine("tool.setuptools.dynamic", "dependencies")
		switch f := dyn["file"].(type) {
		case string:
			p.include(file, line, f, false)
		case []any:
			for _, x := range f {
				if s, ok := x.(string); ok {
					p.include(file, line, s, false)
				}
			}
		}
	}
	// [tool.uv.sources] say where a dependency comes from.
	if srcs := tmap(tget(doc, "tool", "uv", "sources")); srcs != nil {
		indexURL := map[string]string{}
		for _, x := range tlist(tget(doc, "tool", "uv", "index")) {
			if m := tmap(x); m != nil {
				indexURL[tstr(m["name"])] = tstr(m["url"])
			}
		}
		bySrc := map[string]map[string]any{}
		for k, v := range srcs {
			if m := tmap(v); m != nil {
				bySrc[Normalize(k)] = m
			}
		}
		for i := first; i < len(p.reqs); i++ {
			r := &p.reqs[i]
			m := bySrc[r.Name]
			if m == nil || r.File != file {
				continue
			}
			switch {
			case tstr(m["git"]) != "":
				r.URL = "git+" + tstr(m["git"]) + gitRef(m)
			case tstr(m["url"]) != "":
				r.URL = tstr(m["url"])
			case tstr(m["path"]) != "":
				r.URL = tstr(m["path"])
				r.Editable = tbool(m["editable"])
			case tstr(m["index"]) != "":
				r.Index = indexURL[tstr(m["index"])]
			}
		}
	}
}

func lastKey(what string) string {
	what = strings.TrimSpace(what)
	if i := strings.LastIndexAny(what, ". "); i >= 0 {
		return what[i+1:]
	}
	return what
}

func gitRef(m map[string]any) string {
	for _, k := range []string{"rev", "tag", "branch", "ref"} {
		if s := tstr(m[k]); s != "" {
			return "@" + s
		}
	}
	return ""
}

func (p *parser) uvIndexes(file string, tt *tomlText, uv map[string]any) {
	if s := tstr(uv["index-url"]); s != "" {
		p.indexes = append(p.indexes, IndexSetting{File: file, Line: tt.keyLine("tool.uv", "index-url"), Option: "--index-url", Value: s})
	}
	for _, x := range tlist(uv["extra-index-url"]) {
		if s, ok := x.(string); ok {
			p.indexes = append(p.indexes, IndexSetting{File: file, Line: tt.keyLine("tool.uv", "extra-index-url"), Option: "--extra-index-url", Value: s})
		}
	}
	lines := tt.arrayEntries("tool.uv.index")
	for i, x := range tlist(uv["index"]) {
		m := tmap(x)
		if m == nil || tstr(m["url"]) == "" {
			continue
		}
		opt := "--extra-index-url"
		if tbool(m["default"]) {
			opt = "--index-url"
		}
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		p.indexes = append(p.indexes, IndexSetting{File: file, Line: line, Option: opt, Value: tstr(m["url"])})
	}
}

func (p *parser) poetrySources(file string, tt *tomlText, poetry map[string]any) map[string]string {
	out := map[string]string{}
	lines := tt.arrayEntries("tool.poetry.source")
	for i, x := range tlist(poetry["source"]) {
		m := tmap(x)
		if m == nil {
			continue
		}
		u := tstr(m["url"])
		out[tstr(m["name"])] = u
		if u == "" {
			continue
		}
		opt := "--extra-index-url"
		switch tstr(m["priority"]) {
		case "primary", "default":
			opt = "--index-url"
		}
		if tbool(m["default"]) {
			opt = "--index-url"
		}
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		p.indexes = append(p.indexes, IndexSetting{File: file, Line: line, Option: opt, Value: u})
	}
	return out
}

// poetryDeps reads a Poetry dependency table.
func (p *parser) poetryDeps(file string, tt *tomlText, section string, v any, sources map[string]string) {
	if v == nil {
		return
	}
	deps := tmap(v)
	if deps == nil {
		p.warn(file, tt.sectionLine(section), "[%s] should be a table, found %s", section, describe(v))
		return
	}
	for _, name := range sortedKeys(deps) {
		if strings.EqualFold(name, "python") {
			continue
		}
		line := tt.keyLine(section, name)
		val := deps[name]
		items := []any{val}
		if l, ok := val.([]any); ok { // multiple-constraint dependency
			items = l
		}
		for _, it := range items {
			r := Requirement{RawName: name, Source: SourcePyproject, File: file, Line: line, Direct: true}
			var constraint string
			switch x := it.(type) {
			case string:
				constraint = x
			case map[string]any:
				constraint = tstr(x["version"])
				for _, e := range tlist(x["extras"]) {
					if s, ok := e.(string); ok {
						r.Extras = append(r.Extras, s)
					}
				}
				r.Marker = poetryMarker(tstr(x["markers"]), tstr(x["python"]), tstr(x["platform"]))
				if g := tstr(x["git"]); g != "" {
					r.URL = "git+" + g + gitRef(x)
				} else if u := tstr(x["url"]); u != "" {
					r.URL = u
				} else if pth := tstr(x["path"]); pth != "" {
					r.URL = pth
				}
				r.Editable = tbool(x["develop"])
				if s := tstr(x["source"]); s != "" {
					r.Index = sources[s]
				}
			default:
				p.warn(file, line, "poetry dependency %s: unexpected %s", name, describe(it))
				continue
			}
			spec, err := poetryToPEP440(constraint)
			if err != nil {
				p.warn(file, line, "poetry dependency %s: %v", name, err)
			}
			r.Specifier = spec
			r.Version = pinOf(spec)
			if r.URL != "" {
				_, r.Version = nameVersionFromURL(r.URL)
			}
			p.add(r)
		}
	}
}

// poetryMarker combines a Poetry dependency's markers, python and platform
// restrictions into one PEP 508 marker.
func poetryMarker(markers, python, platform string) string {
	var parts []string
	if markers = strings.TrimSpace(markers); markers != "" {
		parts = append(parts, markers)
	}
	if spec, err := poetryToPEP440(python); err == nil && spec != "" {
		var clauses []string
		for _, c := range strings.Split(spec, ",") {
			m := clauseRE.FindStringSubmatch(c)
			if m == nil || m[1] == "===" {
				continue
			}
			clauses = append(clauses, fmt.Sprintf("python_version %s %q", m[1], m[2]))
		}
		if len(clauses) > 0 {
			parts = append(parts, strings.Join(clauses, " and "))
		}
	}
	if platform = strings.TrimSpace(platform); platform != "" {
		parts = append(parts, fmt.Sprintf("sys_platform == %q", platform))
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return "(" + strings.Join(parts, ") and (") + ")"
}

var poetryVerRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*`)

// poetryToPEP440 converts a Poetry constraint (caret, tilde, wildcard,
// bare version, comma/space separated clauses) to a PEP 440 specifier.
// Constraints with "||" cannot be expressed and are returned unchanged
// with an error.
func poetryToPEP440(c string) (string, error) {
	c = strings.TrimSpace(c)
	if c == "" || c == "*" {
		return "", nil
	}
	if strings.Contains(c, "||") || strings.Contains(c, "|") {
		return "", fmt.Errorf("constraint %q with '||' has no PEP 440 equivalent", c)
	}
	// tokens: split on commas and spaces, re-attaching bare operators.
	var toks []string
	for _, f := range strings.Fields(strings.ReplaceAll(c, ",", " ")) {
		if n := len(toks); n > 0 && strings.Trim(toks[n-1], "<>=!~^") == "" {
			toks[n-1] += f
			continue
		}
		toks = append(toks, f)
	}
	var out []string
	for _, t := range toks {
		switch {
		case t == "*":
			continue
		case strings.HasPrefix(t, "^"):
			lo, hi, err := caretTilde(t[1:], true)
			if err != nil {
				return c, err
			}
			out = append(out, ">="+lo, "<"+hi)
		case strings.HasPrefix(t, "~") && !strings.HasPrefix(t, "~="):
			lo, hi, err := caretTilde(t[1:], false)
			if err != nil {
				return c, err
			}
			out = append(out, ">="+lo, "<"+hi)
		case strings.HasPrefix(t, "=") && !strings.HasPrefix(t, "=="):
			out = append(out, "=="+t[1:])
		case clauseRE.MatchString(t):
			out = append(out, t)
		case t != "" && (t[0] >= '0' && t[0] <= '9'):
			out = append(out, "=="+t)
		default:
			return c, fmt.Errorf("cannot convert constraint %q", c)
		}
	}
	spec, err := normSpecifier(strings.Join(out, ","))
	if err != nil {
		return c, err
	}
	return spec, nil
}

// caretTilde computes the bounds of ^v (caret) or ~v (tilde).
func caretTilde(v string, caret bool) (lo, hi string, err error) {
	rel := poetryVerRE.FindString(v)
	if rel == "" {
		return "", "", fmt.Errorf("invalid version %q", v)
	}
	parts := strings.Split(rel, ".")
	nums := make([]int, len(parts))
	for i, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil {
			return "", "", fmt.Errorf("invalid version %q", v)
		}
		nums[i] = n
	}
	bump := 0
	if caret {
		bump = len(nums) - 1
		for i, n := range nums {
			if n != 0 {
				bump = i
				break
			}
		}
	} else if len(nums) >= 2 {
		bump = 1
	}
	up := make([]string, len(nums))
	for i := range nums {
		switch {
		case i < bump:
			up[i] = strconv.Itoa(nums[i])
		case i == bump:
			up[i] = strconv.Itoa(nums[i] + 1)
		default:
			up[i] = "0"
		}
	}
	return v, strings.Join(up, "."), nil
}

// hostOf returns the host[:port] of a URL, or the input when unparsable.
func hostOf(u string) string {
	if pu, err := url.Parse(u); err == nil && pu.Host != "" {
		return pu.Host
	}
	return u
}
