// Package pyast turns Python source into a small Go syntax tree and a module
// model (stripe imports, functions, classes, assignments) that the Python
// analyzers share. Parsing uses tree-sitter, which is error tolerant: a file
// with a syntax error still yields a tree whose broken parts are ERROR nodes.
package pyast

/*
#cgo CFLAGS: -I${SRCDIR}/include -std=c11
#include <stdlib.h>
#include <stdint.h>
#include "tree_sitter/api.h"

// go-tree-sitter v0.25.0 routes every tree-sitter malloc through a Go
// callback; libc is ~35% faster (upstream PR #43, not in a tag).
static void sg_use_libc_alloc(void) { ts_set_allocator(NULL, NULL, NULL, NULL); }

typedef struct {
	uint32_t start, end, row, col;
	int32_t parent;
	uint16_t sym, field;
	uint8_t named, err;
} sg_node;

// Flattening in C costs one cgo call per file instead of ~380 ns per node
// when walking from Go.
static uint32_t sg_flatten(void *treep, sg_node *out, uint32_t cap) {
	TSTree *tree = (TSTree *)treep;
	TSNode root = ts_tree_root_node(tree);
	TSTreeCursor c = ts_tree_cursor_new(root);
	uint32_t n = 0;
	int32_t parent = -1;
	while (n < cap) {
		TSNode node = ts_tree_cursor_current_node(&c);
		int32_t cur = (int32_t)n;
		TSPoint p = ts_node_start_point(node);
		out[n].start = ts_node_start_byte(node);
		out[n].end = ts_node_end_byte(node);
		out[n].row = p.row;
		out[n].col = p.column;
		out[n].parent = parent;
		out[n].sym = ts_node_symbol(node);
		out[n].field = ts_tree_cursor_current_field_id(&c);
		out[n].named = ts_node_is_named(node);
		out[n].err = ts_node_is_error(node) || ts_node_is_missing(node);
		n++;
		if (ts_tree_cursor_goto_first_child(&c)) {
			parent = cur;
			continue;
		}
		for (;;) {
			if (ts_tree_cursor_goto_next_sibling(&c)) break;
			if (!ts_tree_cursor_goto_parent(&c) || parent < 0) {
				ts_tree_cursor_delete(&c);
				return n;
			}
			parent = out[parent].parent;
		}
	}
	ts_tree_cursor_delete(&c);
	return n;
}
// One cgo call per file: parse with tree-sitter's own clock-based timeout
// (no Go progress callback, which costs a cgo round trip every few
// hundred operations) and return the tree, or NULL on timeout.
static TSTree *sg_parse(TSParser *p, const char *src, uint32_t len, uint64_t timeout_us) {
	ts_parser_set_timeout_micros(p, timeout_us);
	TSTree *t = ts_parser_parse_string(p, NULL, src, len);
	if (t == NULL) ts_parser_reset(p);
	return t;
}

static uint32_t sg_count(TSTree *t) { return ts_node_descendant_count(ts_tree_root_node(t)); }

static TSParser *sg_new_parser(const void *lang) {
	TSParser *p = ts_parser_new();
	if (!ts_parser_set_language(p, (const TSLanguage *)lang)) {
		ts_parser_delete(p);
		return NULL;
	}
	return p;
}
*/
import "C"

import (
	"bytes"
	"errors"
	"sort"
	"sync"
	"time"
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
	python "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

// Imported packages initialise first, so this runs after go-tree-sitter's
// own init and nothing resets the allocator afterwards.
func init() { C.sg_use_libc_alloc() }

var lang = sitter.NewLanguage(python.Language())

// Limits for pathological input. Random bytes parse at ~1 MB/s, so size and
// time are both capped; the caller turns the errors into finding.Warnings.
const (
	MaxFileSize   = 2 << 20
	ParseDeadline = 2 * time.Second
)

var (
	ErrTooLarge = errors.New("file larger than the Python parse limit")
	ErrBinary   = errors.New("file contains NUL bytes")
	ErrTimeout  = errors.New("parse deadline exceeded")
)

// parsers is a bounded free list: C parsers have no finalizer, so a
// sync.Pool (which drops items at GC) would leak them.
var parsers = make(chan *C.TSParser, 16)

func getParser() *C.TSParser {
	select {
	case p := <-parsers:
		return p
	default:
	}
	p := C.sg_new_parser(python.Language())
	if p == nil {
		panic("pyast: tree-sitter rejected the Python grammar (ABI mismatch)") // a build problem, caught by any test
	}
	return p
}

func putParser(p *C.TSParser) {
	select {
	case parsers <- p:
	default:
		C.ts_parser_delete(p)
	}
}

var (
	kindOnce  sync.Once
	kindNames []string
	fieldName []string
	// dropKind marks named nodes no analysis reads: comments (a
	// verification call in a comment must not count anyway) and the quote
	// tokens around strings (string content is kept). Dropping them trims
	// what kept modules cost.
	dropKind []bool
)

func names() {
	kindOnce.Do(func() {
		n := lang.NodeKindCount()
		kindNames = make([]string, n)
		dropKind = make([]bool, n)
		for i := uint32(0); i < n; i++ {
			kindNames[i] = lang.NodeKindForId(uint16(i))
			switch kindNames[i] {
			case "comment", "string_start", "string_end":
				dropKind[i] = true
			}
		}
		f := lang.FieldCount()
		fieldName = make([]string, f+1)
		for i := uint32(1); i <= f; i++ {
			fieldName[i] = lang.FieldNameForId(uint16(i))
		}
	})
}

// Parse parses src with a deadline and returns the Go tree. It never panics
// on bad input; errors are ErrTooLarge, ErrBinary or ErrTimeout.
func Parse(src []byte, deadline time.Duration) (*Node, error) {
	if len(src) > MaxFileSize {
		return nil, ErrTooLarge
	}
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, ErrBinary
	}
	if deadline <= 0 {
		deadline = ParseDeadline
	}
	names()
	if len(src) == 0 {
		return &Node{Kind: "module"}, nil
	}
	p := getParser()
	defer putParser(p)
	cs := (*C.char)(unsafe.Pointer(&src[0]))
	us := max(deadline.Microseconds(), 1) // 0 would mean no limit
	tree := C.sg_parse(p, cs, C.uint32_t(len(src)), C.uint64_t(us))
	if tree == nil {
		return nil, ErrTimeout
	}
	defer C.ts_tree_delete(tree)
	count := C.sg_count(tree)
	flat := make([]C.sg_node, count)
	got := int(C.sg_flatten(unsafe.Pointer(tree), &flat[0], count))
	return build(flat[:got]), nil
}

// ParseSkipping parses src with the given function bodies replaced by
// `pass` (each keeping its line count) and maps every position back to
// src: lines, columns and byte offsets are those of the original bytes.
func ParseSkipping(src []byte, drop []FuncBody, deadline time.Duration) (*Node, error) {
	if len(drop) == 0 {
		return Parse(src, deadline)
	}
	if len(src) > MaxFileSize {
		return nil, ErrTooLarge
	}
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, ErrBinary
	}
	comp, pieces := compact(src, drop)
	root, err := Parse(comp, deadline)
	if err != nil {
		return nil, err
	}
	root.Walk(func(n *Node) bool {
		n.Start = pieces.orig(n.Start)
		n.End = pieces.orig(n.End)
		return true
	})
	return root, nil
}

// piece maps a run of compacted bytes to the original: kept runs map one
// to one, a replaced body's `pass` maps to the body's start.
type piece struct {
	c, o      int32
	synthetic bool
}

type pieceMap []piece

func (pm pieceMap) orig(off int32) int32 {
	i := sort.Search(len(pm), func(i int) bool { return pm[i].c > off }) - 1
	if i < 0 {
		return off
	}
	p := pm[i]
	if p.synthetic {
		return p.o
	}
	return p.o + (off - p.c)
}

func compact(src []byte, drop []FuncBody) ([]byte, pieceMap) {
	out := make([]byte, 0, len(src)/4)
	var pm pieceMap
	last := 0
	for _, b := range drop {
		if b.Start < last || b.End > len(src) || b.Start >= b.End {
			continue
		}
		pm = append(pm, piece{c: int32(len(out)), o: int32(last)})
		out = append(out, src[last:b.Start]...)
		pm = append(pm, piece{c: int32(len(out)), o: int32(b.Start), synthetic: true})
		out = append(out, b.Indent...)
		out = append(out, "pass\n"...)
		nl := bytes.Count(src[b.Start:b.End], []byte{'\n'}) - 1
		for _, im := range b.Imports {
			if im[0] < b.Start || im[1] > b.End || im[0] >= im[1] {
				continue
			}
			out = append(out, b.Indent...)
			pm = append(pm, piece{c: int32(len(out)), o: int32(im[0])})
			out = append(out, src[im[0]:im[1]]...)
			pm = append(pm, piece{c: int32(len(out)), o: int32(im[1]), synthetic: true})
			out = append(out, '\n')
			nl -= bytes.Count(src[im[0]:im[1]], []byte{'\n'}) + 1
		}
		for ; nl > 0; nl-- {
			out = append(out, '\n')
		}
		last = b.End
	}
	pm = append(pm, piece{c: int32(len(out)), o: int32(last)})
	out = append(out, src[last:]...)
	return out, pm
}

// build copies the flat C nodes into Go. Punctuation and keywords
// (anonymous leaves) are dropped: the analyzers read operators from the
// source between operands, and dropping them about halves what a kept
// module costs. Children share one backing array (no append growth).
func build(flat []C.sg_node) *Node {
	keep := make([]int32, len(flat)) // flat index → node index, -1 dropped
	n := 0
	for i := range flat {
		if i == 0 || flat[i].err != 0 || (flat[i].named != 0 && !(int(flat[i].sym) < len(dropKind) && dropKind[flat[i].sym])) {
			keep[i] = int32(n)
			n++
		} else {
			keep[i] = -1
		}
	}
	nodes := make([]Node, n)
	parent := make([]int32, n)
	nchild := make([]int32, n)
	for i := range flat {
		k := keep[i]
		if k < 0 {
			continue
		}
		p := flat[i].parent
		for p >= 0 && keep[p] < 0 {
			p = flat[p].parent
		}
		parent[k] = -1
		if p >= 0 {
			parent[k] = keep[p]
			nchild[keep[p]]++
		}
	}
	backing := make([]*Node, n)
	off := 0
	for k := range nodes {
		c := int(nchild[k])
		nodes[k].Children = backing[off : off : off+c]
		off += c
	}
	for i := range flat {
		k := keep[i]
		if k < 0 {
			continue
		}
		f := &flat[i]
		nd := &nodes[k]
		sym := int(f.sym)
		switch {
		case f.err != 0 && sym == 0xFFFF:
			nd.Kind = "ERROR"
		case sym < len(kindNames):
			nd.Kind = kindNames[sym]
		default:
			nd.Kind = "ERROR"
		}
		if int(f.field) < len(fieldName) {
			nd.field = uint16(f.field)
		}
		nd.Named = f.named != 0
		nd.Err = f.err != 0
		nd.Start, nd.End = int32(f.start), int32(f.end)
		nd.Line, nd.Col = int(f.row)+1, int32(f.col)
		if p := parent[k]; p >= 0 {
			pn := &nodes[p]
			nd.Parent = pn
			pn.Children = append(pn.Children, nd)
		}
	}
	return &nodes[0]
}
