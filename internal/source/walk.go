package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// WalkOptions control which files the walk yields.
type WalkOptions struct {
	// Exclude holds the user's gitignore-style patterns (config + flags).
	Exclude []string
	// IncludeVendored descends into virtualenvs and node_modules.
	IncludeVendored bool
}

// Entry is a file the walk found; the reader goroutines load its content.
type Entry struct {
	Rel     string
	Abs     string
	Info    fs.FileInfo
	Ignored bool
}

// Walker enumerates a tree once. It is single-threaded on purpose: directory
// reads are cheap next to file reads and analysis, and a single walker keeps
// gitignore precedence simple. Readers fan out from its channel.
type Walker struct {
	root     string
	opt      WalkOptions
	project  *Project
	tracked  map[string]bool
	topParts []string // root's path below the git top, for gitignore domains
	base     []gitignore.Pattern
	user     []gitignore.Pattern
	warn     func(*finding.Warning)
}

// NewWalker prepares a walk of root. It asks git (when root is in a work
// tree) which files are tracked, because ".env tracked by git" is a finding.
func NewWalker(root string, opt WalkOptions, warn func(*finding.Warning)) (*Walker, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	w := &Walker{root: abs, opt: opt, warn: warn}
	w.project = &Project{Root: abs}
	for _, p := range opt.Exclude {
		p = strings.TrimSpace(p)
		if p != "" && !strings.HasPrefix(p, "#") {
			w.user = append(w.user, gitignore.ParsePattern(p, nil))
		}
	}
	w.project.Excluded = func(rel string, isDir bool) bool {
		return len(w.user) > 0 && gitignore.NewMatcher(w.user).Match(strings.Split(rel, "/"), isDir)
	}
	if top := GitTopLevel(abs); top != "" {
		w.project.GitTop = top
		if rel, err := filepath.Rel(top, abs); err == nil && rel != "." {
			w.topParts = strings.Split(filepath.ToSlash(rel), "/")
		}
		w.tracked = gitTracked(abs)
		// Ignore files of the directories between the git top and the
		// root apply too, as does the repository's info/exclude.
		w.base = append(w.base, readPatterns(filepath.Join(top, ".git", "info", "exclude"), nil)...)
		// The root's own .gitignore is read by walkDir; here come the
		// ones above it, down from the top.
		if len(w.topParts) > 0 {
			dir := top
			w.base = append(w.base, readPatterns(filepath.Join(dir, ".gitignore"), nil)...)
			for i, part := range w.topParts[:len(w.topParts)-1] {
				dir = filepath.Join(dir, part)
				w.base = append(w.base, readPatterns(filepath.Join(dir, ".gitignore"), w.topParts[:i+1])...)
			}
		}
	}
	return w, nil
}

// Project returns what the walk learned; complete after Walk returns.
func (w *Walker) Project() *Project { return w.project }

// GitTopLevel returns the work tree top containing dir, or "".
func GitTopLevel(dir string) string {
	if _, err := exec.LookPath("git"); err != nil {
		return ""
	}
	cmd := exec.Command("git", "-C", dir, "rev-parse", "--show-toplevel")
	cmd.Env = gitEnv()
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func gitEnv() []string {
	return append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
}

// gitTracked lists tracked paths relative to dir.
func gitTracked(dir string) map[string]bool {
	cmd := exec.Command("git", "-C", dir, "-c", "core.quotepath=off", "ls-files", "-z")
	cmd.Env = gitEnv()
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	m := map[string]bool{}
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			m[string(p)] = true
		}
	}
	return m
}

func readPatterns(path string, domain []string) []gitignore.Pattern {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		s := sc.Text()
		if strings.HasPrefix(s, "#") || strings.TrimSpace(s) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(s, domain))
	}
	return ps
}

// vendoredDir names directories that hold third-party code. Their keys are
// not the app's (and scanning a 500 MB venv dominates run time), but the
// dependency audit reads the environments' metadata.
func vendoredDir(abs, name string) (skip, pythonEnv bool) {
	switch name {
	case "node_modules", "bower_components":
		return true, false
	case "site-packages", "dist-packages", "__pypackages__":
		return true, true
	case ".tox", ".nox":
		return true, true
	}
	if _, err := os.Stat(filepath.Join(abs, "pyvenv.cfg")); err == nil {
		return true, true
	}
	if name == ".venv" || name == "venv" || name == "virtualenv" {
		return true, true
	}
	return false, false
}

// Walk sends every file to yield, in lexical order per directory.
func (w *Walker) Walk(ctx context.Context, yield func(Entry)) {
	w.walkDir(ctx, w.root, "", w.base, yield)
	sort.Strings(w.project.EnvDirs)
}

func (w *Walker) walkDir(ctx context.Context, abs, rel string, patterns []gitignore.Pattern, yield func(Entry)) {
	if ctx.Err() != nil {
		return
	}
	ents, err := os.ReadDir(abs)
	if err != nil {
		w.warn(&finding.Warning{File: relOrDot(rel), Kind: finding.WarnUnreadable, Message: "cannot read directory: " + errText(err)})
		if len(ents) == 0 {
			return
		}
	}
	var parts []string
	if rel != "" {
		parts = strings.Split(rel, "/")
	}
	domain := append(append([]string(nil), w.topParts...), parts...)
	if ps := readPatterns(filepath.Join(abs, ".gitignore"), domain); len(ps) > 0 {
		patterns = append(patterns[:len(patterns):len(patterns)], ps...)
	}
	ignore := gitignore.NewMatcher(patterns)
	user := gitignore.NewMatcher(w.user)
	for _, e := range ents {
		if ctx.Err() != nil {
			return
		}
		name := e.Name()
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		childAbs := filepath.Join(abs, name)
		relParts := strings.Split(childRel, "/")
		gitParts := append(append([]string(nil), w.topParts...), relParts...)
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			w.symlink(childAbs, childRel)
			continue
		}
		isDir := e.IsDir()
		if len(w.user) > 0 && user.Match(relParts, isDir) {
			continue
		}
		ignored := ignore.Match(gitParts, isDir)
		if isDir {
			if name == ".git" || name == ".hg" || name == ".svn" {
				continue
			}
			if skip, env := vendoredDir(childAbs, name); skip {
				if env {
					w.project.EnvDirs = append(w.project.EnvDirs, childRel)
				}
				if !w.opt.IncludeVendored {
					continue
				}
			}
			if ignored {
				continue
			}
			w.walkDir(ctx, childAbs, childRel, patterns, yield)
			continue
		}
		if !typ.IsRegular() {
			continue // sockets, devices, fifos: reading could block
		}
		if ignored && !IsLocalSecretFile(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			w.warn(&finding.Warning{File: childRel, Kind: finding.WarnUnreadable, Message: errText(err)})
			continue
		}
		yield(Entry{Rel: childRel, Abs: childAbs, Info: info, Ignored: ignored})
	}
}

// symlink decides about a link: links inside the root are skipped because
// their target is scanned at its own path; links leaving the root are never
// followed (a scan must not wander into the rest of the disk).
func (w *Walker) symlink(abs, rel string) {
	target, err := filepath.EvalSymlinks(abs)
	if err != nil {
		w.warn(&finding.Warning{File: rel, Kind: finding.WarnSymlink, Message: "broken or looping symlink not followed: " + errText(err)})
		return
	}
	if r, err := filepath.Rel(w.root, target); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		w.warn(&finding.Warning{File: rel, Kind: finding.WarnSymlink, Message: "symlink points outside the scanned root; not followed"})
	}
}

// IsTracked reports whether git tracks rel.
func (w *Walker) IsTracked(rel string) bool { return w.tracked[rel] }

func relOrDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
