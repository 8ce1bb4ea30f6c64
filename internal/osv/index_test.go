package osv

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/pep440"
)

// indexOf writes db as an index and opens it again.
func indexOf(t testing.TB, db *DB, meta IndexMeta) (*DB, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteIndex(&buf, db, meta); err != nil {
		t.Fatal(err)
	}
	ix, err := OpenIndex(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "test.sgidx")
	if err != nil {
		t.Fatal(err)
	}
	return ix, buf.Bytes()
}

func loadDirs(t testing.TB, dirs ...string) *DB {
	t.Helper()
	db := &DB{Source: "test", byName: map[string]*pkgIndex{}}
	for _, d := range dirs {
		if err := db.loadDir(d); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func names(db *DB) []string {
	var out []string
	for n := range db.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// probeVersions is every version an advisory of the package names (listed
// versions and range events), the versions just above them and "0": where
// matching answers change.
func probeVersions(recs []*Record) []string {
	seen := map[string]bool{"0": true}
	out := []string{"0"}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, r := range recs {
		for _, a := range r.Affected {
			for _, v := range a.Versions {
				add(v)
			}
			for _, rg := range a.Ranges {
				if rg.Type == "GIT" {
					continue
				}
				for _, ev := range rg.Events {
					for _, v := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
						add(v)
						if pv, err := pep440.Parse(v); err == nil {
							for _, n := range nextVersions(pv) {
								add(n.String())
							}
						}
					}
				}
			}
		}
	}
	return out
}

// agree checks that two DBs hold the same records for every package and
// answer Check and Admits identically around every version their
// advisories name.
func agree(t *testing.T, want, got *DB) (checks int) {
	t.Helper()
	if want.Records != got.Records || want.Withdrawn != got.Withdrawn || !want.Newest.Equal(got.Newest) {
		t.Errorf("counts: want %d records (%d withdrawn, newest %v), got %d (%d, %v)", want.Records, want.Withdrawn, want.Newest, got.Records, got.Withdrawn, got.Newest)
	}
	if w, g := names(want), names(got); !reflect.DeepEqual(w, g) {
		t.Fatalf("packages differ: %d vs %d", len(w), len(g))
	}
	// Packages are compared on every core (DBs are safe for concurrent
	// queries); the shared tree makes ~60,000 comparisons.
	work := make(chan string)
	var wg sync.WaitGroup
	var total atomic.Int64
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				total.Add(int64(agreePackage(t, want, got, n)))
			}
		}()
	}
	for _, n := range names(want) {
		work <- n
	}
	close(work)
	wg.Wait()
	return int(total.Load())
}

func agreePackage(t *testing.T, want, got *DB, n string) (checks int) {
	wr, gr := want.RecordsFor(n), got.RecordsFor(n)
	if len(wr) != len(gr) {
		t.Errorf("%s: %d records, index has %d", n, len(wr), len(gr))
		return
	}
	for i := range wr {
		// The index keeps exactly what encodeRecord writes; decoding
		// must give all of it back.
		if a, b := encodeRecord(nil, wr[i]), encodeRecord(nil, gr[i]); !bytes.Equal(a, b) {
			t.Errorf("%s: record %s differs after the round trip", n, wr[i].ID)
		}
		if wr[i].ShortSummary() != gr[i].ShortSummary() || wr[i].URL() != gr[i].URL() {
			t.Errorf("%s: %s summary/url differ", n, wr[i].ID)
		}
		ws, wsc, wk := RecordSeverity(wr[i])
		gs, gsc, gk := RecordSeverity(gr[i])
		if ws != gs || wsc != gsc || wk != gk {
			t.Errorf("%s: %s severity %v/%v/%v vs %v/%v/%v", n, wr[i].ID, ws, wsc, wk, gs, gsc, gk)
		}
	}
	probes := probeVersions(wr)
	for i, v := range probes {
		checks++
		if a, b := want.Check(n, v), got.Check(n, v); !reflect.DeepEqual(a, b) {
			t.Errorf("Check(%s, %s): dir %+v, index %+v", n, v, a, b)
		}
		// Admits costs probes x entries: a spread of specifiers per
		// package is enough to compare the ranges it walks.
		if len(probes) > 4 && i%(len(probes)/4) != 0 {
			continue
		}
		for _, spec := range []string{">=" + v, "<=" + v, "==" + v} {
			ss, err := pep440.ParseSpecifierSet(spec)
			if err != nil {
				continue
			}
			checks++
			if a, b := want.Admits(n, ss), got.Admits(n, ss); !reflect.DeepEqual(a, b) {
				t.Errorf("Admits(%s, %s): dir %+v, index %+v", n, spec, a, b)
			}
		}
	}
	return checks
}

func TestIndexRoundTrip(t *testing.T) {
	dir := loadDirs(t, filepath.Join("testdata", "records"), filepath.Join("testdata", "index"))
	if len(dir.Warnings) != 1 {
		t.Fatalf("fixture warnings: %+v", dir.Warnings)
	}
	fetched := time.Date(2024, 9, 1, 12, 0, 0, 0, time.UTC)
	ix, data := indexOf(t, dir, IndexMeta{Origin: "fixtures", Fetched: fetched, ETag: `"abc"`})
	agree(t, dir, ix)
	m := ix.Meta
	if m.Origin != "fixtures" || !m.Fetched.Equal(fetched) || m.ETag != `"abc"` || m.Unreadable != 1 || m.Packages != len(ix.byName) || ix.Kind != "index" || !ix.Fetched.Equal(fetched) {
		t.Errorf("meta %+v, db %s %v", m, ix.Kind, ix.Fetched)
	}
	if ix.Unreadable() != 1 {
		t.Errorf("Unreadable() = %d, want the broken fixture counted", ix.Unreadable())
	}

	// Every kind of record survives: MAL- ids, withdrawn records (kept for
	// RecordsFor, never matched), un-normalised names, records naming
	// several packages, all range types and the non-PyPI entries.
	mal := ix.RecordsFor("Stripe-SDK_python")
	if len(mal) != 2 || mal[0].ID != "MAL-2024-1001" || mal[1].ID != "MAL-2024-1002" || mal[1].Withdrawn == "" {
		t.Fatalf("MAL records: %+v", mal)
	}
	if got := ids(ix.Check("stripe-sdk-python", "0.0.2")); !reflect.DeepEqual(got, []string{"MAL-2024-1001="}) {
		t.Errorf("MAL match %v (withdrawn MAL-2024-1002 must not match)", got)
	}
	if got := ids(ix.Check("stripe-sdk-python", "0.0.3")); got != nil {
		t.Errorf("0.0.3 is not listed: %v", got)
	}
	multi := ix.RecordsFor("beta-pkg")
	if len(multi) != 1 || len(multi[0].Affected) != 3 || multi[0].Affected[0].Ranges[0].Type != "GIT" || multi[0].Affected[2].Package.Ecosystem != "npm" {
		t.Fatalf("multi-package record: %+v", multi)
	}
	if got := ids(ix.Check("beta.pkg", "2.4")); !reflect.DeepEqual(got, []string{"PYSEC-2099-7=2.5"}) {
		t.Errorf("beta.pkg 2.4: %v", got)
	}
	// Writing an index read from an index gives the same bytes.
	ix2, data2 := indexOf(t, ix, IndexMeta{Origin: "fixtures", Fetched: fetched, ETag: `"abc"`})
	if !bytes.Equal(data, data2) {
		t.Error("re-indexing an index changed it")
	}
	agree(t, ix, ix2)
}

func TestIndexDamage(t *testing.T) {
	dir := loadDirs(t, filepath.Join("testdata", "index"))
	_, data := indexOf(t, dir, IndexMeta{Origin: "x"})
	open := func(b []byte) (*DB, error) { return OpenIndex(bytes.NewReader(b), int64(len(b)), "bad.sgidx") }

	for _, n := range []int{0, 5, 12, 40, len(data) / 2, len(data) - 1} {
		if _, err := open(data[:n]); err == nil && n < len(indexMagic)+8+int(binary.LittleEndian.Uint32(data[len(indexMagic):])) {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	v2 := append([]byte(nil), data...)
	v2[len(indexMagic)-1] = 9
	if _, err := open(v2); err == nil || !strings.Contains(err.Error(), "db update") {
		t.Errorf("future format: %v", err)
	}
	head := append([]byte(nil), data...)
	head[len(indexMagic)+8+3] ^= 0xff
	if _, err := open(head); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("damaged head: %v", err)
	}
	// A damaged package is a warning naming it; the others still answer.
	good, err := open(data)
	if err != nil {
		t.Fatal(err)
	}
	b := good.byName["stripe-sdk-python"].blob
	body := append([]byte(nil), data...)
	body[good.index.base+int64(b.off+b.clen/2)] ^= 0xff
	db, err := open(body)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, n := range names(db) {
		db.Check(n, "1.0")
	}
	for _, w := range db.Warnings {
		if strings.Contains(w.File, "bad.sgidx!") {
			bad++
		}
	}
	if bad != 1 || db.Unreadable() != 1 {
		t.Errorf("warnings %+v", db.Warnings)
	}
	if !strings.Contains(db.Warnings[0].Message, "stripe-sdk-python") {
		t.Errorf("warning should name the package: %+v", db.Warnings[0])
	}
	if got := ids(db.Check("alpha", "1.4.1")); len(got) != 1 {
		t.Errorf("undamaged package alpha: %v", got)
	}
}

func TestLoadDetectsIndex(t *testing.T) {
	dir := loadDirs(t, filepath.Join("testdata", "index"))
	_, data := indexOf(t, dir, IndexMeta{Origin: "x"})
	p := filepath.Join(t.TempDir(), "whatever.zip") // the name does not matter
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Kind != "index" || db.Source != p || len(db.RecordsFor("alpha")) != 1 {
		t.Errorf("kind %s source %s", db.Kind, db.Source)
	}
}

func FuzzOpenIndex(f *testing.F) {
	dir := loadDirs(f, filepath.Join("testdata", "index"))
	_, data := indexOf(f, dir, IndexMeta{Origin: "x"})
	f.Add(data)
	f.Add(data[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		db, err := OpenIndex(bytes.NewReader(b), int64(len(b)), "fuzz")
		if err != nil {
			return
		}
		for _, n := range names(db) {
			db.Check(n, "1.0")
			db.RecordsFor(n)
		}
	})
}

// TestEmbeddedSnapshotIsCurrent rebuilds the built-in snapshot from the
// shared PyPA tree: the committed file must be exactly what the committed
// generator makes (go generate ./internal/osv).
func TestEmbeddedSnapshotIsCurrent(t *testing.T) {
	needShared(t)
	var buf bytes.Buffer
	if _, err := BuildSnapshot(&buf, filepath.Join(sharedDB, "vulns"), "3ccb612573e2511ab5cad7dafecd838605c80cda", "2024-10-10T17:35:05Z"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), snapshot) {
		t.Fatalf("internal/osv/snapshot/pypa.sgidx (%d bytes) is not what gensnapshot builds (%d bytes): run go generate ./internal/osv", len(snapshot), buf.Len())
	}
}

// TestEmbeddedAgreesWithDir: the built-in snapshot and the directory it was
// built from hold the same records and give the same answers around every
// version every record names.
func TestEmbeddedAgreesWithDir(t *testing.T) {
	needShared(t)
	dir, err := Load(filepath.Join(sharedDB, "vulns"))
	if err != nil {
		t.Fatal(err)
	}
	emb, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	checks := agree(t, dir, emb)
	if emb.Records != 2661 || emb.Withdrawn != 10 || emb.Packages() != 664 || emb.From != FromEmbedded || emb.Meta.Attribution == "" {
		t.Errorf("embedded: %d records, %d withdrawn, %d packages, from %q", emb.Records, emb.Withdrawn, emb.Packages(), emb.From)
	}
	if emb.Newest.Format(time.DateOnly) != "2024-10-10" || emb.Fetched.Format(time.RFC3339) != "2024-10-10T17:35:05Z" {
		t.Errorf("embedded dates: newest %v fetched %v", emb.Newest, emb.Fetched)
	}
	if len(emb.Warnings) != 0 {
		t.Errorf("warnings: %+v", emb.Warnings)
	}
	t.Logf("%d Check/Admits comparisons agree", checks)
}

func BenchmarkEmbeddedOpenAndCheck(b *testing.B) {
	for i := 0; i < b.N; i++ {
		db, err := Embedded()
		if err != nil {
			b.Fatal(err)
		}
		db.Check("requests", "2.19.0")
	}
}

// sameRelease must never reject a listed version whose canonical form has
// the queried release: it only spares the parser.
func TestSameRelease(t *testing.T) {
	for _, tc := range []struct {
		s, q string
		want bool
	}{
		{"1.0rc1", "1.0rc1", true}, {"01.0-RC.1", "1.0rc1", true}, {"v1.0.post1", "1.0.post1", true},
		{"1.0-1", "1.0.post1", true}, {"1.0.0a1", "1.0a1", false}, {"1.1a1", "1.0a1", false},
		{"2015.04.28b1", "2015.4.28b1", true}, {"1!1.0a1", "1.0a1", true}, {"1.0a1+local.7", "1.0a1+local.7", true},
		{"1.0.dev", "1.0.dev0", true}, {" 1.0b2 ", "1.0b2", true}, {"1.0", "1.0a1", true}, {"x1.0", "1.0a1", false},
	} {
		v := pep440.MustParse(tc.q)
		if got := sameRelease(tc.s, v.Release()); got != tc.want {
			t.Errorf("sameRelease(%q, %v) = %v, want %v", tc.s, v.Release(), got, tc.want)
		}
		// Wherever the canonical forms agree, sameRelease must say yes.
		if pv, err := pep440.Parse(tc.s); err == nil && pv.String() == v.String() && !sameRelease(tc.s, v.Release()) {
			t.Errorf("%q has the canonical form of %q but was rejected", tc.s, tc.q)
		}
	}
}

// listedHas (which parses only the listed versions sameRelease lets through)
// answers as parsing every listed version would, for every listed version
// of every advisory in the shared tree, queried in canonical and in
// non-canonical spellings.
func TestListedHasMatchesFullParse(t *testing.T) {
	needShared(t)
	emb, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, n := range names(emb) {
		for _, e := range emb.entries(n) {
			var canon []string
			for _, s := range e.listed {
				if v, err := pep440.Parse(s); err == nil {
					canon = append(canon, v.String())
				}
			}
			for _, s := range e.listed {
				v, err := pep440.Parse(s)
				if err != nil {
					continue
				}
				for _, q := range []string{v.String(), "v" + v.String(), strings.ToUpper(v.String())} {
					qv, err := pep440.Parse(q)
					if err != nil {
						continue
					}
					want := false
					for _, c := range canon {
						want = want || c == qv.String()
					}
					for _, l := range e.listed {
						want = want || l == q
					}
					checked++
					if got := e.listedHas(q, qv, true); got != want {
						t.Errorf("%s %s: listedHas(%q) = %v, want %v", n, e.rec.ID, q, got, want)
					}
				}
			}
		}
	}
	if checked < 10000 {
		t.Errorf("only %d queries", checked)
	}
}

// BenchmarkIndexAudit is the dependency audit's use of the index: open it,
// read the records of 300 packages, check one version of each.
func BenchmarkIndexAudit(b *testing.B) {
	emb, err := Embedded()
	if err != nil {
		b.Fatal(err)
	}
	ns := names(emb)
	if len(ns) > 300 {
		ns = ns[:300]
	}
	b.ReportAllocs()
	for b.Loop() {
		db, _ := Embedded()
		db.Prefetch(ns)
		for _, n := range ns {
			db.Check(n, "1.0.0")
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"requests": "requests", "Django": "django", "jw.util": "jw-util", "typing_extensions": "typing-extensions",
		"a--b": "a-b", "a-_.b": "a-b", " zope.interface ": "zope-interface", "-x": "-x", "x-": "x-", "ruamel.yaml.clib": "ruamel-yaml-clib",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
