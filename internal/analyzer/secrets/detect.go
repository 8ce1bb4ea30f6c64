package secrets

import (
	"bytes"
	"sort"
)

// Cred is the kind of Stripe credential a match is.
type Cred uint8

const (
	CredNone Cred = iota
	LiveSecret
	LiveRestricted
	TestSecret
	TestRestricted
	LivePublishable
	TestPublishable
	WebhookSecret
)

// Live reports the credentials that move real money or forge live events:
// the ones that make a world-readable file a finding.
func (c Cred) Live() bool { return c == LiveSecret || c == LiveRestricted || c == WebhookSecret }

// Secret reports every credential that is not meant to be public.
func (c Cred) Secret() bool { return c != CredNone && c != LivePublishable && c != TestPublishable }

// Key format limits. Classic keys carry exactly 24 base62 characters after
// the prefix; account-scoped keys (sk_live_51…) carry 99 today, and Stripe
// documents keys as opaque strings of up to 255 characters, so anything in
// between is accepted. A longer alphanumeric run is some other blob (base64,
// a hash) that merely starts like a key. Webhook signing secrets are 32
// base62 characters from the dashboard and 64 hex characters from
// `stripe listen`.
const (
	minBody   = 24
	maxBody   = 255 - 8
	whPrefix  = "whsec_"
	minWhBody = 32
	maxWhBody = 64
	// maxKeyLen bounds the buffer used to join split Python literals.
	maxKeyLen = 8 + maxBody + 1
	// maxJoins and maxJoinSpan bound the work per candidate, so hostile
	// input ('"sk_" "" "" ""…' over megabytes) stays linear.
	maxJoins    = 64
	maxJoinSpan = 4096
)

// Match is one credential-shaped string found in a buffer.
type Match struct {
	Cred Cred
	Key  string
	// Start and End are byte offsets of the key text in the scanned
	// buffer; for a key joined from several literals they span all of them.
	Start, End int
	// Split: assembled from adjacent Python string literals.
	Split bool
	// Encoded: found after base64-decoding a Kubernetes Secret value;
	// Start/End then span the encoded value.
	Encoded bool
	// Placeholder is why the match is an example rather than a key
	// ("" for a real-looking key).
	Placeholder string
	// DocKey: one of Stripe's published documentation keys.
	DocKey bool
}

var (
	anchorK  = []byte("k_")
	anchorWh = []byte(whPrefix)
)

// Scan finds every Stripe credential in data. It never runs a regular
// expression over the buffer: "k_" (shared by sk_/rk_/pk_) and "whsec_" are
// located with bytes.Index, which is vectorised, and only the few bytes
// around each hit are inspected. python enables joining of adjacent string
// literals ("sk_live_abc" "def…"), which is only meaningful in Python code.
// Matches are returned in offset order.
func Scan(data []byte, python bool) []Match {
	var out []Match
	for off := 0; off < len(data); {
		i := bytes.Index(data[off:], anchorK)
		if i < 0 {
			break
		}
		p := off + i
		off = p + 2
		if p == 0 {
			continue
		}
		if c := data[p-1]; c != 's' && c != 'r' && c != 'p' {
			continue
		}
		if m, ok := matchAt(data, p-1, python); ok {
			out = append(out, m)
			off = m.End
		}
	}
	for off := 0; off < len(data); {
		i := bytes.Index(data[off:], anchorWh)
		if i < 0 {
			break
		}
		p := off + i
		off = p + len(whPrefix)
		if m, ok := matchAt(data, p, python); ok {
			out = append(out, m)
			off = m.End
		}
	}
	if len(out) > 1 {
		sortMatches(out)
	}
	return out
}

func sortMatches(ms []Match) {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Start < ms[j].Start })
}

// matchAt verifies a candidate key starting at start.
func matchAt(data []byte, start int, python bool) (Match, bool) {
	if !leftBoundary(data, start) {
		return Match{}, false
	}
	cred, n := parseKey(data[start:])
	if python {
		// A key cut by a closing quote may continue in the next literal;
		// a 24-character prefix of a 99-character key is also valid on
		// its own, so try the join whenever the run ends at a quote.
		t := start + n
		if n == 0 {
			t = start
			for t < len(data) && t-start < maxKeyLen && (isAlnum(data[t]) || data[t] == '_') {
				t++
			}
		}
		if t < len(data) && isQuote(data[t]) {
			if m, ok := joinPython(data, start); ok && len(m.Key) > n {
				return m, true
			}
		}
	}
	if n == 0 {
		return Match{}, false
	}
	key := string(data[start : start+n])
	return finish(Match{Cred: cred, Key: key, Start: start, End: start + n}), true
}

func finish(m Match) Match {
	m.DocKey = isDocKey(m.Key)
	if !m.DocKey {
		m.Placeholder = placeholderReason(m.Key[prefixLen(m.Cred):])
	}
	return m
}

func prefixLen(c Cred) int {
	if c == WebhookSecret {
		return len(whPrefix)
	}
	return 8
}

// parseKey reads a complete key at the start of b and returns its kind and
// length, or (CredNone, 0). The key must end at a non-alphanumeric byte or
// at the end of b, so a prefix of a longer token never matches.
func parseKey(b []byte) (Cred, int) {
	var cred Cred
	var pl, lo, hi int
	switch {
	case len(b) >= 8 && b[1] == 'k' && b[2] == '_' && b[7] == '_':
		live := string(b[3:7]) == "live"
		if !live && string(b[3:7]) != "test" {
			return CredNone, 0
		}
		switch b[0] {
		case 's':
			cred = pick(live, LiveSecret, TestSecret)
		case 'r':
			cred = pick(live, LiveRestricted, TestRestricted)
		case 'p':
			cred = pick(live, LivePublishable, TestPublishable)
		default:
			return CredNone, 0
		}
		pl, lo, hi = 8, minBody, maxBody
	case len(b) >= len(whPrefix) && string(b[:len(whPrefix)]) == whPrefix:
		cred, pl, lo, hi = WebhookSecret, len(whPrefix), minWhBody, maxWhBody
	default:
		return CredNone, 0
	}
	n := 0
	for pl+n < len(b) && n <= hi && isAlnum(b[pl+n]) {
		n++
	}
	if n < lo || n > hi {
		return CredNone, 0
	}
	return cred, pl + n
}

func pick(live bool, a, b Cred) Cred {
	if live {
		return a
	}
	return b
}

// leftBoundary: the key must not be the tail of a longer word ("task_test_"
// is not a key). Escapes that glue a letter to the key are allowed: "\n" or
// "\t" in JSON/notebook text and %XX in URL-encoded query strings.
func leftBoundary(data []byte, start int) bool {
	if start == 0 || !isAlnum(data[start-1]) {
		return true
	}
	c := data[start-1]
	if start >= 2 && data[start-2] == '\\' && (c == 'n' || c == 't' || c == 'r') {
		return true
	}
	if start >= 3 && data[start-3] == '%' && isHex(data[start-2]) && isHex(c) {
		return true
	}
	return false
}

// joinPython reads a key that is split across adjacent Python string
// literals, joined implicitly ("a" "b", also across lines inside
// parentheses or after a backslash) or with +. It is called only when a
// key-like run ends at a quote, so ordinary code never pays for it.
func joinPython(data []byte, start int) (Match, bool) {
	var buf [maxKeyLen]byte
	n := 0
	pos := start
	last := start
	joins := 0
	for pos < len(data) && n < len(buf) {
		c := data[pos]
		if isAlnum(c) || c == '_' {
			buf[n] = c
			n++
			last = pos
			pos++
			continue
		}
		if !isQuote(c) || joins >= maxJoins {
			break
		}
		next, ok := nextLiteral(data[:min(len(data), start+maxJoinSpan)], pos+1)
		if !ok {
			break
		}
		pos = next
		joins++
	}
	if joins == 0 {
		return Match{}, false
	}
	cred, kl := parseKey(buf[:n])
	if kl == 0 {
		return Match{}, false
	}
	// Find where the kl-th key byte sits in data to set End.
	end, seen := start, 0
	for p := start; p <= last && seen < kl; p++ {
		if isAlnum(data[p]) || data[p] == '_' {
			seen++
			end = p + 1
		} else if isQuote(data[p]) {
			nx, ok := nextLiteral(data[:min(len(data), start+maxJoinSpan)], p+1)
			if !ok {
				break
			}
			p = nx - 1
		}
	}
	m := finish(Match{Cred: cred, Key: string(buf[:kl]), Start: start, End: end})
	m.Split = bytes.ContainsAny(data[start:end], `"'`)
	return m, true
}

// nextLiteral skips what may separate two string literals that Python joins
// (spaces, newlines, a backslash continuation, a comment, a +) and returns
// the offset just after the next literal's opening quote.
func nextLiteral(data []byte, pos int) (int, bool) {
	plus := false
	for pos < len(data) {
		switch c := data[pos]; c {
		case ' ', '\t', '\r', '\n', '\\':
			pos++
		case '+':
			if plus {
				return 0, false
			}
			plus = true
			pos++
		case '#':
			nl := bytes.IndexByte(data[pos:], '\n')
			if nl < 0 {
				return 0, false
			}
			pos += nl
		default:
			// Optional string prefix (r, u, b); f-strings could hold
			// braces but a key fragment in one is still a key fragment.
			for k := 0; k < 2 && pos < len(data) && isStrPrefix(data[pos]); k++ {
				pos++
			}
			if pos < len(data) && isQuote(data[pos]) {
				if pos+2 < len(data) && data[pos+1] == data[pos] && data[pos+2] == data[pos] {
					return 0, false
				}
				return pos + 1, true
			}
			return 0, false
		}
	}
	return 0, false
}

func isStrPrefix(c byte) bool {
	switch c {
	case 'r', 'R', 'u', 'U', 'b', 'B', 'f', 'F':
		return true
	}
	return false
}

func isQuote(c byte) bool { return c == '"' || c == '\'' }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// IsRealKey reports whether s, taken whole, is a Stripe credential of a real
// format that is neither a placeholder nor one of Stripe's documentation
// keys. Other analyzers (Python code analysis) use it so that the whole tool
// agrees on what counts as a key.
func IsRealKey(s string) bool {
	ms := Scan([]byte(s), false)
	return len(ms) == 1 && ms[0].Start == 0 && ms[0].End == len(s) && ms[0].Placeholder == "" && !ms[0].DocKey
}
