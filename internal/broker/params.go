package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"
)

// Request parameters are read the way a Rack-style server reads them, and
// wherever two readings could differ the broker takes every reading: a form
// body is split on both '&' and ';' (old and new Rack), spaces after a
// separator are dropped, names are decoded before their brackets are read,
// and every occurrence of a repeated name is checked (a server may keep the
// first or the last). A body that also parses as JSON is checked as JSON
// too, and the query string is checked with the body (Stripe reads
// parameters from both). So a limit is enforced on every value the Stripe
// API could act on, at the price of refusing a few odd but legal requests.

// Param is one request parameter: the name's runs ("line_items[0][price]"
// → line_items, 0, price) and its value.
type Param struct {
	Name  []string
	Value string
	// Number: a JSON number (Value is its literal); Other: a JSON
	// object/array/bool/null, whose Value is not meaningful.
	Number, Other bool
	// Metadata: a canonical metadata[key] entry (free-form, never money).
	Metadata bool
}

// Leaf is the last name run ("" for an empty name).
func (p *Param) Leaf() string {
	if len(p.Name) == 0 {
		return ""
	}
	return p.Name[len(p.Name)-1]
}

// Errors of the parameter readers.
var (
	errBadEscape = errors.New("bad percent-escape")
	errTooMany   = errors.New("too many parameters")
	errDepth     = errors.New("parameters nested too deep")
	errDupKey    = errors.New("duplicate JSON key")
)

const (
	maxParams = 10000
	maxDepth  = 32
)

// FormParams reads an application/x-www-form-urlencoded body (or a query
// string) and calls fn for each parameter. The Param and its strings are
// only valid during the call (they may alias b and are reused): fn copies
// what it keeps.
func FormParams(b []byte, fn func(*Param) error) error {
	n := 0
	var p Param
	var runs [8]string
	var scratch []byte
	for len(b) > 0 {
		i := bytes.IndexAny(b, "&;")
		var pair []byte
		if i < 0 {
			pair, b = b, nil
		} else {
			pair, b = b[:i], b[i+1:]
		}
		for len(pair) > 0 && pair[0] == ' ' {
			pair = pair[1:]
		}
		if len(pair) == 0 {
			continue
		}
		if n++; n > maxParams {
			return errTooMany
		}
		k, v := pair, []byte(nil)
		if j := bytes.IndexByte(pair, '='); j >= 0 {
			k, v = pair[:j], pair[j+1:]
		}
		// Decoding never grows a string, so a scratch buffer of the pair's
		// size holds both name and value without moving.
		if cap(scratch) < len(pair) {
			scratch = make([]byte, 0, 2*len(pair))
		}
		scratch = scratch[:0]
		var name, val string
		var err error
		if name, scratch, err = formUnescape(k, scratch); err != nil {
			return err
		}
		if val, scratch, err = formUnescape(v, scratch); err != nil {
			return err
		}
		p = Param{Name: nameRuns(name, runs[:0]), Value: val}
		if len(p.Name) > maxDepth {
			return errDepth
		}
		p.Metadata = canonicalMetadata(name, p.Name)
		if err := fn(&p); err != nil {
			return err
		}
	}
	return nil
}

// formUnescape decodes '+' and %XX. Without escapes the result aliases b;
// with them it is appended to scratch, which has room (see FormParams).
func formUnescape(b, scratch []byte) (string, []byte, error) {
	if bytes.IndexByte(b, '%') < 0 && bytes.IndexByte(b, '+') < 0 {
		return unsafeString(b), scratch, nil
	}
	start := len(scratch)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '+':
			scratch = append(scratch, ' ')
		case '%':
			if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
				return "", scratch, errBadEscape
			}
			scratch = append(scratch, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		default:
			scratch = append(scratch, c)
		}
	}
	return unsafeString(scratch[start:]), scratch, nil
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use (the request body is not touched during the
// check).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// nameRuns splits a decoded name into its runs of characters other than
// '[' and ']': every reading of the brackets (Rack strips leading '[' and
// stray ']') names the same runs. The runs are appended to buf.
func nameRuns(name string, buf []string) []string {
	runs := buf
	start := -1
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '[' || name[i] == ']' {
			if start >= 0 {
				runs = append(runs, name[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return runs
}

// canonicalMetadata: the name is exactly "...metadata[key]" with plain
// "a[b][c]" brackets, so every parser agrees that the value is a metadata
// entry. Anything less regular is checked like any other parameter.
func canonicalMetadata(name string, runs []string) bool {
	if len(runs) < 2 || runs[len(runs)-2] != "metadata" {
		return false
	}
	// Rebuild the canonical spelling and compare.
	var b strings.Builder
	b.WriteString(runs[0])
	for _, r := range runs[1:] {
		b.WriteByte('[')
		b.WriteString(r)
		b.WriteByte(']')
	}
	return b.String() == name
}

// JSONParams reads a JSON body (Stripe API v2) and calls fn for every
// scalar, and for objects/arrays (Other) so that "amount": {...} is seen.
// Duplicate keys are refused: parsers disagree on which one wins.
func JSONParams(b []byte, fn func(*Param) error) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	n := 0
	if err := jsonValue(d, nil, 0, fn, &n); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

func jsonValue(d *json.Decoder, name []string, depth int, fn func(*Param) error, n *int) error {
	if depth > maxDepth {
		return errDepth
	}
	if *n++; *n > maxParams {
		return errTooMany
	}
	t, err := d.Token()
	if err != nil {
		return err
	}
	switch v := t.(type) {
	case json.Delim:
		switch v {
		case '{':
			if err := fn(&Param{Name: name, Other: true}); err != nil {
				return err
			}
			seen := map[string]bool{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return err
				}
				k, ok := kt.(string)
				if !ok {
					return fmt.Errorf("JSON object key %v", kt)
				}
				if seen[k] {
					return errDupKey
				}
				seen[k] = true
				if err := jsonValue(d, append(name[:len(name):len(name)], k), depth+1, fn, n); err != nil {
					return err
				}
			}
		case '[':
			if err := fn(&Param{Name: name, Other: true}); err != nil {
				return err
			}
			for d.More() {
				// Array elements keep the parent's name (like "a[]").
				if err := jsonValue(d, name, depth+1, fn, n); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unexpected JSON delimiter %v", v)
		}
		_, err := d.Token() // closing delimiter
		return err
	case string:
		return fn(&Param{Name: name, Value: v, Metadata: jsonMetadata(name)})
	case json.Number:
		return fn(&Param{Name: name, Value: string(v), Number: true, Metadata: jsonMetadata(name)})
	default: // bool, nil
		return fn(&Param{Name: name, Other: true})
	}
}

// In JSON the structure is unambiguous: a value directly under a
// "metadata" object is a metadata entry.
func jsonMetadata(name []string) bool { return len(name) >= 2 && name[len(name)-2] == "metadata" }
