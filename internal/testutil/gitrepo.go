package testutil

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// GitRepo is a throwaway git repository in a temp dir, for tests of the
// history scan. Commits get deterministic dates (one hour apart from
// GitEpoch) and a fixed author, and no user or system git configuration is
// read, so the same script gives the same commit ids on every machine.
type GitRepo struct {
	t    testing.TB
	Dir  string
	tick int
}

// GitEpoch is the author and committer date of a GitRepo's first commit.
var GitEpoch = time.Date(2021, 3, 4, 10, 0, 0, 0, time.FixedZone("", 3600))

// NewGitRepo runs `git init` in a new temp dir (skips, or fails in CI,
// without git).
func NewGitRepo(t testing.TB) *GitRepo {
	t.Helper()
	NeedProgram(t, "git")
	r := &GitRepo{t: t, Dir: t.TempDir()}
	r.Git("init", "-q")
	r.Git("symbolic-ref", "HEAD", "refs/heads/main")
	return r
}

// GitEnv is the environment GitRepo runs git with: no user or system
// configuration, a fixed identity, and dates from the repository's clock.
func (r *GitRepo) GitEnv() []string {
	date := GitEpoch.Add(time.Duration(r.tick) * time.Hour).Format(time.RFC3339)
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "HOME="+r.Dir,
		"GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
		"GIT_TERMINAL_PROMPT=0")
}

// Git runs git in the repository and returns its trimmed standard output;
// a failure fails the test.
func (r *GitRepo) Git(args ...string) string {
	r.t.Helper()
	out, err := r.GitInput(nil, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// GitInput runs git with stdin and returns its trimmed output or an error
// holding stderr.
func (r *GitRepo) GitInput(stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-c", "init.defaultBranch=main", "-c", "commit.gpgSign=false", "-c", "core.autocrlf=false"}, args...)...)
	cmd.Dir = r.Dir
	cmd.Env = r.GitEnv()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// Write creates or replaces a file (and its directories).
func (r *GitRepo) Write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Remove deletes a file of the work tree.
func (r *GitRepo) Remove(rel string) {
	r.t.Helper()
	if err := os.Remove(filepath.Join(r.Dir, filepath.FromSlash(rel))); err != nil {
		r.t.Fatal(err)
	}
}

// Commit stages everything and commits; it returns the commit id.
func (r *GitRepo) Commit(msg string) string {
	r.t.Helper()
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "--no-verify", "-m", msg)
	r.tick++
	return r.Git("rev-parse", "HEAD")
}

// Date is the author date (git's strict ISO form) the next commit gets.
func (r *GitRepo) Date() string {
	return GitEpoch.Add(time.Duration(r.tick) * time.Hour).Format("2006-01-02T15:04:05-07:00")
}

// Advance moves the repository's clock one hour, after a commit made with
// Git directly (merge, commit --amend).
func (r *GitRepo) Advance() { r.tick++ }
