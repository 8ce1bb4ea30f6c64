// Package pep440 implements Python version identifiers and specifiers with
// the semantics of the `packaging` library (21.3, the one vendored by pip),
// which is what pip itself applies.
//
// github.com/aquasecurity/go-pep440-version is the ordering reference
// (TestOrderingMatchesAquasecurity checks every pair of advisory versions
// against it) but is not called at run time: its Compare formats both
// versions with fmt and compares keys with reflect.DeepEqual on every call,
// which made matching 300 packages take seconds; here the sort key is
// precomputed at Parse. Specifiers are implemented here too because that
// library gets pre-release exclusion and local labels wrong (see
// shared/notes/python-dependencies.md §2). Both are proven against pip's
// packaging by the differential test.
package pep440

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// versionRE is packaging's VERSION_PATTERN. Go's RE2 alternation is
// leftmost-first like Python's re, so the same strings match the same way.
var versionRE = regexp.MustCompile(`(?i)^\s*v?` +
	`(?:(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_\.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_\.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?)` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?\s*$`)

var groupIdx = func() map[string]int {
	m := map[string]int{}
	for i, n := range versionRE.SubexpNames() {
		if n != "" {
			m[n] = i
		}
	}
	return m
}()

// ErrInvalid is wrapped by every parse error so callers can fall back to
// exact-string matching (legacy versions such as "0.7.10p1").
var ErrInvalid = errors.New("invalid PEP 440 version")

// Version is a parsed, valid PEP 440 version. The zero value is not valid.
type Version struct {
	canon    string
	original string
	epoch    uint64
	release  []uint64
	pre      string // "a1", "b0", "rc2" or ""
	preKind  int8   // 0 a, 1 b, 2 rc; meaningful when pre != ""
	preN     uint64
	hasPost  bool
	postN    uint64
	hasDev   bool
	devN     uint64
	local    string // normalised, '.'-separated, "" when none
	locals   []localPart
}

// localPart is one '.'-separated part of a local label: numeric parts sort
// numerically and after alphanumeric ones.
type localPart struct {
	num bool
	n   uint64
	s   string
}

// Parse parses a version the way packaging.version.Version does.
// Release numbers above 2^64-1 are rejected (packaging accepts them; no real
// project uses them).
func Parse(s string) (Version, error) {
	if v, ok := parseSimple(s); ok {
		return v, nil
	}
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%w: %q", ErrInvalid, s)
	}
	g := func(n string) string { return m[groupIdx[n]] }
	var v Version
	v.original = s
	var b strings.Builder
	if e := g("epoch"); e != "" {
		n, err := strconv.ParseUint(e, 10, 64)
		if err != nil {
			return Version{}, fmt.Errorf("%w: %q: epoch too large", ErrInvalid, s)
		}
		v.epoch = n
		if n != 0 {
			b.WriteString(strconv.FormatUint(n, 10))
			b.WriteByte('!')
		}
	}
	for i, p := range strings.Split(g("release"), ".") {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return Version{}, fmt.Errorf("%w: %q: release number too large", ErrInvalid, s)
		}
		v.release = append(v.release, n)
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(n, 10))
	}
	if g("pre") != "" {
		l := strings.ToLower(g("pre_l"))
		switch l {
		case "alpha":
			l = "a"
		case "beta":
			l = "b"
		case "c", "pre", "preview":
			l = "rc"
		}
		n, err := num(g("pre_n"))
		if err != nil {
			return Version{}, fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
		}
		v.pre = l + strconv.FormatUint(n, 10)
		v.preN = n
		switch l {
		case "b":
			v.preKind = 1
		case "rc":
			v.preKind = 2
		}
		b.WriteString(v.pre)
	}
	if g("post") != "" {
		ns := g("post_n1")
		if ns == "" {
			ns = g("post_n2")
		}
		n, err := num(ns)
		if err != nil {
			return Version{}, fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
		}
		v.hasPost, v.postN = true, n
		b.WriteString(".post")
		b.WriteString(strconv.FormatUint(n, 10))
	}
	if g("dev") != "" {
		n, err := num(g("dev_n"))
		if err != nil {
			return Version{}, fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
		}
		v.hasDev, v.devN = true, n
		b.WriteString(".dev")
		b.WriteString(strconv.FormatUint(n, 10))
	}
	if l := g("local"); l != "" {
		parts := strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '.' || r == '-' || r == '_' })
		for i, p := range parts {
			// packaging stores numeric local parts as int, so "01" prints as "1".
			if n, err := strconv.ParseUint(p, 10, 64); err == nil {
				parts[i] = strconv.FormatUint(n, 10)
				v.locals = append(v.locals, localPart{num: true, n: n})
			} else if isDigits(p) {
				return Version{}, fmt.Errorf("%w: %q: local number too large", ErrInvalid, s)
			} else {
				v.locals = append(v.locals, localPart{s: p})
			}
		}
		v.local = strings.Join(parts, ".")
		b.WriteByte('+')
		b.WriteString(v.local)
	}
	v.canon = b.String()
	return v, nil
}

// parseSimple handles plain release numbers ("2.31.0"), most versions in
// advisory data, without the regular expression.
func parseSimple(s string) (Version, bool) {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return Version{}, false
	}
	var rel []uint64
	var b strings.Builder
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			continue
		}
		if i < len(s) && s[i] != '.' || i == start {
			return Version{}, false
		}
		n, err := strconv.ParseUint(s[start:i], 10, 64)
		if err != nil {
			return Version{}, false
		}
		if len(rel) > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(n, 10))
		rel = append(rel, n)
		start = i + 1
	}
	return Version{canon: b.String(), original: s, release: rel}, true
}

// MustParse is Parse for constants in tests and tables.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

func num(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Valid reports whether s is a valid PEP 440 version.
func Valid(s string) bool { _, err := Parse(s); return err == nil }

// IsZero reports whether v is the zero Version (not parsed).
func (v Version) IsZero() bool { return v.canon == "" }

// String is the canonical form, as str(packaging.version.Version(s)).
func (v Version) String() string { return v.canon }

// Original is the text that was parsed.
func (v Version) Original() string { return v.original }

// Epoch is the epoch number (0 when absent).
func (v Version) Epoch() uint64 { return v.epoch }

// Release is the release segment as written (trailing zeros kept).
func (v Version) Release() []uint64 { return v.release }

// IsPrerelease is true for a/b/rc and .dev versions, as packaging defines it.
func (v Version) IsPrerelease() bool { return v.pre != "" || v.hasDev }

// IsPostrelease is true when the version has a .post segment.
func (v Version) IsPostrelease() bool { return v.hasPost }

// IsDevrelease is true when the version has a .dev segment.
func (v Version) IsDevrelease() bool { return v.hasDev }

// Local is the normalised local label without '+', "" when none.
func (v Version) Local() string { return v.local }

// Public is the canonical form without the local label.
func (v Version) Public() string {
	if i := strings.IndexByte(v.canon, '+'); i >= 0 {
		return v.canon[:i]
	}
	return v.canon
}

// BaseVersion is epoch and release only ("1!2.0" for "1!2.0rc1.post1").
func (v Version) BaseVersion() string {
	var b strings.Builder
	if v.epoch != 0 {
		b.WriteString(strconv.FormatUint(v.epoch, 10))
		b.WriteByte('!')
	}
	for i, n := range v.release {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(n, 10))
	}
	return b.String()
}

// Compare returns -1, 0 or +1 as v sorts before, equal to or after o, by
// packaging's _cmpkey: epoch, release (trailing zeros ignored), pre-release
// (a dev-only release sorts before every pre-release, a final after them),
// post-release (none first), dev release (none last), local label (none
// first; alphanumeric parts before numeric ones; shorter prefix first).
func (v Version) Compare(o Version) int {
	if c := cmpU(v.epoch, o.epoch); c != 0 {
		return c
	}
	for i := 0; i < len(v.release) || i < len(o.release); i++ {
		var a, b uint64
		if i < len(v.release) {
			a = v.release[i]
		}
		if i < len(o.release) {
			b = o.release[i]
		}
		if c := cmpU(a, b); c != 0 {
			return c
		}
	}
	if c := cmpI(v.preRank(), o.preRank()); c != 0 {
		return c
	}
	if v.pre != "" {
		if c := cmpU(v.preN, o.preN); c != 0 {
			return c
		}
	}
	if v.hasPost != o.hasPost {
		return boolCmp(v.hasPost)
	}
	if c := cmpU(v.postN, o.postN); v.hasPost && c != 0 {
		return c
	}
	if v.hasDev != o.hasDev {
		return -boolCmp(v.hasDev)
	}
	if c := cmpU(v.devN, o.devN); v.hasDev && c != 0 {
		return c
	}
	for i := 0; i < len(v.locals) || i < len(o.locals); i++ {
		if i >= len(v.locals) {
			return -1
		}
		if i >= len(o.locals) {
			return 1
		}
		a, b := v.locals[i], o.locals[i]
		switch {
		case a.num && b.num:
			if c := cmpU(a.n, b.n); c != 0 {
				return c
			}
		case a.num != b.num:
			return boolCmp(a.num)
		default:
			if c := strings.Compare(a.s, b.s); c != 0 {
				return c
			}
		}
	}
	return 0
}

// preRank places the pre-release segment: -1 dev-only release, 0/1/2 a/b/rc,
// 3 none (final).
func (v Version) preRank() int {
	switch {
	case v.pre != "":
		return int(v.preKind)
	case !v.hasPost && v.hasDev:
		return -1
	}
	return 3
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpI(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// boolCmp orders false before true.
func boolCmp(t bool) int {
	if t {
		return 1
	}
	return -1
}

// Less is Compare(o) < 0.
func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

// Equal is PEP 440 equality: "1.0" equals "1.0.0", but not "1.0+local".
func (v Version) Equal(o Version) bool { return v.Compare(o) == 0 }

// stripLocal returns the version without its local label.
func (v Version) stripLocal() Version {
	if v.local == "" {
		return v
	}
	w := v
	w.canon, w.local, w.locals = v.Public(), "", nil
	return w
}

// base returns the version reduced to epoch and release.
func (v Version) base() Version {
	if v.pre == "" && !v.hasPost && !v.hasDev && v.local == "" {
		return v
	}
	return Version{canon: v.BaseVersion(), original: v.original, epoch: v.epoch, release: v.release}
}

// Compare parses both strings and compares them; ok is false when either is
// not a valid version.
func Compare(a, b string) (c int, ok bool) {
	va, err := Parse(a)
	if err != nil {
		return 0, false
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, false
	}
	return va.Compare(vb), true
}

// Normalize returns the canonical form of a valid version and s unchanged
// (trimmed) otherwise.
func Normalize(s string) string {
	if v, err := Parse(s); err == nil {
		return v.canon
	}
	return strings.TrimSpace(s)
}
