package typosquat

import (
	"fmt"
	"strings"
)

// Class is the kind of imitation.
type Class string

const (
	Separator     Class = "separator"       // typingextensions, char-set-normalizer
	Homoglyph     Class = "homoglyph"       // str1pe, urIlib3: l/1/i, o/0, rn/m, vv/w
	DigitLetter   Class = "digit-letter"    // r3quests, 5tripe
	Transposition Class = "transposition"   // sritpe
	Repeated      Class = "repeated-letter" // sstripe, requestss
	Dropped       Class = "dropped-letter"  // strpe, reqests
	Keyboard      Class = "keyboard-slip"   // stripw, requesrs
	VersionDigit  Class = "version-digit"   // urllib4, stripe2
	Substituted   Class = "substituted-letter"
	Inserted      Class = "inserted-letter"
	TwoEdits      Class = "two-edits"  // reqeustss (long critical names only)
	AddedWord     Class = "added-word" // stripe-python, pystripe, stripe-sdk
)

// Classes lists every class, most specific first (report order).
var Classes = []Class{Separator, Homoglyph, DigitLetter, Transposition, Repeated, Dropped, Keyboard, VersionDigit, AddedWord, Substituted, Inserted, TwoEdits}

var classOrder = func() map[Class]int {
	m := map[Class]int{}
	for i, c := range Classes {
		m[c] = i
	}
	return m
}()

// Length floors (letters, separators not counted).
const (
	// minCriticalLen: stripe and its dependencies are protected down to
	// idna's four letters.
	minCriticalLen = 4
	// popularAffixMinLen: "py"+name squats of popular names are only
	// reported for names this long (pyjwt-like short names collide).
	popularAffixMinLen = 5
)

// popularPolicy is, per class, the shortest popular target (in letters)
// checked for that class: [0] for the most-downloaded names (rank up to
// topTier, the ones squatters aim at), [1] for the rest of the protected
// list; 0 means not checked. Critical targets get every class.
//
// The floors come from measuring legitimate names (bench/typosquat): a
// one-letter change of a short popular name is usually another real project
// (ldap/ldap3, toml/tomli, jsons/json5), a changed or added version digit is
// how forks and majors are named, and python-X / pyX / X-py next to a
// popular X is as often the original binding (python-dotenv, pyarrow,
// msgpack-python) as a squat, so added words are checked for critical
// targets only.
var popularPolicy = map[Class][2]int{
	Separator:     {6, 0},
	Homoglyph:     {5, 6},
	DigitLetter:   {5, 7},
	Transposition: {5, 7},
	Repeated:      {5, 7},
	Dropped:       {7, 9},
	Keyboard:      {6, 8},
	Inserted:      {8, 0},
}

// endsMatter are the classes not checked at a popular name's first or last
// character: dropping or changing an edge letter yields prefixes, plurals
// and suffixes that name other projects (attrs/cattrs, dataset/datasets,
// unicorn/gunicorn, websocketd/websockets).
var endsMatter = map[Class]bool{Dropped: true, Keyboard: true, Inserted: true}

// topTier is the rank up to which popularPolicy[cl][0] applies.
const topTier = 1000

// minTwoEditsLen: two slips are only telling in long names (requests'
// two-edit neighbours include niquests and txrequests).
const minTwoEditsLen = 10

// genericWords are added to a protected name by squats that pose as the
// package itself: its Python port, SDK, client, API, library or "official"
// build. Integration words (django-, flask-, types-, -mock, -toolkit) are
// not here: those name other, usually legitimate, projects.
var genericWords = map[string]bool{
	"python": true, "python3": true, "python2": true, "py": true, "py3": true, "py2": true,
	"sdk": true, "client": true, "clients": true, "api": true, "apis": true,
	"lib": true, "libs": true, "library": true, "pkg": true, "package": true,
	"official": true, "core": true, "dev": true, "latest": true, "new": true,
	"secure": true, "plus": true, "pro": true, "module": true, "v2": true, "v3": true,
}

// popularAffix are the added words also checked for popular (non-critical)
// targets: the py/python forms GuardDog calls "confused forms".
var popularAffix = map[string]bool{"python": true, "python3": true, "py": true, "py3": true}

// popularAffixList is popularAffix in a fixed order (deterministic reasons).
var popularAffixList = []string{"python", "python3", "py", "py3"}

// gluedWords may be attached without a separator (pystripe, stripesdk).
var gluedWords = []string{"python3", "python", "py3", "py", "sdk", "client", "api", "lib", "official"}

// QWERTY rows; neighbours are the keys left/right, and the two above and
// below that touch (rows are staggered).
var keyboardRows = []string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"}

var keyPos = func() map[byte][2]int {
	m := map[byte][2]int{}
	for r, row := range keyboardRows {
		for c := 0; c < len(row); c++ {
			m[row[c]] = [2]int{r, c}
		}
	}
	return m
}()

func adjacentKeys(a, b byte) bool {
	pa, ok1 := keyPos[a]
	pb, ok2 := keyPos[b]
	if !ok1 || !ok2 || a == b {
		return false
	}
	dr, dc := pb[0]-pa[0], pb[1]-pa[1]
	switch dr {
	case 0:
		return dc == 1 || dc == -1
	case -1:
		return dc == 0 || dc == 1
	case 1:
		return dc == 0 || dc == -1
	}
	return false
}

// homoglyphs map characters that look alike in common fonts to one form.
var homoglyphs = map[byte]byte{'1': 'l', 'i': 'l', '0': 'o'}

// leetDigits are digit-for-letter swaps beyond the look-alikes.
var leetDigits = map[byte]byte{'3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '2': 'z', '6': 'b'}

// skeleton collapses look-alike characters (l/1/i, o/0, rn/m, vv/w) and
// separators, so that names which read the same share a skeleton.
func skeleton(n string) string {
	s := compact(n)
	s = strings.ReplaceAll(s, "rn", "m")
	s = strings.ReplaceAll(s, "vv", "w")
	b := []byte(s)
	for i, c := range b {
		if h, ok := homoglyphs[c]; ok {
			b[i] = h
		}
	}
	return string(b)
}

// leet is the skeleton with digits read as the letters they stand for.
func leet(n string) string {
	b := []byte(skeleton(n))
	for i, c := range b {
		if l, ok := leetDigits[c]; ok {
			b[i] = l
		}
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lookAlike(a, b byte) bool {
	ha, ok1 := homoglyphs[a]
	hb, ok2 := homoglyphs[b]
	if !ok1 {
		ha = a
	}
	if !ok2 {
		hb = b
	}
	return ha == hb
}

func leetPair(a, b byte) bool {
	return leetDigits[a] == b || leetDigits[b] == a
}

// subReason classifies typing b where the target has a.
func subReason(a, b byte) (Class, string) {
	switch {
	case isDigit(a) && isDigit(b):
		return VersionDigit, fmt.Sprintf("changes the digit '%c' to '%c'", a, b)
	case lookAlike(a, b):
		return Homoglyph, fmt.Sprintf("'%c' for the look-alike '%c'", b, a)
	case leetPair(a, b):
		return DigitLetter, fmt.Sprintf("'%c' for '%c' (digit/letter swap)", b, a)
	case adjacentKeys(a, b):
		return Keyboard, fmt.Sprintf("'%c' for '%c' (neighbouring keys)", b, a)
	}
	return Substituted, fmt.Sprintf("replaces '%c' with '%c'", a, b)
}

// edit is one difference between a name and a target.
type edit struct {
	class  Class
	reason string
	// start / end: the edit touches the first / last character of the
	// target or of one of its hyphen-separated words.
	start, end bool
}

// classify1 says how x differs from t when they are exactly one edit apart
// (insertion, deletion, substitution or adjacent transposition).
func classify1(x, t string) (edit, bool) {
	lx, lt := len(x), len(t)
	i := 0
	for i < lx && i < lt && x[i] == t[i] {
		i++
	}
	// An edit at the edge of a hyphen-separated word counts as an edge
	// too: requirement-parser and mypy-boto3-es name other projects than
	// requirements-parser and mypy-boto3-ses.
	mk := func(cl Class, reason string, first, last int) (edit, bool) {
		start := first <= 0 || t[first-1] == '-'
		end := last >= lt-1 || last >= 0 && t[last+1] == '-'
		return edit{class: cl, reason: reason, start: start, end: end}, true
	}
	switch {
	case lx == lt:
		if i == lx {
			return edit{}, false
		}
		if x[i+1:] == t[i+1:] {
			if x[i] == '-' || t[i] == '-' {
				return mk(Substituted, fmt.Sprintf("replaces '%c' with '%c'", t[i], x[i]), i, i)
			}
			cl, r := subReason(t[i], x[i])
			return mk(cl, r, i, i)
		}
		if i+1 < lx && x[i] == t[i+1] && x[i+1] == t[i] && x[i+2:] == t[i+2:] {
			return mk(Transposition, fmt.Sprintf("swaps '%c' and '%c'", t[i], t[i+1]), i, i+1)
		}
	case lx == lt+1:
		if x[i+1:] != t[i:] {
			return edit{}, false
		}
		c := x[i]
		prev, next := byte(0), byte(0)
		if i > 0 {
			prev = x[i-1]
		}
		if i+1 < lx {
			next = x[i+1]
		}
		// The inserted character sits between t[i-1] and t[i]: it
		// touches the start when i == 0 and the end when i == lt.
		first, last := i, i-1
		if i == lt {
			first = lt - 1
		}
		switch {
		case c == '-':
			return mk(Separator, "adds a separator", first, last)
		case c == prev || c == next:
			return mk(Repeated, fmt.Sprintf("doubles the letter '%c'", c), first, last)
		case isDigit(c) && (next == 0 || next == '-' || isDigit(prev)):
			return mk(VersionDigit, fmt.Sprintf("adds the digit '%c'", c), first, last)
		case next != 0 && prev != 0 && (adjacentKeys(c, prev) || adjacentKeys(c, next)):
			// Not at either end: a leading or trailing letter reads
			// as a prefix, a plural or a suffix, not as a finger
			// touching two keys.
			return mk(Keyboard, fmt.Sprintf("adds '%c' beside a neighbouring key", c), first, last)
		}
		return mk(Inserted, fmt.Sprintf("adds the letter '%c'", c), first, last)
	case lx == lt-1:
		if x[i:] != t[i+1:] {
			return edit{}, false
		}
		c := t[i]
		switch {
		case c == '-':
			return mk(Separator, "drops a separator", i, i)
		case i+1 < lt && t[i+1] == c || i > 0 && t[i-1] == c:
			return mk(Repeated, fmt.Sprintf("drops one of the doubled letters '%c'", c), i, i+1)
		case isDigit(c):
			return mk(VersionDigit, fmt.Sprintf("drops the digit '%c'", c), i, i)
		}
		return mk(Dropped, fmt.Sprintf("drops the letter '%c'", c), i, i)
	}
	return edit{}, false
}

// damerau is the optimal-string-alignment distance, or max+1 when it
// exceeds max.
func damerau(a, b string, max int) int {
	la, lb := len(a), len(b)
	if abs(la-lb) > max {
		return max + 1
	}
	prev2 := make([]int, lb+1)
	prev := make([]int, lb+1)
	cur := make([]int, lb+1)
	for j := 0; j <= lb; j++ {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[lb] > max {
		return max + 1
	}
	return prev[lb]
}

// lookAlikeReason lists the look-alike substitutions between two names
// with the same skeleton.
func lookAlikeReason(n, t string) string {
	a, b := compact(n), compact(t)
	if len(a) != len(b) {
		return "look-alike letters (rn/m, vv/w)"
	}
	var parts []string
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] {
			parts = append(parts, fmt.Sprintf("'%c' for '%c'", a[i], b[i]))
		}
	}
	return "look-alike characters: " + strings.Join(parts, ", ")
}

// stripped is a name with generic words removed.
type stripped struct {
	rest  string
	words []string
}

// strip removes up to two generic words (prefix or suffix, with or without
// a separator) and trailing version digits.
func strip(n string) []stripped {
	var out []stripped
	var rec func(s string, words []string)
	rec = func(s string, words []string) {
		if len(words) == 2 {
			return
		}
		try := func(rest, w string) {
			if len(compact(rest)) < minCriticalLen {
				return
			}
			ws := append(append([]string(nil), words...), w)
			out = append(out, stripped{rest, ws})
			rec(rest, ws)
		}
		if i := strings.IndexByte(s, '-'); i > 0 && genericWords[s[:i]] {
			try(s[i+1:], s[:i])
		}
		if i := strings.LastIndexByte(s, '-'); i > 0 {
			w := s[i+1:]
			if genericWords[w] || allDigits(w) {
				try(s[:i], w)
			}
		}
		for _, w := range gluedWords {
			if strings.HasPrefix(s, w) && len(s) > len(w) && s[len(w)] != '-' {
				try(s[len(w):], w)
			}
			if strings.HasSuffix(s, w) && len(s) > len(w) && s[len(s)-len(w)-1] != '-' {
				try(s[:len(s)-len(w)], w)
			}
		}
		// Glued version digits: stripe2, requests3 (urllib3 itself keeps
		// its digit: the rest must be a protected name to count).
		j := len(s)
		for j > 0 && isDigit(s[j-1]) {
			j--
		}
		if j < len(s) && j > 0 && s[j-1] != '-' {
			try(s[:j], s[j:])
		}
	}
	rec(n, nil)
	return out
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func addedReason(s stripped, target, inner string) string {
	var ws []string
	for _, w := range s.words {
		if allDigits(w) {
			ws = append(ws, "the version digit '"+w+"'")
		} else {
			ws = append(ws, "'"+w+"'")
		}
	}
	r := "adds " + strings.Join(ws, " and ") + " to " + target
	if inner != "" {
		r = "adds " + strings.Join(ws, " and ") + " to a misspelling of " + target + " (" + inner + ")"
	}
	return r
}
