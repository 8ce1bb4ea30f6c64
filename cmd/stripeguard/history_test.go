package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

type historyReport struct {
	Findings []struct {
		RuleID      string `json:"rule_id"`
		Severity    string `json:"severity"`
		File        string `json:"file"`
		Line        int    `json:"line"`
		Commit      string `json:"commit"`
		Context     string `json:"context"`
		Message     string `json:"message"`
		Mitigation  string `json:"mitigation"`
		Fingerprint string `json:"fingerprint"`
		History     *struct {
			AuthorDate    string `json:"author_date"`
			Commits       int    `json:"commits"`
			Paths         int    `json:"paths"`
			InWorkingTree bool   `json:"in_working_tree"`
			Reach         string `json:"reach"`
		} `json:"history"`
		Verification *struct {
			State string `json:"state"`
		} `json:"verification"`
	} `json:"findings"`
	Checklist map[string][]struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"checklist"`
	Analyzers []string `json:"analyzers"`
	Notes     []string `json:"notes"`
}

func rotatedState(r historyReport) string {
	for _, it := range r.Checklist["key-exposure"] {
		if it.ID == "keys.rotated-after-exposure" {
			return it.State
		}
	}
	return ""
}

// shopHistory is a small app whose live key was committed and then moved
// to the environment, whose test key is still committed, and whose old
// commit message quotes a restricted key.
func shopHistory(t *testing.T) (repo *testutil.GitRepo, live, test, rk string, intro string) {
	live = secretstest.Key("sk_"+"live_", 99, 301)
	test = secretstest.Key("sk_"+"test_", 24, 302)
	rk = secretstest.Key("rk_"+"live_", 24, 303)
	repo = testutil.NewGitRepo(t)
	repo.Write("shop/__init__.py", "")
	repo.Write("shop/settings.py", "import stripe\n\nstripe.api_key = \""+live+"\"\n")
	repo.Write("requirements.txt", "stripe==7.0.0\n")
	intro = repo.Commit("shop with stripe")
	repo.Write("shop/settings.py", "import os\nimport stripe\n\nstripe.api_key = os.environ[\"STRIPE_SECRET_KEY\"]\n")
	repo.Commit("read the key from the environment")
	repo.Write("config/staging.py", "STRIPE_TEST_KEY = \""+test+"\"\n")
	repo.Commit("staging settings, and the old key was " + rk)
	return
}

func TestHistoryCommand(t *testing.T) {
	repo, live, test, rk, intro := shopHistory(t)
	stdout, stderr, code := run(t, repo.Dir, "history", "--format", "json", ".")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	for _, k := range []string{live, test, rk} {
		if strings.Contains(stdout, k) || strings.Contains(stderr, k) {
			t.Fatalf("a full key was printed")
		}
	}
	if stderr != "" {
		t.Errorf("stderr is not empty when it is not a terminal: %q", stderr)
	}
	var r historyReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for i, f := range r.Findings {
		if f.History == nil {
			continue
		}
		switch {
		case f.File == "shop/settings.py":
			got["live"] = i
			if f.Commit != intro || f.Line != 3 || f.History.InWorkingTree || f.Severity != "critical" ||
				f.History.AuthorDate != testutil.GitEpoch.Format("2006-01-02T15:04:05-07:00") ||
				!strings.Contains(f.Mitigation, "removing it from the code does not revoke it") {
				t.Errorf("live key: %+v %+v", f, f.History)
			}
		case f.File == "config/staging.py":
			got["test"] = i
			if !f.History.InWorkingTree || f.Severity != "medium" {
				t.Errorf("test key: %+v", f.History)
			}
		case f.Context == "commit message":
			got["rk"] = i
			if f.File != "" || f.Commit == "" {
				t.Errorf("message key: %+v", f)
			}
		}
	}
	if len(got) != 3 {
		t.Errorf("history findings: %v", got)
	}
	if rotatedState(r) != "missing" {
		t.Errorf("rotated mitigation %q", rotatedState(r))
	}
	// history is the key scan: the other analyzers did not run.
	if strings.Join(r.Analyzers, ",") != "history,secrets" {
		t.Errorf("analyzers %v", r.Analyzers)
	}

	// scan --history runs everything plus history; the text report shows
	// the history line.
	stdout, _, code = run(t, repo.Dir, "scan", "--history", "--no-color", ".")
	if code != 1 || !strings.Contains(stdout, "history/key-in-history") || !strings.Contains(stdout, "history: introduced") ||
		!strings.Contains(stdout, "git history: 3 commits") {
		t.Errorf("text report (exit %d):\n%s", code, stdout)
	}
	if strings.Contains(stdout, "not checked: history did not run") {
		t.Error("the rotation mitigation is still not checked")
	}

	// SARIF carries the history in the result properties.
	stdout, _, _ = run(t, repo.Dir, "history", "--format", "sarif", ".")
	if !strings.Contains(stdout, `"history": {`) || !strings.Contains(stdout, `"author_date"`) {
		t.Errorf("SARIF lacks history properties")
	}

	// A baseline hides them by fingerprint, and --since narrows the walk.
	base := filepath.Join(t.TempDir(), "baseline.json")
	if _, stderr, code := run(t, repo.Dir, "history", "--write-baseline", base, "."); code != 1 {
		t.Fatalf("write baseline: %d %s", code, stderr)
	}
	if stdout, _, code := run(t, repo.Dir, "history", "--baseline", base, "."); code != 0 {
		t.Errorf("with the baseline: exit %d\n%s", code, stdout)
	}
	stdout, _, _ = run(t, repo.Dir, "history", "--format", "json", "--since", intro, ".")
	r = historyReport{}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.History != nil && f.File == "shop/settings.py" {
			t.Error("--since REV still walked the commit it excludes")
		}
	}
}

func TestHistoryVerify(t *testing.T) {
	base := testutil.StripeMock(t)
	repo, _, _, _, _ := shopHistory(t)
	stdout, stderr, code := run(t, repo.Dir, "history", "--format", "json", "--verify", "--stripe-api-base", base, ".")
	// The live keys are revoked (info), the test key is medium: below the
	// default --fail-on high.
	if code != 0 {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	var r historyReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, f := range r.Findings {
		if f.Verification == nil {
			continue
		}
		k := f.File
		if f.History != nil {
			k = "history:" + f.File + f.Context
		}
		states[k] = f.Verification.State + " " + f.RuleID + " " + f.Severity
	}
	want := map[string]string{
		// stripe-mock rejects live keys: they count as rotated.
		"history:shop/settings.py":  "inactive history/revoked-key-in-history info",
		"history:commit message":    "inactive history/revoked-key-in-history info",
		"history:config/staging.py": "active history/key-in-history medium",
		"config/staging.py":         "active secrets/stripe-test-secret-key medium",
	}
	for k, v := range want {
		if states[k] != v {
			t.Errorf("%s: %q, want %q", k, states[k], v)
		}
	}
	if rotatedState(r) != "missing" {
		t.Errorf("with an active key in history the mitigation is %q", rotatedState(r))
	}

	// With only revoked keys in history, the control is in place.
	live := secretstest.Key("sk_"+"live_", 24, 304)
	repo2 := testutil.NewGitRepo(t)
	repo2.Write("a.py", "KEY = '"+live+"'\n")
	repo2.Commit("key")
	repo2.Write("a.py", "KEY = None\n")
	repo2.Commit("no key")
	stdout, _, code = run(t, repo2.Dir, "history", "--format", "json", "--verify", "--stripe-api-base", base, ".")
	r = historyReport{}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if code != 0 || rotatedState(r) != "in-place" {
		t.Errorf("only revoked keys: exit %d, mitigation %q", code, rotatedState(r))
	}
}

func TestHistoryUsageErrors(t *testing.T) {
	testutil.NeedProgram(t, "git")
	plain := t.TempDir()
	repo := testutil.NewGitRepo(t)
	for _, args := range [][]string{
		{"history", plain},
		{"scan", "--since", "2024-01-01", repo.Dir},
		{"scan", "--branch", "main", repo.Dir},
		{"history", "--branch", "no-such-branch", repo.Dir},
		{"history", "--max-commits", "-3", repo.Dir},
		{"history", "--verify", "--stripe-api-base", "http://api.example.com", repo.Dir},
		{"scan", "--stripe-api-base", "https://api.example.com", repo.Dir},
		{"scan", "--history", "--staged", repo.Dir},
	} {
		_, stderr, code := run(t, repo.Dir, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "stripeguard: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	// An empty repository is no error: nothing to find yet.
	stdout, stderr, code := run(t, repo.Dir, "history", ".")
	if code != 0 || !strings.Contains(stdout, "no commits yet") {
		t.Errorf("empty repository: exit %d %s %s", code, stdout, stderr)
	}
}
