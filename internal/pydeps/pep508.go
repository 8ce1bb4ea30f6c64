package pydeps

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`)
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

// parsePEP508 parses "name[extras] (spec) ; marker" or "name[extras] @ url ; marker".
func parsePEP508(s string) (r pep508, err error) {
	s = strings.TrimSpace(s)
	name := nameRE.FindString(s)
	if name == "" {
		return r, fmt.Errorf("no valid project name in %q", truncate(s))
	}
	r.Name = name
	rest := strings.TrimLeft(s[len(name):], " \t")
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return r, fmt.Errorf("unclosed extras in %q", truncate(s))
		}
		for _, e := range strings.Split(rest[1:end], ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if !validName.MatchString(e) {
				return r, fmt.Errorf("invalid extra %q", e)
			}
			r.Extras = append(r.Extras, e)
		}
		rest = strings.TrimLeft(rest[end+1:], " \t")
	}
	if strings.HasPrefix(rest, "@") {
		rest = strings.TrimLeft(rest[1:], " \t")
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		r.URL = rest[:end]
		if r.URL == "" {
			return r, fmt.Errorf("empty URL in %q", truncate(s))
		}
		rest = strings.TrimLeft(rest[end:], " \t")
		if rest != "" {
			if rest[0] != ';' {
				return r, fmt.Errorf("unexpected %q after URL", truncate(rest))
			}
			r.Marker = strings.TrimSpace(rest[1:])
		}
		return r, checkMarker(r.Marker)
	}
	spec := rest
	if i := strings.IndexByte(rest, ';'); i >= 0 {
		spec = rest[:i]
		r.Marker = strings.TrimSpace(rest[i+1:])
		if r.Marker == "" {
			defer func() {
				if err == nil {
					err = &markerError{errors.New("empty marker")}
				}
			}()
		}
	}
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "(") {
		if !strings.HasSuffix(spec, ")") {
			return r, fmt.Errorf("unclosed '(' in %q", truncate(s))
		}
		spec = spec[1 : len(spec)-1]
	}
	norm, serr := normSpecifier(spec)
	if serr != nil {
		return r, serr
	}
	r.Specifier = norm
	return r, checkMarker(r.Marker)
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

// normSpecifier removes whitespace from a PEP 440 specifier set and checks
// its clauses.
func normSpecifier(spec string) (string, error) {
	spec = strings.Join(strings.Fields(spec), "")
	if spec == "" {
		return "", nil
	}
	for _, c := range strings.Split(spec, ",") {
		m := clauseRE.FindStringSubmatch(c)
		if m == nil {
			return "", fmt.Errorf("invalid version specifier %q", truncate(c))
		}
		if m[1] != "===" && !versionRE.MatchString(m[2]) {
			return "", fmt.Errorf("invalid version %q", truncate(m[2]))
		}
	}
	return spec, nil
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

func (e *markerEval) compare(lt mtok, op string, rt mtok) (tri, error) {
	lhs, lok := e.value(lt)
	rhs, rok := e.value(rt)
	if !lok || !rok {
		return mUnknown, nil
	}
	if lt.val == "extra" || rt.val == "extra" {
		lhs, rhs = Normalize(lhs), Normalize(rhs)
	}
	switch op {
	case "in":
		return triOf(strings.Contains(rhs, lhs)), nil
	case "not in":
		return triOf(!strings.Contains(rhs, lhs)), nil
	case "===":
		return triOf(lhs == rhs), nil
	}
	if b, ok := versionCompare(lhs, op, rhs); ok {
		return triOf(b), nil
	}
	switch op {
	case "==":
		return triOf(lhs == rhs), nil
	case "!=":
		return triOf(lhs != rhs), nil
	case "<":
		return triOf(lhs < rhs), nil
	case "<=":
		return triOf(lhs <= rhs), nil
	case ">":
		return triOf(lhs > rhs), nil
	case ">=":
		return triOf(lhs >= rhs), nil
	}
	return mUnknown, fmt.Errorf("operator %s needs PEP 440 versions, got %q and %q", op, lhs, rhs)
}

// versionCompare evaluates "lhs op rhs" as PEP 440 versions (rhs may use a
// trailing .* with == and !=). ok is false when either is not a version.
func versionCompare(lhs, op, rhs string) (result, ok bool) {
	lv, err := pep440.Parse(lhs)
	if err != nil {
		return false, false
	}
	if (op == "==" || op == "!=") && strings.HasSuffix(rhs, ".*") {
		pv, err := pep440.Parse(strings.TrimSuffix(rhs, ".*"))
		if err != nil {
			return false, false
		}
		m := prefixMatch(lv, pv)
		return m == (op == "=="), true
	}
	rv, err := pep440.Parse(rhs)
	if err != nil {
		return false, false
	}
	c := lv.Compare(rv)
	switch op {
	case "==":
		return c == 0, true
	case "!=":
		return c != 0, true
	case "<":
		return c < 0, true
	case "<=":
		return c <= 0, true
	case ">":
		return c > 0, true
	case ">=":
		return c >= 0, true
	case "~=":
		parts := strings.Split(rv.BaseVersion(), ".")
		if i := strings.Index(parts[0], "!"); i >= 0 {
			parts[0] = parts[0][i+1:]
		}
		if len(parts) < 2 {
			return false, false
		}
		pv, err := pep440.Parse(strings.Join(parts[:len(parts)-1], "."))
		if err != nil {
			return false, false
		}
		return c >= 0 && prefixMatch(lv, pv), true
	}
	return false, false
}

// prefixMatch reports whether v's release starts with prefix's release
// (missing components of v count as 0).
func prefixMatch(v, prefix pep440.Version) bool {
	vp := releaseParts(v)
	pp := releaseParts(prefix)
	for i, x := range pp {
		y := "0"
		if i < len(vp) {
			y = vp[i]
		}
		if x != y {
			return false
		}
	}
	return true
}

func releaseParts(v pep440.Version) []string {
	b := v.BaseVersion()
	if i := strings.Index(b, "!"); i >= 0 {
		b = b[i+1:]
	}
	return strings.Split(b, ".")
}
