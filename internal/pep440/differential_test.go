package pep440

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	aqua "github.com/aquasecurity/go-pep440-version"
	"github.com/stripeguard/stripeguard/internal/testutil"
	"go.yaml.in/yaml/v3"
)

// advisoryDB is the shared PyPA snapshot, relative to this package so the
// test works wherever the repository is cloned (shared/ sits beside it).
const advisoryDB = "../../../shared/data/pypa-advisory-db"

// tricky versions exercise every branch of the grammar and of the ordering.
var tricky = []string{
	"0", "0.0", "1", "1.0", "1.0.0", "1.0.0.0", "v1.0", "V1.0", "01.02", "1.01", "1.0.1", "1.1", "1.10", "1.9", "2.0", "10.0",
	"1.0a", "1.0a0", "1.0a1", "1.0A1", "1.0.a1", "1.0-a1", "1.0_a1", "1.0alpha1", "1.0b2", "1.0beta2", "1.0c1", "1.0rc1", "1.0RC1", "1.0-rc.1",
	"1.0pre1", "1.0preview1", "1.0.dev", "1.0.dev0", "1.0dev1", "1.0-dev-2", "1.0.post", "1.0.post0", "1.0.post1", "1.0-1", "1.0r1", "1.0rev1",
	"1.0.post1.dev1", "1.0a1.post2.dev3", "1.0a1.post2", "1.0a1.dev1", "1.0rc1.post1", "1!1.0", "2!0.1", "0!1.0", "1.0+abc", "1.0+ABC",
	"1.0+abc.5", "1.0+5", "1.0+05", "1.0+abc-def", "1.0+abc_def", "1.0+1.2.3", "1.0.post1+local", "1.0a1+local", "1.7", "1.7a1", "1.7.post1",
	"1.7+local", "1.7.1", "1.7.0", "2015.04.28", "2015.4.28", "2.2.post3", "2.2", "2.3", "3.0", " 1.0 ", "1.4.5a4", "1.4.5", "1.4.6",
	"abc", "1.0.x", "1..0", "1.0+", "1.0.dev1.post1", "1.0a1b2", "1.0-", "1.0+a..b", "0.7.10p1", "2.0.0-final", "1.0-r", "1.0_post_1",
}

type dbVersions struct {
	pkg      string
	versions []string
}

func loadDBVersions(t *testing.T) []dbVersions {
	t.Helper()
	root := filepath.Join(advisoryDB, "vulns")
	if _, err := os.Stat(root); err != nil {
		testutil.Unavailable(t, "shared advisory data %s: %v", root, err)
	}
	byPkg := map[string]map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var rec struct {
			Affected []struct {
				Package  struct{ Name string }
				Ranges   []struct{ Events []map[string]string }
				Versions []string
			}
		}
		if err := yaml.Unmarshal(b, &rec); err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		for _, a := range rec.Affected {
			m := byPkg[a.Package.Name]
			if m == nil {
				m = map[string]bool{}
				byPkg[a.Package.Name] = m
			}
			for _, v := range a.Versions {
				m[v] = true
			}
			for _, r := range a.Ranges {
				for _, e := range r.Events {
					for _, v := range e {
						if len(v) < 40 { // skip git hashes
							m[v] = true
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []dbVersions
	for p, m := range byPkg {
		d := dbVersions{pkg: p}
		for v := range m {
			d.versions = append(d.versions, v)
		}
		sort.Strings(d.versions)
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pkg < out[j].pkg })
	return out
}

type refInput struct {
	Versions []string    `json:"versions"`
	Pairs    [][2]string `json:"pairs"`
	Specs    [][2]string `json:"specs"`
}

type refOutput struct {
	Versions []*[6]any `json:"versions"`
	Pairs    []*int    `json:"pairs"`
	Specs    []*bool   `json:"specs"`
}

// TestDifferentialPackaging generates cases in Go, has one python3 process
// evaluate them all with pip's vendored packaging, and compares.
func TestDifferentialPackaging(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test runs python3")
	}
	py := testutil.NeedPython(t, "pip._vendor.packaging.specifiers")
	db := loadDBVersions(t)
	rng := rand.New(rand.NewSource(440))

	seen := map[string]bool{}
	var in refInput
	addV := func(v string) {
		if !seen[v] {
			seen[v] = true
			in.Versions = append(in.Versions, v)
		}
	}
	for _, v := range tricky {
		addV(v)
	}
	var all []string
	for _, d := range db {
		for _, v := range d.versions {
			addV(v)
			all = append(all, v)
		}
	}
	// Pairs: every pair of tricky versions, adjacent versions of each
	// package in Go's order (a sort disagreement shows up there), and random
	// pairs across the whole data set.
	for _, a := range tricky {
		for _, b := range tricky {
			in.Pairs = append(in.Pairs, [2]string{a, b})
		}
	}
	for _, d := range db {
		vs := validOnly(d.versions)
		sort.Slice(vs, func(i, j int) bool { return MustParse(vs[i]).Less(MustParse(vs[j])) })
		for i := 1; i < len(vs); i++ {
			in.Pairs = append(in.Pairs, [2]string{vs[i-1], vs[i]})
		}
	}
	for i := 0; i < 5000; i++ {
		in.Pairs = append(in.Pairs, [2]string{all[rng.Intn(len(all))], all[rng.Intn(len(all))]})
	}

	// Specifiers: every operator around a set of base versions, tested
	// against the neighbours where PEP 440's special rules bite.
	bases := append([]string{}, tricky...)
	for i := 0; i < 400; i++ {
		bases = append(bases, all[rng.Intn(len(all))])
	}
	var specs []string
	for _, b := range bases {
		b = strings.TrimSpace(b)
		for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", "~=", "==="} {
			specs = append(specs, op+b)
		}
		specs = append(specs, "=="+b+".*", "!="+b+".*", ">="+b+",<"+bump(b), "~="+b+",!="+b)
	}
	specs = append(specs, "", ">=1.0a1,<2", ">=1.0,<2.0,!=1.5.*", "==1.*", "== 1.0", ">= 1.0 , < 2 ", "~=1", "<1.0+local", ">=1.0.*", "===", "==v1.0.*", "~=v1.0", "==1!1.0.*", "~=1!1.0")
	for _, s := range specs {
		b := specBase(s)
		cands := []string{b, b + ".post1", b + "+local", b + "a1", b + ".dev0", b + ".0", b + "rc1", bump(b), "0.1", "1.0", all[rng.Intn(len(all))]}
		for _, c := range cands {
			in.Specs = append(in.Specs, [2]string{s, c})
		}
	}

	payload, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "reference.py"))
	cmd.Stdin = bytes.NewReader(payload)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference.py: %v: %s", err, stderr.String())
	}
	var ref refOutput
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Versions) != len(in.Versions) || len(ref.Pairs) != len(in.Pairs) || len(ref.Specs) != len(in.Specs) {
		t.Fatalf("reference answered %d/%d/%d cases for %d/%d/%d", len(ref.Versions), len(ref.Pairs), len(ref.Specs), len(in.Versions), len(in.Pairs), len(in.Specs))
	}

	fails := 0
	report := func(format string, args ...any) {
		fails++
		if fails <= 40 {
			t.Errorf(format, args...)
		}
	}
	for i, s := range in.Versions {
		v, err := Parse(s)
		r := ref.Versions[i]
		switch {
		case r == nil && err == nil:
			report("Parse(%q) = %q, packaging rejects it", s, v)
		case r != nil && err != nil:
			report("Parse(%q): %v, packaging gives %v", s, err, r[0])
		case r != nil:
			got := [6]any{v.String(), v.IsPrerelease(), v.IsPostrelease(), v.Public(), v.BaseVersion(), v.Local()}
			if got != *r {
				report("Parse(%q) = %v, packaging %v", s, got, *r)
			}
		}
	}
	for i, p := range in.Pairs {
		c, ok := Compare(p[0], p[1])
		r := ref.Pairs[i]
		switch {
		case r == nil && ok, r != nil && !ok:
			report("Compare(%q, %q) validity: ok=%v, packaging %v", p[0], p[1], ok, r)
		case r != nil && c != *r:
			report("Compare(%q, %q) = %d, packaging %d", p[0], p[1], c, *r)
		}
	}
	specErrs := map[string]error{}
	for i, sc := range in.Specs {
		ss, err := ParseSpecifierSet(sc[0])
		r := ref.Specs[i]
		if _, done := specErrs[sc[0]]; !done {
			specErrs[sc[0]] = err
			if (err == nil) != (r != nil) {
				report("ParseSpecifierSet(%q) err=%v, packaging valid=%v", sc[0], err, r != nil)
			}
		}
		if err != nil || r == nil {
			continue
		}
		if got := ss.Contains(sc[1]); got != *r {
			report("%q contains %q = %v, packaging %v", sc[0], sc[1], got, *r)
		}
	}
	t.Logf("compared %d versions, %d pairs, %d specifier cases (%d distinct specifiers); %d disagreements",
		len(in.Versions), len(in.Pairs), len(in.Specs), len(specErrs), fails)
	if fails > 0 {
		t.Errorf("%d disagreements with packaging", fails)
	}
}

func validOnly(vs []string) []string {
	var out []string
	for _, v := range vs {
		if Valid(v) {
			out = append(out, v)
		}
	}
	return out
}

// specBase is the version text of a specifier's first clause.
func specBase(s string) string {
	s = strings.TrimSpace(strings.SplitN(s, ",", 2)[0])
	s = strings.TrimLeft(s, "=!<>~ ")
	return strings.TrimSuffix(s, ".*")
}

// bump increments the first release number, e.g. "1.4.5a4" -> "2".
func bump(v string) string {
	p, err := Parse(v)
	if err != nil || len(p.Release()) == 0 {
		return "999"
	}
	s := p.Release()[0] + 1
	out := ""
	if p.Epoch() != 0 {
		out = strings.TrimSuffix(p.BaseVersion(), p.BaseVersion()[strings.IndexByte(p.BaseVersion(), '!')+1:])
	}
	return out + uitoa(s)
}

func uitoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestOrderingMatchesAquasecurity cross-checks the precomputed sort key with
// github.com/aquasecurity/go-pep440-version on every adjacent pair of each
// package's versions and on the tricky list.
func TestOrderingMatchesAquasecurity(t *testing.T) {
	db := loadDBVersions(t)
	var pairs [][2]string
	for _, a := range tricky {
		for _, b := range tricky {
			pairs = append(pairs, [2]string{a, b})
		}
	}
	for _, d := range db {
		vs := validOnly(d.versions)
		for i := 1; i < len(vs); i++ {
			pairs = append(pairs, [2]string{vs[i-1], vs[i]}, [2]string{vs[0], vs[i]})
		}
	}
	checked := 0
	// aquasecurity splits local labels on '.' only ("1.0+a-b" != "1.0+a.b",
	// unlike PEP 440), so it is given canonical forms where we have them.
	canon := func(s string) string {
		if v, err := Parse(s); err == nil {
			return v.String()
		}
		return s
	}
	for _, p := range pairs {
		a, errA := aqua.Parse(canon(p[0]))
		b, errB := aqua.Parse(canon(p[1]))
		c, ok := Compare(p[0], p[1])
		if errA != nil || errB != nil {
			continue // aqua rejects what packaging rejects; covered by the differential test
		}
		if !ok {
			t.Errorf("%q vs %q: aqua parses both, we do not", p[0], p[1])
			continue
		}
		checked++
		if want := a.Compare(b); want != c {
			t.Errorf("Compare(%q, %q) = %d, aquasecurity %d", p[0], p[1], c, want)
		}
	}
	if checked < 30000 {
		t.Errorf("only %d pairs checked", checked)
	}
	t.Logf("%d pairs agree with aquasecurity/go-pep440-version", checked)
}
