package pyast

import (
	"bytes"
	"strconv"
	"strings"
)

// Node is a tree-sitter node copied into Go memory, so analyzers can keep
// and revisit it after the C tree is freed and walk it without cgo cost.
type Node struct {
	Kind     string // tree-sitter node kind, "ERROR" for error nodes
	Parent   *Node
	Children []*Node
	// Line is 1-based; Start and End are byte offsets and Col a 0-based
	// byte column, 32-bit because every kept module holds one Node per few
	// bytes of source until the analyzers finish (files are capped far
	// below 2 GiB).
	Line       int
	Start, End int32
	Col        int32
	// field is the grammar's id of the field name in the parent (see
	// FieldName); an id instead of a string saves 14 bytes a node.
	field uint16
	Named bool
	Err   bool // ERROR or MISSING node
}

// FieldName is the field name in the parent ("function", "arguments", …),
// "" when the node fills no field.
func (n *Node) FieldName() string {
	if n == nil || int(n.field) >= len(fieldName) {
		return ""
	}
	return fieldName[n.field]
}

// FieldIs reports whether the node fills the named field of its parent.
func (n *Node) FieldIs(name string) bool { return n.FieldName() == name }

// Child returns the first child in the named field, or nil.
func (n *Node) Child(field string) *Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.FieldIs(field) {
			return c
		}
	}
	return nil
}

// NamedChildren skips punctuation and keywords.
func (n *Node) NamedChildren() []*Node {
	if n == nil {
		return nil
	}
	out := make([]*Node, 0, len(n.Children))
	for _, c := range n.Children {
		if c.Named && c.Kind != "comment" {
			out = append(out, c)
		}
	}
	return out
}

// Walk visits n and its descendants depth first; f returning false skips
// the children of that node.
func (n *Node) Walk(f func(*Node) bool) {
	if n == nil || !f(n) {
		return
	}
	for _, c := range n.Children {
		c.Walk(f)
	}
}

// Contains reports whether m lies within n.
func (n *Node) Contains(m *Node) bool {
	for ; m != nil; m = m.Parent {
		if m == n {
			return true
		}
	}
	return false
}

// Ancestor returns the nearest proper ancestor of one of the kinds.
func (n *Node) Ancestor(kinds ...string) *Node {
	for p := n.Parent; p != nil; p = p.Parent {
		for _, k := range kinds {
			if p.Kind == k {
				return p
			}
		}
	}
	return nil
}

// Unparen strips parentheses around an expression.
func Unparen(n *Node) *Node {
	for n != nil && n.Kind == "parenthesized_expression" {
		c := n.NamedChildren()
		if len(c) != 1 {
			return n
		}
		n = c[0]
	}
	return n
}

// Source pairs a tree with its bytes.
type Source struct {
	Src []byte
}

// Text is the source text of a node.
func (s *Source) Text(n *Node) string {
	if n == nil || n.Start > n.End || int(n.End) > len(s.Src) {
		return ""
	}
	return string(s.Src[n.Start:n.End])
}

// DottedName renders identifier/attribute chains as "a.b.c" and returns ""
// for anything else (calls, subscripts), so callers can match names without
// being fooled by computed receivers.
func (s *Source) DottedName(n *Node) string {
	n = Unparen(n)
	if n == nil {
		return ""
	}
	switch n.Kind {
	case "identifier":
		return s.Text(n)
	case "attribute":
		obj := s.DottedName(n.Child("object"))
		attr := n.Child("attribute")
		if obj == "" || attr == nil {
			return ""
		}
		return obj + "." + s.Text(attr)
	}
	return ""
}

// StringValue returns the value of a plain string literal (no
// interpolation) with simple escapes decoded; ok is false otherwise.
func (s *Source) StringValue(n *Node) (string, bool) {
	n = Unparen(n)
	if n == nil {
		return "", false
	}
	if n.Kind == "concatenated_string" {
		var b strings.Builder
		for _, c := range n.NamedChildren() {
			v, ok := s.StringValue(c)
			if !ok {
				return "", false
			}
			b.WriteString(v)
		}
		return b.String(), true
	}
	if n.Kind != "string" {
		return "", false
	}
	var b strings.Builder
	for _, c := range n.Children {
		switch c.Kind {
		case "interpolation":
			return "", false
		case "string_content":
			// escape_sequence nodes are children of string_content.
			last := c.Start
			for _, e := range c.Children {
				if e.Kind != "escape_sequence" {
					continue
				}
				b.Write(s.Src[last:e.Start])
				b.WriteString(unescape(string(s.Src[e.Start:e.End])))
				last = e.End
			}
			b.Write(s.Src[last:c.End])
		}
	}
	return b.String(), true
}

func unescape(e string) string {
	if v, _, _, err := strconv.UnquoteChar(e, '"'); err == nil {
		return string(v)
	}
	return e
}

// IntValue returns the value of an integer literal (or a negated one).
func (s *Source) IntValue(n *Node) (int64, bool) {
	n = Unparen(n)
	if n == nil {
		return 0, false
	}
	switch n.Kind {
	case "integer":
		v, err := strconv.ParseInt(strings.ReplaceAll(s.Text(n), "_", ""), 0, 64)
		return v, err == nil
	case "float":
		v, err := strconv.ParseFloat(strings.ReplaceAll(s.Text(n), "_", ""), 64)
		return int64(v), err == nil
	case "unary_operator":
		c := n.NamedChildren()
		if len(c) == 1 && strings.HasPrefix(strings.TrimSpace(s.Text(n)), "-") {
			v, ok := s.IntValue(c[0])
			return -v, ok
		}
	case "binary_operator":
		// 60 * 60 * 24 style constants.
		l, ok1 := s.IntValue(n.Child("left"))
		r, ok2 := s.IntValue(n.Child("right"))
		if ok1 && ok2 {
			op := strings.TrimSpace(string(s.Src[n.Child("left").End:n.Child("right").Start]))
			switch op {
			case "*":
				return l * r, true
			case "+":
				return l + r, true
			}
		}
	}
	return 0, false
}

// CallArgs splits a call's arguments into positional ones and keyword ones
// by name.
func (s *Source) CallArgs(call *Node) (pos []*Node, kw map[string]*Node) {
	kw = map[string]*Node{}
	al := call.Child("arguments")
	if al == nil {
		return nil, kw
	}
	for _, a := range al.NamedChildren() {
		switch a.Kind {
		case "keyword_argument":
			if name := a.Child("name"); name != nil {
				kw[s.Text(name)] = a.Child("value")
			}
		case "list_splat", "dictionary_splat":
		default:
			pos = append(pos, a)
		}
	}
	return pos, kw
}

// Arg returns the i-th positional argument or the keyword argument name.
func (s *Source) Arg(call *Node, i int, name string) *Node {
	pos, kw := s.CallArgs(call)
	if v, ok := kw[name]; ok && name != "" {
		return v
	}
	if i >= 0 && i < len(pos) {
		return pos[i]
	}
	return nil
}

// LineStart is the byte offset where a 1-based line begins, -1 when the
// line does not exist.
func (s *Source) LineStart(line int) int {
	if line < 1 {
		return -1
	}
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(s.Src[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off
}

// Column returns the 1-based byte column of needle on a 1-based line, or of
// the line's first non-blank byte when needle is "" or absent there; 0 when
// the line does not exist. Analyzers that decide on statements use it to
// give findings the column every finding carries.
func (s *Source) Column(line int, needle string) int {
	start := s.LineStart(line)
	if start < 0 {
		return 0
	}
	src := s.Src[start:]
	if i := bytes.IndexByte(src, '\n'); i >= 0 {
		src = src[:i]
	}
	if needle != "" {
		if i := bytes.Index(src, []byte(needle)); i >= 0 {
			return i + 1
		}
	}
	for i, c := range src {
		if c != ' ' && c != '\t' {
			return i + 1
		}
	}
	return 1
}
