package deps

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/pydeps"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// sharedDB is the PyPA snapshot, relative so the test runs wherever the
// repository is cloned with shared/ beside it.
const sharedDB = "../../../../shared/data/pypa-advisory-db"

func needShared(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(sharedDB); err != nil {
		testutil.Unavailable(t, "shared advisory data: %v", err)
	}
}

var (
	sharedOnce sync.Once
	sharedData *osv.DB
	sharedErr  error
)

// scan runs the analyzer over a fixture directory the way the engine does:
// File for every wanted file (environments skipped), then Finish.
func scan(t testing.TB, dir string, opt analyzer.Options, envDirs []string, now time.Time) *finding.Collector {
	t.Helper()
	a := New(opt)
	a.Now = func() time.Time { return now }
	if opt.DBPath == sharedDB {
		// Decoding 2,661 YAML files once per test would dominate the run.
		sharedOnce.Do(func() { sharedData, sharedErr = osv.Load(sharedDB) })
		if sharedErr != nil {
			t.Fatal(sharedErr)
		}
		a.DB = sharedData
	}
	sink := &finding.Collector{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			for _, e := range envDirs {
				if rel == e {
					return filepath.SkipDir
				}
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f := &source.File{Rel: rel, Abs: p, Data: b, Size: int64(len(b))}
		if a.Wants(f) {
			a.File(context.Background(), f, sink)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Finish(context.Background(), &source.Project{Root: dir, EnvDirs: envDirs}, sink)
	return sink
}

type want struct {
	rule, file string
	line       int
	sev        finding.Severity
	ids        string // advisory ids, comma-joined
	fixedIn    string
}

func summarize(c *finding.Collector) []want {
	var out []want
	for _, f := range c.Findings {
		w := want{rule: f.RuleID, file: f.File, line: f.Line, sev: f.Severity}
		if f.Package != nil {
			var ids []string
			for _, a := range f.Package.Advisories {
				ids = append(ids, a.ID)
			}
			w.ids = strings.Join(ids, ",")
			w.fixedIn = f.Package.FixedIn
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].file != out[j].file {
			return out[i].file < out[j].file
		}
		if out[i].line != out[j].line {
			return out[i].line < out[j].line
		}
		return out[i].rule < out[j].rule
	})
	return out
}

func obsState(c *finding.Collector, id string) (finding.MitigationState, string) {
	for _, o := range c.Observations {
		if o.Mitigation == id {
			return o.State, o.Detail
		}
	}
	return finding.NotChecked, ""
}

var fresh = time.Date(2024, 10, 12, 0, 0, 0, 0, time.UTC)

func TestAudit(t *testing.T) {
	needShared(t)
	testDB, _ := filepath.Abs(filepath.Join("testdata", "advisories"))
	tests := []struct {
		name    string
		dir     string
		db      string
		envs    []string
		now     time.Time
		want    []want
		inPlace []string
		missing []string
	}{
		{
			name: "requirements only: pins, ranges, includes",
			dir:  "app-req", db: sharedDB, now: fresh,
			want: []want{
				{"deps/vulnerable-package", "requirements-dev.txt", 1, finding.High, "PYSEC-2024-60", "3.7"},
				{"deps/stripe-unpinned", "requirements.txt", 2, finding.Medium, "", ""},
				{"deps/vulnerable-package", "requirements.txt", 3, finding.High, "PYSEC-2023-74", "2.31.0"},
				// urllib3>=1.26,<2 admits 1.26.x versions with CVSS 8.1 and 4.2 advisories: one level below high.
				{"deps/range-admits-vulnerable", "requirements.txt", 4, finding.Medium, "PYSEC-2021-108,PYSEC-2021-59,PYSEC-2023-192,PYSEC-2023-212", "1.26.18"},
			},
			inPlace: []string{MitigationStripePatched, MitigationDataFresh},
		},
		{
			name: "installed environment is the truth",
			dir:  "app-venv", db: testDB, envs: []string{".venv"}, now: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC),
			want: []want{
				{"deps/stripe-unexpected-source", ".venv/lib/python3.12/site-packages/stripe-2.0.0.dist-info/METADATA", 3, finding.High, "", ""},
				{"deps/vulnerable-stripe", ".venv/lib/python3.12/site-packages/stripe-2.0.0.dist-info/METADATA", 3, finding.High, "TEST-STRIPE-1", "2.5.0"},
				{"deps/vulnerable-package", ".venv/lib/python3.12/site-packages/urllib3-1.26.5.dist-info/METADATA", 3, finding.High, "TEST-URLLIB3-1", "1.26.18"},
				{"deps/stripe-unpinned", "requirements.txt", 1, finding.Medium, "", ""},
			},
			inPlace: []string{MitigationDataFresh},
			missing: nil,
		},
		{
			name: "lock file wins over manifest ranges",
			dir:  "app-lock", db: sharedDB, now: fresh,
			want: []want{
				{"deps/vulnerable-package", "uv.lock", 5, finding.High, "PYSEC-2023-74", "2.31.0"},
			},
			inPlace: []string{MitigationStripePatched, MitigationStripePinned, MitigationDataFresh},
		},
		{
			name: "stripe from a private index",
			dir:  "app-index", db: sharedDB, now: fresh,
			want: []want{
				{"deps/stripe-unexpected-source", "requirements.txt", 2, finding.High, "", ""},
			},
			inPlace: []string{MitigationStripePatched, MitigationNoKnownVulns},
			missing: []string{MitigationStripePinned},
		},
		{
			name: "library declares ranges; stale data",
			dir:  "app-lib", db: sharedDB, now: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC),
			want: []want{
				// requests>=2.25 admits 2.30.0 (PYSEC-2023-74, no CVSS: high, lowered to medium).
				{"deps/range-admits-vulnerable", "pyproject.toml", 10, finding.Medium, "PYSEC-2023-74", "2.31.0"},
				{"deps/advisory-data-stale", "", 0, finding.Info, "", ""},
			},
			inPlace: []string{MitigationStripePatched},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := scan(t, filepath.Join("testdata", tt.dir), analyzer.Options{DBPath: tt.db}, tt.envs, tt.now)
			for _, w := range c.Warnings {
				t.Errorf("unexpected warning %+v", w)
			}
			got := summarize(c)
			sort.Slice(tt.want, func(i, j int) bool {
				if tt.want[i].file != tt.want[j].file {
					return tt.want[i].file < tt.want[j].file
				}
				if tt.want[i].line != tt.want[j].line {
					return tt.want[i].line < tt.want[j].line
				}
				return tt.want[i].rule < tt.want[j].rule
			})
			if len(got) != len(tt.want) {
				t.Errorf("got %d findings, want %d", len(got), len(tt.want))
			}
			for i := 0; i < len(got) || i < len(tt.want); i++ {
				var g, w want
				if i < len(got) {
					g = got[i]
				}
				if i < len(tt.want) {
					w = tt.want[i]
				}
				if g != w {
					t.Errorf("finding %d:\n got  %+v\n want %+v", i, g, w)
				}
			}
			for _, id := range tt.inPlace {
				if st, d := obsState(c, id); st != finding.InPlace {
					t.Errorf("%s = %s (%s), want in-place", id, st, d)
				}
			}
			// A mitigation a finding shows missing must not also be
			// claimed in place.
			for _, id := range tt.missing {
				if st, d := obsState(c, id); st == finding.InPlace {
					t.Errorf("%s observed in place (%s) despite findings", id, d)
				}
			}
			for _, f := range c.Findings {
				if f.Message == "" || f.Mitigation == "" {
					t.Errorf("finding without message/mitigation: %+v", f)
				}
			}
		})
	}
}

func TestAuditFindingDetails(t *testing.T) {
	needShared(t)
	c := scan(t, filepath.Join("testdata", "app-req"), analyzer.Options{DBPath: sharedDB}, nil, fresh)
	var req *finding.Finding
	for _, f := range c.Findings {
		if f.Package != nil && f.Package.Name == "requests" {
			req = f
		}
	}
	if req == nil {
		t.Fatal("no requests finding")
	}
	p := req.Package
	if p.Version != "2.30.0" || p.Source != "pinned" || p.Ecosystem != "PyPI" || len(p.Advisories) != 1 {
		t.Fatalf("package %+v", p)
	}
	a := p.Advisories[0]
	if strings.Join(a.Aliases, ",") != "CVE-2023-32681,GHSA-j8r2-6x86-q33q" || a.URL != "https://osv.dev/vulnerability/PYSEC-2023-74" || a.Summary == "" {
		t.Errorf("advisory %+v", a)
	}
	if strings.Join(p.FixedVersions, ",") != "2.31.0" || req.Evidence != "requests==2.30.0" {
		t.Errorf("fixed %v evidence %q", p.FixedVersions, req.Evidence)
	}
	if !strings.Contains(req.Message, "Upgrade to 2.31.0") {
		t.Errorf("message %q", req.Message)
	}
}

// obsStates collects every observation state of a mitigation.
func obsStates(c *finding.Collector, id string) map[finding.MitigationState]string {
	out := map[finding.MitigationState]string{}
	for _, o := range c.Observations {
		if o.Mitigation == id {
			out[o.State] = o.Detail
		}
	}
	return out
}

// With no cache and no --db the built-in snapshot is audited against, and
// the report says so: a data source of kind embedded, and (once it is old)
// the stale-data finding telling the user to run db update.
func TestBuiltInSnapshot(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	later := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := scan(t, filepath.Join("testdata", "app-req"), analyzer.Options{}, nil, later)
	if len(c.Warnings) != 0 {
		t.Errorf("warnings %+v", c.Warnings)
	}
	if len(c.DataSources) != 1 {
		t.Fatalf("data sources %+v", c.DataSources)
	}
	ds := c.DataSources[0]
	if ds.Kind != "embedded" || ds.Path != "" || ds.Records != 2661 || !ds.Stale || ds.NewestRecord[:10] != "2024-10-10" || ds.AgeDays != 598 ||
		!strings.Contains(ds.Summary, "built-in snapshot") || !strings.Contains(ds.Origin, "3ccb612573e2511ab5cad7dafecd838605c80cda") {
		t.Errorf("data source %+v", ds)
	}
	got := map[string]string{}
	for _, f := range c.Findings {
		got[f.RuleID] = f.Message
	}
	if !strings.Contains(got["deps/vulnerable-package"], "PYSEC-2023-74") {
		t.Errorf("requests 2.30.0 not reported from the snapshot: %v", got)
	}
	stale := got["deps/advisory-data-stale"]
	if !strings.Contains(stale, "snapshot built into stripeguard, whose newest record is from 2024-10-10 (598 days ago)") || !strings.Contains(AdvisoryDataStale.Mitigation, "db update") {
		t.Errorf("stale message %q", stale)
	}
	// Two days after the snapshot it is current.
	c = scan(t, filepath.Join("testdata", "app-req"), analyzer.Options{}, nil, fresh)
	if st := obsStates(c, MitigationDataFresh); st[finding.InPlace] == "" || len(c.DataSources) != 1 || c.DataSources[0].Stale {
		t.Errorf("fresh snapshot: %v %+v", st, c.DataSources)
	}
}

// An unreadable --db leaves the audit without data: a warning naming it,
// and every item that needed the data says "no data", not "checked".
func TestNoAdvisoryData(t *testing.T) {
	c := scan(t, filepath.Join("testdata", "app-req"), analyzer.Options{DBPath: "testdata/nonexistent.zip"}, nil, fresh)
	if len(c.Warnings) != 1 || c.Warnings[0].File != "testdata/nonexistent.zip" || !strings.Contains(c.Warnings[0].Message, "not checked") {
		t.Fatalf("warnings %+v", c.Warnings)
	}
	for _, id := range []string{MitigationDataFresh, MitigationNoKnownVulns, MitigationStripePatched} {
		if st := obsStates(c, id); len(st) != 1 || st[finding.NoData] == "" {
			t.Errorf("%s: %v, want no-data only", id, st)
		}
	}
	if len(c.DataSources) != 0 {
		t.Errorf("data sources %+v", c.DataSources)
	}
	// stripe pinning is still checked without advisories.
	got := summarize(c)
	if len(got) != 1 || got[0].rule != "deps/stripe-unpinned" {
		t.Errorf("findings %+v", got)
	}
}

// A tree without stripe, or without any dependency, says the items do not
// apply instead of leaving them undecided.
func TestNothingApplies(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("flask==3.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := scan(t, dir, analyzer.Options{}, nil, fresh)
	for _, id := range []string{MitigationStripePatched, MitigationStripePinned} {
		if st := obsStates(c, id); len(st) != 1 || !strings.Contains(st[finding.NotApplicable], "no stripe") {
			t.Errorf("%s: %v", id, st)
		}
	}
	if st := obsStates(c, MitigationNoKnownVulns); st[finding.InPlace] == "" {
		t.Errorf("no-known-vulns: %v", st)
	}
	// A library declares a range: pinning is the application's job.
	c = scan(t, filepath.Join("testdata", "app-lib"), analyzer.Options{}, nil, fresh)
	if st := obsStates(c, MitigationStripePinned); len(st) != 1 || !strings.Contains(st[finding.NotApplicable], "declared by a library") {
		t.Errorf("library stripe-pinned: %v", st)
	}
	// No dependency at all: nothing to audit, no data loaded, no word
	// about its age (a pre-commit run that stages only code).
	empty := t.TempDir()
	c = scan(t, empty, analyzer.Options{DBPath: "testdata/nonexistent.zip"}, nil, time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, id := range []string{MitigationNoKnownVulns, MitigationDataFresh, MitigationStripePatched} {
		if st := obsStates(c, id); len(st) != 1 || st[finding.NotApplicable] == "" {
			t.Errorf("empty tree %s: %v", id, st)
		}
	}
	if len(c.Findings)+len(c.Warnings)+len(c.DataSources) != 0 {
		t.Errorf("empty tree: %+v %+v %+v", c.Findings, c.Warnings, c.DataSources)
	}
}

func TestLowerBoundAndSource(t *testing.T) {
	for spec, want := range map[string]string{">=2.0": "2.0", ">=2,<3,>=4.1": "4.1", "~=5.2": "5.2", "<3": "", "==7.*": "7", "": ""} {
		lo, ok := lowerBound(spec)
		if (want == "") == ok || (ok && lo.String() != want) {
			t.Errorf("lowerBound(%q) = %v, %v; want %q", spec, lo, ok, want)
		}
	}
	for idx, want := range map[string]bool{"https://pypi.org/simple": true, "https://PyPI.org/simple/": true, "https://pypi.python.org/simple": true, "pypi": true, "https://mirror.example.com/simple": false, "http://pypi.org.evil.example/simple": false} {
		if isPyPI(idx) != want {
			t.Errorf("isPyPI(%q) != %v", idx, want)
		}
	}
}

func BenchmarkAuditRequirements(b *testing.B) {
	needShared(b)
	for i := 0; i < b.N; i++ {
		scan(b, filepath.Join("testdata", "app-req"), analyzer.Options{DBPath: sharedDB}, nil, fresh)
	}
}

// Broken manifests produce warnings naming file and line; what can be read
// is still audited.
func TestBrokenManifests(t *testing.T) {
	needShared(t)
	c := scan(t, filepath.Join("testdata", "app-bad"), analyzer.Options{DBPath: sharedDB}, nil, fresh)
	files := map[string]bool{}
	for _, w := range c.Warnings {
		if w.Message == "" {
			t.Errorf("empty warning %+v", w)
		}
		files[w.File] = true
	}
	if !files["requirements.txt"] || !files["pyproject.toml"] {
		t.Errorf("warnings %+v should name both files", c.Warnings)
	}
	found := false
	for _, f := range c.Findings {
		if f.Package != nil && f.Package.Name == "requests" {
			found = true
		}
	}
	if !found {
		t.Errorf("requests==2.30.0 not audited next to broken lines: %+v", summarize(c))
	}
}

// Markers are shown when not evaluated, and evaluated with a target.
func TestMarkers(t *testing.T) {
	needShared(t)
	c := scan(t, filepath.Join("testdata", "app-marker"), analyzer.Options{DBPath: sharedDB}, nil, fresh)
	if len(c.Findings) != 1 || !strings.Contains(c.Findings[0].Message, `applies only where sys_platform == "win32"`) {
		t.Errorf("unevaluated marker: %+v", summarize(c))
	}
	c = scan(t, filepath.Join("testdata", "app-marker"), analyzer.Options{DBPath: sharedDB, TargetPlatform: "linux", TargetPython: "3.12.1"}, nil, fresh)
	if len(c.Findings) != 0 {
		t.Errorf("win32-only pin reported for linux: %+v", summarize(c))
	}
	c = scan(t, filepath.Join("testdata", "app-marker"), analyzer.Options{DBPath: sharedDB, TargetPlatform: "win32"}, nil, fresh)
	if len(c.Findings) != 1 {
		t.Errorf("win32 pin not reported for win32: %+v", summarize(c))
	}
}

func TestStripeUnpinnedSeverity(t *testing.T) {
	tests := []struct {
		spec   string
		source pydeps.Source
		sev    finding.Severity // SeverityUnknown = no finding
	}{
		{"", pydeps.SourceRequirements, finding.Medium},
		{"<9", pydeps.SourceRequirements, finding.Medium},
		{">=2.0", pydeps.SourceRequirements, finding.Medium},
		{">=7,<8", pydeps.SourceRequirements, finding.Low},
		{"~=11.1", pydeps.SourcePipfile, finding.Low},
		{">=2.0", pydeps.SourceSetupPy, finding.SeverityUnknown}, // a library
	}
	for _, tt := range tests {
		c := &finding.Collector{}
		au := &audit{sink: c, files: map[string][]byte{}}
		au.stripeChecks([]pydeps.Requirement{{Name: "stripe", RawName: "stripe", Specifier: tt.spec, Source: tt.source, File: "f", Line: 1, Direct: true}})
		var got finding.Severity
		for _, f := range c.Findings {
			if f.RuleID == StripeUnpinned.ID {
				got = f.Severity
			}
		}
		if got != tt.sev {
			t.Errorf("stripe%s from %s: severity %s, want %s", tt.spec, tt.source, got, tt.sev)
		}
	}
	// A lock file pinning stripe makes manifest ranges fine.
	c := &finding.Collector{}
	au := &audit{sink: c, files: map[string][]byte{}}
	au.stripeChecks([]pydeps.Requirement{
		{Name: "stripe", Specifier: ">=2", Source: pydeps.SourcePyproject, File: "pyproject.toml", Line: 3, Direct: true},
		{Name: "stripe", Version: "11.0.0", Source: pydeps.SourceLockfile, File: "poetry.lock", Line: 9},
	})
	if len(c.Findings) != 0 || len(c.Observations) != 1 || c.Observations[0].Mitigation != MitigationStripePinned {
		t.Errorf("locked stripe: %+v %+v", c.Findings, c.Observations)
	}
}

// pip-tools layouts: an input (.in) listing stripe unpinned is fine when a
// requirements file compiled from it pins stripe; the twins, where nothing
// compiled from the input pins it, are reported.
func TestPipToolsLayouts(t *testing.T) {
	tests := []struct {
		dir      string
		unpinned []string // file:line of deps/stripe-unpinned
	}{
		{"same-stem", nil},
		{"header", nil},
		{"uv", nil},
		{"root", nil},
		{"no-output", []string{"requirements/main.in:1"}},
		{"stale", []string{"requirements/main.in:2"}},
		{"other-input", []string{"requirements/main.in:1"}},
		{"hand-written", []string{"requirements.in:1", "requirements.txt:2"}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", t.TempDir())
			c := scan(t, filepath.Join("testdata", "piptools", tt.dir), analyzer.Options{}, nil, fresh)
			var got []string
			for _, f := range c.Findings {
				if f.RuleID == StripeUnpinned.ID {
					got = append(got, fmt.Sprintf("%s:%d", f.File, f.Line))
				}
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(tt.unpinned, " ") {
				t.Errorf("stripe-unpinned at %v, want %v", got, tt.unpinned)
			}
			if len(tt.unpinned) == 0 {
				st, detail := obsState(c, MitigationStripePinned)
				if st != finding.InPlace {
					t.Errorf("stripe-pinned = %s, want in place", st)
				}
				t.Log(detail)
			}
		})
	}
}

func inventory(c *finding.Collector) []string {
	var out []string
	for _, p := range c.Packages {
		v := p.Version
		if v == "" {
			v = p.Specifier
		}
		s := fmt.Sprintf("%s %s %s", p.Name, v, p.Source)
		if p.URL != "" {
			s += " " + p.URL
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Where pip takes requirements from besides requirements*.txt: constraints
// files pin what something requires (and add nothing themselves), files
// named by pip commands in a Dockerfile or CI workflow are read whatever
// their name, and direct references are listed (a wheel's version is
// audited).
func TestRequirementSources(t *testing.T) {
	needShared(t)
	tests := []struct {
		dir       string
		want      []want
		inventory []string
	}{
		{dir: "app-constraints",
			want: []want{{"deps/vulnerable-package", "constraints.txt", 3, finding.High, "PYSEC-2023-74", "2.31.0"}},
			// urllib3 and never-required are only constrained: nothing
			// installs them.
			inventory: []string{"requests 2.30.0 pinned", "stripe 11.6.0 pinned"}},
		{dir: "app-scripts",
			want: []want{
				{"deps/vulnerable-package", "deps/pins.txt", 2, finding.High, "PYSEC-2023-74", "2.31.0"},
				{"deps/vulnerable-package", "deps/test-reqs.cfg", 1, finding.High, "PYSEC-2024-60", "3.7"},
			},
			inventory: []string{"idna 3.6 pinned", "pytest >=8 range", "requests 2.30.0 pinned", "stripe 11.6.0 pinned"}},
		{dir: "app-direct",
			want: []want{
				{"deps/vulnerable-package", "requirements.txt", 1, finding.High, "PYSEC-2023-74", "2.31.0"},
				{"deps/vulnerable-package", "requirements.txt", 2, finding.High, "PYSEC-2023-192,PYSEC-2023-212", "1.26.18"},
			},
			inventory: []string{
				"  direct-reference ./vendor/notifier",
				"billing-core  direct-reference git+https://git.example.com/org/billing-core.git@v3#egg=billing-core",
				"requests 2.30.0 direct-reference https://files.example.com/wheels/requests-2.30.0-py3-none-any.whl",
				"stripe 11.6.0 pinned",
				"urllib3 1.26.5 direct-reference https://files.example.com/wheels/urllib3-1.26.5-py2.py3-none-any.whl",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			c := scan(t, filepath.Join("testdata", tt.dir), analyzer.Options{DBPath: sharedDB}, nil, fresh)
			for _, w := range c.Warnings {
				t.Errorf("unexpected warning %+v", w)
			}
			got := summarize(c)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("findings\n got  %+v\n want %+v", got, tt.want)
			}
			if inv := inventory(c); strings.Join(inv, "\n") != strings.Join(tt.inventory, "\n") {
				t.Errorf("inventory\n got  %q\n want %q", inv, tt.inventory)
			}
			if st, _ := obsState(c, MitigationStripePinned); st != finding.InPlace {
				t.Errorf("stripe-pinned = %s: a constraint or == pin fixes it", st)
			}
		})
	}
}

// The inventory (and so the SBOM) does not depend on advisory data, and
// says how each version is known.
func TestInventoryWithoutData(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	c := scan(t, filepath.Join("testdata", "app-req"), analyzer.Options{}, nil, fresh)
	want := []string{"certifi 2023.7.22 pinned", "idna 3.6 pinned", "requests 2.30.0 pinned", "stripe >=2.0 range", "urllib3 >=1.26,<2 range"}
	if inv := inventory(c); strings.Join(inv, "\n") != strings.Join(want, "\n") {
		t.Errorf("inventory\n got  %q\n want %q", inv, want)
	}
}
