package pydeps

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// decodeTOML decodes data into a generic map; on error it warns with the
// line and returns nil.
func (p *parser) decodeTOML(file string, data []byte) map[string]any {
	p.sortLines = true
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		line := 0
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line = pe.Position.Line
		}
		msg := err.Error()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		p.warn(file, line, "invalid TOML: %s", msg)
		return nil
	}
	return doc
}

func tmap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// tget walks nested tables.
func tget(m map[string]any, keys ...string) any {
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

func tstr(v any) string {
	s, _ := v.(string)
	return s
}

func tlist(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case []map[string]any:
		out := make([]any, len(l))
		for i, x := range l {
			out[i] = x
		}
		return out
	}
	return nil
}

func tbool(v any) bool {
	b, _ := v.(bool)
	return b
}

// sortedKeys gives map keys in a stable order (TOML maps lose file order;
// requirements are sorted by line later anyway).
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tomlText locates things in the TOML source text: BurntSushi/toml does not
// report line numbers of values.
type tomlText struct {
	lines   []string
	headers []tomlHeader
	cursor  map[string]int
}

type tomlHeader struct {
	name  string
	line  int // 1-based
	array bool
}

var headerRE = regexp.MustCompile(`^\s*(\[\[?)\s*([^\]#]+?)\s*(\]\]?)\s*(#.*)?$`)

func newTOMLText(data []byte) *tomlText {
	t := &tomlText{lines: splitLines(data), cursor: map[string]int{}}
	inMulti := ""
	for i, l := range t.lines {
		if inMulti != "" {
			if strings.Count(l, inMulti)%2 == 1 {
				inMulti = ""
			}
			continue
		}
		for _, q := range []string{`"""`, `'''`} {
			if strings.Count(l, q)%2 == 1 {
				inMulti = q
			}
		}
		if t := strings.TrimLeft(l, " \t"); !strings.HasPrefix(t, "[") {
			continue
		}
		m := headerRE.FindStringSubmatch(l)
		if m == nil || len(m[1]) != len(m[3]) {
			continue
		}
		t.headers = append(t.headers, tomlHeader{name: normKeyPath(m[2]), line: i + 1, array: len(m[1]) == 2})
	}
	return t
}

// normKeyPath turns `tool . "poetry".dependencies` into tool.poetry.dependencies.
func normKeyPath(s string) string {
	var parts []string
	for _, p := range splitDotted(s) {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' || p[0] == '\'') && p[len(p)-1] == p[0] {
			if u, err := strconv.Unquote(`"` + p[1:len(p)-1] + `"`); err == nil && p[0] == '"' {
				p = u
			} else {
				p = p[1 : len(p)-1]
			}
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ".")
}

func splitDotted(s string) []string {
	var out []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// section returns the 1-based line range [start, end] of the first table
// named name (start is the header line), or 0, 0.
func (t *tomlText) section(name string) (int, int) {
	for i, h := range t.headers {
		if h.name == name && !h.array {
			end := len(t.lines)
			if i+1 < len(t.headers) {
				end = t.headers[i+1].line - 1
			}
			return h.line, end
		}
	}
	return 0, 0
}

// arrayEntries returns the header line of every [[name]] entry in order.
func (t *tomlText) arrayEntries(name string) []int {
	var out []int
	for _, h := range t.headers {
		if h.name == name && h.array {
			out = append(out, h.line)
		}
	}
	return out
}

var nameKeyRE = regexp.MustCompile(`^\s*name\s*=`)

// entryNameLines returns, for each [[name]] entry, the line of its
// `name = ...` key (the header line when absent).
func (t *tomlText) entryNameLines(name string) []int {
	entries := t.arrayEntries(name)
	out := make([]int, len(entries))
	for i, start := range entries {
		out[i] = start
		for l := start + 1; l <= len(t.lines); l++ {
			if isHeaderLine(t, l) {
				break
			}
			if nameKeyRE.MatchString(t.lines[l-1]) {
				out[i] = l
				break
			}
		}
	}
	return out
}

func isHeaderLine(t *tomlText, line int) bool {
	i := sort.Search(len(t.headers), func(i int) bool { return t.headers[i].line >= line })
	return i < len(t.headers) && t.headers[i].line == line
}

// keyLine finds `key =` (bare or quoted, any case-variant spelling of the
// same normalised name) in the table named section; 0 when not found.
func (t *tomlText) keyLine(section, key string) int {
	start, end := t.section(section)
	if start == 0 {
		// maybe a sub-table [section.key]
		if s, _ := t.section(section + "." + key); s != 0 {
			return s
		}
		return 0
	}
	want := Normalize(key)
	for l := start + 1; l <= end; l++ {
		s := strings.TrimSpace(t.lines[l-1])
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			continue
		}
		k := strings.TrimSpace(s[:eq])
		if len(k) >= 2 && (k[0] == '"' || k[0] == '\'') && k[len(k)-1] == k[0] {
			k = k[1 : len(k)-1]
		}
		if Normalize(k) == want {
			return l
		}
	}
	if s, _ := t.section(section + "." + key); s != 0 {
		return s
	}
	return 0
}

// stringLine finds the line of the string literal s, searching from the
// table section onwards (and remembering where the previous search for
// that section ended, so repeated literals get successive lines).
func (t *tomlText) stringLine(section, s string) int {
	start, _ := t.section(section)
	if start == 0 {
		start = 1
	}
	from := start
	if c, ok := t.cursor[section]; ok && c > from {
		from = c
	}
	cands := []string{strconv.Quote(s), `'` + s + `'`, `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`}
	for pass := 0; pass < 2; pass++ {
		for l := from; l <= len(t.lines); l++ {
			for _, c := range cands {
				if strings.Contains(t.lines[l-1], c) {
					t.cursor[section] = l
					return l
				}
			}
		}
		from = start
	}
	// a literal spread over several lines or with unusual escaping
	for l := start; l <= len(t.lines); l++ {
		if strings.Contains(t.lines[l-1], s) {
			return l
		}
	}
	return start
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	case int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("a %T", v)
}
