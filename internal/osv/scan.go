package osv

import (
	"bytes"
	"strings"
)

// scanned is what a cheap pass over a JSON record yields.
type scanned struct {
	names    []string // normalised PyPI package names
	modified string
}

// scanJSON finds the PyPI package names and the modified time of a JSON
// record without decoding it. ok is false whenever the record is not simple
// enough to be sure (withdrawn, escapes in the values read, no package
// object): the caller then decodes it fully.
func scanJSON(data []byte) (scanned, bool) {
	var sc scanned
	// encoding/json matches keys case-insensitively and unescapes them, so
	// keys are searched in an ASCII-lowered copy (same offsets) and records
	// with escaped ASCII letters are left to the decoder.
	if escapedLetter(data) {
		return sc, false
	}
	low := asciiLower(data)
	if bytes.Contains(low, []byte(`"withdrawn"`)) {
		return sc, false
	}
	if v, ok := stringAfterKey(low, data, "modified"); ok {
		sc.modified = v
	}
	rest, orig := low, data
	for {
		i := bytes.Index(rest, []byte(`"package"`))
		if i < 0 {
			break
		}
		rest, orig = rest[i+len(`"package"`):], orig[i+len(`"package"`):]
		j := skipWS(rest, 0)
		if j >= len(rest) || rest[j] != ':' {
			continue // the word inside a string, not a key
		}
		j = skipWS(rest, j+1)
		if j >= len(rest) || rest[j] != '{' {
			continue
		}
		end := objectEnd(rest, j)
		if end < 0 {
			return sc, false
		}
		obj, objOrig := rest[j:end+1], orig[j:end+1]
		// A repeated key is decoded as its last value; do not guess.
		if bytes.Count(obj, []byte(`"name"`)) != 1 || bytes.Count(obj, []byte(`"ecosystem"`)) != 1 {
			return sc, false
		}
		name, okN := stringAfterKey(obj, objOrig, "name")
		eco, okE := stringAfterKey(obj, objOrig, "ecosystem")
		if !okN || !okE {
			return sc, false
		}
		if strings.EqualFold(eco, Ecosystem) && name != "" {
			sc.names = append(sc.names, NormalizeName(name))
		}
		rest, orig = rest[end+1:], orig[end+1:]
	}
	if len(sc.names) == 0 {
		return sc, false
	}
	return sc, true
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// objectEnd returns the index of the '}' closing the object opened at
// b[start], -1 if there is none or it nests (package objects do not).
func objectEnd(b []byte, start int) int {
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			return -1
		case '}':
			return i
		}
	}
	return -1
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// escapedLetter reports a \u escape of an ASCII letter, which could
// spell a key the scan would not see.
func escapedLetter(b []byte) bool {
	for i := bytes.Index(b, []byte(`\u00`)); i >= 0 && i+5 < len(b); {
		if c := b[i+4]; c >= '4' && c <= '7' {
			return true
		}
		j := bytes.Index(b[i+1:], []byte(`\u00`))
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// stringAfterKey returns the string value (taken from orig, which has the
// same offsets) of the first "key": "value" in the lowered b; false when
// absent, not a string, or escaped.
func stringAfterKey(b, orig []byte, key string) (string, bool) {
	k := []byte(`"` + key + `"`)
	for off := 0; ; {
		i := bytes.Index(b[off:], k)
		if i < 0 {
			return "", false
		}
		j := skipWS(b, off+i+len(k))
		off += i + len(k)
		if j >= len(b) || b[j] != ':' {
			continue
		}
		j = skipWS(b, j+1)
		if j >= len(b) || b[j] != '"' {
			return "", false
		}
		e := bytes.IndexByte(b[j+1:], '"')
		if e < 0 {
			return "", false
		}
		v := orig[j+1 : j+1+e]
		if bytes.IndexByte(v, '\\') >= 0 {
			return "", false
		}
		return string(v), true
	}
}
