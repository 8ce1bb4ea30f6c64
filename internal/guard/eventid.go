package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// MaxEventIDLen bounds the dedupe key.
const MaxEventIDLen = 255

var errNotEvent = errors.New("body is not a JSON object with a top-level string \"id\"")

// EventID returns the top-level "id" of a JSON object without decoding the
// whole document. Like Python's json.loads (and so stripe-python's
// construct_event) the last of duplicate keys wins, and keys or values with
// escapes are decoded ("\u0069d" is "id"). Nested "id" keys are never
// mistaken for the top-level one. The scan is a structural skip, not a full
// validation; it fails on truncated or unbalanced documents. The body must be
// valid UTF-8 (stripe-python raises on anything else).
func EventID(body []byte) (string, error) {
	if !utf8.Valid(body) {
		return "", errors.New("body is not valid UTF-8")
	}
	s := scanner{b: body}
	s.ws()
	if !s.eat('{') {
		return "", errNotEvent
	}
	var id []byte
	found := false
	s.ws()
	if s.eat('}') {
		return "", errNotEvent
	}
	for {
		s.ws()
		k0 := s.i
		if !s.str() {
			return "", errNotEvent
		}
		key := body[k0:s.i]
		s.ws()
		if !s.eat(':') {
			return "", errNotEvent
		}
		s.ws()
		if isKey(key, "id") {
			v0 := s.i
			if s.i < len(body) && body[s.i] == '"' {
				if !s.str() {
					return "", errNotEvent
				}
				id, found = body[v0:s.i], true
			} else {
				if !s.value(0) {
					return "", errNotEvent
				}
				id, found = nil, false // a later non-string id overrides
			}
		} else if !s.value(0) {
			return "", errNotEvent
		}
		s.ws()
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			break
		}
		return "", errNotEvent
	}
	s.ws()
	if s.i != len(body) || !found {
		return "", errNotEvent
	}
	str, ok := unquote(id)
	if !ok || str == "" || len(str) > MaxEventIDLen {
		return "", errNotEvent
	}
	return str, nil
}

// isKey compares a quoted JSON key with want, decoding escapes if any.
func isKey(quoted []byte, want string) bool {
	if len(quoted) == len(want)+2 {
		return string(quoted[1:len(quoted)-1]) == want
	}
	for _, c := range quoted {
		if c == '\\' {
			s, ok := unquote(quoted)
			return ok && s == want
		}
	}
	return false
}

func unquote(q []byte) (string, bool) {
	for _, c := range q[1 : len(q)-1] {
		if c == '\\' {
			var s string
			if json.Unmarshal(q, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return string(q[1 : len(q)-1]), true
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str skips a JSON string starting at '"'. It jumps from quote to quote
// (IndexByte is vectorised); a quote preceded by an odd number of
// backslashes is escaped. Control characters inside strings are not
// rejected here: the body is signed, and the app's own parser decides.
func (s *scanner) str() bool {
	if !s.eat('"') {
		return false
	}
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			return false
		}
		end := s.i + j
		bs := 0
		for k := end - 1; k >= s.i && s.b[k] == '\\'; k-- {
			bs++
		}
		s.i = end + 1
		if bs%2 == 0 {
			return true
		}
	}
}

const maxDepth = 512

// value skips any JSON value.
func (s *scanner) value(depth int) bool {
	if depth > maxDepth || s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; c {
	case '"':
		return s.str()
	case '{', '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		s.i++
		s.ws()
		if s.eat(end) {
			return true
		}
		for {
			s.ws()
			if c == '{' {
				if !s.str() {
					return false
				}
				s.ws()
				if !s.eat(':') {
					return false
				}
				s.ws()
			}
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			return s.eat(end)
		}
	default:
		// number, true, false, null: a run of literal characters.
		j := s.i
		for s.i < len(s.b) {
			c := s.b[s.i]
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E' {
				s.i++
				continue
			}
			break
		}
		return s.i > j
	}
}
