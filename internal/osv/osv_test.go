package osv

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pep440"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

const sharedDB = "../../../shared/data/pypa-advisory-db"

func demoDB(t testing.TB) *DB {
	t.Helper()
	db, err := Load(filepath.Join("testdata", "records"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestLoadDir(t *testing.T) {
	db := demoDB(t)
	if db.Records != 6 || db.Withdrawn != 1 || len(db.Warnings) != 1 || db.Kind != "dir" {
		t.Fatalf("records=%d withdrawn=%d warnings=%v kind=%s", db.Records, db.Withdrawn, db.Warnings, db.Kind)
	}
	if w := db.Warnings[0]; !strings.Contains(w.File, "broken.yaml") || w.Kind != finding.WarnData {
		t.Errorf("warning %+v should name broken.yaml", w)
	}
	if db.Newest.Format("2006-01-02") != "2024-05-01" {
		t.Errorf("newest = %v", db.Newest)
	}
	if db.HasPackage("demo-pkg") != true || db.Packages() != 2 {
		t.Errorf("packages = %d", db.Packages())
	}
}

func ids(m Match) []string {
	var out []string
	for _, v := range m.Vulns {
		out = append(out, v.ID+"="+v.Fixed)
	}
	return out
}

func TestCheck(t *testing.T) {
	db := demoDB(t)
	tests := []struct {
		name, version string
		want          []string // ID=fixed, severity order then id
		fixedIn       string
	}{
		{"demo-pkg", "1.26.16", []string{"GHSA-aaaa-bbbb-cccc=1.26.18"}, "1.26.18"},
		{"Demo.Pkg", "1.26.16+local", []string{"GHSA-aaaa-bbbb-cccc=1.26.18"}, "1.26.18"},
		{"demo-pkg", "1.26.17", []string{"GHSA-aaaa-bbbb-cccc=1.26.18"}, "1.26.18"},
		{"demo-pkg", "1.26.18", nil, ""},
		{"demo_pkg", "2.0.5", []string{"PYSEC-0000-1=2.0.6"}, "2.0.6"},
		{"demo-pkg", "2.0.6", nil, ""},
		{"demo-pkg", "2.0.0rc1", nil, ""},
		{"demo-pkg", "3.1", []string{"PYSEC-0000-2="}, ""},
		{"demo-pkg", "3.2", []string{"PYSEC-0000-2="}, ""},
		{"demo-pkg", "3.2.1", nil, ""},
		{"demo-pkg", "0.4", []string{"GHSA-aaaa-bbbb-cccc=1.26.18", "PYSEC-0000-2="}, "1.26.18"},
		{"demo-pkg", "0.7.10p1", []string{"PYSEC-0000-2="}, ""},
		{"demo-pkg", "0.7.10", []string{"GHSA-aaaa-bbbb-cccc=1.26.18"}, "1.26.18"},
		{"jw-util", "1.10rc1", []string{"PYSEC-0000-4=1.10.1"}, "1.10.1"},
		{"JW_Util", "1.10", []string{"PYSEC-0000-4=1.10.1"}, "1.10.1"},
		{"jw.util", "1.1", nil, ""},
		{"unknown", "1.0", nil, ""},
	}
	for _, tt := range tests {
		m := db.Check(tt.name, tt.version)
		if got := ids(m); !reflect.DeepEqual(got, tt.want) || m.FixedIn != tt.fixedIn {
			t.Errorf("Check(%s, %s) = %v fixedIn %q; want %v fixedIn %q", tt.name, tt.version, got, m.FixedIn, tt.want, tt.fixedIn)
		}
	}
	// Aliases are merged into one vulnerability with the best severity.
	m := db.Check("demo-pkg", "1.26.16")
	v := m.Vulns[0]
	if !reflect.DeepEqual(v.Aliases, []string{"CVE-0000-0001", "PYSEC-0000-1"}) || v.Severity != finding.Critical || v.Score != 9.8 {
		t.Errorf("merged vuln = %+v", v)
	}
	if v.Summary != "Demo injection (GitHub record)" {
		t.Errorf("summary %q", v.Summary)
	}
	if s := db.Check("demo-pkg", "3.1").Vulns[0]; s.Severity != DefaultSeverity || s.Summary != "Demo denial of service. Long explanation follows here." {
		t.Errorf("default severity/summary: %+v", s)
	}
}

func TestAdmits(t *testing.T) {
	db := demoDB(t)
	tests := []struct {
		spec string
		want []string
	}{
		{">=2.0,<3", []string{"PYSEC-0000-1=2.0.6"}},
		{">=2.0.6,<3", nil},
		{">=3.1", []string{"PYSEC-0000-2="}},
		{"~=1.26.18", nil},
		{"==1.26.17", []string{"GHSA-aaaa-bbbb-cccc=1.26.18"}},
		{"<1.1", []string{"GHSA-aaaa-bbbb-cccc=1.26.18", "PYSEC-0000-2="}},
		{">1.0,<1.5", []string{"GHSA-aaaa-bbbb-cccc=1.26.18"}},
		// The group's fix is the highest of its records' fixes.
		{"", []string{"GHSA-aaaa-bbbb-cccc=2.0.6", "PYSEC-0000-2="}},
	}
	for _, tt := range tests {
		m := db.Admits("demo-pkg", pep440.MustParseSpecifierSet(tt.spec))
		if got := ids(m); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Admits(%q) = %v, want %v", tt.spec, got, tt.want)
		}
	}
	// Pre-releases are only admitted when the specifier asks for them.
	if got := ids(db.Admits("jw-util", pep440.MustParseSpecifierSet("<1.10"))); got != nil {
		t.Errorf("<1.10 admits %v", got)
	}
	if got := ids(db.Admits("jw-util", pep440.MustParseSpecifierSet("==1.10rc1"))); len(got) != 1 {
		t.Errorf("==1.10rc1 admits %v", got)
	}
}

func TestCVSS3(t *testing.T) {
	tests := []struct {
		vec  string
		want float64
		sev  finding.Severity
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, finding.Critical},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, finding.Medium},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, finding.High},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, finding.High},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, finding.Medium},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, finding.Critical},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, finding.Critical},
		{"CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:H/I:N/A:N", 4.2, finding.Medium},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", 6.5, finding.Medium},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, finding.Low},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, finding.Info},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O", 9.8, finding.Critical},
	}
	for _, tt := range tests {
		got, err := CVSS3BaseScore(tt.vec)
		if err != nil || got != tt.want || SeverityFromScore(got) != tt.sev {
			t.Errorf("CVSS3BaseScore(%s) = %v, %v (%s); want %v (%s)", tt.vec, got, err, SeverityFromScore(got), tt.want, tt.sev)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"} {
		if _, err := CVSS3BaseScore(bad); err == nil {
			t.Errorf("CVSS3BaseScore(%q) accepted", bad)
		}
	}
}

// buildZip writes every record under dir into a flat <ID>.json zip, the
// layout osv.dev publishes.
func buildZip(t testing.TB, dir, out string) int {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	n := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isRecordFile(p) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r, err := DecodeRecord(b, "")
		if err != nil {
			return nil // broken fixtures stay out of the zip
		}
		w, err := zw.Create(r.ID + ".json")
		if err != nil {
			return err
		}
		n++
		return writeJSON(w, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return n
}

func needShared(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sharedDB, "vulns")); err != nil {
		testutil.Unavailable(t, "shared advisory data: %v", err)
	}
}

// TestZipMatchesDir loads the shared PyPA tree and a zip built from it and
// checks both answer the same for every listed version of a few packages.
func TestZipMatchesDir(t *testing.T) {
	needShared(t)
	dir, err := Load(sharedDB)
	if err != nil {
		t.Fatal(err)
	}
	zp := filepath.Join(t.TempDir(), "all.zip")
	n := buildZip(t, filepath.Join(sharedDB, "vulns"), zp)
	zdb, err := Load(zp)
	if err != nil {
		t.Fatal(err)
	}
	if dir.Records != 2661 || zdb.Records != n || n != dir.Records || dir.Withdrawn != 10 || len(dir.Warnings) != 0 || len(zdb.Warnings) != 0 {
		t.Fatalf("dir %d records (%d withdrawn, %v), zip %d of %d (%v)", dir.Records, dir.Withdrawn, dir.Warnings, zdb.Records, n, zdb.Warnings)
	}
	want := map[[2]string][]string{
		{"requests", "2.30.0"}:   {"PYSEC-2023-74=2.31.0"},
		{"requests", "2.31.0"}:   nil,
		{"urllib3", "2.0.5"}:     {"PYSEC-2023-192=2.0.6", "PYSEC-2023-212=2.0.7"},
		{"certifi", "2015.4.28"}: {"PYSEC-2023-135=2023.7.22"},
		{"idna", "3.6"}:          {"PYSEC-2024-60=3.7"},
		{"stripe", "2.0.0"}:      nil,
	}
	for q, w := range want {
		for _, db := range []*DB{dir, zdb} {
			if got := ids(db.Check(q[0], q[1])); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: Check(%s, %s) = %v, want %v", db.Kind, q[0], q[1], got, w)
			}
		}
	}
	if m := dir.Check("urllib3", "1.26.5"); m.FixedIn != "1.26.18" {
		t.Errorf("urllib3 1.26.5 FixedIn = %q", m.FixedIn)
	}
	// Past the memory budget records are kept deflated; answers must not
	// change.
	old := keepUncompressed
	keepUncompressed = 0
	defer func() { keepUncompressed = old }()
	cdb, err := Load(zp)
	if err != nil || cdb.Records != n || len(cdb.Warnings) != 0 {
		t.Fatalf("compressed load: %v %d %v", err, cdb.Records, cdb.Warnings)
	}
	for q, w := range want {
		if got := ids(cdb.Check(q[0], q[1])); !reflect.DeepEqual(got, w) {
			t.Errorf("compressed: Check(%s, %s) = %v, want %v", q[0], q[1], got, w)
		}
	}
}

// A corrupted zip entry is a warning naming it, whichever way it is read.
func TestCorruptZipEntry(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, id := range []string{"A-1", "B-1"} {
		w, _ := zw.Create(id + ".json")
		w.Write([]byte(`{"id":"` + id + `","summary":"` + strings.Repeat("padding ", 200) + `","affected":[{"package":{"ecosystem":"PyPI","name":"pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`))
	}
	zw.Close()
	data := buf.Bytes()
	// Flip a byte inside the first entry's compressed data.
	i := bytes.Index(data, []byte("A-1.json")) + len("A-1.json") + 20
	data[i] ^= 0xff
	p := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, budget := range []uint64{64 << 20, 0} {
		old := keepUncompressed
		keepUncompressed = budget
		db, err := Load(p)
		keepUncompressed = old
		if err != nil {
			t.Fatal(err)
		}
		got := ids(db.Check("pkg", "1.0"))
		if len(db.Warnings) != 1 || !strings.Contains(db.Warnings[0].File, "A-1.json") || !reflect.DeepEqual(got, []string{"B-1="}) {
			t.Errorf("budget %d: warnings %+v, matches %v", budget, db.Warnings, got)
		}
	}
}

func TestUpdate(t *testing.T) {
	good := filepath.Join(t.TempDir(), "src.zip")
	buildZip(t, filepath.Join("testdata", "records", "demo"), good)
	zipBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var conditional int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/PyPI/all.zip":
			if r.Header.Get("If-None-Match") == `"v1"` {
				conditional++
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Write(zipBytes)
		case "/garbage.zip":
			w.Write([]byte("<html>captive portal</html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// A closed port stands for "offline".
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/PyPI/all.zip"
	l.Close()

	dest := filepath.Join(t.TempDir(), "cache", "PyPI", "index.sgidx")
	day1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var bar bytes.Buffer
	res, err := Update(context.Background(), UpdateOptions{URL: srv.URL + "/PyPI/all.zip", Dest: dest, Progress: &bar, Now: day1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 6 || res.Withdrawn != 1 || res.Packages != 2 || res.Bytes != int64(len(zipBytes)) || res.NotModified {
		t.Errorf("result %+v", res)
	}
	db, err := Load(dest)
	if err != nil || db.Records != 6 || db.Kind != "index" || !db.Fetched.Equal(day1) || db.Origin != srv.URL+"/PyPI/all.zip" || db.Meta.ETag != `"v1"` {
		t.Fatalf("installed index: %v %+v", err, db)
	}
	db.Close()
	if got := ids(mustLoad(t, dest).Check("demo-pkg", "2.0.5")); !reflect.DeepEqual(got, []string{"PYSEC-0000-1=2.0.6"}) {
		t.Errorf("installed index answers %v", got)
	}
	// A second update asks with the ETag, keeps the records and renews
	// only the fetch time.
	day2 := day1.Add(48 * time.Hour)
	res, err = Update(context.Background(), UpdateOptions{URL: srv.URL + "/PyPI/all.zip", Dest: dest, Now: day2})
	if err != nil || !res.NotModified || conditional != 1 || res.Records != 6 {
		t.Errorf("conditional update: %v %+v conditional=%d", err, res, conditional)
	}
	if db := mustLoad(t, dest); !db.Fetched.Equal(day2) || db.Records != 6 || db.Meta.ETag != `"v1"` || len(ids(db.Check("demo-pkg", "2.0.5"))) != 1 {
		t.Errorf("after 304: fetched %v records %d", db.Fetched, db.Records)
	}
	for _, tc := range []struct {
		url     string
		want    string
		offline bool
	}{
		{srv.URL + "/missing.zip", "404", false},
		{srv.URL + "/garbage.zip", "not an OSV zip", false},
		{closed, "offline", true},
	} {
		_, err := Update(context.Background(), UpdateOptions{URL: tc.url, Dest: dest, Now: day2.Add(time.Hour)})
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrOffline) != tc.offline || strings.Contains(err.Error(), "cached") {
			t.Errorf("Update(%s) err = %v, want %q offline=%v", tc.url, err, tc.want, tc.offline)
		}
		// The good data must survive a failed update, with no temp files.
		if db := mustLoad(t, dest); db.Records != 6 || !db.Fetched.Equal(day2) {
			t.Errorf("after failed update: %d records, fetched %v", db.Records, db.Fetched)
		}
		entries, _ := os.ReadDir(filepath.Dir(dest))
		if len(entries) != 1 {
			t.Errorf("leftover files: %v", entries)
		}
	}
}

func mustLoad(t *testing.T, p string) *DB {
	t.Helper()
	db, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// UpdateFrom installs a zip, a record tree or an index from disk, with the
// same atomic install; bad input leaves the installed data alone.
func TestUpdateFrom(t *testing.T) {
	tmp := t.TempDir()
	zp := filepath.Join(tmp, "all.zip")
	buildZip(t, filepath.Join("testdata", "index"), zp)
	dest := filepath.Join(tmp, "cache", "index.sgidx")
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, src := range []string{zp, filepath.Join("testdata", "index")} {
		res, err := UpdateFrom(src, UpdateOptions{Dest: dest, Now: now})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		db := mustLoad(t, dest)
		abs, _ := filepath.Abs(src)
		if res.Records != 3 || res.Withdrawn != 1 || db.Records != 3 || db.Origin != abs || !db.Fetched.Equal(now) || len(db.RecordsFor("stripe-sdk-python")) != 2 {
			t.Errorf("%s: %+v, origin %s", src, res, db.Origin)
		}
	}
	// An index as the source keeps its origin.
	other := filepath.Join(tmp, "copy.sgidx")
	if _, err := UpdateFrom(dest, UpdateOptions{Dest: other, Now: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if db := mustLoad(t, other); !strings.HasSuffix(db.Origin, "testdata/index") || !db.Fetched.Equal(now.Add(time.Hour)) {
		t.Errorf("re-installed index: origin %s", db.Origin)
	}
	garbage := filepath.Join(tmp, "garbage.zip")
	os.WriteFile(garbage, []byte("<html>not a zip</html>"), 0o644)
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	npm := filepath.Join(tmp, "npm")
	os.Mkdir(npm, 0o755)
	os.WriteFile(filepath.Join(npm, "NPM-1.json"), []byte(`{"id":"NPM-1","affected":[{"package":{"ecosystem":"npm","name":"x"}}]}`), 0o644)
	for _, src := range []string{garbage, empty, npm, filepath.Join(tmp, "missing")} {
		if _, err := UpdateFrom(src, UpdateOptions{Dest: dest, Now: now}); err == nil {
			t.Errorf("%s: installed", src)
		}
		if db := mustLoad(t, dest); db.Records != 3 {
			t.Errorf("%s damaged the installed index", src)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Errorf("leftover files: %v", entries)
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if p, _ := DefaultPath(); p != filepath.FromSlash("/x/cache/stripeguard/osv/PyPI/index.sgidx") {
		t.Errorf("DefaultPath = %s", p)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if p, _ := DefaultPath(); p != filepath.FromSlash("/home/u/.cache/stripeguard/osv/PyPI/index.sgidx") {
		t.Errorf("DefaultPath = %s", p)
	}
}

func BenchmarkLoadZip(b *testing.B) {
	needShared(b)
	zp := filepath.Join(b.TempDir(), "all.zip")
	buildZip(b, filepath.Join(sharedDB, "vulns"), zp)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Load(zp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	needShared(b)
	db, err := Load(sharedDB)
	if err != nil {
		b.Fatal(err)
	}
	qs := [][2]string{{"django", "3.2"}, {"requests", "2.30.0"}, {"urllib3", "1.26.5"}, {"flask", "2.0.0"}, {"stripe", "5.0.0"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := qs[i%len(qs)]
		db.Check(q[0], q[1])
	}
}

func FuzzDecodeRecord(f *testing.F) {
	filepath.WalkDir(filepath.Join("testdata", "records"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeSafe("x.yaml", data)
		if err != nil {
			return
		}
		// Whatever decodes must index and match without panicking.
		db := &DB{byName: map[string]*pkgIndex{}}
		db.add(r)
		for _, a := range r.Affected {
			db.Check(a.Package.Name, "1.0")
			db.Admits(a.Package.Name, nil)
		}
	})
}

func writeJSON(w io.Writer, r *Record) error { return json.NewEncoder(w).Encode(r) }

func TestIsCanonicalRelease(t *testing.T) {
	for s, want := range map[string]bool{"1.2.3": true, "0": true, "0.10.0": true, "10.0": true, "01.2": false, "1.02": false, "1.0rc1": false, "1..2": false, ".1": false, "": false, "2015.04.28": false} {
		if got := isCanonicalRelease(s); got != want {
			t.Errorf("isCanonicalRelease(%q) = %v", s, got)
		}
	}
}

func TestScanJSON(t *testing.T) {
	tests := []struct {
		in    string
		names []string
		ok    bool
	}{
		{`{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"}},{"package": {"name": "baz", "ecosystem": "PyPI", "purl": "pkg:pypi/baz"}}]}`, []string{"foo-bar", "baz"}, true},
		{`{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"foo"}},{"package":{"ecosystem":"PyPI","name":"bar"}}]}`, []string{"bar"}, true},
		{`{"id":"X","details":"the \"package\": {\"name\": \"evil\"}","affected":[{"package":{"ecosystem":"PyPI","name":"bar"}}]}`, []string{"bar"}, true},
		{`{"id":"X","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"bar"}}]}`, nil, false},
		{`{"id":"X","affected":[{"package":{"ecosystem":"PyPI","name":"b\u0061r"}}]}`, nil, false},
		{`{"id":"X","affected":[]}`, nil, false},
	}
	for _, tt := range tests {
		sc, ok := scanJSON([]byte(tt.in))
		if ok != tt.ok || (ok && !reflect.DeepEqual(sc.names, tt.names)) {
			t.Errorf("scanJSON(%s) = %v, %v; want %v, %v", tt.in, sc.names, ok, tt.names, tt.ok)
		}
	}
}

// A zip record that passes the cheap scan but is broken is reported when its
// package is first queried, and the rest still matches.
func TestLazyBrokenRecord(t *testing.T) {
	p := filepath.Join(t.TempDir(), "all.zip")
	f, _ := os.Create(p)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("GOOD-1.json")
	w.Write([]byte(`{"id":"GOOD-1","affected":[{"package":{"ecosystem":"PyPI","name":"pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2"}]}]}]}`))
	w, _ = zw.Create("BAD-1.json")
	w.Write([]byte(`{"id":"BAD-1","affected":[{"package":{"ecosystem":"PyPI","name":"pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]]}]}`))
	zw.Close()
	f.Close()
	db, err := Load(p)
	if err != nil || db.Records != 2 || len(db.Warnings) != 0 {
		t.Fatalf("load: %v %+v", err, db)
	}
	if got := ids(db.Check("pkg", "1.0")); !reflect.DeepEqual(got, []string{"GOOD-1=2"}) {
		t.Errorf("Check = %v", got)
	}
	if len(db.Warnings) != 1 || db.Warnings[0].File != "all.zip!BAD-1.json" {
		t.Errorf("warnings %+v", db.Warnings)
	}
	// Verify finds it too, without a query, and only once.
	db, _ = Load(p)
	db.Verify()
	db.Verify()
	if len(db.Warnings) != 1 {
		t.Errorf("Verify warnings %+v", db.Warnings)
	}
}

// FuzzScanJSON: the cheap scan must never miss a PyPI package that the full
// decoder sees (a miss would hide advisories).
func FuzzScanJSON(f *testing.F) {
	f.Add([]byte(`{"id":"X","affected":[{"package":{"ecosystem":"PyPI","name":"a"}}]}`))
	f.Add([]byte(`{"id":"X","affected":[{"package":{"name":"a","ecosystem":"PyPI"}},{"package":{"ecosystem":"PyPI","name":"B.c"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, ok := scanJSON(data)
		if !ok {
			return
		}
		r, err := DecodeRecord(data, "json")
		if err != nil {
			return
		}
		have := map[string]bool{}
		for _, n := range sc.names {
			have[n] = true
		}
		for _, a := range r.Affected {
			if strings.EqualFold(a.Package.Ecosystem, Ecosystem) && a.Package.Name != "" && !have[NormalizeName(a.Package.Name)] {
				t.Fatalf("scan missed %q in %s", a.Package.Name, data)
			}
		}
	})
}

func TestListedHas(t *testing.T) {
	e := &entry{listed: []string{"2015.04.28", "1.0rc1", "v3.0", "0.7.10p1", "2.0.0"}}
	for q, want := range map[string]bool{"2015.4.28": true, "2015.04.28": true, "1.0RC1": true, "1.0c1": true, "3.0": true, "0.7.10p1": true, "2.0.0": true, "2.0": false, "1.0": false, "3.0.1": false} {
		v, err := pep440.Parse(q)
		if got := e.listedHas(q, v, err == nil); got != want {
			t.Errorf("listedHas(%q) = %v, want %v", q, got, want)
		}
	}
}

func BenchmarkAdmits(b *testing.B) {
	needShared(b)
	db, err := Load(sharedDB)
	if err != nil {
		b.Fatal(err)
	}
	specs := []struct{ name, spec string }{{"django", ">=3.2,<4"}, {"requests", ">=2.0"}, {"urllib3", "~=1.26"}, {"stripe", ">=5"}}
	parsed := make([]pep440.SpecifierSet, len(specs))
	for i, s := range specs {
		parsed[i] = pep440.MustParseSpecifierSet(s.spec)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(specs)
		db.Admits(specs[j].name, parsed[j])
	}
}

func TestShared(t *testing.T) {
	p := filepath.Join("testdata", "records")
	a, err := Shared(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Shared(p)
	if a != b {
		t.Error("Shared loads the same data twice")
	}
	if _, err := Shared(filepath.Join("testdata", "absent")); err == nil {
		t.Error("missing path")
	}
	if len(a.WarningList()) != len(a.Warnings) {
		t.Error("WarningList")
	}
}

func TestMalicious(t *testing.T) {
	db := &DB{}
	db.AddRecord(&Record{ID: "MAL-2024-1", Affected: []Affected{{Package: Package{Ecosystem: "PyPI", Name: "evil"}, Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}}}}}}})
	db.AddRecord(&Record{ID: "GHSA-aaaa-bbbb-cccc", Aliases: []string{"MAL-2024-2"}, Affected: []Affected{{Package: Package{Ecosystem: "PyPI", Name: "evil2"}, Versions: []string{"1.0"}}}})
	db.AddRecord(&Record{ID: "PYSEC-2024-3", Affected: []Affected{{Package: Package{Ecosystem: "PyPI", Name: "evil"}, Versions: []string{"1.0"}}}})
	m := db.Check("evil", "1.0")
	if len(m.Vulns) != 2 || len(m.WithoutMalicious().Vulns) != 1 || m.WithoutMalicious().Vulns[0].ID != "PYSEC-2024-3" {
		t.Errorf("%+v", m)
	}
	m = db.Check("evil2", "1.0")
	if len(m.Vulns) != 1 || !m.Vulns[0].IsMalicious() || m.Vulns[0].MaliciousID() != "MAL-2024-2" {
		t.Errorf("alias: %+v", m)
	}
	if (Vuln{ID: "PYSEC-1"}).IsMalicious() || (Vuln{ID: "PYSEC-1"}).MaliciousID() != "" {
		t.Error("PYSEC is not malicious")
	}
}
