package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

// These tests build the real binary and run it on the trees in testdata/, the
// way a user or CI job does, checking reports and exit codes.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stripeguard-e2e-")
	if err != nil {
		panic(err)
	}
	// No test may depend on advisory data cached on this machine.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	binary = filepath.Join(dir, "stripeguard")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// materialize copies a testdata tree into a temp dir, filling {{...}} with
// generated keys.
func materialize(t *testing.T, src string) (string, map[string]string) {
	t.Helper()
	dst := t.TempDir()
	return dst, testutil.Materialize(t, src, dst, 42)
}

type jsonReport struct {
	SchemaVersion string `json:"schema_version"`
	Findings      []struct {
		RuleID      string `json:"rule_id"`
		Threat      string `json:"threat"`
		Severity    string `json:"severity"`
		File        string `json:"file"`
		Line        int    `json:"line"`
		Evidence    string `json:"evidence"`
		Fingerprint string `json:"fingerprint"`
	} `json:"findings"`
}

func run(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

func sharedDB(t *testing.T) string {
	p, err := filepath.Abs("../../../shared/data/pypa-advisory-db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		testutil.Unavailable(t, "shared advisory data: %v", err)
	}
	return p
}

func TestScanShop(t *testing.T) {
	dir, keys := materialize(t, "../../testdata/shop")
	stdout, stderr, code := run(t, dir, "scan", "--format", "json", "--db", sharedDB(t), ".")
	if code != 1 {
		t.Fatalf("exit code %d, want 1 (stderr %s)", code, stderr)
	}
	for _, k := range keys {
		if strings.Contains(stdout, k) {
			t.Fatalf("report leaks a full key %s", k[:8])
		}
	}
	var r jsonReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	got := map[string]map[string]bool{} // file -> threats
	for _, f := range r.Findings {
		if got[f.File] == nil {
			got[f.File] = map[string]bool{}
		}
		got[f.File][f.Threat] = true
	}
	want := map[string]string{
		"shop/settings.py":             "key-exposure",
		".env":                         "key-exposure",
		"config/docker-compose.yml":    "key-exposure",
		".github/workflows/deploy.yml": "key-exposure",
		"notebooks/revenue.ipynb":      "key-exposure",
		"shop/app.py":                  "webhook-forgery",
		"requirements.txt":             "dependency-vulnerability",
	}
	for file, threat := range want {
		if !got[file][threat] {
			t.Errorf("missing %s finding in %s; got %v", threat, file, got)
		}
	}
	for _, clean := range []string{"config/clean.py", ".env.example", "README.md"} {
		if len(got[clean]) > 0 {
			t.Errorf("%s should have no findings, got %v", clean, got[clean])
		}
	}

	// With --show-secrets the evidence holds the key.
	stdout, _, _ = run(t, dir, "scan", "--format", "json", "--show-secrets", "--analyzers", "secrets", ".")
	if !strings.Contains(stdout, keys["{{RK_LIVE}}"]) {
		t.Error("--show-secrets should print the full key")
	}
}

func TestExitCodesAndBaseline(t *testing.T) {
	dir, _ := materialize(t, "../../testdata/shop")
	if _, _, code := run(t, dir, "scan", "--format", "json", "--fail-on", "critical", "--skip-analyzers", "deps", "."); code != 1 {
		t.Errorf("live keys are critical: exit %d, want 1", code)
	}
	clean := t.TempDir()
	if err := os.WriteFile(filepath.Join(clean, "app.py"), []byte("import os\nKEY = os.environ['STRIPE_SECRET_KEY']\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, clean, "scan"); code != 0 {
		t.Errorf("clean tree: exit %d (%s)", code, stderr)
	}
	base := filepath.Join(t.TempDir(), "baseline.json")
	if _, stderr, code := run(t, dir, "scan", "--skip-analyzers", "deps", "--format", "json", "--write-baseline", base, "."); code != 1 {
		t.Fatalf("write-baseline run: exit %d (%s)", code, stderr)
	}
	stdout, stderr, code := run(t, dir, "scan", "--skip-analyzers", "deps", "--format", "json", "--baseline", base, ".")
	if code != 0 {
		t.Fatalf("with baseline: exit %d (%s)\n%s", code, stderr, stdout)
	}
	// Usage and runtime errors: exit 2 with a one-line reason.
	for _, args := range [][]string{
		{"scan", "--format", "yaml", "."},
		{"scan", "--no-such-flag"},
		{"scan", filepath.Join(dir, "missing")},
		{"scan", "--fail-on", "urgent", "."},
		{"scan", "--config", filepath.Join(dir, "nope.toml"), "."},
		{"frobnicate"},
	} {
		_, stderr, code := run(t, dir, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "stripeguard: ") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".stripeguard.toml"), []byte("fail_onn = \"low\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, dir, "scan", "."); code != 2 || !strings.Contains(stderr, "fail_onn") {
		t.Errorf("unknown config key: exit %d, stderr %q", code, stderr)
	}
}

func TestFormats(t *testing.T) {
	dir, _ := materialize(t, "../../testdata/shop")
	for _, format := range []string{"text", "markdown", "sarif", "json"} {
		out := filepath.Join(t.TempDir(), "report")
		_, stderr, code := run(t, dir, "scan", "--skip-analyzers", "deps", "--format", format, "--output", out, ".")
		if code != 1 {
			t.Errorf("%s: exit %d (%s)", format, code, stderr)
			continue
		}
		data, err := os.ReadFile(out)
		if err != nil || len(data) == 0 {
			t.Errorf("%s: no output written: %v", format, err)
			continue
		}
		if format == "text" || format == "markdown" {
			for _, threat := range []string{"key-exposure", "webhook-forgery", "stripe-vulnerability", "dependency-vulnerability", "malicious-package"} {
				if !bytes.Contains(data, []byte(threat)) {
					t.Errorf("%s report does not cover threat %s", format, threat)
				}
			}
		}
	}
	if stdout, _, code := run(t, dir, "rules"); code != 0 || !strings.Contains(stdout, "webhook/unverified-payload") {
		t.Errorf("rules: exit %d", code)
	}
	if stdout, _, code := run(t, dir, "version"); code != 0 || !strings.HasPrefix(stdout, "stripeguard ") {
		t.Errorf("version: exit %d %q", code, stdout)
	}
}
