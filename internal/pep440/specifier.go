package pep440

import (
	"fmt"
	"regexp"
	"strings"
)

// The specifier grammar of packaging 21.3, one expression per operator
// family because RE2 has no look-behind. The version text is kept exactly as
// written: packaging compares the wildcard/compatible prefixes as strings
// split on '.', and matching its quirks (e.g. "==v1.0.*" never matches) is
// what makes us agree with pip.
const (
	specPre   = `(?:[-_\.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_\.]?[0-9]*)?`
	specPost  = `(?:(?:-[0-9]+)|(?:[-_\.]?(?:post|rev|r)[-_\.]?[0-9]*))?`
	specDev   = `(?:[-_\.]?dev[-_\.]?[0-9]*)?`
	specLocal = `(?:\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*)?`
)

var (
	reArbitrary = regexp.MustCompile(`(?i)^\s*(===)\s*(\S*)\s*$`)
	reEqual     = regexp.MustCompile(`(?i)^\s*(==|!=)\s*(v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` + specPre + specPost + `(?:` + specDev + specLocal + `|\.\*)?)\s*$`)
	reCompat    = regexp.MustCompile(`(?i)^\s*(~=)\s*(v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+` + specPre + specPost + specDev + `)\s*$`)
	reOrdered   = regexp.MustCompile(`(?i)^\s*(<=|>=|<|>)\s*(v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` + specPre + specPost + specDev + `)\s*$`)
)

// Specifier is one clause such as ">=2.0" or "==1.4.*".
type Specifier struct {
	op       string
	ver      string // as written, trimmed
	wildcard bool
	sv       Version // parsed ver; zero for === and wildcards
	prefix   string  // ~=: the prefix its implied ==prefix.* clause uses
}

// ParseSpecifier parses one clause. Legacy (non-PEP 440) specifiers are
// rejected.
func ParseSpecifier(s string) (Specifier, error) {
	var m []string
	for _, re := range []*regexp.Regexp{reArbitrary, reEqual, reCompat, reOrdered} {
		if m = re.FindStringSubmatch(s); m != nil {
			break
		}
	}
	if m == nil {
		return Specifier{}, fmt.Errorf("invalid specifier %q", s)
	}
	sp := Specifier{op: m[1], ver: m[2]}
	switch {
	case sp.op == "===":
	case strings.HasSuffix(sp.ver, ".*"):
		sp.wildcard = true
	default:
		v, err := Parse(sp.ver)
		if err != nil {
			return Specifier{}, fmt.Errorf("invalid specifier %q: %v", s, err)
		}
		sp.sv = v
		if sp.op == "~=" {
			sp.prefix = compatiblePrefix(sp.ver)
		}
	}
	return sp, nil
}

// Operator is "~=", "==", "!=", "<=", ">=", "<", ">" or "===".
func (s Specifier) Operator() string { return s.op }

// Version is the version text as written ("1.4.*" for a wildcard).
func (s Specifier) Version() string { return s.ver }

func (s Specifier) String() string { return s.op + s.ver }

// Prereleases reports whether the clause names a pre-release, which makes
// pre-releases acceptable to the whole set (PEP 440 "Handling of
// pre-releases").
func (s Specifier) Prereleases() bool {
	switch s.op {
	case "==", ">=", "<=", "~=", "===":
		v := strings.TrimSuffix(s.ver, ".*")
		if s.op != "==" {
			v = s.ver
		}
		if pv, err := Parse(v); err == nil {
			return pv.IsPrerelease()
		}
	}
	return false
}

// Contains applies the clause to a version; prereleases says whether
// pre-release candidates are acceptable at all.
func (s Specifier) Contains(v Version, prereleases bool) bool {
	if v.IsPrerelease() && !prereleases {
		return false
	}
	return s.match(v)
}

func (s Specifier) match(p Version) bool {
	switch s.op {
	case "===":
		return strings.EqualFold(p.canon, s.ver)
	case "==":
		return s.equal(p)
	case "!=":
		return !s.equal(p)
	case "~=":
		return p.stripLocal().Compare(s.sv) >= 0 && wildcardEqual(p, s.prefix)
	case "<=":
		return p.stripLocal().Compare(s.sv) <= 0
	case ">=":
		return p.stripLocal().Compare(s.sv) >= 0
	case "<":
		if p.Compare(s.sv) >= 0 {
			return false
		}
		// "<1.7" must not admit 1.7a1 unless the clause is itself a pre-release.
		if !s.sv.IsPrerelease() && p.IsPrerelease() && p.base().Equal(s.sv.base()) {
			return false
		}
		return true
	case ">":
		if p.Compare(s.sv) <= 0 {
			return false
		}
		// ">1.7" must not admit 1.7.post1 or 1.7+local.
		if !s.sv.IsPostrelease() && p.IsPostrelease() && p.base().Equal(s.sv.base()) {
			return false
		}
		if p.local != "" && p.base().Equal(s.sv.base()) {
			return false
		}
		return true
	}
	return false
}

func (s Specifier) equal(p Version) bool {
	if s.wildcard {
		return wildcardEqual(p, strings.TrimSuffix(s.ver, ".*"))
	}
	if s.sv.local == "" {
		p = p.stripLocal()
	}
	return p.Equal(s.sv)
}

// wildcardEqual is packaging's prefix match: both sides split on '.' (with
// "1rc1" split into "1", "rc1"), the candidate shortened to the prefix
// length and the numeric heads zero-padded to equal length.
func wildcardEqual(p Version, prefix string) bool {
	spec := versionSplit(prefix)
	cand := versionSplit(p.Public())
	if len(cand) > len(spec) {
		cand = cand[:len(spec)]
	}
	a, b := padVersion(spec, cand)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func compatiblePrefix(ver string) string {
	var keep []string
	for _, seg := range versionSplit(ver) {
		if !isNotSuffix(seg) {
			break
		}
		keep = append(keep, seg)
	}
	if len(keep) > 0 {
		keep = keep[:len(keep)-1]
	}
	return strings.Join(keep, ".")
}

func isNotSuffix(seg string) bool {
	for _, p := range []string{"dev", "a", "b", "rc", "post"} {
		if strings.HasPrefix(seg, p) {
			return false
		}
	}
	return true
}

func versionSplit(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ".") {
		if num, suf, ok := splitPrefix(item); ok {
			out = append(out, num, suf)
		} else {
			out = append(out, item)
		}
	}
	return out
}

// splitPrefix matches packaging's ^([0-9]+)((?:a|b|c|rc)[0-9]+)$ without a
// regular expression (this runs for every candidate of a wildcard clause).
func splitPrefix(item string) (string, string, bool) {
	i := 0
	for i < len(item) && item[i] >= '0' && item[i] <= '9' {
		i++
	}
	if i == 0 || i == len(item) {
		return "", "", false
	}
	j := i
	switch {
	case strings.HasPrefix(item[i:], "rc"):
		j += 2
	case item[i] == 'a' || item[i] == 'b' || item[i] == 'c':
		j++
	default:
		return "", "", false
	}
	if j == len(item) || !isDigits(item[j:]) {
		return "", "", false
	}
	return item[:i], item[i:], true
}

func padVersion(left, right []string) ([]string, []string) {
	ld, rd := digitHead(left), digitHead(right)
	pad := func(head []string, n int, rest []string) []string {
		out := append([]string{}, head...)
		for i := 0; i < n; i++ {
			out = append(out, "0")
		}
		return append(out, rest...)
	}
	l := pad(left[:ld], max(0, rd-ld), left[ld:])
	r := pad(right[:rd], max(0, ld-rd), right[rd:])
	return l, r
}

func digitHead(s []string) int {
	n := 0
	for n < len(s) && isDigits(s[n]) {
		n++
	}
	return n
}

// PreMode says how a SpecifierSet treats pre-release candidates.
type PreMode int

const (
	// PreDefault accepts pre-releases only when a clause names one (pip
	// without --pre).
	PreDefault PreMode = iota
	// PreInclude accepts them always (pip --pre).
	PreInclude
	// PreExclude rejects them always.
	PreExclude
)

// SpecifierSet is a comma-separated list of clauses, all of which must hold.
// The empty set admits every final release.
type SpecifierSet []Specifier

// ParseSpecifierSet parses "">=1.0, !=1.3.*, <2"; empty pieces are ignored
// like packaging does.
func ParseSpecifierSet(s string) (SpecifierSet, error) {
	var ss SpecifierSet
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		sp, err := ParseSpecifier(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		ss = append(ss, sp)
	}
	return ss, nil
}

// MustParseSpecifierSet is ParseSpecifierSet for constants.
func MustParseSpecifierSet(s string) SpecifierSet {
	ss, err := ParseSpecifierSet(s)
	if err != nil {
		panic(err)
	}
	return ss
}

func (ss SpecifierSet) String() string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}

// Prereleases reports whether any clause names a pre-release.
func (ss SpecifierSet) Prereleases() bool {
	for _, s := range ss {
		if s.Prereleases() {
			return true
		}
	}
	return false
}

// ContainsVersion reports whether v satisfies every clause.
func (ss SpecifierSet) ContainsVersion(v Version, mode PreMode) bool {
	pre := mode == PreInclude || (mode == PreDefault && ss.Prereleases())
	if v.IsPrerelease() && !pre {
		return false
	}
	for _, s := range ss {
		if !s.match(v) {
			return false
		}
	}
	return true
}

// Contains is packaging's SpecifierSet.contains(item): an invalid (legacy)
// version can only satisfy "===" clauses, compared as text.
func (ss SpecifierSet) Contains(item string) bool {
	if v, err := Parse(item); err == nil {
		return ss.ContainsVersion(v, PreDefault)
	}
	for _, s := range ss {
		if s.op != "===" || !strings.EqualFold(item, s.ver) {
			return false
		}
	}
	return true
}

// Pinned returns the version when the set is a single exact pin ("==1.2.3"
// without wildcard, or "===1.2.3").
func (ss SpecifierSet) Pinned() (string, bool) {
	if len(ss) != 1 || ss[0].wildcard {
		return "", false
	}
	if ss[0].op == "==" || ss[0].op == "===" {
		return ss[0].ver, true
	}
	return "", false
}

// Versions returns the version texts named by the clauses (wildcards without
// ".*"), useful as probe points when asking whether a range admits a version.
func (ss SpecifierSet) Versions() []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.TrimSuffix(s.ver, ".*"))
	}
	return out
}
