package githistory

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// result is what a walk delivered.
type result struct {
	h        *History
	blobs    map[string]string // id -> content
	reach    map[string]Reach
	paths    map[string]string // id -> Blob.Path
	messages map[string]string // commit -> message
	warnings []*finding.Warning
}

func walk(t *testing.T, opt Options) *result {
	t.Helper()
	r := &result{blobs: map[string]string{}, reach: map[string]Reach{}, paths: map[string]string{}, messages: map[string]string{}}
	var mu sync.Mutex
	opt.Blob = func(b *Blob) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := r.blobs[b.ID]; dup {
			t.Errorf("blob %s delivered twice", b.ID)
		}
		r.blobs[b.ID] = string(b.Data)
		r.reach[b.ID] = b.Reach
		r.paths[b.ID] = b.Path
	}
	opt.Message = func(c *Commit, msg []byte) { r.messages[c.Hash] = string(msg) }
	opt.Warn = func(w *finding.Warning) {
		mu.Lock()
		r.warnings = append(r.warnings, w)
		mu.Unlock()
	}
	h, err := Walk(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	return r
}

// blobOf is the id git gives content.
func blobOf(t *testing.T, repo *testutil.GitRepo, content string) string {
	t.Helper()
	id, err := repo.GitInput([]byte(content), "hash-object", "--stdin")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// where lists "commit-subject:path" for each occurrence of a blob.
func (r *result) where(repo *testutil.GitRepo, id string) []string {
	var out []string
	for _, o := range r.h.Occurrences(id) {
		c := r.h.Commit(o.Commit)
		if c == nil {
			out = append(out, "-:"+r.h.Path(o.Path))
			continue
		}
		subj := strings.SplitN(strings.TrimSpace(r.messages[c.Hash]), "\n", 2)[0]
		out = append(out, subj+":"+r.h.Path(o.Path))
	}
	sort.Strings(out)
	return out
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// TestWalkShapes builds one repository holding the shapes of history the
// scan must follow and checks where each file version is attributed.
func TestWalkShapes(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("app/settings.py", "KEY = 'MARK-added-then-removed'\n")
	repo.Write("README.md", "readme\n")
	repo.Commit("c1 add settings")
	repo.Write("app/settings.py", "KEY = os.environ['KEY']\n")
	repo.Commit("c2 remove mark")
	// Moved between files: the same line in a new file, removed from the old.
	repo.Write("conf/a.env", "X=MARK-moved\n")
	repo.Commit("c3 add a.env")
	repo.Remove("conf/a.env")
	repo.Write("conf/b.env", "X=MARK-moved\n")
	repo.Commit("c4 move to b.env")
	// Renamed file, same content.
	if err := os.MkdirAll(filepath.Join(repo.Dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	repo.Git("mv", "README.md", "docs/README.md")
	repo.Commit("c5 rename readme")
	// A side branch that is never merged, and one that is merged with an
	// evil merge (content that is in neither parent).
	repo.Git("checkout", "-q", "-b", "side")
	repo.Write("side.txt", "MARK-side-only\n")
	repo.Commit("s1 side only")
	repo.Git("checkout", "-q", "main")
	repo.Git("checkout", "-q", "-b", "feature")
	repo.Write("feature.txt", "feature\n")
	repo.Commit("f1 feature")
	repo.Git("checkout", "-q", "main")
	repo.Write("main.txt", "main\n")
	repo.Commit("c6 main moves on")
	repo.Git("merge", "-q", "--no-ff", "--no-commit", "feature")
	repo.Write("merge-only.txt", "MARK-evil-merge\n")
	repo.Git("add", "merge-only.txt")
	repo.Git("commit", "-q", "-m", "m1 merge feature")
	repo.Advance()
	// Binary content, non-UTF-8 content and a non-UTF-8 path, a symlink.
	repo.Write("img.bin", "\x00\x01\x02MARK-binary\x00")
	repo.Write("latin1.txt", "caf\xe9 MARK-latin1\n")
	repo.Write("d\xe9j\xe0.txt", "MARK-odd-path\n")
	if err := os.Symlink("app/settings.py", filepath.Join(repo.Dir, "link")); err != nil {
		t.Fatal(err)
	}
	repo.Commit("c7 odd files\n\nbody mentions MARK-message")

	r := walk(t, Options{Dir: repo.Dir, Unreachable: true})
	if len(r.h.Commits) != 10 {
		t.Errorf("commits = %d, want 10", len(r.h.Commits))
	}
	check := func(content string, want ...string) {
		t.Helper()
		id := blobOf(t, repo, content)
		if got, ok := r.blobs[id]; !ok || got != content {
			t.Errorf("blob %q not delivered (got %q)", content, got)
		}
		eq(t, "occurrences of "+strings.TrimSpace(content), r.where(repo, id), want)
	}
	check("KEY = 'MARK-added-then-removed'\n", "c1 add settings:app/settings.py")
	check("X=MARK-moved\n", "c3 add a.env:conf/a.env", "c4 move to b.env:conf/b.env")
	check("readme\n", "c1 add settings:README.md", "c5 rename readme:docs/README.md")
	check("MARK-side-only\n", "s1 side only:side.txt")
	check("MARK-evil-merge\n", "m1 merge feature:merge-only.txt")
	check("\x00\x01\x02MARK-binary\x00", "c7 odd files:img.bin")
	check("caf\xe9 MARK-latin1\n", "c7 odd files:latin1.txt")
	check("MARK-odd-path\n", "c7 odd files:d\xe9j\xe0.txt")
	// The merge shows only what differs from every parent: feature.txt
	// and main.txt are attributed to their own commits.
	check("feature\n", "f1 feature:feature.txt")
	// A symlink's target is not content; it is not read, not dangling.
	if id := blobOf(t, repo, "app/settings.py"); r.blobs[id] != "" || len(r.h.Occurrences(id)) != 0 {
		t.Errorf("symlink target delivered as a blob")
	}
	found := false
	for _, m := range r.messages {
		if strings.Contains(m, "body mentions MARK-message") {
			found = true
		}
	}
	if !found {
		t.Errorf("commit message bodies not delivered: %q", r.messages)
	}
	if r.h.DanglingBlobs != 0 || r.h.DanglingCommits != 0 || r.h.ReflogCommits != 0 {
		t.Errorf("clean repository has unreachable objects: %+v", r.h)
	}
	if !r.h.Unreachable || r.h.Narrowed != "" || r.h.Shallow {
		t.Errorf("flags: %+v", r.h)
	}
	// Dates are the author's, in strict ISO form.
	for _, c := range r.h.Commits {
		if _, err := time.Parse(time.RFC3339, c.AuthorDate); err != nil {
			t.Errorf("author date %q: %v", c.AuthorDate, err)
		}
	}
	if len(r.warnings) != 0 {
		t.Errorf("warnings: %v", r.warnings)
	}
}

func TestWalkUnreachable(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("a.txt", "base\n")
	repo.Commit("base")
	// Amended away: the first version survives only in the reflog.
	repo.Write("a.txt", "MARK-amended-away\n")
	repo.Commit("will be amended")
	repo.Write("a.txt", "fixed\n")
	repo.Git("add", "a.txt")
	repo.Git("commit", "-q", "--amend", "-m", "amended")
	repo.Advance()
	// A commit no ref or reflog ever pointed at (a dropped stash, an
	// expired reflog): commit-tree writes one directly.
	repo.Write("b.txt", "MARK-dangling-commit\n")
	repo.Git("add", "b.txt")
	tree := repo.Git("write-tree")
	danglingCommit := repo.Git("commit-tree", tree, "-p", "HEAD", "-m", "dangling one")
	repo.Advance()
	repo.Git("rm", "-q", "--cached", "b.txt")
	repo.Remove("b.txt")
	// Written to the object store and never committed: a dangling blob.
	dangling, err := repo.GitInput([]byte("MARK-dangling-blob\n"), "hash-object", "-w", "--stdin")
	if err != nil {
		t.Fatal(err)
	}
	// A blob in the index is staged work, not a leftover.
	repo.Write("staged.txt", "MARK-staged\n")
	repo.Git("add", "staged.txt")

	r := walk(t, Options{Dir: repo.Dir, Unreachable: true})
	if !r.h.Unreachable {
		t.Fatal("unreachable pass did not run")
	}
	byMsg := map[string]*Commit{}
	for _, c := range r.h.Commits {
		byMsg[strings.TrimSpace(r.messages[c.Hash])] = c
	}
	if c := byMsg["will be amended"]; c == nil || c.Reach != Reflog {
		t.Errorf("amended commit: %+v", c)
	}
	if c := byMsg["dangling one"]; c == nil || c.Reach != DanglingCommit || c.Hash != danglingCommit {
		t.Errorf("dangling commit: %+v (want %s)", c, danglingCommit)
	}
	if c := byMsg["amended"]; c == nil || c.Reach != Reachable {
		t.Errorf("amended result: %+v", c)
	}
	if got := r.blobs[dangling]; got != "MARK-dangling-blob\n" || r.reach[dangling] != DanglingBlob || r.paths[dangling] != "" {
		t.Errorf("dangling blob: %q reach %v", got, r.reach[dangling])
	}
	if occ := r.h.Occurrences(dangling); len(occ) != 1 || occ[0].Commit != -1 {
		t.Errorf("dangling blob occurrences: %v", occ)
	}
	if id := blobOf(t, repo, "MARK-staged\n"); r.blobs[id] != "" {
		t.Error("a blob in the index was reported as dangling")
	}
	if id := blobOf(t, repo, "MARK-amended-away\n"); r.blobs[id] == "" || r.h.Commit(r.h.Occurrences(id)[0].Commit).Reach != Reflog {
		t.Error("content of the amended commit not attributed to it")
	}
	if r.h.ReflogCommits != 1 || r.h.DanglingCommits != 1 || r.h.DanglingBlobs < 1 {
		t.Errorf("counts: reflog %d dangling %d blobs %d", r.h.ReflogCommits, r.h.DanglingCommits, r.h.DanglingBlobs)
	}

	// Narrowing the walk skips the unreachable pass.
	n := walk(t, Options{Dir: repo.Dir, Unreachable: true, MaxCommits: 1})
	if n.h.Unreachable || n.blobs[dangling] != "" {
		t.Error("a narrowed walk must not scan unreachable objects")
	}
}

func TestWalkShallowClone(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	for i := 0; i < 4; i++ {
		repo.Write("f.txt", fmt.Sprintf("version %d\n", i))
		repo.Commit(fmt.Sprintf("commit %d", i))
	}
	dst := filepath.Join(t.TempDir(), "shallow")
	repo.Git("clone", "-q", "--depth", "2", "file://"+repo.Dir, dst)
	r := walk(t, Options{Dir: dst, Unreachable: true})
	if !r.h.Shallow || len(r.h.Boundary) != 1 {
		t.Fatalf("shallow = %v, boundary %v", r.h.Shallow, r.h.Boundary)
	}
	if len(r.h.Commits) != 2 {
		t.Errorf("commits = %d, want 2", len(r.h.Commits))
	}
	// The boundary commit shows its whole tree as added.
	id := blobOf(t, repo, "version 2\n")
	occ := r.h.Occurrences(id)
	if len(occ) != 1 || r.h.Commit(occ[0].Commit).Hash != r.h.Boundary[0] {
		t.Errorf("boundary content: %v", occ)
	}
}

func TestWalkEmptyRepository(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	r := walk(t, Options{Dir: repo.Dir, Unreachable: true})
	if len(r.h.Commits) != 0 || len(r.blobs) != 0 {
		t.Errorf("empty repository: %d commits, %d blobs", len(r.h.Commits), len(r.blobs))
	}
	// Something staged but never committed is neither history nor dangling.
	repo.Write("a.txt", "staged\n")
	repo.Git("add", "a.txt")
	r = walk(t, Options{Dir: repo.Dir, Unreachable: true})
	if len(r.blobs) != 0 {
		t.Errorf("staged blob in an empty repository delivered: %v", r.blobs)
	}
}

func TestWalkNotARepository(t *testing.T) {
	testutil.NeedProgram(t, "git")
	_, err := Walk(context.Background(), Options{Dir: t.TempDir()})
	if !errors.Is(err, ErrNotRepository) {
		t.Errorf("err = %v, want ErrNotRepository", err)
	}
}

func TestWalkNarrowing(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("a.txt", "one\n")
	first := repo.Commit("one")
	repo.Write("a.txt", "two\n")
	repo.Commit("two")
	repo.Git("tag", "v2")
	repo.Git("checkout", "-q", "-b", "side")
	repo.Write("s.txt", "side\n")
	repo.Commit("side")
	repo.Git("checkout", "-q", "main")
	repo.Write("a.txt", "three\n")
	repo.Commit("three")

	cases := []struct {
		name string
		opt  Options
		want []string
	}{
		{"all refs", Options{}, []string{"one\n", "side\n", "three\n", "two\n"}},
		{"branch", Options{Revs: []string{"main"}}, []string{"one\n", "three\n", "two\n"}},
		{"two branches", Options{Revs: []string{"main", "side"}}, []string{"one\n", "side\n", "three\n", "two\n"}},
		{"since rev", Options{Since: "v2"}, []string{"side\n", "three\n"}},
		{"since commit", Options{Since: first, Revs: []string{"main"}}, []string{"three\n", "two\n"}},
		{"since date", Options{Since: testutil.GitEpoch.Add(90 * time.Minute).Format(time.RFC3339)}, []string{"side\n", "three\n"}},
		{"max commits", Options{MaxCommits: 1}, []string{"three\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opt.Dir = repo.Dir
			c.opt.Unreachable = true
			r := walk(t, c.opt)
			var got []string
			for _, v := range r.blobs {
				got = append(got, v)
			}
			sort.Strings(got)
			eq(t, "blobs", got, c.want)
			if (r.h.Narrowed == "") != (c.name == "all refs") {
				t.Errorf("narrowed = %q", r.h.Narrowed)
			}
		})
	}
	for _, bad := range []Options{{Revs: []string{"nope"}}, {Revs: []string{"--all"}}, {Since: "--output=x"}, {Since: "garbage"}, {Since: "2024-13-45"}, {Since: "v9.9"}} {
		bad.Dir = repo.Dir
		if _, err := Walk(context.Background(), bad); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

func TestWalkSubdirectory(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("svc/app.py", "in svc\n")
	repo.Write("other/app.py", "outside\n")
	repo.Commit("both")
	repo.Write("other/app.py", "outside 2\n")
	repo.Commit("outside only")
	r := walk(t, Options{Dir: filepath.Join(repo.Dir, "svc"), Unreachable: true})
	if len(r.blobs) != 1 || r.blobs[blobOf(t, repo, "in svc\n")] == "" {
		t.Errorf("blobs = %v", r.blobs)
	}
	eq(t, "paths", r.h.Paths, []string{"app.py"})
	if len(r.h.Commits) != 1 || r.h.Unreachable {
		t.Errorf("commits %d, unreachable %v", len(r.h.Commits), r.h.Unreachable)
	}
}

func TestWalkBareRepository(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("a.txt", "bare content\n")
	repo.Commit("one")
	dst := filepath.Join(t.TempDir(), "bare.git")
	repo.Git("clone", "-q", "--bare", repo.Dir, dst)
	r := walk(t, Options{Dir: dst, Unreachable: true})
	if !r.h.Bare || r.blobs[blobOf(t, repo, "bare content\n")] == "" {
		t.Errorf("bare: %+v %v", r.h.Bare, r.blobs)
	}
	if !IsBare(context.Background(), dst) || IsBare(context.Background(), repo.Dir) {
		t.Error("IsBare")
	}
}

func TestWalkMissingAndLargeBlobs(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("gone.txt", "this blob will be deleted from the object store\n")
	repo.Write("big.txt", strings.Repeat("x", 5000)+"\n")
	repo.Write("ok.txt", "fine\n")
	repo.Commit("one")
	gone := blobOf(t, repo, "this blob will be deleted from the object store\n")
	if err := os.Remove(filepath.Join(repo.Dir, ".git", "objects", gone[:2], gone[2:])); err != nil {
		t.Fatal(err)
	}
	r := walk(t, Options{Dir: repo.Dir, MaxBlobSize: 1000, Unreachable: true})
	if r.blobs[blobOf(t, repo, "fine\n")] != "fine\n" {
		t.Error("the walk stopped at a missing blob")
	}
	if r.h.Missing != 1 || r.h.TooLarge != 1 {
		t.Errorf("missing %d, too large %d", r.h.Missing, r.h.TooLarge)
	}
	var kinds []string
	for _, w := range r.warnings {
		kinds = append(kinds, w.Kind+":"+w.File)
		if strings.Contains(w.Message, "sk_") {
			t.Errorf("warning leaks content: %s", w.Message)
		}
	}
	sort.Strings(kinds)
	eq(t, "warnings", kinds, []string{"too-large:big.txt", "unreadable:"})
}

func TestWalkExcludeAndWants(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Write("vendor/lib.py", "vendored\n")
	repo.Write("logo.png", "not really a png\n")
	repo.Write("copy.txt", "not really a png\n")
	repo.Write("app.py", "app\n")
	repo.Commit("one")
	var asked []string
	r := walk(t, Options{Dir: repo.Dir,
		Exclude: func(p string) bool { return strings.HasPrefix(p, "vendor/") },
		Wants: func(p string) bool {
			asked = append(asked, p)
			return !strings.HasSuffix(p, ".png")
		}})
	if r.blobs[blobOf(t, repo, "vendored\n")] != "" {
		t.Error("excluded path read")
	}
	// The same blob is wanted at copy.txt, so it is read once.
	if r.blobs[blobOf(t, repo, "not really a png\n")] == "" {
		t.Error("a blob wanted at one of its paths was not read")
	}
	for _, p := range r.h.Paths {
		if strings.HasPrefix(p, "vendor/") {
			t.Error("excluded path recorded")
		}
	}
}

// TestWalkManyBlobs makes the walk split its queue across several cat-file
// processes and checks every blob arrives once, intact.
func TestWalkManyBlobs(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	var fi strings.Builder
	const n = 1500
	for i := 0; i < n; i++ {
		data := fmt.Sprintf("file %d\n%s\n", i, strings.Repeat(fmt.Sprint(i), i%50))
		fmt.Fprintf(&fi, "commit refs/heads/main\ncommitter Dev <dev@example.com> %d +0000\ndata 5\nc%04d\n", 1600000000+i, i)
		fmt.Fprintf(&fi, "M 100644 inline dir%d/f%d.txt\ndata %d\n%s\n", i%7, i, len(data), data)
	}
	if _, err := repo.GitInput([]byte(fi.String()), "fast-import", "--quiet"); err != nil {
		t.Fatal(err)
	}
	var progress []Progress
	var mu sync.Mutex
	r := walk(t, Options{Dir: repo.Dir, Fetchers: 3, Progress: func(p Progress) {
		mu.Lock()
		progress = append(progress, p)
		mu.Unlock()
	}})
	if len(r.blobs) != n || len(r.h.Commits) != n {
		t.Fatalf("%d blobs, %d commits, want %d", len(r.blobs), len(r.h.Commits), n)
	}
	for i := 0; i < n; i++ {
		data := fmt.Sprintf("file %d\n%s\n", i, strings.Repeat(fmt.Sprint(i), i%50))
		if r.blobs[blobOf(t, repo, data)] != data {
			t.Fatalf("blob %d wrong", i)
		}
	}
	last := progress[len(progress)-1]
	if !last.Listed || last.Commits != n || last.CommitsDone != n || last.BlobsDone != n {
		t.Errorf("final progress %+v", last)
	}
}

func TestWalkCancel(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	for i := 0; i < 20; i++ {
		repo.Write(fmt.Sprintf("f%d.txt", i), fmt.Sprint(i))
	}
	repo.Commit("many")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Walk(ctx, Options{Dir: repo.Dir, Blob: func(*Blob) { cancel() }})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("walk did not stop after cancel")
	}
}

func TestParseRaw(t *testing.T) {
	z := strings.Repeat("0", 40)
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	cases := []struct {
		in   string
		ok   bool
		mode string
		blob string
	}{
		{":100644 100644 " + a + " " + b + " M", true, "100644", b},
		{":000000 100755 " + z + " " + b + " A", true, "100755", b},
		{":100644 000000 " + a + " " + z + " D", true, "000000", z},
		{"::100644 100644 100644 " + a + " " + b + " " + c + " MM", true, "100644", c},
		{":::100644 100644 100644 100644 " + a + " " + b + " " + a + " " + c + " MMM", true, "100644", c},
		{":100644 " + a + " M", false, "", ""},
		{"::100644 100644 " + a + " " + b + " M", false, "", ""},
	}
	for _, tc := range cases {
		e, ok := parseRaw([]byte(tc.in))
		if ok != tc.ok || (ok && (e.mode != tc.mode || e.blob != tc.blob)) {
			t.Errorf("parseRaw(%q) = %+v, %v", tc.in, e, ok)
		}
	}
}

// TestParseLogMessages feeds the parser messages longer than its buffer and
// messages that look like raw entries.
func TestParseLogMessages(t *testing.T) {
	long := strings.Repeat("m", 3<<20)
	b := strings.Repeat("b", 40)
	stream := "\x1e" + strings.Repeat("1", 40) + " \x00" + "2021-01-01T00:00:00Z\x00" + long + "\n\x00\n" +
		":000000 100644 " + strings.Repeat("0", 40) + " " + b + " A\x00path one\x00" +
		"\x1e" + strings.Repeat("2", 40) + " " + strings.Repeat("1", 40) + "\x00" + "2021-01-02T00:00:00Z\x00" + ":100644 looks like an entry\n\x00" +
		"\x1e" + strings.Repeat("3", 40) + " \x00" + "2021-01-03T00:00:00Z\x00\x00"
	w := &walker{h: &History{blobs: map[string]*blobState{}}, paths: map[string]int32{}}
	var msgs []int
	w.opt.Message = func(c *Commit, m []byte) { msgs = append(msgs, len(m)) }
	q := newQueue(context.Background())
	if err := w.parseLog(bufio.NewReaderSize(strings.NewReader(stream), 4096), q, Reachable); err != nil {
		t.Fatal(err)
	}
	if len(w.h.Commits) != 3 || w.h.Commits[1].AuthorDate != "2021-01-02T00:00:00Z" {
		t.Fatalf("commits: %+v", w.h.Commits)
	}
	if len(msgs) != 2 || msgs[0] != len(long)+1 {
		t.Errorf("messages: %v", msgs)
	}
	if len(q.items) != 1 || q.items[0].path != "path one" || q.items[0].id != b {
		t.Errorf("queued: %+v", q.items)
	}
}

// A partial clone must not fetch the blobs its filter left out: they are
// counted as missing, and the walk goes on without network access.
func TestWalkPartialClone(t *testing.T) {
	repo := testutil.NewGitRepo(t)
	repo.Git("config", "uploadpack.allowFilter", "true")
	repo.Write("a.txt", "old version\n")
	repo.Commit("one")
	repo.Write("a.txt", "new version\n")
	repo.Commit("two")
	dst := filepath.Join(t.TempDir(), "partial")
	repo.Git("clone", "-q", "--filter=blob:none", "file://"+repo.Dir, dst)
	r := walk(t, Options{Dir: dst, Unreachable: true})
	// The old version is still absent: nothing was fetched.
	if out, err := repo.GitInput(nil, "-C", dst, "rev-list", "--objects", "--missing=print", "--all"); err != nil || strings.Count(out, "?") != 1 {
		t.Errorf("the walk fetched blobs from the promisor remote: %q %v", out, err)
	}
	if !r.h.Partial || r.h.Missing != 1 {
		t.Errorf("partial %v, missing %d", r.h.Partial, r.h.Missing)
	}
	if r.blobs[blobOf(t, repo, "new version\n")] == "" || r.blobs[blobOf(t, repo, "old version\n")] != "" {
		t.Errorf("blobs: %v", r.blobs)
	}
	found := false
	for _, w := range r.warnings {
		if strings.Contains(w.Message, "partial clone") {
			found = true
		}
	}
	if !found {
		t.Errorf("no partial-clone warning: %v", r.warnings)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2030, 3, 31, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-01-01", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"2024-01-01T10:00:00+02:00", time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC), true},
		{"2 weeks ago", now.AddDate(0, 0, -14), true},
		{"1 day ago", now.AddDate(0, 0, -1), true},
		{"3 Months Ago", now.AddDate(0, -3, 0), true},
		{"12 hours ago", now.Add(-12 * time.Hour), true},
		{"garbage", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"two weeks ago", time.Time{}, false},
		{"2024-02-30", time.Time{}, false},
		{"5 fortnights ago", time.Time{}, false},
	} {
		got, ok := ParseSince(tc.in, now)
		if ok != tc.ok || ok && !got.Equal(tc.want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
