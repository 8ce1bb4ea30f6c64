package history

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/expand"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

var (
	liveKey  = secretstest.Key("sk_"+"live_", 24, 101)
	liveKey2 = secretstest.Key("sk_"+"live_", 99, 102)
	testKey  = secretstest.Key("sk_"+"test_", 24, 103)
	rkKey    = secretstest.Key("rk_"+"live_", 24, 104)
	whsec    = secretstest.Key("whsec"+"_", 32, 105)
)

type scanned struct {
	res      *Result
	byKey    map[string]*finding.Finding
	obs      []*finding.Observation
	warnings []*finding.Warning
}

func scan(t *testing.T, dir string, opt Options, inTree func(string) bool) *scanned {
	t.Helper()
	if opt.Expand == nil {
		opt.Expand = func(f *source.File, emit func(*source.File), warn func(*finding.Warning)) bool {
			return expand.Expand(f, expand.Limits{}, emit, warn)
		}
	}
	s := &scanned{byKey: map[string]*finding.Finding{}}
	var c finding.Collector
	res, err := Scan(context.Background(), dir, opt, []analyzer.FileAnalyzer{secrets.New(analyzer.Options{})}, c.Warning)
	if err != nil {
		t.Fatal(err)
	}
	res.Emit(&c, inTree)
	s.res = res
	for _, f := range c.Findings {
		if _, dup := s.byKey[f.Secret]; dup {
			t.Errorf("two findings for one secret %s", finding.Redact(f.Secret))
		}
		s.byKey[f.Secret] = f
		if f.RuleID != KeyInHistory.ID || f.Threat != finding.KeyExposure || f.History == nil || f.Fingerprint != "" {
			t.Errorf("malformed finding %+v", f)
		}
		if strings.Contains(f.Message, f.Secret) || strings.Contains(f.Mitigation, f.Secret) || strings.Contains(f.Evidence, f.Secret) {
			t.Errorf("finding shows the full secret: %s / %s / %s", f.Message, f.Mitigation, f.Evidence)
		}
	}
	s.obs = c.Observations
	s.warnings = c.Warnings
	return s
}

// get returns the finding for key, failing the test when there is none.
func (s *scanned) get(t *testing.T, key string) *finding.Finding {
	t.Helper()
	f := s.byKey[key]
	if f == nil {
		t.Fatalf("no finding for %s; have %d findings", finding.Redact(key), len(s.byKey))
	}
	return f
}

type where struct {
	commit, date, file string
	line               int
	commits, paths     int
	inTree             bool
	reach              string
}

func expectAt(t *testing.T, f *finding.Finding, w where) {
	t.Helper()
	h := f.History
	got := where{f.Commit, h.AuthorDate, f.File, f.Line, h.Commits, h.Paths, h.InWorkingTree, h.Reach}
	if got != w {
		t.Errorf("%s:\n got  %+v\n want %+v", finding.Redact(f.Secret), got, w)
	}
}

// TestHistoryShapes is the list of history shapes, one repository.
func TestHistoryShapes(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("README.md", "# shop\n")
	repo.Commit("init")

	// Added, then removed.
	date := repo.Date()
	repo.Write("shop/settings.py", "import stripe\n\nstripe.api_key = \""+liveKey+"\"\n")
	added := repo.Commit("configure stripe")
	repo.Write("shop/settings.py", "import os, stripe\n\nstripe.api_key = os.environ[\"STRIPE_SECRET_KEY\"]\n")
	repo.Commit("read the key from the environment")

	// Moved between files, then removed.
	moveDate := repo.Date()
	repo.Write("config/dev.env", "STRIPE_SECRET_KEY="+testKey+"\n")
	moved := repo.Commit("dev env")
	repo.Remove("config/dev.env")
	repo.Write("config/local.env", "# local\nSTRIPE_SECRET_KEY="+testKey+"\n")
	repo.Commit("rename env file")
	repo.Remove("config/local.env")
	repo.Commit("drop env file")

	// Renamed file (same content, new path), still present.
	renDate := repo.Date()
	repo.Write("scripts/refund.py", "KEY = '"+rkKey+"'\n")
	ren := repo.Commit("refund script")
	if err := os.MkdirAll(filepath.Join(repo.Dir, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	repo.Git("mv", "scripts/refund.py", "tools/refund.py")
	repo.Commit("move script")

	// Only on a side branch that was never merged.
	repo.Git("checkout", "-q", "-b", "experiment")
	sideDate := repo.Date()
	repo.Write("webhooks.py", "endpoint_secret = '"+whsec+"'\n")
	side := repo.Commit("try webhooks")
	repo.Git("checkout", "-q", "main")

	// Only in a merge resolution.
	repo.Git("checkout", "-q", "-b", "feature")
	repo.Write("feature.py", "x = 1\n")
	repo.Commit("feature")
	repo.Git("checkout", "-q", "main")
	repo.Write("main.py", "y = 2\n")
	repo.Commit("main work")
	mergeDate := repo.Date()
	repo.Git("merge", "-q", "--no-ff", "--no-commit", "feature")
	repo.Write("billing.py", "\n\nSTRIPE_KEY = \""+liveKey2+"\"\n")
	repo.Git("add", "billing.py")
	repo.Git("commit", "-q", "-m", "merge feature")
	merge := repo.Git("rev-parse", "HEAD")
	repo.Advance()
	repo.Write("billing.py", "STRIPE_KEY = None\n")
	repo.Commit("fix merge")

	// A key inside a binary file is not text; inside a zip it is read.
	binKey := secretstest.Key("sk_"+"live_", 24, 106)
	zipKey := secretstest.Key("sk_"+"live_", 24, 107)
	repo.Write("blob.bin", "\x00\x00\x01"+binKey+"\x00")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("conf/settings.py")
	fmt.Fprintf(w, "API_KEY = '%s'\n", zipKey)
	zw.Close()
	repo.Write("dist/app.zip", zb.String())
	zipCommit := repo.Commit("binaries")

	s := scan(t, repo.Dir, Options{Unreachable: true}, nil)

	expectAt(t, s.get(t, liveKey), where{added, date, "shop/settings.py", 3, 1, 1, false, "reachable"})
	expectAt(t, s.get(t, testKey), where{moved, moveDate, "config/dev.env", 1, 2, 2, false, "reachable"})
	expectAt(t, s.get(t, rkKey), where{ren, renDate, "scripts/refund.py", 1, 2, 2, true, "reachable"})
	expectAt(t, s.get(t, whsec), where{side, sideDate, "webhooks.py", 1, 1, 1, false, "reachable"})
	expectAt(t, s.get(t, liveKey2), where{merge, mergeDate, "billing.py", 3, 1, 1, false, "reachable"})
	zf := s.get(t, zipKey)
	if zf.File != "dist/app.zip!conf/settings.py" || zf.Commit != zipCommit || zf.Line != 1 {
		t.Errorf("zip member: %s:%d in %s", zf.File, zf.Line, zf.Commit)
	}
	if s.byKey[binKey] != nil {
		t.Error("a key inside a binary file was reported")
	}
	binWarn := false
	for _, w := range s.warnings {
		if w.Kind == finding.WarnBinary && strings.Contains(w.Message, "1 binary file version") {
			binWarn = true
		}
	}
	if !binWarn {
		t.Errorf("no warning about the binary file: %v", s.warnings)
	}

	// Severity follows the credential; the text follows the state.
	live := s.get(t, liveKey)
	if live.Severity != finding.Critical || live.History.DetectedBy != "secrets/stripe-live-secret-key" {
		t.Errorf("live: %v %s", live.Severity, live.History.DetectedBy)
	}
	if !strings.Contains(live.Mitigation, "Rotate this key in the Stripe dashboard") || !strings.Contains(live.Mitigation, "removing it from the code does not revoke it") {
		t.Errorf("mitigation of a removed key: %s", live.Mitigation)
	}
	if !strings.Contains(live.Message, "removed since, but still in git history") || live.Evidence == "" {
		t.Errorf("message: %s (evidence %q)", live.Message, live.Evidence)
	}
	if f := s.get(t, testKey); f.Severity != finding.Medium || !reflectEqual(f.History.PathList, []string{"config/dev.env", "config/local.env"}) {
		t.Errorf("test key: %v %v", f.Severity, f.History.PathList)
	}
	if f := s.get(t, rkKey); !strings.Contains(f.Message, "still in the working tree") || !strings.HasPrefix(f.Mitigation, "Remove it from the code") {
		t.Errorf("present key: %s / %s", f.Message, f.Mitigation)
	}
	if f := s.get(t, whsec); !strings.Contains(f.Mitigation, "signing secret") {
		t.Errorf("webhook secret mitigation: %s", f.Mitigation)
	}
	if s.res.History().Unreachable != true {
		t.Error("unreachable objects not scanned")
	}
	if len(s.obs) != 0 {
		t.Errorf("observations with findings: %v", s.obs)
	}
}

func reflectEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestHistoryCommitMessagesAndUnreachable(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("a.py", "x = 1\n")
	repo.Commit("init")
	msgDate := repo.Date()
	repo.Write("a.py", "x = 2\n")
	msgCommit := repo.Commit("debugging with " + liveKey + " for now")

	// A commit that nothing reaches, holding a key in a file.
	repo.Write("tmp.py", "KEY = '"+rkKey+"'\n")
	repo.Git("add", "tmp.py")
	tree := repo.Git("write-tree")
	dangling := repo.Git("commit-tree", tree, "-p", "HEAD", "-m", "wip")
	repo.Advance()
	repo.Git("rm", "-q", "--cached", "tmp.py")
	repo.Remove("tmp.py")
	// A blob that was never committed.
	blob, err := repo.GitInput([]byte("STRIPE_SECRET_KEY="+testKey+"\n"), "hash-object", "-w", "--stdin")
	if err != nil {
		t.Fatal(err)
	}

	s := scan(t, repo.Dir, Options{Unreachable: true}, nil)
	m := s.get(t, liveKey)
	if m.Commit != msgCommit || m.File != "" || !m.History.InMessage || m.History.AuthorDate != msgDate || m.Context != "commit message" {
		t.Errorf("message key: %+v %+v", m, m.History)
	}
	if !strings.Contains(m.Message, "in the message of commit") {
		t.Errorf("message: %s", m.Message)
	}
	d := s.get(t, rkKey)
	if d.Commit != dangling || d.History.Reach != "dangling-commit" || d.File != "tmp.py" || !strings.Contains(d.Mitigation, "git gc --prune=now") {
		t.Errorf("dangling commit key: %s %s %s / %s", d.Commit, d.History.Reach, d.File, d.Mitigation)
	}
	b := s.get(t, testKey)
	if b.Commit != "" || b.History.Reach != "dangling-blob" || b.History.Blob != blob || b.File != "" || !strings.Contains(b.Message, "staged but never committed") {
		t.Errorf("dangling blob key: %+v %+v", b, b.History)
	}

	// Without the unreachable pass only the message remains.
	s = scan(t, repo.Dir, Options{}, nil)
	if len(s.byKey) != 1 || s.byKey[liveKey] == nil {
		t.Errorf("without unreachable objects: %d findings", len(s.byKey))
	}
}

// A key both in a reachable commit and in an older amended-away commit is
// attributed to the reachable one: that is the history others have.
func TestHistoryPrefersReachable(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("a.py", "KEY = '"+liveKey+"'\n")
	repo.Commit("first try")
	date := repo.Date()
	repo.Write("a.py", "KEY = '"+liveKey+"'  # final\n")
	repo.Git("add", "a.py")
	repo.Git("commit", "-q", "--amend", "-m", "first")
	amended := repo.Git("rev-parse", "HEAD")
	repo.Advance()
	s := scan(t, repo.Dir, Options{Unreachable: true}, nil)
	f := s.get(t, liveKey)
	if f.Commit != amended || f.History.Reach != "reachable" || f.History.AuthorDate[:10] != date[:10] || f.History.Commits != 2 {
		t.Errorf("got %s %s commits %d", f.Commit, f.History.Reach, f.History.Commits)
	}
}

func TestHistoryWorkingTreePresence(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("a.py", "KEY = '"+liveKey+"'\n")
	repo.Write("b.py", "KEY = '"+testKey+"'\n")
	repo.Commit("keys")
	repo.Write("a.py", "KEY = None\n")
	repo.Write("b.py", "KEY = None\n")
	repo.Commit("remove keys")
	// Uncommitted: the test key moved to an untracked file the working-tree
	// scan saw; a.py is edited back in the working tree only.
	repo.Write("a.py", "KEY = '"+liveKey+"'\n")
	s := scan(t, repo.Dir, Options{}, func(k string) bool { return k == testKey })
	if !s.get(t, liveKey).History.InWorkingTree {
		t.Error("key in a working-tree file at its history path not seen")
	}
	if !s.get(t, testKey).History.InWorkingTree {
		t.Error("the working-tree scan's verdict was ignored")
	}
}

func TestHistoryShallowClone(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("a.py", "KEY = '"+liveKey+"'\n")
	repo.Commit("key")
	for i := 0; i < 3; i++ {
		repo.Write("n.txt", fmt.Sprint(i))
		repo.Commit(fmt.Sprintf("more %d", i))
	}
	dst := filepath.Join(t.TempDir(), "clone")
	repo.Git("clone", "-q", "--depth", "1", "file://"+repo.Dir, dst)
	s := scan(t, dst, Options{Unreachable: true}, nil)
	f := s.get(t, liveKey)
	if !f.History.Partial || !strings.Contains(f.Message, "shallow clone") {
		t.Errorf("shallow: partial=%v %s", f.History.Partial, f.Message)
	}
	notes := strings.Join(s.res.Notes(), "\n")
	if !strings.Contains(notes, "shallow clone") || !strings.Contains(notes, "partial") {
		t.Errorf("notes: %s", notes)
	}
}

func TestHistoryEmptyAndClean(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	s := scan(t, repo.Dir, Options{Unreachable: true}, nil)
	if len(s.byKey) != 0 || !strings.Contains(strings.Join(s.res.Notes(), ""), "no commits") {
		t.Errorf("empty: %d findings, notes %v", len(s.byKey), s.res.Notes())
	}
	// Placeholders, documentation keys and env references are no leak: the
	// mitigation is then recorded as in place.
	repo.Write("README.md", "Set STRIPE_SECRET_KEY=sk_"+"test_xxxxxxxxxxxxxxxxxxxxxxxx or use "+secretstest.Keys["doc_sk"]+"\n")
	repo.Write("app.py", "stripe.api_key = os.environ['STRIPE_SECRET_KEY']\n")
	repo.Commit("docs")
	s = scan(t, repo.Dir, Options{Unreachable: true}, nil)
	if len(s.byKey) != 0 {
		t.Errorf("placeholders reported: %v", s.byKey)
	}
	if len(s.obs) != 1 || s.obs[0].Mitigation != MitigationRotated || s.obs[0].State != finding.InPlace || !strings.Contains(s.obs[0].Detail, "1 commit of") {
		t.Errorf("observations: %+v", s.obs)
	}
}

func TestHistoryNonUTF8(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("legacy/caf\xe9.py", "# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\nKEY = '"+liveKey+"'\n")
	// UTF-16 LE with a byte-order mark, as PowerShell writes `Out-File .env`.
	u16 := []byte{0xff, 0xfe}
	for _, c := range "# env\r\nSTRIPE_SECRET_KEY=" + rkKey + "\r\n" {
		u16 = append(u16, byte(c), 0)
	}
	repo.Write("deploy/.env", string(u16))
	repo.Commit("latin-1 \xe9 message with " + testKey)
	s := scan(t, repo.Dir, Options{}, nil)
	if f := s.get(t, liveKey); f.File != "legacy/caf\xe9.py" || f.Line != 3 {
		t.Errorf("non-UTF-8 file: %q:%d", f.File, f.Line)
	}
	if f := s.get(t, rkKey); f.File != "deploy/.env" || f.Line != 2 {
		t.Errorf("UTF-16 file: %q:%d", f.File, f.Line)
	}
	s.get(t, testKey)
}

func TestHistoryExcludeAndSubdir(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("svc/app.py", "KEY = '"+liveKey+"'\n")
	repo.Write("svc/tests/fixtures.py", "KEY = '"+testKey+"'\n")
	repo.Write("other/app.py", "KEY = '"+rkKey+"'\n")
	repo.Commit("three keys")
	s := scan(t, filepath.Join(repo.Dir, "svc"), Options{Exclude: func(p string) bool { return strings.HasPrefix(p, "tests/") }}, nil)
	if len(s.byKey) != 1 || s.get(t, liveKey).File != "app.py" {
		t.Errorf("subdir + exclude: %v", s.byKey)
	}
}

func TestApplyVerification(t *testing.T) {
	mk := func(state string) *finding.Finding {
		f := KeyInHistory.New()
		f.Secret, f.File, f.Line, f.Severity = liveKey, "a.py", 3, finding.Critical
		f.Message = "Stripe live secret key"
		f.History = &finding.History{Reach: "reachable"}
		f.Verification = &finding.Verification{State: state, Detail: "GET /v1/balance: HTTP x"}
		return f
	}
	f := mk(finding.KeyInactive)
	o := ApplyVerification(f)
	if f.RuleID != RevokedKeyInHistory.ID || f.Severity != finding.Info || o == nil || o.State != finding.InPlace || o.Mitigation != MitigationRotated {
		t.Errorf("inactive: %s %v %+v", f.RuleID, f.Severity, o)
	}
	if strings.Contains(o.Detail, liveKey) {
		t.Error("observation shows the key")
	}
	f = mk(finding.KeyActive)
	if ApplyVerification(f) != nil || f.Severity != finding.Critical || !strings.Contains(f.Message, "live now") {
		t.Errorf("active: %s", f.Message)
	}
	f = mk(finding.KeyUnknown)
	if ApplyVerification(f) != nil || f.RuleID != KeyInHistory.ID || !strings.Contains(f.Message, "unknown") {
		t.Errorf("unknown: %s", f.Message)
	}
}
