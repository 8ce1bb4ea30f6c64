package supplychain

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/source"
)

// scan runs the analyzer over a fixture the way the engine does: the real
// walker (which finds the environments), File for every wanted file, then
// Finish.
func scan(t testing.TB, dir string, opt analyzer.Options, db *osv.DB) *finding.Collector {
	t.Helper()
	a := New(opt)
	a.DB = db
	a.NoDB = db == nil
	sink := &finding.Collector{}
	w, err := source.NewWalker(dir, source.WalkOptions{}, sink.Warning)
	if err != nil {
		t.Fatal(err)
	}
	w.Walk(context.Background(), func(e source.Entry) {
		b, err := os.ReadFile(e.Abs)
		if err != nil {
			t.Fatal(err)
		}
		f := &source.File{Rel: e.Rel, Abs: e.Abs, Data: b, Size: int64(len(b)), Mode: e.Info.Mode()}
		if a.Wants(f) {
			a.File(context.Background(), f, sink)
		}
	})
	a.Finish(context.Background(), w.Project(), sink)
	return sink
}

// got is "rule file:line severity" per finding, sorted.
func got(c *finding.Collector) []string {
	var out []string
	for _, f := range c.Findings {
		out = append(out, fmt.Sprintf("%s %s:%d %s", f.RuleID, f.File, f.Line, f.Severity))
	}
	sort.Strings(out)
	return out
}

func diff(t *testing.T, c *finding.Collector, want []string) {
	t.Helper()
	sort.Strings(want)
	g := got(c)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n got:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
		for _, f := range c.Findings {
			t.Logf("%s %s:%d %s: %s [%s]", f.RuleID, f.File, f.Line, f.Severity, f.Message, f.Evidence)
		}
	}
}

func obs(c *finding.Collector, id string) (finding.MitigationState, string) {
	for _, o := range c.Observations {
		if o.Mitigation == id {
			return o.State, o.Detail
		}
	}
	return "", ""
}

// finding1 returns the finding of a rule at file:line.
func finding1(t *testing.T, c *finding.Collector, rule, file string, line int) *finding.Finding {
	t.Helper()
	for _, f := range c.Findings {
		if f.RuleID == rule && f.File == file && f.Line == line {
			return f
		}
	}
	t.Fatalf("no %s finding at %s:%d", rule, file, line)
	return nil
}

func noWarnings(t *testing.T, c *finding.Collector) {
	t.Helper()
	for _, w := range c.Warnings {
		t.Errorf("unexpected warning: %+v", w)
	}
}

func TestTyposquats(t *testing.T) {
	c := scan(t, "testdata/app-squats", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, []string{
		"supplychain/typosquat requirements.txt:4 high", // stripe-python: adds a word
		"supplychain/typosquat requirements.txt:5 high", // reqeusts: transposition
		"supplychain/typosquat requirements.txt:7 high", // urllib4: version digit
		"supplychain/typosquat pyproject.toml:10 high",  // pystripe
		"supplychain/typosquat pyproject.toml:11 high",  // certifl: look-alike
		"supplychain/typosquat Dockerfile:5 high",       // stripe-sdk
		"supplychain/typosquat Dockerfile:5 high",       // idna-python
		// One finding for the project's practice (no hashes anywhere),
		// listing both manifests.
		"supplychain/missing-hashes pyproject.toml:9 low",
		"supplychain/unlocked-install Dockerfile:5 low",
	})
	f := finding1(t, c, MissingHashes.ID, "pyproject.toml", 9)
	if !strings.HasPrefix(f.Message, "No manifest of the project installs with hash checking (pyproject.toml, requirements.txt)") ||
		len(f.Related) != 1 || f.Related[0].File != "requirements.txt" {
		t.Errorf("aggregated: %s %+v", f.Message, f.Related)
	}
	f = finding1(t, c, "supplychain/typosquat", "requirements.txt", 4)
	if !strings.Contains(f.Message, "stripe-python imitates stripe: adds 'python' to stripe") || f.Package == nil || f.Package.Name != "stripe-python" {
		t.Errorf("message/package: %s %+v", f.Message, f.Package)
	}
	if st, _ := obs(c, MitigationNoTyposquats); st != "" {
		t.Errorf("no-typosquats observed %s despite squats", st)
	}
}

func TestTyposquatsSafeTwin(t *testing.T) {
	c := scan(t, "testdata/app-squats-safe", analyzer.Options{}, nil)
	noWarnings(t, c)
	for _, f := range c.Findings {
		if f.RuleID == Typosquat.ID {
			t.Errorf("legitimate name flagged: %s:%d %s", f.File, f.Line, f.Message)
		}
	}
	if st, d := obs(c, MitigationNoTyposquats); st != finding.InPlace {
		t.Errorf("no-typosquats: %s %s", st, d)
	}
}

func TestTyposquatConfig(t *testing.T) {
	c := scan(t, "testdata/app-squats", analyzer.Options{TyposquatAllow: []string{"stripe-python", "PyStripe"}, TyposquatProtect: []string{"shop-admin"}}, nil)
	for _, f := range c.Findings {
		if f.RuleID == Typosquat.ID && (strings.HasPrefix(f.Message, "stripe-python ") || strings.HasPrefix(f.Message, "pystripe ")) {
			t.Errorf("allowlisted name flagged: %s", f.Message)
		}
	}
}

func TestIndexSettings(t *testing.T) {
	c := scan(t, "testdata/app-index", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, []string{
		"supplychain/extra-index requirements.txt:2 high",
		"supplychain/extra-index requirements/dev.txt:2 high", // remote find-links
		"supplychain/plain-http-index requirements/dev.txt:2 high",
		"supplychain/extra-index deploy/pip.conf:4 high",
		"supplychain/index-credentials deploy/pip.conf:4 high",
		"supplychain/plain-http-index Dockerfile:2 high", // PIP_INDEX_URL http://, its trusted host folded in
		"supplychain/extra-index docker-compose.yml:6 high",
		"supplychain/extra-index .github/workflows/ci.yml:4 high",
		"supplychain/extra-index .env:2 high",
		"supplychain/index-credentials .env:2 high",
		"supplychain/trusted-host Pipfile:8 medium",                       // verify_ssl = false on an https source
		"supplychain/extra-index services/billing/pyproject.toml:14 high", // Poetry supplemental
		"supplychain/extra-index services/worker/pyproject.toml:11 high",  // uv unsafe-best-match
		"supplychain/extra-index services/reports/pyproject.toml:8 high",  // PDM without respect-source-order
		"supplychain/plain-http-index services/reports/pyproject.toml:8 high",
		"supplychain/plain-http-index scripts/bootstrap.sh:4 low", // devpi on loopback
		"supplychain/extra-index scripts/bootstrap.sh:5 high",     // pip config set
		// pinning: the Dockerfile installs with --require-hashes, these do not
		"supplychain/missing-hashes requirements.txt:3 medium",
		"supplychain/missing-hashes requirements/dev.txt:4 medium",
		"supplychain/missing-hashes services/worker/pyproject.toml:4 medium",
		"supplychain/missing-hashes services/reports/pyproject.toml:4 medium",
		"supplychain/missing-hashes Pipfile:12 medium",                        // exact pins, but no Pipfile.lock
		"supplychain/missing-hashes services/billing/pyproject.toml:9 medium", // no poetry.lock
	})
	// Credentials never reach evidence or messages.
	for _, f := range c.Findings {
		for _, secret := range []string{"AKCp8nHq4ZTj2Lr7sWmX9vQe3uYb", "glpat-x8Rk2mQ7pVn4sT9wYz3L"} {
			if strings.Contains(f.Message, secret) || strings.Contains(f.Evidence, secret) {
				t.Errorf("%s leaks a credential: %s / %s", f.RuleID, f.Message, f.Evidence)
			}
		}
	}
	f := finding1(t, c, IndexCredentials.ID, "deploy/pip.conf", 4)
	if f.Secret != "AKCp8nHq4ZTj2Lr7sWmX9vQe3uYb" || f.Threat != finding.KeyExposure || !strings.Contains(f.Evidence, "ci-bot:…3uYb@artifactory.acme.example") {
		t.Errorf("credentials finding: secret %q threat %s evidence %q", f.Secret, f.Threat, f.Evidence)
	}
	f = finding1(t, c, PlainHTTPIndex.ID, "Dockerfile", 2)
	if len(f.Related) != 1 || !strings.Contains(f.Related[0].Message, "trusted host mirror.acme.internal") {
		t.Errorf("trusted host not folded into the http finding: %+v", f.Related)
	}
	for _, id := range []string{MitigationSingleIndex, MitigationIndexTLS, MitigationIndexCredentials} {
		if st, d := obs(c, id); st != "" {
			t.Errorf("%s observed %s (%s) despite findings", id, st, d)
		}
	}
}

// A manifest that declares stripe with a range and no lock file is
// deps/stripe-unpinned's (commit a lock file); the checklist still shows
// hash checking missing.
func TestUnlockedStripeRangeDefersToDeps(t *testing.T) {
	c := scan(t, "testdata/app-squats-safe", analyzer.Options{}, nil)
	for _, f := range c.Findings {
		if f.RuleID == MissingHashes.ID && f.File == "pyproject.toml" {
			t.Errorf("duplicate of deps/stripe-unpinned: %s", f.Message)
		}
	}
	if st, d := obs(c, MitigationHashPinned); st != finding.Missing || !strings.Contains(d, "deps/stripe-unpinned") {
		t.Errorf("hash-pinned: %s %s", st, d)
	}
}

// The safe twin of app-index: one index per install (a proxy, explicit or
// scoped sources, uv's first-index strategy, local wheels with --no-index),
// HTTPS everywhere, credentials from variables, hashes everywhere.
func TestIndexSettingsSafeTwin(t *testing.T) {
	c := scan(t, "testdata/app-index-safe", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, nil)
	for _, id := range []string{MitigationSingleIndex, MitigationIndexTLS, MitigationIndexCredentials, MitigationHashPinned, MitigationNoTyposquats} {
		if st, d := obs(c, id); st != finding.InPlace {
			t.Errorf("%s: %s %s", id, st, d)
		}
	}
	if _, d := obs(c, MitigationIndexCredentials); !strings.Contains(d, "variables") {
		t.Errorf("credentials observation: %s", d)
	}
}

const site = ".venv/lib/python3.12/site-packages/"

func TestInstalledIntegrity(t *testing.T) {
	c := scan(t, "testdata/app-venv", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, []string{
		"supplychain/record-mismatch " + site + "stripe/_api_requestor.py:0 critical",
		"supplychain/record-missing-file " + site + "urllib3/contrib/socks.py:0 medium",
		"supplychain/rogue-pth " + site + "zz_stripe_telemetry.pth:0 critical",
	})
	f := finding1(t, c, RecordMismatch.ID, site+"stripe/_api_requestor.py", 0)
	if !strings.Contains(f.Message, "sha256") || !strings.Contains(f.Message, "holds your Stripe API keys") || f.Package == nil || f.Package.Version != "7.9.0" {
		t.Errorf("mismatch: %s %+v", f.Message, f.Package)
	}
	f = finding1(t, c, RoguePth.ID, site+"zz_stripe_telemetry.pth", 0)
	if !strings.HasPrefix(f.Evidence, "import os, base64; exec(") {
		t.Errorf("rogue pth evidence: %q", f.Evidence)
	}
	if st, _ := obs(c, MitigationRecordIntact); st != "" {
		t.Errorf("record-intact observed %s", st)
	}
	// The genuine stripe is there and points to Stripe.
	if st, d := obs(c, MitigationStripeAuthentic); st != finding.InPlace || !strings.Contains(d, "github.com/stripe/stripe-python") {
		t.Errorf("stripe-authentic: %s %s", st, d)
	}
}

func TestInstalledIntegritySafeTwin(t *testing.T) {
	c := scan(t, "testdata/app-venv-clean", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, nil)
	if st, d := obs(c, MitigationRecordIntact); st != finding.InPlace || !strings.Contains(d, "7 distributions verified") {
		t.Errorf("record-intact: %s %s", st, d)
	}
	for _, id := range []string{MitigationStripeAuthentic, MitigationHashPinned, MitigationNoTyposquats} {
		if st, d := obs(c, id); st != finding.InPlace {
			t.Errorf("%s: %s %s", id, st, d)
		}
	}
}

func TestStripeShadowedAndFakeMetadata(t *testing.T) {
	c := scan(t, "testdata/app-shadow", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, []string{
		"supplychain/stripe-shadowed " + site + "stripe_sdk-1.0.0.dist-info/METADATA:3 critical",
		"supplychain/stripe-metadata venv/lib/python3.12/site-packages/stripe-7.9.0.dist-info/METADATA:0 high",
	})
	f := finding1(t, c, StripeShadowed.ID, site+"stripe_sdk-1.0.0.dist-info/METADATA", 3)
	if !strings.Contains(f.Message, "stripe-sdk 1.0.0 installs the top-level stripe module") || !strings.Contains(f.Message, "imitates stripe") {
		t.Errorf("shadow message: %s", f.Message)
	}
	f = finding1(t, c, StripeMetadata.ID, "venv/lib/python3.12/site-packages/stripe-7.9.0.dist-info/METADATA", 0)
	if !strings.Contains(f.Message, "github.com/stripe-payments/stripe-python") {
		t.Errorf("metadata message: %s", f.Message)
	}
	if st, _ := obs(c, MitigationStripeAuthentic); st != "" {
		t.Errorf("stripe-authentic observed %s", st)
	}
}

func loadDB(t testing.TB, p string) *osv.DB {
	t.Helper()
	db, err := osv.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestKnownMalicious(t *testing.T) {
	c := scan(t, "testdata/app-malicious", analyzer.Options{}, loadDB(t, "testdata/advisories-mal"))
	noWarnings(t, c)
	diff(t, c, []string{
		// installed: reported where it sits on the machine
		"supplychain/known-malicious " + site + "requestss-2.28.1.dist-info/METADATA:3 critical",
		"supplychain/known-malicious requirements.txt:5 critical", // colorsama, every version
		"supplychain/known-malicious Dockerfile:5 critical",       // name not normalised in the record
		"supplychain/unlocked-install Dockerfile:5 medium",
		// aiohttp-socks5's record is withdrawn: nothing
	})
	f := finding1(t, c, KnownMalicious.ID, site+"requestss-2.28.1.dist-info/METADATA", 3)
	if f.Package == nil || len(f.Package.Advisories) != 1 || f.Package.Advisories[0].ID != "MAL-2024-7001" ||
		strings.Join(f.Package.Advisories[0].Aliases, ",") != "GHSA-m4l1-r3qs-7001" {
		t.Errorf("advisories: %+v", f.Package)
	}
	if !strings.Contains(f.Message, "requestss 2.28.1 (installed) is a known-malicious package: MAL-2024-7001") ||
		!strings.Contains(f.Message, "imitates requests") || len(f.Related) != 1 || f.Related[0].File != "requirements.txt" {
		t.Errorf("message/related: %s %+v", f.Message, f.Related)
	}
	if st, _ := obs(c, MitigationNoKnownMalicious); st != "" {
		t.Errorf("no-known-malicious observed %s", st)
	}
}

// The same records from an osv.dev-style zip (lazily decoded records).
func TestKnownMaliciousZip(t *testing.T) {
	zp := filepath.Join(t.TempDir(), "all.zip")
	zipDir(t, "testdata/advisories-mal", zp)
	c := scan(t, "testdata/app-malicious", analyzer.Options{}, loadDB(t, zp))
	n := 0
	for _, f := range c.Findings {
		if f.RuleID == KnownMalicious.ID {
			n++
		}
	}
	if n != 3 {
		t.Errorf("known-malicious from zip: %d findings, want 3: %v", n, got(c))
	}
}

// Names are checked without any advisory data: the typosquat check is a
// property of the name.
func TestKnownMaliciousWithoutData(t *testing.T) {
	c := scan(t, "testdata/app-malicious", analyzer.Options{}, nil)
	diff(t, c, []string{
		"supplychain/typosquat requirements.txt:3 critical", // requestss, installed too
		"supplychain/typosquat requirements.txt:5 medium",   // colorsama imitates colorama
		"supplychain/unlocked-install Dockerfile:5 medium",
	})
	// Without MAL- records (no cache: the built-in PyPA snapshot has none)
	// the check says it had no data, never "none is listed".
	if st, _ := obs(c, MitigationNoKnownMalicious); st != finding.NoData {
		t.Errorf("no-known-malicious observed %q without data, want no-data", st)
	}
}

func zipDir(t testing.TB, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestCommittedWindowsVenv: a venv committed from Windows went through git
// autocrlf. Files whose line endings were fully converted verify; files
// that had mixed endings can only be explained (low for data, medium for
// code); a real change next to them is still high.
func TestCommittedWindowsVenv(t *testing.T) {
	dir := t.TempDir()
	sp := ".venv/Lib/site-packages/"
	put := func(rel, content string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return fmt.Sprintf("sha256=%s,%d", base64.RawURLEncoding.EncodeToString(sum[:]), len(s))
	}
	// dist installs name with recorded (what the wheel had) and on-disk
	// (what the checkout has) contents.
	dist := func(name string, files map[string][2]string) {
		di := name + "-1.0.dist-info/"
		meta := "Metadata-Version: 2.1\nName: " + name + "\nVersion: 1.0\n"
		put(sp+di+"METADATA", meta)
		put(sp+di+"INSTALLER", "pip\n")
		rows := []string{di + "METADATA," + rec(meta), di + "INSTALLER," + rec("pip\n")}
		for rel, c := range files {
			put(sp+rel, c[1])
			rows = append(rows, rel+","+rec(c[0]))
		}
		sort.Strings(rows)
		put(sp+di+"RECORD", strings.Join(append(rows, di+"RECORD,,"), "\n")+"\n")
	}
	put(".venv/pyvenv.cfg", "home = C:\\Python312\n")
	crlf := "<ul>\r\n{% for a in alerts %}\r\n<li>{{ a }}</li>\r\n{% endfor %}\r\n</ul>\r\n"
	lf := strings.ReplaceAll(crlf, "\r\n", "\n")
	dist("tmplpkg", map[string][2]string{"tmplpkg/alerts.html": {crlf, lf}, "tmplpkg/__init__.py": {"x = 1\r\n", "x = 1\n"}})
	dist("mixedpkg", map[string][2]string{"mixedpkg/README.txt": {"a\r\nb\nc\r\n", "a\nb\nc\n"}})
	dist("codepkg", map[string][2]string{"codepkg/__init__.py": {"import os\r\nx = 1\n", "import os\nx = 1\n"}})
	dist("evilpkg", map[string][2]string{"evilpkg/__init__.py": {"x = 1\r\ny = 2\r\n", "x = 1\nimport os\n"}})

	c := scan(t, dir, analyzer.Options{}, nil)
	diff(t, c, []string{
		"supplychain/record-mismatch " + sp + "codepkg/__init__.py:0 medium",
		"supplychain/record-mismatch " + sp + "evilpkg/__init__.py:0 high",
		"supplychain/record-mismatch " + sp + "mixedpkg/README.txt:0 low",
	})
	f := finding1(t, c, RecordMismatch.ID, sp+"mixedpkg/README.txt", 0)
	if !strings.Contains(f.Message, "line endings") {
		t.Errorf("message does not explain: %s", f.Message)
	}
}

// TestNotesNamedLikeRequirements: pasted notes whose file name contains
// "Requirements" are not a manifest: no missing-hashes finding for the
// words pip would read as package names, one warning instead of one per
// line. The same text named by a Dockerfile's pip install -r is read as
// pip would read it.
func TestNotesNamedLikeRequirements(t *testing.T) {
	notes := "Core Requirements\n\nSubject Tagging for New Chats\n\nWhen a student starts a new chat, prompt them.\n\nMathematics\n\nScience\n\nStore this tag as metadata.\n"
	dir := t.TempDir()
	p := filepath.Join(dir, "attached_assets", "Pasted-Core-Requirements-Subject-Tagging-1762566594514.txt")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(notes), 0o644); err != nil {
		t.Fatal(err)
	}
	c := scan(t, dir, analyzer.Options{}, nil)
	diff(t, c, nil)
	n := 0
	for _, w := range c.Warnings {
		if strings.HasPrefix(w.File, "attached_assets/") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d warnings about the notes, want 1: %+v", n, c.Warnings)
	}

	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM python:3.12\nRUN pip install -r attached_assets/Pasted-Core-Requirements-Subject-Tagging-1762566594514.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c = scan(t, dir, analyzer.Options{}, nil)
	if len(c.Findings) == 0 {
		t.Errorf("named by pip install -r: not read as requirements")
	}
}
