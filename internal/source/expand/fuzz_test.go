package expand

import (
	"os"
	"testing"

	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/expand/pycgen"
)

func FuzzPycStrings(f *testing.F) {
	if data, err := os.ReadFile("testdata/settings.cpython-311.pyc"); err == nil {
		f.Add(data)
	}
	f.Add(pycgen.Module("m.py", []string{"a", "sk_test_b"}))
	f.Add([]byte("\x03\xf3\r\n\x00\x00\x00\x00c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		strs, _ := PycStrings(data)
		n := 0
		for _, s := range strs {
			n += len(s)
		}
		if n > len(data) {
			t.Fatalf("decoded %d string bytes from %d input bytes", n, len(data))
		}
	})
}

func FuzzExpand(f *testing.F) {
	f.Add(mkZip(f, member{"a.txt", []byte("hello")}, member{"n.zip", mkZip(f, member{"b.txt", []byte("x")})}))
	f.Add(mkGzip(f, "", mkTar(f, member{"a.env", []byte("K=v")})))
	f.Add(mkTar(f, member{"a.txt", []byte("hello")}))
	f.Add(mkGzip(f, "x", []byte("text")))
	f.Add(pycgen.Module("m.py", []string{"a"}))
	lim := Limits{MaxMemberSize: 1 << 20, MaxTotal: 4 << 20, MaxMembers: 100}
	f.Fuzz(func(t *testing.T, data []byte) {
		var total int64
		Expand(&source.File{Rel: "f", Data: data}, lim, func(m *source.File) {
			total += m.Size
			if m.Size > lim.MaxMemberSize {
				t.Fatalf("member %s of %d bytes over the limit", m.Rel, m.Size)
			}
		}, nil)
		if total > lim.MaxTotal+int64(len(data)) {
			t.Fatalf("emitted %d bytes, limit %d", total, lim.MaxTotal)
		}
	})
}
