// Package pycgen writes minimal but valid CPython 3.11 .pyc files whose
// module code object holds given string constants. Tests and the key
// benchmark generator use it to plant secrets in bytecode without needing a
// Python interpreter.
package pycgen

import (
	"bytes"
	"encoding/binary"
)

// Magic311 is the CPython 3.11 final magic number (3495).
const Magic311 = 3495

// Module returns a .pyc for Python 3.11 whose code object is equivalent to
// a module that evaluates to None and whose co_consts are (None, consts...).
// filename is recorded as co_filename. CPython 3.11 can load and exec it.
func Module(filename string, consts []string) []byte {
	var b bytes.Buffer
	var hdr [16]byte
	binary.LittleEndian.PutUint16(hdr[0:], Magic311)
	hdr[2], hdr[3] = '\r', '\n'
	// flags 0 (timestamp-based), mtime 0, source size 0.
	b.Write(hdr[:])

	w := &writer{b: &b}
	w.b.WriteByte('c')
	w.i32(0) // argcount
	w.i32(0) // posonlyargcount
	w.i32(0) // kwonlyargcount
	w.i32(1) // stacksize
	w.i32(0) // flags
	// RESUME 0; LOAD_CONST 0; RETURN_VALUE
	w.bytes([]byte{151, 0, 100, 0, 83, 0})
	w.b.WriteByte('(')
	w.i32(int32(len(consts) + 1))
	w.b.WriteByte('N')
	for _, c := range consts {
		w.str(c)
	}
	w.b.WriteByte(')') // names
	w.b.WriteByte(0)
	w.b.WriteByte(')') // localsplusnames
	w.b.WriteByte(0)
	w.bytes(nil) // localspluskinds
	w.str(filename)
	w.str("<module>") // name
	w.str("<module>") // qualname
	w.i32(1)          // firstlineno
	// linetable: one entry, "no column info" code 13 covering 3 code units
	// (0x80 | 13<<3 | 2), line delta 0.
	w.bytes([]byte{0x80 | 13<<3 | 2, 0})
	w.bytes(nil) // exceptiontable
	return b.Bytes()
}

type writer struct{ b *bytes.Buffer }

func (w *writer) i32(v int32) {
	var x [4]byte
	binary.LittleEndian.PutUint32(x[:], uint32(v))
	w.b.Write(x[:])
}

func (w *writer) bytes(p []byte) {
	w.b.WriteByte('s')
	w.i32(int32(len(p)))
	w.b.Write(p)
}

// str writes a str object the way CPython does: short ASCII when it can,
// otherwise UTF-8 unicode.
func (w *writer) str(s string) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	switch {
	case ascii && len(s) < 256:
		w.b.WriteByte('z')
		w.b.WriteByte(byte(len(s)))
	case ascii:
		w.b.WriteByte('a')
		w.i32(int32(len(s)))
	default:
		w.b.WriteByte('u')
		w.i32(int32(len(s)))
	}
	w.b.WriteString(s)
}
