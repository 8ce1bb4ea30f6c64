package broker

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPathLen bounds the request path the broker accepts.
const MaxPathLen = 2048

// Path errors (the reason label of a 400 denial).
var (
	errPathNotOrigin  = errors.New("request target must be an absolute path (origin form)")
	errPathTooLong    = errors.New("path too long")
	errPathEmptySeg   = errors.New("empty path segment (// or trailing /)")
	errPathDotSeg     = errors.New("dot segment (. or ..) in path")
	errPathChar       = errors.New("character not allowed in a Stripe API path")
	errPathEscape     = errors.New("bad percent-escape in path")
	errPathEncodedSep = errors.New("encoded /, \\, % or control character in path")
)

// SplitPath checks a raw (still percent-encoded) request path and returns
// its decoded segments. The broker forwards exactly the raw bytes it
// checked, so what it matched is what Stripe routes: every form a server
// could read differently from a plain decode is refused outright instead
// of normalised — dot segments (also encoded, %2e%2e), empty segments,
// encoded separators (%2f, %5c), escapes that decode to '%' (double
// encoding), control bytes, invalid UTF-8, and any raw byte outside what
// Stripe's libraries send (they percent-encode ids with quote_plus:
// letters, digits, "_.-~", "%XX" and "+").
func SplitPath(raw string) ([]string, error) {
	if raw == "" || raw[0] != '/' {
		return nil, errPathNotOrigin
	}
	if len(raw) > MaxPathLen {
		return nil, errPathTooLong
	}
	segs := make([]string, 0, 6)
	for i := 1; ; {
		j := strings.IndexByte(raw[i:], '/')
		var seg string
		if j < 0 {
			seg = raw[i:]
		} else {
			seg = raw[i : i+j]
		}
		d, err := decodeSegment(seg)
		if err != nil {
			return nil, err
		}
		segs = append(segs, d)
		if j < 0 {
			return segs, nil
		}
		i += j + 1
	}
}

func decodeSegment(seg string) (string, error) {
	if seg == "" {
		return "", errPathEmptySeg
	}
	escaped := false
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '.', c == '~', c == '+':
		case c == '%':
			escaped = true
		default:
			return "", errPathChar
		}
	}
	d := seg
	if escaped {
		var b strings.Builder
		b.Grow(len(seg))
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if c != '%' {
				b.WriteByte(c)
				continue
			}
			if i+2 >= len(seg) || !isHex(seg[i+1]) || !isHex(seg[i+2]) {
				return "", errPathEscape
			}
			v := unhex(seg[i+1])<<4 | unhex(seg[i+2])
			if v == '/' || v == '\\' || v == '%' || v < 0x20 || v == 0x7f {
				return "", errPathEncodedSep
			}
			b.WriteByte(v)
			i += 2
		}
		d = b.String()
		if !utf8.ValidString(d) {
			return "", errPathEscape
		}
	}
	if strings.Trim(d, ".") == "" {
		return "", errPathDotSeg
	}
	return d, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// segKind orders pattern segments by specificity (higher wins).
type segKind uint8

const (
	segRest    segKind = iota // "**": one or more remaining segments (last only)
	segAny                    // "*": exactly one segment
	segPrefix                 // "cus_*": one segment starting with the prefix
	segLiteral                // "customers"
)

type patSeg struct {
	kind segKind
	lit  string // literal, or prefix for segPrefix
}

// Route is a compiled "METHOD /path/pattern".
type Route struct {
	Method string
	Text   string // as written, normalised spacing: "POST /v1/checkout/sessions"
	segs   []patSeg
}

var methods = map[string]bool{"GET": true, "POST": true, "DELETE": true}

// ParseRoute compiles "POST /v1/checkout/sessions", "GET /v1/events/*",
// "GET /v1/customers/cus_*", "GET /v1/files/**". Segments are literal
// (letters, digits, "_", "-", "."), "*" (any one segment), "prefix*" (one
// segment starting with prefix) or, last only, "**" (one or more
// segments). Methods: GET, POST, DELETE (all the Stripe API uses).
func ParseRoute(s string) (*Route, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return nil, fmt.Errorf("route %q: want \"METHOD /path\"", s)
	}
	m := strings.ToUpper(f[0])
	if !methods[m] {
		return nil, fmt.Errorf("route %q: method %q is not GET, POST or DELETE", s, f[0])
	}
	p := f[1]
	if !strings.HasPrefix(p, "/") || len(p) < 2 {
		return nil, fmt.Errorf("route %q: path must start with /", s)
	}
	r := &Route{Method: m, Text: m + " " + p}
	parts := strings.Split(p[1:], "/")
	for i, part := range parts {
		switch {
		case part == "":
			return nil, fmt.Errorf("route %q: empty segment", s)
		case part == "**":
			if i != len(parts)-1 {
				return nil, fmt.Errorf("route %q: ** must be the last segment", s)
			}
			r.segs = append(r.segs, patSeg{kind: segRest})
		case part == "*":
			r.segs = append(r.segs, patSeg{kind: segAny})
		case strings.HasSuffix(part, "*"):
			pre := part[:len(part)-1]
			if !literalOK(pre) {
				return nil, fmt.Errorf("route %q: bad segment %q", s, part)
			}
			r.segs = append(r.segs, patSeg{kind: segPrefix, lit: pre})
		default:
			if !literalOK(part) || strings.Trim(part, ".") == "" {
				return nil, fmt.Errorf("route %q: bad segment %q (letters, digits, _ - . or a * wildcard)", s, part)
			}
			r.segs = append(r.segs, patSeg{kind: segLiteral, lit: part})
		}
	}
	if r.segs[0].kind != segLiteral || (r.segs[0].lit != "v1" && r.segs[0].lit != "v2") {
		return nil, fmt.Errorf("route %q: path must start with /v1/ or /v2/", s)
	}
	return r, nil
}

func literalOK(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Match reports whether the decoded segments match the pattern.
func (r *Route) Match(segs []string) bool {
	for i, p := range r.segs {
		if p.kind == segRest {
			return len(segs) > i
		}
		if i >= len(segs) {
			return false
		}
		s := segs[i]
		switch p.kind {
		case segLiteral:
			if s != p.lit {
				return false
			}
		case segPrefix:
			if len(s) <= len(p.lit) || !strings.HasPrefix(s, p.lit) {
				return false
			}
		}
	}
	return len(segs) == len(r.segs)
}

// moreSpecific reports whether a is a more specific pattern than b:
// compared segment by segment, literal > prefix (longer first) > * > **.
func moreSpecific(a, b *Route) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		x, y := a.segs[i], b.segs[i]
		if x.kind != y.kind {
			return x.kind > y.kind
		}
		if x.kind == segPrefix && len(x.lit) != len(y.lit) {
			return len(x.lit) > len(y.lit)
		}
	}
	return len(a.segs) > len(b.segs)
}
