package pydeps

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	spec440 "github.com/stripeguard/stripeguard/internal/pep440"
)

var (
	validName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$`)
	clauseRE  = regexp.MustCompile(`^(===|==|!=|~=|<=|>=|<|>)(.+)$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9._+!*-]+$`)
)

// pep508 is a parsed PEP 508 dependency specification.
type pep508 struct {
	Name      string
	Extras    []string
	Specifier string
	URL       string
	Marker    string
}

// pyWS is what Python's \s matches in a str pattern (Unicode whitespace);
// packaging's specifier regex allows it between operator and version.
const pyWS = `\t\n\v\f\r \x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// specifierRE is packaging's Specifier._specifier_regex_str (packaging
// 22+, the grammar current pip uses): strict PEP 440 versions, local
// versions and .* only after == and !=, at least two release segments
// after ~=, anything but whitespace, ';' and ')' after ===.
var specifierRE = func() *regexp.Regexp {
	const (
		ws      = `[` + pyWS + `]*`
		release = `v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*`
		pre     = `(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?`
		post    = `(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?`
		dev     = `(?:[-_.]?dev[-_.]?[0-9]*)?`
		local   = `(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`
	)
	alts := []string{
		`===` + ws + `[^` + pyWS + `;)]*`,
		`(?:==|!=)` + ws + release + `(?:\.\*|` + pre + post + dev + local + `)?`,
		`~=` + ws + `v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+` + pre + post + dev,
		`(?:<=|>=|<|>)` + ws + release + pre + post + dev,
	}
	return regexp.MustCompile(`^(?i)(?:` + strings.Join(alts, "|") + `)`)
}()

var (
	prefixTrailRE = regexp.MustCompile(`^\.\*`)
	localTrailRE  = regexp.MustCompile(`^\+[a-z0-9]+(?:[-_.][a-z0-9]+)*`)
)

// pep508Lexer walks a requirement string the way packaging's Tokenizer
// does: context-sensitive tokens, whitespace only where the grammar allows
// it (spaces and tabs).
type pep508Lexer struct {
	s   string
	pos int
}

func (l *pep508Lexer) ws() {
	for l.pos < len(l.s) && (l.s[l.pos] == ' ' || l.s[l.pos] == '\t') {
		l.pos++
	}
}

func (l *pep508Lexer) peek(c byte) bool { return l.pos < len(l.s) && l.s[l.pos] == c }
func (l *pep508Lexer) end() bool        { return l.pos >= len(l.s) }

func (l *pep508Lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("%s at column %d of %q", fmt.Sprintf(format, args...), l.pos+1, truncate(l.s))
}

// identifier matches packaging's IDENTIFIER, \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b,
// with Python's Unicode notion of a word character for \b: the longest
// run that ends on a word boundary.
func (l *pep508Lexer) identifier() (string, bool) {
	s, i := l.s, l.pos
	if i >= len(s) || !isASCIIAlnum(s[i]) || (i > 0 && isPyWordBefore(s, i)) {
		return "", false
	}
	j := i + 1
	for j < len(s) && (isASCIIAlnum(s[j]) || s[j] == '.' || s[j] == '_' || s[j] == '-') {
		j++
	}
	for ; j > i; j-- {
		if isPyWordBefore(s, j) != isPyWordAt(s, j) {
			l.pos = j
			return s[i:j], true
		}
	}
	return "", false
}

func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isPyWordAt reports whether the rune at byte offset i is a Python \w
// character (letters, digits and underscore in the Unicode sense).
func isPyWordAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.No, r)
}

func isPyWordBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.No, r)
}

// parsePEP508 parses a dependency specifier exactly as packaging's
// Requirement does (packaging 22+): "name[extras] (spec) ; marker" or
// "name[extras] @ url ; marker". On error the name is still returned when
// it was read; an invalid marker alone is a *markerError, so callers keep
// the requirement.
func parsePEP508(s string) (r pep508, err error) {
	l := &pep508Lexer{s: s}
	l.ws()
	name, ok := l.identifier()
	if !ok {
		return r, l.errorf("expected a package name")
	}
	r.Name = name
	l.ws()
	if l.peek('[') {
		l.pos++
		l.ws()
		if x, ok := l.identifier(); ok {
			r.Extras = append(r.Extras, x)
			for {
				l.ws()
				if _, ok := (&pep508Lexer{s: l.s, pos: l.pos}).identifier(); ok {
					return pep508{Name: name}, l.errorf("expected a comma between extra names")
				}
				if !l.peek(',') {
					break
				}
				l.pos++
				l.ws()
				x, ok := l.identifier()
				if !ok {
					return pep508{Name: name}, l.errorf("expected an extra name after a comma")
				}
				r.Extras = append(r.Extras, x)
			}
		}
		l.ws()
		if !l.peek(']') {
			return pep508{Name: name}, l.errorf("expected ']' closing the extras")
		}
		l.pos++
	}
	l.ws()
	markerStart := -1
	if l.peek('@') {
		l.pos++
		l.ws()
		start := l.pos
		for l.pos < len(l.s) && l.s[l.pos] != ' ' && l.s[l.pos] != '\t' {
			l.pos++
		}
		if l.pos == start {
			return r, l.errorf("expected a URL after @")
		}
		r.URL = l.s[start:l.pos]
		if !l.end() {
			l.ws() // whitespace is required after the URL, and present
			if !l.end() {
				if !l.peek(';') {
					return r, l.errorf("expected a semicolon (after URL and whitespace) or end")
				}
				markerStart = l.pos + 1
			}
		}
	} else {
		spec, err := l.specifier()
		if err != nil {
			return r, err
		}
		r.Specifier = spec
		l.ws()
		if !l.end() {
			if !l.peek(';') {
				if spec != "" {
					return r, l.errorf("expected a comma (within version specifier), a semicolon (after version specifier) or end")
				}
				return r, l.errorf("expected a semicolon (after name with no version specifier) or end")
			}
			markerStart = l.pos + 1
		}
	}
	if markerStart >= 0 {
		r.Marker = strings.Trim(l.s[markerStart:], " \t")
		if r.Marker == "" {
			return r, &markerError{errors.New("empty marker")}
		}
		return r, checkMarker(r.Marker)
	}
	return r, nil
}

// specifier reads packaging's
//
//	specifier = "(" WS? version_many WS? ")" | WS? version_many WS?
//
// and returns the clauses joined by commas, whitespace removed.
func (l *pep508Lexer) specifier() (string, error) {
	paren := l.peek('(')
	open := l.pos
	if paren {
		l.pos++
	}
	l.ws()
	var clauses []string
	for {
		m := specifierRE.FindString(l.s[l.pos:])
		if m == "" {
			break
		}
		start := l.pos
		l.pos += len(m)
		if prefixTrailRE.MatchString(l.s[l.pos:]) {
			if strings.HasPrefix(m, "!=") || strings.HasPrefix(m, "==") && !strings.HasPrefix(m, "===") {
				return "", l.errorf(".* suffix cannot be used with pre-release, post-release, dev or local versions")
			}
			return "", l.errorf(".* suffix can only be used with == or != operators")
		}
		if localTrailRE.MatchString(l.s[l.pos:]) {
			return "", l.errorf("local version label can only be used with == or != operators")
		}
		clauses = append(clauses, normClause(l.s[start:l.pos]))
		l.ws()
		if !l.peek(',') {
			break
		}
		l.pos++
		l.ws()
	}
	l.ws()
	if paren {
		if !l.peek(')') {
			l.pos = open
			return "", l.errorf("expected ')' closing the version specifier")
		}
		l.pos++
	}
	return strings.Join(clauses, ","), nil
}

// normClause removes the whitespace packaging strips between operator and
// version ("== 1.0" -> "==1.0").
func normClause(c string) string {
	op := 1
	switch {
	case strings.HasPrefix(c, "==="):
		op = 3
	case len(c) >= 2 && c[1] == '=':
		op = 2
	}
	return c[:op] + strings.TrimFunc(c[op:], unicode.IsSpace)
}

// markerError is an invalid marker on an otherwise valid requirement:
// the requirement is kept (with the raw marker) and a warning issued.
type markerError struct{ err error }

func (e *markerError) Error() string { return "invalid marker: " + e.err.Error() }

func isMarkerError(err error) bool {
	var me *markerError
	return errors.As(err, &me)
}

func checkMarker(m string) error {
	if m == "" {
		return nil
	}
	if _, err := EvalMarker(m, nil); err != nil {
		return &markerError{err}
	}
	return nil
}

// normSpecifier checks a comma-separated PEP 440 specifier set (from TOML
// manifests, already split from names) with the same grammar as
// parsePEP508, and returns it without whitespace.
func normSpecifier(spec string) (string, error) {
	if strings.TrimSpace(spec) == "" {
		return "", nil
	}
	var out []string
	for _, c := range strings.Split(spec, ",") {
		c = strings.TrimFunc(c, unicode.IsSpace)
		m := specifierRE.FindString(c)
		if m == "" || len(m) != len(c) {
			return "", fmt.Errorf("invalid version specifier %q", truncate(c))
		}
		out = append(out, normClause(c))
	}
	return strings.Join(out, ","), nil
}

func truncate(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// ---------------------------------------------------------------------------
// PEP 508 environment markers

type tri int

const (
	mFalse tri = iota
	mTrue
	mUnknown
)

func triOf(b bool) tri {
	if b {
		return mTrue
	}
	return mFalse
}

func (a tri) and(b tri) tri {
	if a == mFalse || b == mFalse {
		return mFalse
	}
	if a == mUnknown || b == mUnknown {
		return mUnknown
	}
	return mTrue
}

func (a tri) or(b tri) tri {
	if a == mTrue || b == mTrue {
		return mTrue
	}
	if a == mUnknown || b == mUnknown {
		return mUnknown
	}
	return mFalse
}

var markerVars = map[string]string{
	"python_version": "python_version", "python_full_version": "python_full_version",
	"os_name": "os_name", "sys_platform": "sys_platform", "platform_release": "platform_release",
	"platform_system": "platform_system", "platform_version": "platform_version",
	"platform_machine": "platform_machine", "platform_python_implementation": "platform_python_implementation",
	"implementation_name": "implementation_name", "implementation_version": "implementation_version",
	"extra": "extra", "extras": "extras", "dependency_groups": "dependency_groups",
	// legacy spellings (PEP 345 / setuptools)
	"os.name": "os_name", "sys.platform": "sys_platform", "platform.version": "platform_version",
	"platform.machine": "platform_machine", "platform.python_implementation": "platform_python_implementation",
	"python_implementation": "platform_python_implementation",
}

type mtok struct {
	kind byte // 'v' variable, 's' string, 'o' operator, '(' , ')', 'k' keyword (and/or/in/not)
	val  string
}

func lexMarker(s string) ([]mtok, error) {
	var toks []mtok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, mtok{kind: c})
			i++
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, errors.New("unterminated string")
			}
			toks = append(toks, mtok{kind: 's', val: s[i+1 : i+1+j]})
			i += j + 2
		case strings.ContainsRune("<>=!~", rune(c)):
			j := i
			for j < len(s) && strings.ContainsRune("<>=!~", rune(s[j])) {
				j++
			}
			op := s[i:j]
			switch op {
			case "<", "<=", "==", "!=", ">=", ">", "~=", "===":
			default:
				return nil, fmt.Errorf("invalid operator %q", op)
			}
			toks = append(toks, mtok{kind: 'o', val: op})
			i = j
		case c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			w := s[i:j]
			switch w {
			case "and", "or", "in", "not":
				toks = append(toks, mtok{kind: 'k', val: w})
			default:
				v, ok := markerVars[w]
				if !ok {
					return nil, fmt.Errorf("unknown marker variable %q", w)
				}
				toks = append(toks, mtok{kind: 'v', val: v})
			}
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return toks, nil
}

type markerEval struct {
	toks  []mtok
	pos   int
	env   map[string]string
	depth int
}

// EvalMarker evaluates a PEP 508 marker expression. The result is mUnknown
// when it depends on a variable missing from env ("extra" defaults to "").
func EvalMarker(marker string, env map[string]string) (tri, error) {
	toks, err := lexMarker(marker)
	if err != nil {
		return mUnknown, err
	}
	if len(toks) == 0 {
		return mUnknown, errors.New("empty marker")
	}
	e := &markerEval{toks: toks, env: env}
	v, err := e.or()
	if err != nil {
		return mUnknown, err
	}
	if e.pos != len(toks) {
		return mUnknown, fmt.Errorf("unexpected token %q", e.toks[e.pos].val)
	}
	return v, nil
}

func (e *markerEval) peek() *mtok {
	if e.pos < len(e.toks) {
		return &e.toks[e.pos]
	}
	return nil
}

func (e *markerEval) or() (tri, error) {
	v, err := e.and()
	if err != nil {
		return v, err
	}
	for t := e.peek(); t != nil && t.kind == 'k' && t.val == "or"; t = e.peek() {
		e.pos++
		w, err := e.and()
		if err != nil {
			return w, err
		}
		v = v.or(w)
	}
	return v, nil
}

func (e *markerEval) and() (tri, error) {
	v, err := e.atom()
	if err != nil {
		return v, err
	}
	for t := e.peek(); t != nil && t.kind == 'k' && t.val == "and"; t = e.peek() {
		e.pos++
		w, err := e.atom()
		if err != nil {
			return w, err
		}
		v = v.and(w)
	}
	return v, nil
}

func (e *markerEval) atom() (tri, error) {
	t := e.peek()
	if t == nil {
		return mUnknown, errors.New("unexpected end of marker")
	}
	if t.kind == '(' {
		e.depth++
		if e.depth > 100 {
			return mUnknown, errors.New("marker nested too deeply")
		}
		e.pos++
		v, err := e.or()
		if err != nil {
			return v, err
		}
		if t := e.peek(); t == nil || t.kind != ')' {
			return mUnknown, errors.New("missing ')'")
		}
		e.pos++
		e.depth--
		return v, nil
	}
	lhs, err := e.operand()
	if err != nil {
		return mUnknown, err
	}
	op := e.peek()
	if op == nil {
		return mUnknown, errors.New("missing operator")
	}
	var opv string
	switch {
	case op.kind == 'o':
		opv = op.val
		e.pos++
	case op.kind == 'k' && op.val == "in":
		opv = "in"
		e.pos++
	case op.kind == 'k' && op.val == "not":
		e.pos++
		if t := e.peek(); t == nil || t.kind != 'k' || t.val != "in" {
			return mUnknown, errors.New("'not' must be followed by 'in'")
		}
		e.pos++
		opv = "not in"
	default:
		return mUnknown, fmt.Errorf("expected operator, got %q", op.val)
	}
	rhs, err := e.operand()
	if err != nil {
		return mUnknown, err
	}
	if lhs.kind == 'v' && rhs.kind == 'v' {
		return mUnknown, errors.New("comparison between two variables")
	}
	if lhs.kind == 's' && rhs.kind == 's' {
		return mUnknown, errors.New("comparison between two literals")
	}
	return e.compare(lhs, opv, rhs)
}

func (e *markerEval) operand() (mtok, error) {
	t := e.peek()
	if t == nil || (t.kind != 'v' && t.kind != 's') {
		return mtok{}, errors.New("expected a marker variable or a quoted string")
	}
	e.pos++
	return *t, nil
}

func (e *markerEval) value(t mtok) (string, bool) {
	if t.kind == 's' {
		return t.val, true
	}
	v, ok := e.env[t.val]
	if !ok && t.val == "extra" && e.env != nil {
		return "", true
	}
	return v, ok
}

// versionMarkers are the variables packaging compares as PEP 440 versions
// (MARKERS_REQUIRING_VERSION); every other variable is compared as a
// string.
var versionMarkers = map[string]bool{"python_version": true, "python_full_version": true,
	"implementation_version": true, "platform_release": true}

// compare evaluates one marker comparison as packaging 26 (current pip)
// does: for the version variables, a right-hand side that makes a valid
// specifier is matched as PEP 440 (pre-releases included; a left-hand
// side that is no version matches nothing); otherwise, and for every
// other variable, strings are compared, with < and > always false and <=
// and >= meaning equality; ~= and === on strings are undefined (an
// error).
func (e *markerEval) compare(lt mtok, op string, rt mtok) (tri, error) {
	lhs, lok := e.value(lt)
	rhs, rok := e.value(rt)
	if !lok || !rok {
		return mUnknown, nil
	}
	key := lt.val
	if lt.kind != 'v' {
		key = rt.val
	}
	if key == "extra" {
		lhs, rhs = Normalize(lhs), Normalize(rhs)
	}
	if versionMarkers[key] && op != "in" && op != "not in" {
		if ss, err := spec440.ParseSpecifierSet(op + rhs); err == nil && specifierRE.FindString(op+rhs) == op+rhs {
			v, err := spec440.Parse(lhs)
			if err != nil {
				return mFalse, nil
			}
			return triOf(ss.ContainsVersion(v, spec440.PreInclude)), nil
		}
	}
	switch op {
	case "in":
		return triOf(strings.Contains(rhs, lhs)), nil
	case "not in":
		return triOf(!strings.Contains(rhs, lhs)), nil
	case "==", "<=", ">=":
		return triOf(lhs == rhs), nil
	case "!=":
		return triOf(lhs != rhs), nil
	case "<", ">":
		return mFalse, nil
	}
	return mUnknown, fmt.Errorf("undefined comparison %q %s %q", lhs, op, rhs)
}
