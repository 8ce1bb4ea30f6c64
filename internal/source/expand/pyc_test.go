package expand

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/source/expand/pycgen"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

func contains(strs [][]byte, s string) bool {
	for _, b := range strs {
		if string(b) == s {
			return true
		}
	}
	return false
}

// The committed fixture was compiled by CPython 3.11 from
// testdata/settings.py.txt; it tests the decoder where no Python is
// installed.
func TestPycFixture(t *testing.T) {
	data, err := os.ReadFile("testdata/settings.cpython-311.pyc")
	if err != nil {
		t.Fatal(err)
	}
	strs, err := PycStrings(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Settings module docstring.",
		"STRIPEGUARD_PYC_MARKER_SPLIT_JOINED", // adjacent literals are folded
		"alpha", "beta", "raw-bytes-const", "ident_like", "café ☃",
		"inner function marker", "dict value marker", "class body marker",
		"settings.py", "handler", "Config",
	} {
		if !contains(strs, want) {
			t.Errorf("constant %q not found in %q", want, strs)
		}
	}
	// No bytecode: every string is valid text.
	text := JoinConstants(strs)
	if IsBinary(text) {
		t.Errorf("joined constants look binary")
	}
	// Truncations and flips stop with an error, never a panic.
	for i := 17; i < len(data); i++ {
		if _, err := PycStrings(data[:i]); err == nil {
			t.Fatalf("truncated at %d: no error", i)
		}
	}
}

func TestPycgenFixture(t *testing.T) {
	got := pycgen.Module("gen.py", []string{"first", "sk_test_" + "notarealkey", "ünïcödé", strings.Repeat("long", 100)})
	if os.Getenv("UPDATE_FIXTURES") == "1" {
		if err := os.WriteFile("testdata/gen.cpython-311.pyc", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/gen.cpython-311.pyc")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("pycgen output changed; regenerate testdata/gen.cpython-311.pyc if intended")
	}
	strs, err := PycStrings(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"first", "sk_test_notarealkey", "ünïcödé", strings.Repeat("long", 100), "gen.py", "<module>"} {
		if !contains(strs, s) {
			t.Errorf("%q missing from %q", s, strs)
		}
	}
}

// mb builds marshal bytes.
type mb struct{ bytes.Buffer }

func (m *mb) i32(v int) *mb {
	var x [4]byte
	binary.LittleEndian.PutUint32(x[:], uint32(int32(v)))
	m.Write(x[:])
	return m
}
func (m *mb) typ(c byte) *mb { m.WriteByte(c); return m }
func (m *mb) str(c byte, s string) *mb {
	m.WriteByte(c)
	if c == 'z' || c == 'Z' {
		m.WriteByte(byte(len(s)))
	} else {
		m.i32(len(s))
	}
	m.WriteString(s)
	return m
}

// code writes a code object for layout l whose consts are the given raw
// marshalled objects.
func code(l *codeLayout, consts ...[]byte) []byte {
	m := &mb{}
	m.typ('c' | flagRef)
	for i := 0; i < l.ints; i++ {
		m.i32(0)
	}
	for i := range l.objs {
		switch i {
		case 0:
			m.str('s', "\x64\x00\x00\x53") // bytecode: not emitted
		case 1:
			m.typ('(').i32(len(consts))
			for _, c := range consts {
				m.Write(c)
			}
		case 4:
			if l == &layoutPy311 {
				m.str('s', "\x20\x00") // localspluskinds: not emitted
				continue
			}
			m.typ(')').WriteByte(0)
		default:
			m.typ(')').WriteByte(0)
		}
	}
	m.i32(1)
	for range l.trailer {
		m.str('s', "\x00\x01lnotab")
	}
	return m.Bytes()
}

func raw(f func(m *mb)) []byte { m := &mb{}; f(m); return m.Bytes() }

func TestMarshalLayouts(t *testing.T) {
	consts := [][]byte{
		raw(func(m *mb) { m.typ('N') }),
		raw(func(m *mb) { m.str('s', "bytes-s") }),
		raw(func(m *mb) { m.str('t', "interned-t") }),
		raw(func(m *mb) { m.str('u', "unicode-ü") }),
		raw(func(m *mb) { m.str('a', "ascii-a") }),
		raw(func(m *mb) { m.str('A'|flagRef, "ascii-interned") }),
		raw(func(m *mb) { m.str('z', "short-z") }),
		raw(func(m *mb) { m.str('Z', "short-interned") }),
		raw(func(m *mb) { m.typ('r').i32(1) }),
		raw(func(m *mb) { m.typ('i').i32(42) }),
		raw(func(m *mb) { m.typ('l').i32(-3).Write([]byte{1, 0, 2, 0, 3, 0}) }),
		raw(func(m *mb) { m.typ('g').Write(make([]byte, 8)) }),
		raw(func(m *mb) { m.typ('y').Write(make([]byte, 16)) }),
		raw(func(m *mb) { m.typ('f').WriteByte(3); m.WriteString("1.5") }),
		raw(func(m *mb) { m.typ('x').WriteByte(1); m.WriteString("1"); m.WriteByte(1); m.WriteString("2") }),
		raw(func(m *mb) { m.typ(')').WriteByte(2); m.str('z', "in-small-tuple"); m.typ('T') }),
		raw(func(m *mb) { m.typ('>').i32(1).str('z', "in-frozenset") }),
		raw(func(m *mb) { m.typ('[').i32(1).str('z', "in-list") }),
		raw(func(m *mb) { m.typ('{').str('z', "dict-key").str('z', "dict-val").typ('0') }),
		raw(func(m *mb) { m.typ('.') }),
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			nested := code(l, raw(func(m *mb) { m.str('z', "nested-code-const") }))
			obj := code(l, append(consts, nested)...)
			strs, err := Marshal(obj, l.name)
			if err != nil {
				t.Fatalf("%v (got %q)", err, strs)
			}
			want := []string{"bytes-s", "interned-t", "unicode-ü", "ascii-a", "ascii-interned", "short-z", "short-interned",
				"in-small-tuple", "in-frozenset", "in-list", "dict-key", "dict-val", "nested-code-const"}
			var got []string
			for _, s := range strs {
				got = append(got, string(s))
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	deep := bytes.Repeat([]byte{')', 1}, maxMarshalDepth+10)
	deep = append(deep, 'N')
	tests := []struct {
		name string
		data []byte
		want string
		strs int
	}{
		{"unknown type keeps earlier strings", raw(func(m *mb) { m.typ('(').i32(3).str('z', "kept").typ('?').str('z', "lost") }), "unknown marshal type 0x3f", 1},
		{"deep nesting", deep, "nesting deeper", 0},
		{"huge tuple size", raw(func(m *mb) { m.typ('(').i32(1 << 30) }), "bad size", 0},
		{"negative string size", raw(func(m *mb) { m.typ('s').i32(-1) }), "bad size", 0},
		{"truncated string", raw(func(m *mb) { m.typ('s').i32(10); m.WriteString("abc") }), "bad size", 0},
		{"truncated short string", raw(func(m *mb) { m.typ('z').WriteByte(10); m.WriteString("abc") }), "truncated", 0},
		{"unterminated dict", raw(func(m *mb) { m.typ('{').str('z', "k") }), "truncated", 1},
		{"trailing bytes", raw(func(m *mb) { m.typ('N').typ('N') }), "trailing", 0},
		{"min int32 long", raw(func(m *mb) { m.typ('l').i32(-1 << 31) }), "bad long size", 0},
	}
	for _, tc := range tests {
		strs, err := Marshal(tc.data, "3.11+")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if len(strs) != tc.strs {
			t.Errorf("%s: %d strings %q, want %d", tc.name, len(strs), strs, tc.strs)
		}
	}
}

func TestPycHeaders(t *testing.T) {
	body := code(&layoutPy30, raw(func(m *mb) { m.str('s', "py3-const") }))
	py2 := code(&layoutPy2, raw(func(m *mb) { m.str('t', "py2-interned") }), raw(func(m *mb) { m.typ('R').i32(0) }))
	py38 := code(&layoutPy38, raw(func(m *mb) { m.str('z', "py38") }))
	hdr := func(magic, n int) []byte {
		h := make([]byte, n)
		binary.LittleEndian.PutUint16(h, uint16(magic))
		h[2], h[3] = '\r', '\n'
		return h
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"2.7", append(hdr(62211, 8), py2...), "py2-interned"},
		{"3.2", append(hdr(3180, 8), body...), "py3-const"},
		{"3.6", append(hdr(3379, 12), body...), "py3-const"},
		{"3.7", append(hdr(3394, 16), body...), "py3-const"},
		{"3.9", append(hdr(3425, 16), py38...), "py38"},
		// a 3.9 code object under a 3.11 magic: the fallback layouts find it
		{"layout fallback", append(hdr(3495, 16), py38...), "py38"},
	}
	for _, tc := range tests {
		if Detect(tc.data) != Pyc {
			t.Errorf("%s: not detected as pyc", tc.name)
			continue
		}
		strs, err := PycStrings(tc.data)
		if err != nil || !contains(strs, tc.want) {
			t.Errorf("%s: %q, %v; want %q", tc.name, strs, err, tc.want)
		}
	}
	if _, err := PycStrings([]byte("not a pyc")); err != ErrNotPyc {
		t.Errorf("err = %v, want ErrNotPyc", err)
	}
}

// pyConsts is run by the system Python: it prints every str/bytes constant,
// name and file name that marshal writes for each code object.
const pyConsts = `
import json, marshal, sys
out = []
def walk(o):
    if isinstance(o, (str, bytes)):
        if o: out.append(o if isinstance(o, str) else o.decode("latin-1"))
    elif isinstance(o, (tuple, frozenset, list)):
        for x in o: walk(x)
    elif hasattr(o, "co_consts"):
        walk(o.co_consts); walk(o.co_names); walk(o.co_varnames)
        walk(o.co_filename); walk(o.co_name)
with open(sys.argv[1], "rb") as f:
    data = f.read()
walk(marshal.loads(data[16:]))
print(json.dumps(out))
`

// TestPycAgainstCPython compiles sources with the system CPython and checks
// that every constant CPython sees is found by the decoder.
func TestPycAgainstCPython(t *testing.T) {
	py := testutil.NeedPython(t)
	dir := t.TempDir()
	sources := map[string]string{
		"keys.py": "import stripe\nstripe.api_key = 'sk_live_' 'abc123'\nWEBHOOK = \"whsec_\" + \"zzz\"\nURL = f'https://x/{stripe.api_key}?k=1'\n",
		"nested.py": "class A:\n    def f(self, x=b'\\x00\\xffbin'):\n        def g():\n            return {'a': ('b', frozenset({'c'}), 1.5, 2j, 10**30)}\n        return g\n" +
			"lam = lambda: 'in lambda'\nimport asyncio\nasync def h():\n    async with x as y:\n        await y('async const')\n",
		"uni.py":   "S = 'Grüße 日本語 \\U0001F600'\nT = '''multi\nline\nconst'''\nE = ''\nBIG = '" + strings.Repeat("x", 70000) + "'\n",
		"empty.py": "",
	}
	for name, src := range sources {
		srcPath := filepath.Join(dir, name)
		if err := os.WriteFile(srcPath, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(py, "-m", "py_compile", srcPath).CombinedOutput(); err != nil {
			t.Fatalf("py_compile %s: %v %s", name, err, out)
		}
		// py_compile writes into __pycache__; find the file.
		matches, _ := filepath.Glob(filepath.Join(dir, "__pycache__", strings.TrimSuffix(name, ".py")+".*.pyc"))
		if len(matches) != 1 {
			t.Fatalf("no pyc for %s", name)
		}
		pycPath := matches[0]
		data, err := os.ReadFile(pycPath)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", pyConsts, pycPath).Output()
		if err != nil {
			t.Fatalf("%s: python: %v", name, err)
		}
		var want []string
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatal(err)
		}
		got, err := PycStrings(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		set := map[string]bool{}
		for _, g := range got {
			set[string(g)] = true
		}
		for _, w := range want {
			if !set[w] && !set[latin1ToUTF8(w)] {
				t.Errorf("%s: constant %.60q not decoded", name, w)
			}
		}
		if name == "keys.py" && !set["sk_live_abc123"] {
			t.Errorf("folded key literal not found in %q", got)
		}
	}
}

// latin1ToUTF8 undoes the test script's latin-1 decoding of bytes constants
// so they compare with the raw bytes the decoder returns.
func latin1ToUTF8(s string) string {
	var b []byte
	for _, r := range s {
		if r > 0xff {
			return s
		}
		b = append(b, byte(r))
	}
	return string(b)
}

// TestPycgenLoadsInCPython checks that the benchmark's .pyc writer makes
// files CPython 3.11 itself accepts.
func TestPycgenLoadsInCPython(t *testing.T) {
	py := testutil.NeedPython(t)
	out, err := exec.Command(py, "-c", "import sys; print(sys.version_info[:2] == (3, 11))").Output()
	if err != nil || strings.TrimSpace(string(out)) != "True" {
		testutil.Unavailable(t, "%s is not CPython 3.11", py)
	}
	p := filepath.Join(t.TempDir(), "m.pyc")
	if err := os.WriteFile(p, pycgen.Module("m.py", []string{"sk_test_abc", "ü"}), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(py, "-c", "import marshal,sys; c=marshal.loads(open(sys.argv[1],'rb').read()[16:]); exec(c); print(c.co_consts)", p).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "(None, 'sk_test_abc', 'ü')" {
		t.Fatalf("co_consts = %s", got)
	}
}

func BenchmarkPycStrings(b *testing.B) {
	data, err := os.ReadFile("testdata/settings.cpython-311.pyc")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := PycStrings(data); err != nil {
			b.Fatal(err)
		}
	}
}
