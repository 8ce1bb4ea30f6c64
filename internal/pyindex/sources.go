package pyindex

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// tomlDoc is a decoded TOML file with the text kept to find lines.
type tomlDoc struct {
	m     map[string]any
	lines []string
	used  map[int]bool
}

func (r *reader) decodeTOML(text string) *tomlDoc {
	var m map[string]any
	if _, err := toml.Decode(text, &m); err != nil {
		line := 0
		var pe toml.ParseError
		if ok := asParseError(err, &pe); ok {
			line = pe.Position.Line
		}
		r.warn(line, "TOML not readable for index settings: %s", firstLine(err.Error()))
		return nil
	}
	return &tomlDoc{m: m, lines: strings.Split(text, "\n"), used: map[int]bool{}}
}

func asParseError(err error, pe *toml.ParseError) bool {
	if p, ok := err.(toml.ParseError); ok {
		*pe = p
		return true
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func get(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func tmap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func tlist(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case map[string]any:
		// PDM accepts a single [tool.pdm.source] table.
		return []map[string]any{x}
	}
	return nil
}

func tstr(v any) string {
	s, _ := v.(string)
	return s
}

func tstrs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func tbool(v any) (bool, bool) {
	b, ok := v.(bool)
	return b, ok
}

// lineOf finds the line holding a value (quoted) at or after line from,
// preferring lines not already attributed to another setting.
func (d *tomlDoc) lineOf(value string, from int) int {
	if value == "" {
		return from
	}
	for _, q := range []string{`"` + value + `"`, `'` + value + `'`, value} {
		for i := max(from-1, 0); i < len(d.lines); i++ {
			if strings.Contains(d.lines[i], q) && !d.used[i+1] {
				d.used[i+1] = true
				return i + 1
			}
		}
	}
	return from
}

// headerLine is the line of the n-th (0-based) [[name]] or [name] header.
func (d *tomlDoc) headerLine(name string, n int) int {
	k := 0
	for i, l := range d.lines {
		t := strings.ReplaceAll(strings.TrimSpace(l), " ", "")
		if t == "[["+name+"]]" || t == "["+name+"]" {
			if k == n {
				return i + 1
			}
			k++
		}
	}
	return d.keyLine(name)
}

// keyLine is the line of a dotted key's last element ("tool.uv.index-strategy"):
// the first line assigning it inside its table, or any line naming it.
func (d *tomlDoc) keyLine(dotted string) int {
	parts := strings.Split(dotted, ".")
	key := parts[len(parts)-1]
	table := strings.Join(parts[:len(parts)-1], ".")
	in := table == ""
	for i, l := range d.lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			h := strings.Trim(strings.ReplaceAll(t, " ", ""), "[]")
			in = h == table
			continue
		}
		if in && (strings.HasPrefix(t, key+" ") || strings.HasPrefix(t, key+"=")) {
			return i + 1
		}
	}
	for i, l := range d.lines {
		if strings.Contains(l, key) {
			return i + 1
		}
	}
	return 0
}

// keyInBlock is the line assigning key in the table that starts at line
// header (until the next table header); fallback when absent.
func (d *tomlDoc) keyInBlock(header int, key string, fallback int) int {
	for i := header; i >= 1 && i < len(d.lines); i++ {
		t := strings.TrimSpace(d.lines[i])
		if strings.HasPrefix(t, "[") {
			break
		}
		if strings.HasPrefix(t, key+" ") || strings.HasPrefix(t, key+"=") {
			return i + 1
		}
	}
	return fallback
}

// pipfile reads Pipfile [[source]] and [pipenv]. Since pipenv 2022.3.23 a
// package is installed only from the first source unless it names another
// with index=; install_search_all_sources = true restores searching every
// source for every package.
func (r *reader) pipfile(text string) {
	d := r.decodeTOML(text)
	if d == nil {
		return
	}
	searchAll, _ := tbool(get(d.m, "pipenv", "install_search_all_sources"))
	for i, s := range tlist(d.m["source"]) {
		u := tstr(s["url"])
		line := d.lineOf(u, d.headerLine("source", i))
		name := tstr(s["name"])
		kind := Index
		origin := fmt.Sprintf("Pipfile [[source]] %q", name)
		switch {
		case i == 0:
		case searchAll:
			kind = ExtraIndex
			origin += " with [pipenv] install_search_all_sources = true"
		default:
			kind = ScopedIndex
		}
		if !(i == 0 && IsPyPI(u)) {
			r.add(Setting{Line: line, Tool: Pipenv, Kind: kind, Value: u, Name: name, Origin: origin})
		}
		if v, ok := tbool(s["verify_ssl"]); ok && !v {
			r.add(Setting{Line: d.keyInBlock(d.headerLine("source", i), "verify_ssl", line), Tool: Pipenv, Kind: TrustedHost, Value: Host(u), Name: name, Origin: origin + " verify_ssl = false"})
		}
	}
}

// pyproject reads Poetry, uv and PDM source configuration.
func (r *reader) pyproject(text string) {
	if !strings.Contains(text, "source") && !strings.Contains(text, "index") && !strings.Contains(text, "insecure") && !strings.Contains(text, "find-links") {
		return
	}
	d := r.decodeTOML(text)
	if d == nil {
		return
	}
	r.poetrySources(d)
	if uv := tmap(get(d.m, "tool", "uv")); uv != nil {
		r.uvSettings(d, uv, "tool.uv", "[tool.uv]")
	}
	r.pdmSources(d)
}

// uvToml reads uv.toml (the [tool.uv] table at top level).
func (r *reader) uvToml(text string) {
	d := r.decodeTOML(text)
	if d == nil {
		return
	}
	r.uvSettings(d, d.m, "", "uv.toml")
}

// uvSettings reads uv index options. uv takes each package from the first
// index that has it (first-index strategy) unless index-strategy says
// otherwise; [[tool.uv.index]] entries with explicit = true serve only the
// packages pinned to them in [tool.uv.sources].
func (r *reader) uvSettings(d *tomlDoc, uv map[string]any, table, origin string) {
	dot := func(k string) string {
		if table == "" {
			return k
		}
		return table + "." + k
	}
	tables := []map[string]any{uv}
	prefixes := []string{""}
	if p := tmap(uv["pip"]); p != nil {
		tables = append(tables, p)
		prefixes = append(prefixes, "pip.")
	}
	strategy := ""
	for ti, t := range tables {
		if s := tstr(t["index-strategy"]); s != "" {
			strategy = s
			r.add(Setting{Line: d.keyLine(dot(prefixes[ti] + "index-strategy")), Tool: UV, Kind: Strategy, Value: s, Origin: origin + " index-strategy"})
		}
	}
	extraKind := OrderedIndex
	if unsafeStrategy(strategy) {
		extraKind = ExtraIndex
	}
	for ti, t := range tables {
		o := origin
		if ti > 0 {
			o += " [pip]"
		}
		for _, k := range []string{"index-url", "default-index"} {
			if u := tstr(t[k]); u != "" {
				r.add(Setting{Line: d.lineOf(u, d.keyLine(dot(prefixes[ti]+k))), Tool: UV, Kind: Index, Value: u, Origin: o + " " + k})
			}
		}
		for _, u := range tstrs(t["extra-index-url"]) {
			r.add(Setting{Line: d.lineOf(u, d.keyLine(dot(prefixes[ti]+"extra-index-url"))), Tool: UV, Kind: extraKind, Value: u, Origin: o + " extra-index-url"})
		}
		for _, u := range tstrs(t["find-links"]) {
			r.add(Setting{Line: d.lineOf(u, d.keyLine(dot(prefixes[ti]+"find-links"))), Tool: UV, Kind: FindLinks, Value: u, Origin: o + " find-links"})
		}
		for _, h := range tstrs(t["allow-insecure-host"]) {
			r.add(Setting{Line: d.lineOf(h, d.keyLine(dot(prefixes[ti]+"allow-insecure-host"))), Tool: UV, Kind: TrustedHost, Value: h, Origin: o + " allow-insecure-host"})
		}
		if b, _ := tbool(t["no-index"]); b {
			r.add(Setting{Line: d.keyLine(dot(prefixes[ti] + "no-index")), Tool: UV, Kind: NoIndex, Origin: o + " no-index"})
		}
		if b, _ := tbool(t["require-hashes"]); b {
			r.add(Setting{Line: d.keyLine(dot(prefixes[ti] + "require-hashes")), Tool: UV, Kind: RequireHashes, Origin: o + " require-hashes"})
		}
	}
	hdr := "index"
	if table != "" {
		hdr = table + ".index"
	}
	for i, ix := range tlist(uv["index"]) {
		u := tstr(ix["url"])
		name := tstr(ix["name"])
		kind := extraKind
		what := ""
		if b, _ := tbool(ix["default"]); b {
			kind, what = Index, " default = true"
		}
		if b, _ := tbool(ix["explicit"]); b {
			kind, what = ScopedIndex, " explicit = true"
		}
		o := fmt.Sprintf("%s [[index]] %q%s", origin, name, what)
		if table != "" {
			o = fmt.Sprintf("[[tool.uv.index]] %q%s", name, what)
		}
		if kind == Index && IsPyPI(u) {
			continue
		}
		r.add(Setting{Line: d.lineOf(u, d.headerLine(hdr, i)), Tool: UV, Kind: kind, Value: u, Name: name, Origin: o})
	}
}

// poetrySources reads [[tool.poetry.source]]. Poetry searches every primary
// source (and the implicit PyPI when no primary or default source is
// configured) for each package and takes the best version among them;
// supplemental (and the deprecated secondary) sources only when those have
// nothing; explicit sources only for packages pinned to them.
func (r *reader) poetrySources(d *tomlDoc) {
	srcs := tlist(get(d.m, "tool", "poetry", "source"))
	if len(srcs) == 0 {
		return
	}
	type src struct {
		name, url, priority string
		line                int
	}
	var all []src
	primaries := 0
	pypiPrimary := false
	for i, s := range srcs {
		p := strings.ToLower(tstr(s["priority"]))
		if b, _ := tbool(s["default"]); b {
			p = "default"
		}
		if b, _ := tbool(s["secondary"]); b && p == "" {
			p = "secondary"
		}
		if p == "" {
			p = "primary"
		}
		x := src{name: tstr(s["name"]), url: tstr(s["url"]), priority: p}
		x.line = d.lineOf(x.url, d.headerLine("tool.poetry.source", i))
		if x.url == "" && strings.EqualFold(x.name, "pypi") {
			x.url = "https://pypi.org/simple"
		}
		if p == "primary" || p == "default" {
			primaries++
			if IsPyPI(x.url) {
				pypiPrimary = true
			}
		}
		all = append(all, x)
	}
	for _, x := range all {
		if IsPyPI(x.url) {
			continue
		}
		o := fmt.Sprintf("[[tool.poetry.source]] %q priority = %s", x.name, x.priority)
		kind := Index
		switch x.priority {
		case "explicit":
			kind = ScopedIndex
		case "supplemental", "secondary":
			kind = FallbackIndex
		default:
			if primaries > 1 || pypiPrimary {
				kind = ExtraIndex
				o += " beside other primary sources"
			}
		}
		r.add(Setting{Line: x.line, Tool: Poetry, Kind: kind, Value: x.url, Name: x.name, Origin: o})
	}
}

// pdmSources reads [[tool.pdm.source]]. PDM puts every source on an equal
// footing and takes the best version from any of them, unless
// [tool.pdm.resolution] respect-source-order = true; a source named "pypi"
// replaces PyPI; include_packages restricts a source to some packages.
func (r *reader) pdmSources(d *tomlDoc) {
	srcs := tlist(get(d.m, "tool", "pdm", "source"))
	if len(srcs) == 0 {
		return
	}
	ordered, _ := tbool(get(d.m, "tool", "pdm", "resolution", "respect-source-order"))
	pypiAt := -1
	for i, s := range srcs {
		if strings.EqualFold(tstr(s["name"]), "pypi") {
			pypiAt = i
		}
	}
	for i, s := range srcs {
		u := tstr(s["url"])
		name := tstr(s["name"])
		line := d.lineOf(u, d.headerLine("tool.pdm.source", i))
		o := fmt.Sprintf("[[tool.pdm.source]] %q", name)
		kind := ExtraIndex
		switch {
		case strings.EqualFold(tstr(s["type"]), "find_links"):
			kind = FindLinks
		case strings.EqualFold(name, "pypi"):
			kind = Index
		case len(tstrs(s["include_packages"])) > 0:
			kind = ScopedIndex
			o += " include_packages"
		case ordered && pypiAt > i:
			kind = OrderedIndex
			o += " (respect-source-order, before pypi)"
		case ordered:
			// PyPI comes first: a public package with a private name
			// wins, as with Poetry's supplemental sources.
			kind = FallbackIndex
			o += " (respect-source-order, after PyPI)"
		}
		if !(kind == Index && IsPyPI(u)) {
			r.add(Setting{Line: line, Tool: PDM, Kind: kind, Value: u, Name: name, Origin: o})
		}
		if v, ok := tbool(s["verify_ssl"]); ok && !v {
			r.add(Setting{Line: d.keyInBlock(d.headerLine("tool.pdm.source", i), "verify_ssl", line), Tool: PDM, Kind: TrustedHost, Value: Host(u), Name: name, Origin: o + " verify_ssl = false"})
		}
	}
}
