// Package typosquat decides whether a Python package name imitates a
// protected one: stripe, the packages stripe depends on, names a project
// protects in its configuration, and the most-downloaded PyPI projects.
//
// It is a property of the name alone, so it works for packages too new to be
// in any advisory database, and it never consults one. The typo classes are
// data (tables in classes.go): separator and case confusion after PEP 503
// normalisation, look-alike characters and digit/letter swaps, adjacent
// transpositions, repeated and dropped letters, keyboard slips, version
// digits, and names that add a generic word (`-python`, `py`, `-sdk`,
// `-client`, `-api`, `-lib`, version digits) to a protected name.
//
// Precision comes from three rules: a name that is itself popular (in the
// embedded top list) or allowlisted is never a squat; stripe and its
// dependencies get every class, popular names only the classes whose
// neighbours are rarely legitimate projects (see Check); and added words are
// the words that claim to *be* the package (an SDK, a client, the Python
// port), not the words of an integration (`django-`, `types-`, `-mock`).
package typosquat

import (
	"cmp"
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:generate go run ./gen -in ../../../shared/data/top-pypi-packages/top-pypi-packages.json -out popular.txt

//go:embed popular.txt
var popularText string

// Critical are stripe and the packages stripe-python installs with it
// (requests and requests' own dependencies, typing-extensions).
var Critical = []string{"stripe", "requests", "urllib3", "certifi", "idna", "charset-normalizer", "typing-extensions"}

// DefaultPopularTargets is how many of the most-downloaded projects are
// protected against typos. Squatters aim at names people type often; past
// this rank the neighbours of a name are mostly other legitimate projects
// (measured: bench/typosquat).
const DefaultPopularTargets = 3000

// BuiltinAllow are legitimate projects that sit next to a protected name.
// Everything in the embedded top list is legitimate too.
var BuiltinAllow = []string{
	// Stripe's own and well-known community packages.
	"types-stripe", "dj-stripe", "async-stripe", "stripe-mock", "stripe-agent-toolkit",
	"stripe-openapi", "stripe-cli",
	// requests / urllib3 ecosystem.
	"requests-oauthlib", "requests-toolbelt", "requests-mock", "types-requests",
	"requests-futures", "requests-aws4auth", "requests-ntlm", "requests-kerberos",
	"types-urllib3", "urllib3-secure-extra", "urllib3-future",
	// certifi / idna / charset-normalizer neighbours.
	"certifi-win32", "pip-system-certs", "idna-ssl", "charset",
}

// Options configure a Checker.
type Options struct {
	// Protect adds names guarded like stripe (every typo class), e.g. a
	// company's internal package names, whose public look-alikes are the
	// dependency-confusion squats.
	Protect []string
	// Allow lists names never reported (legitimate neighbours).
	Allow []string
	// PopularTargets is how many top names are protected (0 = default,
	// negative = none).
	PopularTargets int
	// CheckPopular also checks names that are themselves in the top list
	// (for measuring the rules; never set in a scan).
	CheckPopular bool
}

// Match says what a name imitates and why.
type Match struct {
	Name   string // the checked name, PEP 503 normalised
	Target string // the protected name it imitates
	// Rank is the target's download rank (1 = most downloaded), 0 when
	// it is protected for another reason (stripe and its dependencies,
	// configuration).
	Rank int
	// Critical is true for stripe, its dependencies and configured names.
	Critical bool
	Class    Class
	// Reason is a short human explanation: "swaps 'i' and 'r'".
	Reason string
}

type target struct {
	name     string
	compact  string // separators removed
	rank     int
	critical bool
}

// Checker answers Check; it is safe for concurrent use.
type Checker struct {
	opt   Options
	allow map[string]bool
	*index
}

// index holds the protected names and the derived forms they are looked up
// by. It depends only on the protected set, so checkers with the same set
// share one (a scan builds it once per process).
type index struct {
	targets []target
	byName  map[string]int
	// from a derived form to targets
	byCompact  map[string][]int32
	bySkeleton map[string][]int32
	byLeet     map[string][]int32
	// deletion neighbourhood (SymSpell): the hash of each target and of
	// each form of it with one character deleted, sorted by hash; any name
	// one edit away shares a hash. Hash collisions only add candidates that
	// classify1 then rejects. A sorted array builds ten times faster than a
	// map of slices and is searched as fast.
	byDel []delEntry
	// critical lists the critical targets (checked for two edits).
	critical []int32
}

type delEntry struct {
	h  uint64
	id int32
}

// lookupDel calls f for each target with a deletion hash h.
func (x *index) lookupDel(h uint64, f func(int32)) {
	i, _ := slices.BinarySearchFunc(x.byDel, h, func(e delEntry, h uint64) int { return cmp.Compare(e.h, h) })
	for ; i < len(x.byDel) && x.byDel[i].h == h; i++ {
		f(x.byDel[i].id)
	}
}

var indexes sync.Map // protected-set key -> *indexOnce

type indexOnce struct {
	once sync.Once
	idx  *index
}

var (
	popOnce sync.Once
	popList []string
	popRank map[string]int
)

func loadPopular() {
	popOnce.Do(func() {
		popRank = map[string]int{}
		for _, l := range strings.Split(popularText, "\n") {
			l = strings.TrimSpace(l)
			if l == "" || l[0] == '#' {
				continue
			}
			if _, dup := popRank[l]; dup {
				continue
			}
			popList = append(popList, l)
			popRank[l] = len(popList)
		}
	})
}

// Popular returns the embedded top list, most downloaded first.
func Popular() []string {
	loadPopular()
	return popList
}

// PopularRank returns a name's download rank (1-based) in the embedded list.
func PopularRank(name string) (int, bool) {
	loadPopular()
	r, ok := popRank[Normalize(name)]
	return r, ok
}

// Normalize is the PEP 503 form: lower case, runs of -_. become one '-'.
// Names that normalise equal are the same project on PyPI, so case and
// separator differences alone never make a squat.
func Normalize(name string) string {
	name = strings.TrimSpace(name)
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			if len(b) == 0 || b[len(b)-1] != '-' {
				b = append(b, '-')
			}
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func compact(n string) string { return strings.ReplaceAll(n, "-", "") }

// New builds a checker. The index of the protected names is built on first
// use of a protected set (a few milliseconds) and shared afterwards.
func New(opt Options) *Checker {
	loadPopular()
	c := &Checker{opt: opt, allow: map[string]bool{}}
	for _, a := range BuiltinAllow {
		c.allow[Normalize(a)] = true
	}
	for _, a := range opt.Allow {
		c.allow[Normalize(a)] = true
	}
	limit := opt.PopularTargets
	if limit == 0 {
		limit = DefaultPopularTargets
	}
	protect := make([]string, 0, len(opt.Protect))
	for _, p := range opt.Protect {
		protect = append(protect, Normalize(p))
	}
	sort.Strings(protect)
	key := fmt.Sprintf("%d\x00%s", limit, strings.Join(protect, "\x00"))
	v, _ := indexes.LoadOrStore(key, &indexOnce{})
	io := v.(*indexOnce)
	io.once.Do(func() { io.idx = buildIndex(protect, limit) })
	c.index = io.idx
	return c
}

func buildIndex(protect []string, limit int) *index {
	n := len(Critical) + len(protect) + max(limit, 0)
	x := &index{byName: make(map[string]int, n), byCompact: make(map[string][]int32, n),
		bySkeleton: make(map[string][]int32, n), byLeet: make(map[string][]int32, n), byDel: make([]delEntry, 0, 16*n)}
	add := func(name string, rank int, critical bool) {
		name = Normalize(name)
		if name == "" {
			return
		}
		if i, ok := x.byName[name]; ok {
			if critical {
				x.targets[i].critical = true
			}
			return
		}
		x.byName[name] = len(x.targets)
		x.targets = append(x.targets, target{name: name, compact: compact(name), rank: rank, critical: critical})
	}
	for _, name := range Critical {
		add(name, 0, true)
	}
	for _, name := range protect {
		add(name, 0, true)
	}
	for i := 0; i < limit && i < len(popList); i++ {
		add(popList[i], i+1, false)
	}
	for i := range x.targets {
		t := &x.targets[i]
		// Critical names keep their popularity rank for messages.
		if t.critical {
			if r, ok := popRank[t.name]; ok {
				t.rank = r
			}
		}
		id := int32(i)
		x.byCompact[t.compact] = append(x.byCompact[t.compact], id)
		sk := skeleton(t.name)
		x.bySkeleton[sk] = append(x.bySkeleton[sk], id)
		lt := leet(t.name)
		x.byLeet[lt] = append(x.byLeet[lt], id)
		eachDeletion(t.name, func(h uint64) { x.byDel = append(x.byDel, delEntry{h, id}) })
		if t.critical {
			x.critical = append(x.critical, id)
		}
	}
	slices.SortFunc(x.byDel, func(a, b delEntry) int { return cmp.Compare(a.h, b.h) })
	return x
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// eachDeletion calls f with the hash of s and of every string made by
// deleting one byte of s, without building those strings.
func eachDeletion(s string, f func(uint64)) {
	f(fnv(fnvOffset, s))
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i] == s[i-1] {
			continue // same result as deleting s[i-1]
		}
		f(fnv(fnv(fnvOffset, s[:i]), s[i+1:]))
	}
}

// Allowed reports whether a name is never reported (allowlisted or popular).
func (c *Checker) Allowed(name string) bool {
	n := Normalize(name)
	if c.allow[n] {
		return true
	}
	if _, ok := popRank[n]; ok && !c.opt.CheckPopular {
		return true
	}
	return false
}

// Check returns what name imitates, if anything.
func (c *Checker) Check(name string) (Match, bool) {
	n := Normalize(name)
	if n == "" || !isASCII(n) {
		return Match{}, false
	}
	if c.allow[n] {
		return Match{}, false
	}
	if i, ok := c.byName[n]; ok && (c.targets[i].critical || !c.opt.CheckPopular) {
		return Match{}, false // it is a protected name itself
	}
	if _, ok := popRank[n]; ok && !c.opt.CheckPopular {
		return Match{}, false
	}
	var best Match
	found := false
	consider := func(m Match) {
		if m.Target == n {
			return
		}
		if !found || better(m, best) {
			best, found = m, true
		}
	}
	c.direct(n, consider)
	c.addedWords(n, consider)
	return best, found
}

// better orders candidate explanations: stripe and its dependencies first,
// then the more popular target, then the more specific class.
func better(a, b Match) bool {
	if a.Critical != b.Critical {
		return a.Critical
	}
	if a.Rank != b.Rank {
		if a.Rank == 0 || b.Rank == 0 {
			return a.Rank == 0
		}
		return a.Rank < b.Rank
	}
	if classOrder[a.Class] != classOrder[b.Class] {
		return classOrder[a.Class] < classOrder[b.Class]
	}
	return a.Target < b.Target
}

func (c *Checker) match(t *target, cl Class, reason string) Match {
	return Match{Target: t.name, Rank: rankOf(t), Critical: t.critical, Class: cl, Reason: reason}
}

func rankOf(t *target) int {
	if t.critical {
		return 0
	}
	return t.rank
}

// direct finds targets the whole name is a typo of.
func (c *Checker) direct(n string, consider func(Match)) {
	cn := compact(n)
	for _, id := range c.byCompact[cn] {
		t := &c.targets[id]
		if t.name != n && c.allows(t, edit{class: Separator}, len(cn)) {
			m := c.match(t, Separator, "same letters with different separators ("+n+" vs "+t.name+"); PEP 503 treats them as different projects")
			m.Name = n
			consider(m)
		}
	}
	sk := skeleton(n)
	for _, id := range c.bySkeleton[sk] {
		t := &c.targets[id]
		if t.compact != cn && c.allows(t, edit{class: Homoglyph}, len(cn)) {
			m := c.match(t, Homoglyph, lookAlikeReason(n, t.name))
			m.Name = n
			consider(m)
		}
	}
	lt := leet(n)
	for _, id := range c.byLeet[lt] {
		t := &c.targets[id]
		if t.compact != cn && skeleton(t.name) != sk && c.allows(t, edit{class: DigitLetter}, len(cn)) {
			m := c.match(t, DigitLetter, lookAlikeReason(n, t.name))
			m.Name = n
			consider(m)
		}
	}
	seen := map[int32]bool{}
	eachDeletion(n, func(h uint64) {
		c.lookupDel(h, func(id int32) {
			if seen[id] {
				return
			}
			seen[id] = true
			t := &c.targets[id]
			e, ok := classify1(n, t.name)
			if !ok || !c.allows(t, e, len(t.compact)) {
				return
			}
			m := c.match(t, e.class, e.reason)
			m.Name = n
			consider(m)
		})
	})
	// Two slips in a long name of a critical target ("reqeustss").
	for _, i := range c.critical {
		t := &c.targets[i]
		if len(t.compact) < minTwoEditsLen || abs(len(t.name)-len(n)) > 2 || strings.Contains(n, t.name) {
			continue
		}
		if seen[i] {
			continue
		}
		if d := damerau(n, t.name, 2); d == 2 {
			m := c.match(t, TwoEdits, "two typing slips away from "+t.name)
			m.Name = n
			consider(m)
		}
	}
}

// allows applies the per-class policy: every class for critical targets
// (down to 4-letter names such as idna) except a letter put before the name
// (grequests, txrequests are integrations, not slips), and for popular
// targets only the classes and positions whose neighbours are rarely
// legitimate projects (popularPolicy, endsMatter).
func (c *Checker) allows(t *target, e edit, length int) bool {
	if t.critical {
		return length >= minCriticalLen && !(e.class == Inserted && e.start)
	}
	p := popularPolicy[e.class]
	floor := p[1]
	if t.rank <= topTier {
		floor = p[0]
	}
	if floor == 0 || length < floor {
		return false
	}
	return !(endsMatter[e.class] && (e.start || e.end))
}

// addedWords strips generic words (python, py, sdk, client, …) from the name
// and checks what is left: exactly a protected name, or (for stripe and its
// dependencies) a typo of one.
func (c *Checker) addedWords(n string, consider func(Match)) {
	for _, s := range strip(n) {
		// A python/py prefix swapped for another: python3-dateutil
		// imitates python-dateutil.
		if len(s.words) == 1 && popularAffix[s.words[0]] && strings.HasPrefix(n, s.words[0]) {
			for _, w := range popularAffixList {
				if w == s.words[0] {
					continue
				}
				for _, cand := range []string{w + "-" + s.rest, w + s.rest} {
					if i, ok := c.byName[cand]; ok && len(compact(s.rest)) >= popularAffixMinLen && c.targets[i].rank <= topTier {
						t := &c.targets[i]
						m := c.match(t, AddedWord, "'"+s.words[0]+"' where "+t.name+" has '"+w+"'")
						m.Name = n
						consider(m)
					}
				}
			}
		}
		if i, ok := c.byName[s.rest]; ok {
			t := &c.targets[i]
			if t.critical {
				m := c.match(t, AddedWord, addedReason(s, t.name, ""))
				m.Name = n
				consider(m)
			}
			continue
		}
		// A typo of a critical name under an added word: "strpe-python".
		var inner []Match
		c.direct(s.rest, func(m Match) {
			if m.Critical {
				inner = append(inner, m)
			}
		})
		for _, im := range inner {
			m := im
			m.Name = n
			m.Class = AddedWord
			m.Reason = addedReason(s, im.Target, im.Reason)
			consider(m)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
