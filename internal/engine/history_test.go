package engine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer/history"
	"github.com/stripeguard/stripeguard/internal/config"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

func runHistory(t *testing.T, root string, mod func(*Options)) *report.Report {
	t.Helper()
	opt := Options{Root: root, Only: []string{"enginetest"}, History: &history.Options{Unreachable: true}}
	if mod != nil {
		mod(&opt)
	}
	r, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func historyFindings(r *report.Report) map[string]*finding.Finding {
	m := map[string]*finding.Finding{}
	for _, f := range r.Findings {
		if f.History != nil {
			m[f.Secret] = f
		}
	}
	return m
}

func rotated(r *report.Report) finding.MitigationState {
	for _, st := range r.Checklist[finding.KeyExposure] {
		if st.Mitigation.ID == history.MitigationRotated {
			return st.State
		}
	}
	return "absent"
}

func TestHistoryInTheReport(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("app.py", "key = 'TOKEN_removed'\nother = 'TOKEN_kept'\n")
	repo.Commit("add tokens")
	repo.Write("app.py", "other = 'TOKEN_kept'\n")
	repo.Commit("remove one")

	r := runHistory(t, repo.Dir, nil)
	hs := historyFindings(r)
	if len(hs) != 2 {
		t.Fatalf("history findings: %v", hs)
	}
	if hs["TOKEN_removed"].History.InWorkingTree || !hs["TOKEN_kept"].History.InWorkingTree {
		t.Error("working-tree presence wrong")
	}
	for _, f := range hs {
		if f.Fingerprint == "" || f.RuleID != history.KeyInHistory.ID || f.Severity != finding.High {
			t.Errorf("%+v", f)
		}
	}
	// The working-tree finding of the kept token is still there, separate.
	n := 0
	for _, f := range r.Findings {
		if f.History == nil && f.Secret == "TOKEN_kept" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("working-tree findings of the kept token: %d", n)
	}
	if !contains(r.Analyzers, "history") || rotated(r) != finding.Missing {
		t.Errorf("analyzers %v, rotated %s", r.Analyzers, rotated(r))
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "git history: 2 commits") {
		t.Errorf("notes: %v", r.Notes)
	}

	// Without --history the control is not checked.
	r, err := Run(context.Background(), Options{Root: repo.Dir, Only: []string{"enginetest"}})
	if err != nil {
		t.Fatal(err)
	}
	if rotated(r) != finding.NotChecked {
		t.Errorf("without history: %s", rotated(r))
	}
}

func TestHistoryCleanMarksMitigationInPlace(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("app.py", "x = 1\n")
	repo.Commit("clean")
	r := runHistory(t, repo.Dir, nil)
	if rotated(r) != finding.InPlace {
		t.Errorf("rotated = %s", rotated(r))
	}
}

func TestHistorySuppression(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	// Ignored where it was introduced; the comment was dropped later.
	repo.Write("a.py", "k = 'TOKEN_ignored'  # stripeguard:ignore\n")
	repo.Write("b.py", "k = 'TOKEN_ruleignored'  # stripeguard:ignore[enginetest/token]\n")
	repo.Write("c.py", "k = 'TOKEN_otherrule'  # stripeguard:ignore other/rule\n")
	repo.Write("d.py", "k = 'TOKEN_late'\n")
	repo.Write("vendor/x.py", "k = 'TOKEN_excluded'\n")
	repo.Write("e.py", "k = 'TOKEN_baselined'\n")
	repo.Commit("tokens")
	repo.Write("a.py", "k = 'TOKEN_ignored'\n")
	repo.Write("d.py", "k = 'TOKEN_late'  # stripeguard:ignore\n")
	repo.Commit("edit comments")

	r := runHistory(t, repo.Dir, func(o *Options) { o.Exclude = []string{"vendor/"} })
	hs := historyFindings(r)
	for _, k := range []string{"TOKEN_ignored", "TOKEN_ruleignored", "TOKEN_excluded"} {
		if hs[k] != nil {
			t.Errorf("%s reported", k)
		}
	}
	// A comment for another rule, or one added after the key was
	// committed, does not hide the history finding.
	for _, k := range []string{"TOKEN_otherrule", "TOKEN_late", "TOKEN_baselined"} {
		if hs[k] == nil {
			t.Errorf("%s not reported", k)
		}
	}
	if r.Suppressed < 2 {
		t.Errorf("suppressed = %d", r.Suppressed)
	}

	// Baseline by fingerprint; the fingerprint survives a new commit.
	fp := hs["TOKEN_baselined"].Fingerprint
	repo.Write("f.py", "k = 'TOKEN_baselined'\n")
	repo.Commit("copy")
	r = runHistory(t, repo.Dir, func(o *Options) { o.Baseline = map[string]bool{fp: true} })
	if historyFindings(r)["TOKEN_baselined"] != nil || r.Baselined == 0 {
		t.Errorf("baseline did not hide the history finding (baselined %d)", r.Baselined)
	}

	// Disabling the detector's rule disables its history findings too;
	// disabling history/key-in-history only those.
	cfg := &config.Config{Disabled: map[string]bool{"enginetest/token": true}}
	if hs := historyFindings(runHistory(t, repo.Dir, func(o *Options) { o.Config = cfg })); len(hs) != 0 {
		t.Errorf("detector rule disabled: %d history findings", len(hs))
	}
	cfg = &config.Config{Disabled: map[string]bool{history.KeyInHistory.ID: true}}
	r = runHistory(t, repo.Dir, func(o *Options) { o.Config = cfg })
	if len(historyFindings(r)) != 0 || len(r.Findings) == 0 {
		t.Errorf("history rule disabled: %d findings", len(r.Findings))
	}
}

func TestHistoryErrors(t *testing.T) {
	testutil.NeedProgram(t, "git")
	_, err := Run(context.Background(), Options{Root: t.TempDir(), Only: []string{"enginetest"}, History: &history.Options{}})
	if err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("not a repository: %v", err)
	}
	repo := testutil.NewGitRepo(t)
	_, err = Run(context.Background(), Options{Root: repo.Dir, Staged: true, History: &history.Options{}})
	if err == nil || !strings.Contains(err.Error(), "--staged") {
		t.Errorf("--staged with --history: %v", err)
	}
}

func TestHistoryBareRepository(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("app.py", "k = 'TOKEN_bare'\n")
	repo.Commit("one")
	bare := filepath.Join(t.TempDir(), "bare.git")
	repo.Git("clone", "-q", "--bare", repo.Dir, bare)
	r := runHistory(t, bare, nil)
	hs := historyFindings(r)
	if len(hs) != 1 || hs["TOKEN_bare"].History.InWorkingTree {
		t.Errorf("bare: %v", hs)
	}
	for _, f := range r.Findings {
		if f.History == nil {
			t.Errorf("the git directory of a bare repository was walked as files: %s", f.File)
		}
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings: %v", r.Warnings)
	}
}
