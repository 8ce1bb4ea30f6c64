package pydeps

import (
	"strings"
)

// pyTok is a token of the tiny Python tokenizer used to read literal
// install_requires lists from setup.py without executing it.
type pyTok struct {
	kind byte // 'n' name, 's' string, 'f' f-string/bytes (non-literal for us), 'o' operator, '#' number
	val  string
	line int
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdent(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// tokenizePython splits Python source into tokens; it never fails, an
// unterminated string runs to the end of the file.
func tokenizePython(src string) []pyTok {
	var toks []pyTok
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\\':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdent(src[j]) {
				j++
			}
			word := src[i:j]
			if j < len(src) && (src[j] == '"' || src[j] == '\'') && len(word) <= 2 && strings.Trim(strings.ToLower(word), "rbuf") == "" {
				t, n, nl := readPyString(src[j:], strings.ToLower(word))
				t.line = line
				line += nl
				toks = append(toks, t)
				i = j + n
				continue
			}
			toks = append(toks, pyTok{kind: 'n', val: word, line: line})
			i = j
		case c == '"' || c == '\'':
			t, n, nl := readPyString(src[i:], "")
			t.line = line
			line += nl
			toks = append(toks, t)
			i += n
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (isIdent(src[j]) || src[j] == '.') {
				j++
			}
			toks = append(toks, pyTok{kind: '#', val: src[i:j], line: line})
			i = j
		default:
			n := 1
			if i+1 < len(src) && strings.Contains("=!<>*/+-", string(c)) && src[i+1] == '=' {
				n = 2
			}
			toks = append(toks, pyTok{kind: 'o', val: src[i : i+n], line: line})
			i += n
		}
	}
	return toks
}

// readPyString reads a string literal starting at s[0] (a quote) with the
// given prefix; it returns the token, the bytes consumed and newlines seen.
func readPyString(s, prefix string) (pyTok, int, int) {
	q := s[:1]
	if strings.HasPrefix(s, q+q+q) {
		q = q + q + q
	}
	raw := strings.Contains(prefix, "r")
	kind := byte('s')
	if strings.ContainsAny(prefix, "fb") {
		kind = 'f'
	}
	var b strings.Builder
	nl := 0
	i := len(q)
	for i < len(s) {
		if strings.HasPrefix(s[i:], q) {
			return pyTok{kind: kind, val: b.String()}, i + len(q), nl
		}
		c := s[i]
		if c == '\n' {
			nl++
			if len(q) == 1 { // unterminated single-quoted string
				return pyTok{kind: 'f', val: b.String()}, i, nl - 1
			}
		}
		if c == '\\' && i+1 < len(s) {
			if raw {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			} else {
				switch e := s[i+1]; e {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case '\\', '\'', '"':
					b.WriteByte(e)
				case '\n':
					nl++
				default:
					b.WriteByte('\\')
					b.WriteByte(e)
				}
			}
			if s[i+1] == '\n' && raw {
				nl++
			}
			i += 2
			continue
		}
		b.WriteByte(c)
		i++
	}
	return pyTok{kind: 'f', val: b.String()}, i, nl
}

type pyLiteral struct {
	val  string
	line int
}

// parseSetupPy reads literal install_requires=[...] / "install_requires":
// [...] and extras_require={...: [...]} from setup.py.
func (p *parser) parseSetupPy(file string, data []byte) {
	toks := tokenizePython(string(data))
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		isKey := (t.kind == 'n' || t.kind == 's') && (t.val == "install_requires" || t.val == "extras_require")
		if !isKey {
			continue
		}
		sep := toks[i+1]
		if !(t.kind == 'n' && sep.kind == 'o' && sep.val == "=") && !(t.kind == 's' && sep.kind == 'o' && sep.val == ":") {
			continue
		}
		j := i + 2
		var lits []pyLiteral
		var ok bool
		if t.val == "extras_require" {
			lits, ok = p.pyDictOfLists(file, toks, j)
		} else {
			lits, ok = p.pyValueList(file, toks, j, t.line, 0)
		}
		if !ok {
			p.warn(file, t.line, "%s is not a literal list; only literal values are read (setup.py is never executed)", t.val)
		}
		for _, l := range lits {
			s := strings.TrimSpace(l.val)
			if s == "" || strings.HasPrefix(s, "#") {
				continue
			}
			p.addPEP508(file, l.line, s, SourceSetupPy)
		}
	}
}

// pyValueList reads the value starting at toks[j]: a literal list/tuple of
// strings, or a name bound earlier to one. ok is false when something
// non-literal was met (the literal strings seen are still returned).
func (p *parser) pyValueList(file string, toks []pyTok, j, line, depth int) ([]pyLiteral, bool) {
	if j >= len(toks) {
		return nil, false
	}
	t := toks[j]
	if t.kind == 'n' && depth < 3 {
		// NAME = [ ... ] assigned earlier in the file
		for k := j - 1; k >= 1; k-- {
			if toks[k].kind == 'o' && toks[k].val == "=" && toks[k-1].kind == 'n' && toks[k-1].val == t.val && k+1 < len(toks) && k+1 != j {
				lits, ok := p.pyValueList(file, toks, k+1, toks[k].line, depth+1)
				return lits, ok && endsValue(toks, j+1)
			}
		}
		return nil, false
	}
	if t.kind != 'o' || (t.val != "[" && t.val != "(") {
		return nil, false
	}
	closer := "]"
	if t.val == "(" {
		closer = ")"
	}
	var lits []pyLiteral
	ok := true
	k := j + 1
	for k < len(toks) {
		if toks[k].kind == 'o' && toks[k].val == closer {
			return lits, ok && endsValue(toks, k+1)
		}
		if toks[k].kind == 'o' && toks[k].val == "," {
			k++
			continue
		}
		// an element: one or more adjacent string literals
		if toks[k].kind == 's' {
			start := toks[k].line
			var b strings.Builder
			for k < len(toks) && toks[k].kind == 's' {
				b.WriteString(toks[k].val)
				k++
			}
			if k < len(toks) && toks[k].kind == 'o' && (toks[k].val == "," || toks[k].val == closer) {
				lits = append(lits, pyLiteral{b.String(), start})
				continue
			}
		}
		// non-literal element: skip to the next comma at this depth
		ok = false
		d := 0
		for ; k < len(toks); k++ {
			v := toks[k].val
			if toks[k].kind != 'o' {
				continue
			}
			if v == "[" || v == "(" || v == "{" {
				d++
			} else if v == "]" || v == ")" || v == "}" {
				if d == 0 {
					break
				}
				d--
			} else if v == "," && d == 0 {
				break
			}
		}
	}
	return lits, false
}

// endsValue reports whether toks[k] ends an argument / dict value / statement.
func endsValue(toks []pyTok, k int) bool {
	if k >= len(toks) {
		return true
	}
	t := toks[k]
	if t.kind == 'o' {
		switch t.val {
		case ",", ")", "}", ";":
			return true
		}
		return false
	}
	return t.line > toks[k-1].line // next statement
}

// pyDictOfLists reads {"extra": [..], ...}.
func (p *parser) pyDictOfLists(file string, toks []pyTok, j int) ([]pyLiteral, bool) {
	if j >= len(toks) || toks[j].kind != 'o' || toks[j].val != "{" {
		return nil, false
	}
	var all []pyLiteral
	ok := true
	k := j + 1
	for k < len(toks) {
		if toks[k].kind == 'o' && toks[k].val == "}" {
			return all, ok
		}
		if toks[k].kind == 'o' && toks[k].val == "," {
			k++
			continue
		}
		if toks[k].kind == 's' && k+2 < len(toks) && toks[k+1].val == ":" {
			lits, lok := p.pyValueList(file, toks, k+2, toks[k].line, 0)
			all = append(all, lits...)
			ok = ok && lok
		} else {
			ok = false
		}
		// skip to next comma at depth 0
		d := 0
		for k++; k < len(toks); k++ {
			if toks[k].kind != 'o' {
				continue
			}
			v := toks[k].val
			if v == "[" || v == "(" || v == "{" {
				d++
			} else if v == "]" || v == ")" || v == "}" {
				if d == 0 {
					break
				}
				d--
			} else if v == "," && d == 0 {
				break
			}
		}
	}
	return all, false
}
