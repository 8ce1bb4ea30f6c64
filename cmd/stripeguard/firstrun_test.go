package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

// freshMachine runs the binary as on a new laptop or CI runner: an empty
// home, no advisory cache, no network (every proxy points at a closed
// port), the calendar pinned.
func freshMachine(t *testing.T, dir, now string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "PATH=" + os.Getenv("PATH"),
		"http_proxy=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9",
		"STRIPEGUARD_NOW=" + now,
	}
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

// The first run on a fresh machine audits with the advisory snapshot built
// into the binary: `stripeguard scan testdata/shop` reports the vulnerable
// requests pin and says which data it used and how old it is.
func TestFirstRunUsesBuiltInSnapshot(t *testing.T) {
	shop, err := filepath.Abs("../../testdata/shop")
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := freshMachine(t, t.TempDir(), "2026-06-01", "scan", shop)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (stderr %q)", code, stderr)
	}
	for _, want := range []string{
		"requests 2.19.0 (pinned): 2 known vulnerabilities: PYSEC-2018-28",
		"Advisory data: built-in snapshot of PyPA advisory database at 3ccb612573e2",
		"newest record 2024-10-10, 598 days old",
		"deps/advisory-data-stale",
		"the snapshot built into stripeguard, whose newest record is from 2024-10-10",
		"stripeguard db update",
		"Files: ",
	} {
		if !strings.Contains(strings.Join(strings.Fields(stdout), " "), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "known vulnerabilities were not checked") || strings.Contains(stdout, "[!] No dependency, direct") || strings.Contains(stderr, "warning") {
		t.Errorf("the audit must not run without data:\n%s\n%s", stdout, stderr)
	}
	for i, l := range strings.Split(stdout, "\n") {
		if n := len([]rune(l)); n > 80 && len(strings.Fields(l)) > 2 {
			t.Errorf("line %d is %d columns (output is not a terminal: 80): %q", i+1, n, l)
		}
	}

	// The same in JSON: the data source is machine-readable.
	stdout, _, _ = freshMachine(t, t.TempDir(), "2026-06-01", "scan", "--format", "json", shop)
	var doc struct {
		Findings []struct {
			RuleID  string `json:"rule_id"`
			Package *struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"package"`
		} `json:"findings"`
		DataSources []struct {
			Kind, NewestRecord string
			AgeDays            int `json:"age_days"`
			Stale              bool
		} `json:"data_sources"`
		Summary struct {
			Files struct{ Scanned int } `json:"files"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range doc.Findings {
		if f.RuleID == "deps/vulnerable-package" && f.Package != nil && f.Package.Name == "requests" && f.Package.Version == "2.19.0" {
			found = true
		}
	}
	if !found || len(doc.DataSources) != 1 || doc.DataSources[0].Kind != "embedded" || doc.DataSources[0].AgeDays != 598 || !doc.DataSources[0].Stale || doc.Summary.Files.Scanned == 0 {
		t.Errorf("JSON: requests finding %v, data sources %+v, files %+v", found, doc.DataSources, doc.Summary.Files)
	}

	// Offline, `db update` says what scans will use instead of claiming a
	// cache that does not exist.
	_, stderr, code = freshMachine(t, t.TempDir(), "2026-06-01", "db", "update", "--timeout", "20s")
	if code != 2 || !strings.Contains(stderr, "scans use the snapshot built into stripeguard (newest record 2024-10-10, 598 days old)") || strings.Contains(stderr, "cached data") {
		t.Errorf("offline db update: exit %d, %q", code, stderr)
	}
}

// After `db update --from` on an air-gapped machine, scans use that cache
// and say so.
func TestUpdateFromThenScan(t *testing.T) {
	src, err := filepath.Abs("../../../shared/data/pypa-advisory-db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		testutil.Unavailable(t, "shared advisory data: %v", err)
	}
	shop, _ := filepath.Abs("../../testdata/shop")
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "PATH=" + os.Getenv("PATH"), "STRIPEGUARD_NOW=2024-10-12"}
	runEnv := func(args ...string) (string, string, int) {
		cmd := exec.Command(binary, args...)
		cmd.Env = env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	if out, stderr, code := runEnv("db", "update", "--from", src); code != 0 || !strings.Contains(out, "2661 records") {
		t.Fatalf("db update --from: %d %q %q", code, out, stderr)
	}
	out, _, _ := runEnv("scan", "--analyzers", "deps", shop)
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "Advisory data: cache "+filepath.Join(home, ".cache", "stripeguard", "osv", "PyPI", "index.sgidx")) || !strings.Contains(flat, "PYSEC-2018-28") || strings.Contains(flat, "advisory-data-stale") {
		t.Errorf("scan after --from:\n%s", out)
	}
}

// The pre-commit hook prints the findings and one summary line; the
// checklist only when asked for.
func TestStagedIsBrief(t *testing.T) {
	git := testutil.NeedProgram(t, "git")
	dir := t.TempDir()
	for _, args := range [][]string{{"init", "-q"}, {"config", "user.email", "t@example.com"}, {"config", "user.name", "t"}} {
		if out, err := exec.Command(git, append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	src := "import stripe\nstripe.api_key = \"" + testutil.Key(rand.New(rand.NewSource(7)), "sk_"+"live_", 24) + "\"\n"
	if err := os.WriteFile(filepath.Join(dir, "settings.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(git, "-C", dir, "add", "settings.py").CombinedOutput(); err != nil {
		t.Fatalf("git add: %v %s", err, out)
	}
	stdout, stderr, code := run(t, dir, "scan", "--staged")
	if code != 1 {
		t.Fatalf("exit %d (%s)", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	for len(lines) > 1 && strings.HasPrefix(last, "  ") {
		lines = lines[:len(lines)-1]
		last = lines[len(lines)-1] + last
	}
	if strings.Contains(stdout, "Mitigations") || strings.Contains(stdout, "no findings") || strings.Contains(stdout, "Advisory data") ||
		!strings.Contains(stdout, "settings.py:2") || !strings.Contains(last, "finding") || !strings.Contains(last, "1 file scanned") {
		t.Errorf("staged output:\n%s", stdout)
	}
	if n := strings.Count(stdout, "■ "); n != 1 {
		t.Errorf("only threats with findings are shown, got %d:\n%s", n, stdout)
	}
	stdout, _, _ = run(t, dir, "scan", "--staged", "--checklist")
	if !strings.Contains(stdout, "Mitigations") {
		t.Errorf("--checklist should add the checklist:\n%s", stdout)
	}
	// Unknown analyzer names list the valid ones.
	_, stderr, code = run(t, dir, "scan", "--analyzers", "secret")
	if code != 2 || !strings.Contains(stderr, `unknown analyzer "secret" (valid: codekeys, deps, secrets, `) {
		t.Errorf("unknown analyzer: %d %q", code, stderr)
	}
}
