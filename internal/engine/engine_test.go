package engine

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/config"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// tokenRule is reported by tokenAnalyzer for every "TOKEN_<x>" word; it lets
// these tests observe exactly which files and lines the engine delivered.
var tokenRule = &rules.Rule{ID: "enginetest/token", Threat: finding.KeyExposure, Severity: finding.High,
	Name: "token", Description: "test token", Mitigation: "remove it"}

var codeRule = &rules.Rule{ID: "enginetestcode/token", Threat: finding.KeyExposure, Severity: finding.Critical,
	Name: "token in code", Description: "test token in code", Mitigation: "remove it"}

func init() {
	rules.Register(tokenRule, codeRule)
	analyzer.Register(analyzer.Factory{Name: "enginetest", New: func(analyzer.Options) (analyzer.Analyzer, error) { return &tokenAnalyzer{}, nil }})
}

type tokenAnalyzer struct {
	mu    sync.Mutex
	files []string
}

func (*tokenAnalyzer) Name() string              { return "enginetest" }
func (*tokenAnalyzer) ScansHistory()             {}
func (*tokenAnalyzer) Wants(f *source.File) bool { return true }
func (a *tokenAnalyzer) File(_ context.Context, f *source.File, sink finding.Sink) {
	a.mu.Lock()
	a.files = append(a.files, f.Rel)
	a.mu.Unlock()
	for i, line := range bytes.Split(f.Data, []byte("\n")) {
		for _, w := range strings.Fields(string(line)) {
			w = strings.Trim(w, `"',;()`)
			if !strings.HasPrefix(w, "TOKEN_") {
				continue
			}
			col := bytes.Index(line, []byte(w)) + 1
			fd := tokenRule.New()
			fd.File, fd.Line, fd.Column, fd.EndLine = f.Rel, i+1, col, i+1
			fd.Message, fd.Secret = "token "+w, w
			sink.Finding(fd)
			if strings.HasSuffix(f.Rel, ".py") && strings.Contains(string(line), "api_key") {
				cf := codeRule.New()
				cf.File, cf.Line, cf.Column, cf.EndLine = f.Rel, i+1, col, i+1
				cf.Message, cf.Secret = "token assigned to api_key", w
				sink.Finding(cf)
			}
		}
	}
}

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func scan(t *testing.T, root string, mod func(*Options)) (files []string, byFile map[string][]*finding.Finding, warnings []*finding.Warning) {
	t.Helper()
	opt := Options{Root: root, Only: []string{"enginetest"}}
	if mod != nil {
		mod(&opt)
	}
	r, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	byFile = map[string][]*finding.Finding{}
	for _, f := range r.Findings {
		byFile[f.File] = append(byFile[f.File], f)
	}
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	return files, byFile, r.Warnings
}

func TestWalkHonoursIgnoresAndSkipsVendored(t *testing.T) {
	root := t.TempDir()
	write(t, root, ".gitignore", "build/\n*.log\n!keep.log\n")
	write(t, root, "app.py", "x = 'TOKEN_app'\n")
	write(t, root, "build/out.py", "TOKEN_build\n")
	write(t, root, "debug.log", "TOKEN_log\n")
	write(t, root, "keep.log", "TOKEN_keep\n")
	write(t, root, "sub/.gitignore", "secret.txt\n")
	write(t, root, "sub/secret.txt", "TOKEN_sub\n")
	write(t, root, "sub/other.txt", "TOKEN_other\n")
	write(t, root, ".venv/pyvenv.cfg", "home = /usr\n")
	write(t, root, ".venv/lib/python3.11/site-packages/x.py", "TOKEN_venv\n")
	write(t, root, "node_modules/m/index.js", "TOKEN_node\n")
	write(t, root, ".git/config", "TOKEN_git\n")
	write(t, root, "tests/fixtures/f.txt", "TOKEN_fixture\n")
	write(t, root, ".env", "KEY= TOKEN_env\n")

	files, _, _ := scan(t, root, func(o *Options) { o.Exclude = []string{"tests/fixtures/"} })
	want := []string{".env", "app.py", "keep.log", "sub/other.txt"}
	if strings.Join(files, ",") != strings.Join(want, ",") {
		t.Errorf("scanned %v, want %v", files, want)
	}
	files, _, _ = scan(t, root, func(o *Options) { o.IncludeVendored = true })
	if !contains(files, ".venv/lib/python3.11/site-packages/x.py") || !contains(files, "node_modules/m/index.js") {
		t.Errorf("--include-vendored did not scan vendored dirs: %v", files)
	}
}

func TestIgnoredEnvFilesAreShownButFlagged(t *testing.T) {
	root := t.TempDir()
	write(t, root, ".gitignore", ".env\n")
	write(t, root, ".env", "TOKEN_x\n")
	var got []*source.File
	w, err := source.NewWalker(root, source.WalkOptions{}, func(*finding.Warning) {})
	if err != nil {
		t.Fatal(err)
	}
	w.Walk(context.Background(), func(e source.Entry) { got = append(got, &source.File{Rel: e.Rel, Ignored: e.Ignored}) })
	var env *source.File
	for _, f := range got {
		if f.Rel == ".env" {
			env = f
		}
	}
	if env == nil || !env.Ignored {
		t.Fatalf("ignored .env should be yielded with Ignored=true, got %+v", got)
	}
}

func TestBadInputWarnsAndContinues(t *testing.T) {
	root := t.TempDir()
	write(t, root, "ok.txt", "TOKEN_ok\n")
	write(t, root, "big.txt", strings.Repeat("a", 2048)+" TOKEN_big\n")
	if err := os.WriteFile(filepath.Join(root, "bin.dat"), []byte("TOKEN_bin\x00\x01\x02"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	write(t, outside, "secret.txt", "TOKEN_outside\n")
	must(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "link.txt")))
	must(t, os.Symlink(outside, filepath.Join(root, "linkdir")))
	must(t, os.Symlink(filepath.Join(root, "loop1"), filepath.Join(root, "loop2")))
	must(t, os.Symlink(filepath.Join(root, "loop2"), filepath.Join(root, "loop1")))
	// A name that is not valid UTF-8 must not stop the walk.
	write(t, root, "caf\xe9.txt", "TOKEN_latin1\n")
	unreadable := filepath.Join(root, "locked.txt")
	write(t, root, "locked.txt", "TOKEN_locked\n")
	must(t, os.Chmod(unreadable, 0))

	files, _, warns := scan(t, root, func(o *Options) { o.MaxFileSize = 1024 })
	if !contains(files, "ok.txt") || !contains(files, "caf\xe9.txt") {
		t.Errorf("readable files missing: %v", files)
	}
	for _, bad := range []string{"big.txt", "bin.dat", "link.txt", "linkdir/secret.txt"} {
		if contains(files, bad) {
			t.Errorf("%s should not be scanned", bad)
		}
	}
	kinds := map[string]string{}
	for _, w := range warns {
		kinds[w.File] = w.Kind
	}
	for file, kind := range map[string]string{"big.txt": finding.WarnTooLarge, "bin.dat": finding.WarnBinary, "link.txt": finding.WarnSymlink, "linkdir": finding.WarnSymlink, "loop1": finding.WarnSymlink} {
		if kinds[file] != kind {
			t.Errorf("warning for %s = %q, want %q (all: %v)", file, kinds[file], kind, kinds)
		}
	}
	if os.Geteuid() != 0 && kinds["locked.txt"] != finding.WarnUnreadable {
		t.Errorf("unreadable file should warn, got %v", kinds)
	}
}

func TestInlineSuppressionConfigAndMerge(t *testing.T) {
	defer func(old string) { rawKeyPrefix = old }(rawKeyPrefix)
	rawKeyPrefix = "enginetest/"
	root := t.TempDir()
	write(t, root, "a.py", strings.Join([]string{
		"stripe.api_key = 'TOKEN_one'",
		"x = 'TOKEN_two'  # stripeguard:ignore",
		"y = 'TOKEN_three'  # stripeguard:ignore enginetest/token",
		"z = 'TOKEN_four'  # stripeguard:ignore[other/rule]",
		"",
	}, "\n"))
	_, byFile, _ := scan(t, root, nil)
	got := byFile["a.py"]
	if len(got) != 2 {
		t.Fatalf("want 2 findings (merged line 1 + line 4), got %d: %+v", len(got), got)
	}
	var merged *finding.Finding
	for _, f := range got {
		if f.Line == 1 {
			merged = f
		}
	}
	if merged == nil || merged.RuleID != codeRule.ID || merged.Severity != finding.Critical || len(merged.Related) != 1 {
		t.Errorf("line 1 should be one code finding linking the raw one, got %+v", merged)
	}
	if strings.Contains(merged.Evidence, "TOKEN_one") {
		t.Errorf("evidence leaks the secret: %q", merged.Evidence)
	}

	cfg := &config.Config{Disabled: map[string]bool{codeRule.ID: true}, Overrides: map[string]finding.Severity{tokenRule.ID: finding.Low}}
	_, byFile, _ = scan(t, root, func(o *Options) { o.Config = cfg })
	for _, f := range byFile["a.py"] {
		if f.RuleID == codeRule.ID || f.Severity != finding.Low {
			t.Errorf("config not applied: %+v", f)
		}
	}
}

func TestFingerprintStableWhenLinesMove(t *testing.T) {
	root := t.TempDir()
	write(t, root, "a.txt", "TOKEN_a\nTOKEN_b\nTOKEN_a\n")
	_, before, _ := scan(t, root, nil)
	write(t, root, "a.txt", "# new header\n\nTOKEN_a\nunrelated\nTOKEN_b\nTOKEN_a\n")
	_, after, _ := scan(t, root, nil)
	fp := func(fs []*finding.Finding) []string {
		var s []string
		for _, f := range fs {
			s = append(s, f.Fingerprint)
		}
		sort.Strings(s)
		return s
	}
	b, a := fp(before["a.txt"]), fp(after["a.txt"])
	if len(b) != 3 || strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("fingerprints changed when lines moved:\n%v\n%v", b, a)
	}
	if b[0] == b[1] || b[1] == b[2] {
		t.Errorf("identical keys on different lines need distinct fingerprints: %v", b)
	}
	// Baseline hides exactly what it records.
	base := map[string]bool{b[0]: true}
	_, withBase, _ := scan(t, root, func(o *Options) { o.Baseline = base })
	if len(withBase["a.txt"]) != 2 {
		t.Errorf("baseline should hide one finding, got %d", len(withBase["a.txt"]))
	}
}

func TestGitTrackedAndStaged(t *testing.T) {
	testutil.NeedProgram(t, "git")
	root := t.TempDir()
	gitRun(t, root, "init", "-q")
	write(t, root, "committed.txt", "TOKEN_committed\n")
	write(t, root, ".env", "TOKEN_env\n")
	gitRun(t, root, "add", ".")
	gitRun(t, root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init")
	write(t, root, "new.txt", "TOKEN_staged\n")
	gitRun(t, root, "add", "new.txt")
	// The working tree differs from the index: staged mode must scan the index.
	write(t, root, "new.txt", "TOKEN_worktree\n")
	write(t, root, "unstaged.txt", "TOKEN_unstaged\n")

	var tracked []string
	w, err := source.NewWalker(root, source.WalkOptions{}, func(*finding.Warning) {})
	must(t, err)
	w.Walk(context.Background(), func(e source.Entry) {
		if w.IsTracked(e.Rel) {
			tracked = append(tracked, e.Rel)
		}
	})
	sort.Strings(tracked)
	if strings.Join(tracked, ",") != ".env,committed.txt,new.txt" {
		t.Errorf("tracked = %v", tracked)
	}

	files, byFile, _ := scan(t, root, func(o *Options) { o.Staged = true })
	if strings.Join(files, ",") != "new.txt" || byFile["new.txt"][0].Secret != "TOKEN_staged" {
		t.Errorf("staged scan = %v %+v", files, byFile)
	}
}

func TestSuppressedInline(t *testing.T) {
	cases := []struct {
		line string
		rule string
		want bool
	}{
		{`k = "x"`, "a/b", false},
		{`k = "x"  # stripeguard:ignore`, "a/b", true},
		{`k = "x"  # stripeguard:ignore a/b`, "a/b", true},
		{`k = "x"  # stripeguard:ignore c/d`, "a/b", false},
		{`k = "x"  # stripeguard:ignore c/d, a/b`, "a/b", true},
		{`k = "x"  # stripeguard:ignore[c/d,a/b]`, "a/b", true},
		{`k = "x"  # stripeguard:ignore[c/d]`, "a/b", false},
		{`k = "x"  // stripeguard:ignore because reasons`, "a/b", true},
	}
	for _, c := range cases {
		if got := suppressedInline([]byte(c.line), c.rule); got != c.want {
			t.Errorf("%q %s = %v, want %v", c.line, c.rule, got, c.want)
		}
	}
}

func TestPycSource(t *testing.T) {
	for in, want := range map[string]string{
		"pkg/__pycache__/mod.cpython-311.pyc": "pkg/mod.py",
		"mod.pyc":                             "mod.py",
		"a/b/old.pyc":                         "a/b/old.py",
	} {
		if got := pycSource(in); got != want {
			t.Errorf("pycSource(%q) = %q, want %q", in, got, want)
		}
	}
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func BenchmarkWalkAndDispatch(b *testing.B) {
	root := b.TempDir()
	for i := 0; i < 500; i++ {
		write(&testing.T{}, root, filepath.Join("pkg", string(rune('a'+i%26)), "f"+strings.Repeat("x", i%7)+string(rune('0'+i%10))+".py"), strings.Repeat("import os\nx = 1\n", 500))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), Options{Root: root, Only: []string{"enginetest"}, Workers: runtime.GOMAXPROCS(0)}); err != nil {
			b.Fatal(err)
		}
	}
}
