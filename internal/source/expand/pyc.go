package expand

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Marshal type codes (CPython Python/marshal.c).
const (
	mNull          = '0'
	mNone          = 'N'
	mFalse         = 'F'
	mTrue          = 'T'
	mStopIter      = 'S'
	mEllipsis      = '.'
	mInt           = 'i'
	mInt64         = 'I' // Python 2 only
	mFloat         = 'f'
	mBinaryFloat   = 'g'
	mComplex       = 'x'
	mBinaryComplex = 'y'
	mLong          = 'l'
	mString        = 's'
	mInterned      = 't'
	mRef           = 'r'
	mStringRef     = 'R' // Python 2 only
	mTuple         = '('
	mList          = '['
	mDict          = '{'
	mCode          = 'c'
	mUnicode       = 'u'
	mUnknown       = '?'
	mSet           = '<'
	mFrozenSet     = '>'
	mASCII         = 'a'
	mASCIIInterned = 'A'
	mSmallTuple    = ')'
	mShortASCII    = 'z'
	mShortASCIIInt = 'Z'
	mSlice         = ':' // 3.14
	flagRef        = 0x80
)

// maxMarshalDepth bounds nesting (CPython's own limit is 2000; real code
// objects nest a few dozen levels at most).
const maxMarshalDepth = 500

// codeLayout is how one CPython line writes a code object: raw 32-bit
// integers before the first object, objects, then the first line number
// and trailing objects. skip marks objects whose strings are not constants
// (bytecode, line tables, local kinds).
type codeLayout struct {
	name    string
	ints    int
	objs    []bool // true: emit strings found in this field
	trailer []bool // after firstlineno
}

var (
	// Python 2.x: argcount nlocals stacksize flags; code consts names
	// varnames freevars cellvars filename name; firstlineno; lnotab.
	layoutPy2 = codeLayout{"2.x", 4, []bool{false, true, true, true, true, true, true, true}, []bool{false}}
	// Python 3.0-3.7 add kwonlyargcount.
	layoutPy30 = codeLayout{"3.0-3.7", 5, []bool{false, true, true, true, true, true, true, true}, []bool{false}}
	// Python 3.8-3.10 add posonlyargcount.
	layoutPy38 = codeLayout{"3.8-3.10", 6, []bool{false, true, true, true, true, true, true, true}, []bool{false}}
	// Python 3.11+: argcount posonly kwonly stacksize flags; code consts
	// names localsplusnames localspluskinds filename name qualname;
	// firstlineno; linetable exceptiontable.
	layoutPy311 = codeLayout{"3.11+", 5, []bool{false, true, true, true, false, true, true, true}, []bool{false, false}}
	layouts     = []*codeLayout{&layoutPy311, &layoutPy38, &layoutPy30, &layoutPy2}
)

// pycMagic returns the magic number of a .pyc header (0 if none).
func pycMagic(b []byte) int {
	if len(b) < 4 || b[2] != '\r' || b[3] != '\n' {
		return 0
	}
	return int(binary.LittleEndian.Uint16(b))
}

// pycVersion maps a magic number to its header length and code layout.
// Magic numbers are listed in CPython Lib/importlib/_bootstrap_external.py.
func pycVersion(magic int) (header int, l *codeLayout) {
	switch {
	// 2.0 (50823) .. 2.7 (62211). Python 1.x (20121) is left out on
	// purpose: its magic is printable ASCII, so text starting with two
	// letters and CRLF would pass for bytecode.
	case magic >= 50000 && magic <= 63000:
		return 8, &layoutPy2
	case magic >= 3000 && magic < 3210: // 3.0 .. 3.2
		return 8, &layoutPy30
	case magic >= 3210 && magic < 3392: // 3.3 .. 3.6 add source size
		return 12, &layoutPy30
	case magic >= 3392 && magic < 3400: // 3.7 (PEP 552 flags)
		return 16, &layoutPy30
	case magic >= 3400 && magic < 3450: // 3.8 .. 3.10
		return 16, &layoutPy38
	case magic >= 3450 && magic < 4000: // 3.11 and later
		return 16, &layoutPy311
	}
	return 0, nil
}

// pycHeaderLen returns the header length of data if it looks like a .pyc
// whose first object is a code object, else 0.
func pycHeaderLen(b []byte) int {
	h, _ := pycVersion(pycMagic(b))
	if h == 0 || len(b) <= h {
		return 0
	}
	if b[h]&^flagRef != mCode {
		return 0
	}
	return h
}

// ErrNotPyc is returned by PycStrings for data without a known header.
var ErrNotPyc = errors.New("not a CPython .pyc file")

// PycStrings decodes the marshalled module code object of a CPython .pyc
// (2.x or 3.x) and returns its str and bytes constants, names and file
// name, in the order marshal wrote them. Bytecode and line tables are left
// out. On malformed or unknown input it returns what it read so far and an
// error saying where it stopped.
func PycStrings(data []byte) ([][]byte, error) {
	magic := pycMagic(data)
	h, layout := pycVersion(magic)
	if h == 0 || len(data) <= h {
		return nil, ErrNotPyc
	}
	out, err := decodeWith(data[h:], layout)
	if err == nil {
		return out, nil
	}
	// An unexpected magic (alpha releases, forks): try the other layouts
	// and keep the first that decodes cleanly.
	for _, l := range layouts {
		if l == layout {
			continue
		}
		if o, e := decodeWith(data[h:], l); e == nil {
			return o, nil
		}
	}
	return out, fmt.Errorf("magic %d, Python %s layout: %w", magic, layout.name, err)
}

func decodeWith(b []byte, l *codeLayout) ([][]byte, error) {
	d := &marshalDecoder{b: b, layout: l}
	err := d.object(0, true)
	if err == nil && d.off != len(d.b) {
		err = d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.out, err
}

// Marshal decodes one marshalled object (no pyc header) with the given
// Python layout name ("2.x", "3.0-3.7", "3.8-3.10", "3.11+") and returns its
// strings. It exists for tests and fuzzing.
func Marshal(b []byte, layout string) ([][]byte, error) {
	for _, l := range layouts {
		if l.name == layout {
			return decodeWith(b, l)
		}
	}
	return nil, fmt.Errorf("unknown layout %q", layout)
}

type marshalDecoder struct {
	b      []byte
	off    int
	layout *codeLayout
	out    [][]byte
}

type marshalError struct {
	off int
	msg string
}

func (e *marshalError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.msg) }

func (d *marshalDecoder) fail(format string, args ...any) error {
	return &marshalError{off: d.off, msg: fmt.Sprintf(format, args...)}
}

func (d *marshalDecoder) need(n int) error {
	if n < 0 || n > len(d.b)-d.off {
		return d.fail("truncated: need %d bytes, have %d", n, len(d.b)-d.off)
	}
	return nil
}

func (d *marshalDecoder) byte1() (byte, error) {
	if err := d.need(1); err != nil {
		return 0, err
	}
	c := d.b[d.off]
	d.off++
	return c, nil
}

func (d *marshalDecoder) int32() (int32, error) {
	if err := d.need(4); err != nil {
		return 0, err
	}
	v := int32(binary.LittleEndian.Uint32(d.b[d.off:]))
	d.off += 4
	return v, nil
}

// size reads a 32-bit count and checks it against what is left, given that
// each element takes at least unit bytes.
func (d *marshalDecoder) size(unit int) (int, error) {
	v, err := d.int32()
	if err != nil {
		return 0, err
	}
	if v < 0 || int64(v)*int64(unit) > int64(len(d.b)-d.off) {
		return 0, d.fail("bad size %d", v)
	}
	return int(v), nil
}

func (d *marshalDecoder) skip(n int) error {
	if err := d.need(n); err != nil {
		return err
	}
	d.off += n
	return nil
}

func (d *marshalDecoder) str(n int, emit bool) error {
	if err := d.need(n); err != nil {
		return err
	}
	if emit && n > 0 {
		d.out = append(d.out, d.b[d.off:d.off+n:d.off+n])
	}
	d.off += n
	return nil
}

// object walks one object, appending its strings to d.out when emit.
func (d *marshalDecoder) object(depth int, emit bool) error {
	if depth > maxMarshalDepth {
		return d.fail("nesting deeper than %d", maxMarshalDepth)
	}
	c, err := d.byte1()
	if err != nil {
		return err
	}
	switch t := c &^ flagRef; t {
	case mNull, mNone, mFalse, mTrue, mStopIter, mEllipsis:
		return nil
	case mInt, mRef, mStringRef:
		return d.skip(4)
	case mInt64:
		return d.skip(8)
	case mBinaryFloat:
		return d.skip(8)
	case mBinaryComplex:
		return d.skip(16)
	case mFloat:
		n, err := d.byte1()
		if err != nil {
			return err
		}
		return d.skip(int(n))
	case mComplex:
		for i := 0; i < 2; i++ {
			n, err := d.byte1()
			if err != nil {
				return err
			}
			if err := d.skip(int(n)); err != nil {
				return err
			}
		}
		return nil
	case mLong:
		n, err := d.int32()
		if err != nil {
			return err
		}
		if n < 0 {
			n = -n
		}
		if n < 0 || int64(n) > int64(len(d.b)) {
			return d.fail("bad long size")
		}
		return d.skip(int(n) * 2)
	case mString, mInterned, mUnicode, mASCII, mASCIIInterned:
		n, err := d.size(1)
		if err != nil {
			return err
		}
		return d.str(n, emit)
	case mShortASCII, mShortASCIIInt:
		n, err := d.byte1()
		if err != nil {
			return err
		}
		return d.str(int(n), emit)
	case mTuple, mList, mSet, mFrozenSet:
		n, err := d.size(1)
		if err != nil {
			return err
		}
		return d.seq(n, depth, emit)
	case mSmallTuple:
		n, err := d.byte1()
		if err != nil {
			return err
		}
		return d.seq(int(n), depth, emit)
	case mDict:
		for {
			if err := d.need(1); err != nil {
				return err
			}
			if d.b[d.off] == mNull {
				d.off++
				return nil
			}
			if err := d.object(depth+1, emit); err != nil { // key
				return err
			}
			if err := d.object(depth+1, emit); err != nil { // value
				return err
			}
		}
	case mSlice:
		return d.seq(3, depth, emit)
	case mCode:
		return d.code(depth)
	default:
		d.off--
		return d.fail("unknown marshal type 0x%02x", c)
	}
}

func (d *marshalDecoder) seq(n, depth int, emit bool) error {
	for i := 0; i < n; i++ {
		if err := d.object(depth+1, emit); err != nil {
			return err
		}
	}
	return nil
}

func (d *marshalDecoder) code(depth int) error {
	l := d.layout
	if err := d.skip(4 * l.ints); err != nil {
		return err
	}
	for _, e := range l.objs {
		if err := d.object(depth+1, e); err != nil {
			return err
		}
	}
	if err := d.skip(4); err != nil { // firstlineno
		return err
	}
	for _, e := range l.trailer {
		if err := d.object(depth+1, e); err != nil {
			return err
		}
	}
	return nil
}
