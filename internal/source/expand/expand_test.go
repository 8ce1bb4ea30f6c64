package expand

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/expand/pycgen"
)

type member struct {
	name string
	data []byte
}

func mkZip(t testing.TB, ms ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, m := range ms {
		f, err := w.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mkTar(t testing.TB, ms ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, m := range ms {
		if err := w.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mkGzip(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Name = name
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type result struct {
	ok       bool
	members  map[string]string // rel -> container
	texts    map[string]string
	warnings []string // kind: file
}

func run(f *source.File, lim Limits) result {
	r := result{members: map[string]string{}, texts: map[string]string{}}
	r.ok = Expand(f, lim, func(m *source.File) {
		r.members[m.Rel] = m.Container
		r.texts[m.Rel] = string(m.Data)
		if m.Abs != "" || m.Mode != f.Mode || m.Tracked != f.Tracked || m.Ignored != f.Ignored || m.Size != int64(len(m.Data)) {
			panic(fmt.Sprintf("member %s does not inherit outer flags: %+v", m.Rel, m))
		}
	}, func(w *finding.Warning) {
		r.warnings = append(r.warnings, w.Kind+": "+w.File)
	})
	sort.Strings(r.warnings)
	return r
}

func TestExpand(t *testing.T) {
	text := []byte("STRIPE_KEY=sk_test_placeholder\n")
	bin := append([]byte("\x7fELF\x00\x00"), bytes.Repeat([]byte{1}, 100)...)
	pyc := pycgen.Module("m.py", []string{"pyc-marker"})
	inner := mkZip(t, member{"deep/a.txt", text})
	big := bytes.Repeat([]byte("a"), 2000)

	tests := []struct {
		name     string
		rel      string
		data     []byte
		lim      Limits
		ok       bool
		members  map[string]string
		warnings []string
	}{
		{name: "plain text is not a container", rel: "a.py", data: text, ok: false},
		{name: "zip extension without zip magic", rel: "fake.zip", data: text, ok: false},
		{
			name: "zip with text, binary, dir and pyc",
			rel:  "dist/app.whl", ok: true,
			data: mkZip(t, member{"app/settings.py", text}, member{"app/_c.so", bin}, member{"app/", nil},
				member{"app/__pycache__/m.cpython-311.pyc", pyc}, member{"\\win\\path.txt", text}),
			members: map[string]string{
				"dist/app.whl!app/settings.py":                               ZipMember,
				"dist/app.whl!app/__pycache__/m.cpython-311.pyc!strings.txt": PycConstants,
				"dist/app.whl!win/path.txt":                                  ZipMember,
			},
		},
		{
			name: "zip in zip in zip",
			rel:  "a.jar", ok: true,
			data: mkZip(t, member{"lib/inner.zip", mkZip(t, member{"x.zip", inner})}),
			members: map[string]string{
				"a.jar!lib/inner.zip!x.zip!deep/a.txt": ZipMember,
			},
		},
		{
			name: "nesting beyond MaxDepth is skipped with one warning",
			rel:  "a.jar", ok: true, lim: Limits{MaxDepth: 2},
			data:     mkZip(t, member{"top.txt", text}, member{"lib/inner.zip", mkZip(t, member{"x.zip", inner})}),
			members:  map[string]string{"a.jar!top.txt": ZipMember},
			warnings: []string{"too-large: a.jar"},
		},
		{
			name: "pex: zip behind a shebang line",
			rel:  "bin/app.pex", ok: true,
			data:    append([]byte("#!/usr/bin/env python3\n"), mkZip(t, member{"app/settings.py", text})...),
			members: map[string]string{"bin/app.pex!app/settings.py": ZipMember},
		},
		{
			name: "tar",
			rel:  "src.tar", ok: true,
			data:    mkTar(t, member{"./pkg/.env", text}, member{"pkg/blob", bin}),
			members: map[string]string{"src.tar!pkg/.env": TarMember},
		},
		{
			name: "tar.gz members sit directly under the archive",
			rel:  "rel/src.tar.gz", ok: true,
			data:    mkGzip(t, "", mkTar(t, member{"pkg/conf.yaml", text}, member{"pkg/m.pyc", pyc})),
			members: map[string]string{"rel/src.tar.gz!pkg/conf.yaml": TarMember, "rel/src.tar.gz!pkg/m.pyc!strings.txt": PycConstants},
		},
		{
			name: "gzip without name uses the file name",
			rel:  "logs/app.log.gz", ok: true,
			data:    mkGzip(t, "", text),
			members: map[string]string{"logs/app.log.gz!app.log": GzipStream},
		},
		{
			name: "gzip header name wins",
			rel:  "x.bin", ok: true,
			data:    mkGzip(t, "dir/orig.txt", text),
			members: map[string]string{"x.bin!orig.txt": GzipStream},
		},
		{
			name: "truncated gzip yields what it read and warns",
			rel:  "cut.log.gz", ok: true,
			data:     mkGzip(t, "", bytes.Repeat(text, 4000))[:300],
			members:  map[string]string{"cut.log.gz!cut.log": GzipStream},
			warnings: []string{"parse-error: cut.log.gz"},
		},
		{
			name: "truncated zip warns",
			rel:  "cut.zip", ok: true,
			data:     mkZip(t, member{"a.txt", big})[:60],
			warnings: []string{"parse-error: cut.zip"},
		},
		{
			name: "member over MaxMemberSize is skipped with a summary warning",
			rel:  "a.zip", ok: true, lim: Limits{MaxMemberSize: 1000},
			data:     mkZip(t, member{"big.txt", big}, member{"small.txt", text}),
			members:  map[string]string{"a.zip!small.txt": ZipMember},
			warnings: []string{"too-large: a.zip"},
		},
		{
			name: "tar member over MaxMemberSize",
			rel:  "a.tar", ok: true, lim: Limits{MaxMemberSize: 1000},
			data:     mkTar(t, member{"big.txt", big}, member{"small.txt", text}),
			members:  map[string]string{"a.tar!small.txt": TarMember},
			warnings: []string{"too-large: a.tar"},
		},
		{
			name: "MaxMembers stops the walk",
			rel:  "a.tar", ok: true, lim: Limits{MaxMembers: 2},
			data:     mkTar(t, member{"1.txt", text}, member{"2.txt", text}, member{"3.txt", text}),
			members:  map[string]string{"a.tar!1.txt": TarMember, "a.tar!2.txt": TarMember},
			warnings: []string{"too-large: a.tar"},
		},
		{
			name: "MaxTotal stops the walk",
			rel:  "a.zip", ok: true, lim: Limits{MaxTotal: 2500},
			data:     mkZip(t, member{"1.txt", big}, member{"2.txt", big}, member{"3.txt", big}),
			members:  map[string]string{"a.zip!1.txt": ZipMember},
			warnings: []string{"too-large: a.zip"},
		},
		{
			name: "pyc at top level",
			rel:  "app/__pycache__/m.cpython-311.pyc", ok: true,
			data:    pyc,
			members: map[string]string{"app/__pycache__/m.cpython-311.pyc!strings.txt": PycConstants},
		},
		{
			name: "truncated pyc warns and keeps what it read",
			rel:  "m.pyc", ok: true,
			data:     pyc[:len(pyc)-10],
			members:  map[string]string{"m.pyc!strings.txt": PycConstants},
			warnings: []string{"parse-error: m.pyc"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &source.File{Rel: tc.rel, Data: tc.data, Mode: 0o640, Tracked: true, Ignored: true}
			r := run(f, tc.lim)
			if r.ok != tc.ok {
				t.Fatalf("ok = %v, want %v", r.ok, tc.ok)
			}
			want := tc.members
			if want == nil {
				want = map[string]string{}
			}
			if fmt.Sprint(r.members) != fmt.Sprint(want) {
				t.Errorf("members\n got %v\nwant %v", r.members, want)
			}
			if fmt.Sprint(r.warnings) != fmt.Sprint(tc.warnings) && !(len(r.warnings) == 0 && len(tc.warnings) == 0) {
				t.Errorf("warnings\n got %v\nwant %v", r.warnings, tc.warnings)
			}
		})
	}
}

func TestExpandContent(t *testing.T) {
	text := "line1\nSTRIPE=sk_test_marker\n"
	data := mkGzip(t, "", mkTar(t, member{"a/b.env", []byte(text)}))
	r := run(&source.File{Rel: "x.tgz", Data: data}, Limits{})
	if got := r.texts["x.tgz!a/b.env"]; got != text {
		t.Fatalf("member text = %q, want %q (members %v)", got, text, r.members)
	}
}

// A zip bomb: one member that inflates to 64 MiB of zeros from ~64 KiB. It
// is skipped from its declared size, and still when the header lies.
func TestZipBomb(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	fw, err := w.CreateHeader(&zip.FileHeader{Name: "bomb.txt", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	for i := 0; i < 64; i++ {
		fw.Write(chunk)
	}
	w.Close()
	data := b.Bytes()
	for _, lying := range []bool{false, true} {
		d := append([]byte(nil), data...)
		if lying {
			// Patch the central directory's uncompressed size to 100.
			i := bytes.LastIndex(d, []byte("PK\x01\x02"))
			d[i+24], d[i+25], d[i+26], d[i+27] = 100, 0, 0, 0
		}
		r := result{members: map[string]string{}}
		ok := Expand(&source.File{Rel: "bomb.zip", Data: d}, Limits{}, func(m *source.File) {
			r.members[m.Rel] = m.Container
		}, func(w *finding.Warning) { r.warnings = append(r.warnings, w.Kind+": "+w.Message) })
		if !ok || len(r.members) != 0 || len(r.warnings) == 0 {
			t.Errorf("lying=%v: ok=%v members=%v warnings=%v", lying, ok, r.members, r.warnings)
		}
	}
}

func TestDetect(t *testing.T) {
	pyc, err := os.ReadFile("testdata/settings.cpython-311.pyc")
	if err != nil {
		t.Fatal(err)
	}
	v7 := mkTar(t, member{"a.txt", []byte("x")})
	copy(v7[257:265], make([]byte, 8)) // strip the ustar magic...
	fixTarChecksum(v7[:512])
	tests := []struct {
		name string
		data []byte
		want Kind
	}{
		{"empty", nil, None},
		{"text", []byte("hello world"), None},
		{"zip", mkZip(t, member{"a", []byte("b")}), Zip},
		{"empty zip", mkZip(t), Zip},
		{"gzip", mkGzip(t, "", []byte("x")), Gzip},
		{"ustar", mkTar(t, member{"a", []byte("b")}), Tar},
		{"v7 tar by checksum", v7, Tar},
		{"512 zero bytes", make([]byte, 512), None},
		{"pyc 3.11", pyc, Pyc},
		{"pyc magic but no code object", append(append([]byte(nil), pyc[:16]...), 'N'), None},
		{"crlf text", []byte("ab\r\nhello"), None},
		{"zipapp behind a shebang", append([]byte("#!/usr/bin/env python3\n"), mkZip(t, member{"__main__.py", []byte("x")})...), Zip},
		{"shell script", []byte("#!/bin/sh\necho PK but no zip here\n"), None},
		{"crlf text with c at the py2 code offset", []byte("ab\r\n1234c5678"), None},
	}
	for _, tc := range tests {
		if got := Detect(tc.data); got != tc.want {
			t.Errorf("%s: Detect = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func fixTarChecksum(h []byte) {
	for i := 148; i < 156; i++ {
		h[i] = ' '
	}
	var sum int
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
}

// Corrupt inputs of every kind must end, without panicking, in ok=true and
// warnings rather than errors.
func TestCorruptNeverPanics(t *testing.T) {
	seeds := [][]byte{
		mkZip(t, member{"a.txt", []byte("hello")}, member{"b.zip", mkZip(t, member{"c", []byte("d")})}),
		mkTar(t, member{"a.txt", []byte("hello")}),
		mkGzip(t, "", mkTar(t, member{"a.txt", []byte("hello")})),
		pycgen.Module("m.py", []string{"a", "b"}),
	}
	for _, seed := range seeds {
		for cut := 1; cut < len(seed); cut += 1 + len(seed)/200 {
			for _, flip := range []int{-1, cut / 2} {
				d := append([]byte(nil), seed[:cut]...)
				if flip >= 0 && flip < len(d) && flip > 4 {
					d[flip] ^= 0x5a
				}
				Expand(&source.File{Rel: "x", Data: d}, Limits{}, nil, nil)
			}
		}
	}
}

func TestGzipOfBinaryIsSkippedSilently(t *testing.T) {
	r := run(&source.File{Rel: "a.bin.gz", Data: mkGzip(t, "", []byte("\x00\x01\x02binary"))}, Limits{})
	if !r.ok || len(r.members) != 0 || len(r.warnings) != 0 {
		t.Fatalf("got %+v", r)
	}
}

func BenchmarkExpandZip(b *testing.B) {
	var ms []member
	for i := 0; i < 200; i++ {
		ms = append(ms, member{fmt.Sprintf("pkg/m%03d.py", i), bytes.Repeat([]byte("x = 'some python source line'\n"), 700)})
	}
	data := mkZip(b, ms...)
	var total int64
	b.SetBytes(int64(200 * 700 * 30))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Expand(&source.File{Rel: "a.whl", Data: data}, Limits{}, func(m *source.File) { total += m.Size }, nil)
	}
	_ = total
}

func BenchmarkExpandTarGz(b *testing.B) {
	var ms []member
	for i := 0; i < 200; i++ {
		ms = append(ms, member{fmt.Sprintf("pkg/m%03d.py", i), bytes.Repeat([]byte("x = 'some python source line'\n"), 700)})
	}
	data := mkGzip(b, "", mkTar(b, ms...))
	b.SetBytes(int64(200 * 700 * 30))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Expand(&source.File{Rel: "a.tar.gz", Data: data}, Limits{}, func(*source.File) {}, nil)
	}
}
