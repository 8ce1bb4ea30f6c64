package pydeps

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Tree is what a scan found of a Python project: its manifest and lock
// files (buffered during the walk, parsed together so that -r includes
// resolve among them) and its installed environments. The dependency audit
// and the supply-chain analyzer read the same inventory through it.
type Tree struct {
	// Root is the scanned directory on disk ("" when there is none).
	Root string
	// Files are manifests by '/'-separated path relative to Root.
	Files map[string][]byte
	// EnvDirs are environments found in the tree (relative paths);
	// manifests inside them belong to installed packages and are skipped.
	EnvDirs []string
	// ExtraEnvs are environments given on the command line (paths on disk).
	ExtraEnvs []string
	Options   Options
}

// Env is an installed environment: where it is on disk and how reports
// name it.
type Env struct {
	Dir     string
	Display string
}

// Manifests parses every buffered file outside the environments, in path
// order, and drops requirements read twice (an included file is also parsed
// on its own).
func (t *Tree) Manifests(ctx context.Context) Result {
	names := make([]string, 0, len(t.Files))
	for n := range t.Files {
		// With --include-vendored the walk also shows files inside
		// virtualenvs; a requirements.txt shipped inside an installed
		// package says nothing about this application.
		if InEnv(n, t.EnvDirs) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var res Result
	for _, n := range names {
		if ctx.Err() != nil {
			return Result{}
		}
		r := Parse(n, t.Files[n], t.read, t.Options)
		res.Requirements = append(res.Requirements, r.Requirements...)
		res.Indexes = append(res.Indexes, r.Indexes...)
		res.Warnings = append(res.Warnings, r.Warnings...)
	}
	res.Requirements = Dedupe(res.Requirements)
	return res
}

// read loads an included file: from the buffered set, or from under Root
// for files the walk did not hand over (excluded or odd names), never from
// outside it.
func (t *Tree) read(rel string) ([]byte, error) {
	rel = path.Clean(rel)
	if b, ok := t.Files[rel]; ok {
		return b, nil
	}
	if t.Root == "" || rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return nil, fmt.Errorf("%s: outside the scanned tree", rel)
	}
	p := filepath.Join(t.Root, filepath.FromSlash(rel))
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: too large", rel)
	}
	return os.ReadFile(p)
}

// Environments lists the readable environments; the others become
// warnings.
func (t *Tree) Environments() ([]Env, []finding.Warning) {
	var envs []Env
	for _, e := range t.EnvDirs {
		envs = append(envs, Env{filepath.Join(t.Root, filepath.FromSlash(e)), e})
	}
	for _, e := range t.ExtraEnvs {
		envs = append(envs, Env{e, filepath.ToSlash(e)})
	}
	var ok []Env
	var warns []finding.Warning
	for _, e := range envs {
		st, err := os.Stat(e.Dir)
		if err == nil && !st.IsDir() {
			err = fmt.Errorf("not a directory")
		}
		if err != nil {
			warns = append(warns, finding.Warning{File: e.Display, Kind: finding.WarnUnreadable, Message: fmt.Sprintf("python environment not readable: %v", err)})
			continue
		}
		ok = append(ok, e)
	}
	return ok, warns
}

// InEnv reports whether a relative path lies inside one of the environments.
func InEnv(rel string, envs []string) bool {
	for _, e := range envs {
		if rel == e || strings.HasPrefix(rel, e+"/") {
			return true
		}
	}
	return false
}

// Dedupe drops requirements seen twice (a -r include is parsed both from
// the including file and on its own).
func Dedupe(reqs []Requirement) []Requirement {
	seen := map[string]bool{}
	out := reqs[:0]
	for _, r := range reqs {
		k := strings.Join([]string{r.Name, string(r.Source), r.File, fmt.Sprint(r.Line), r.Version, r.Specifier, r.URL}, "\x00")
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}
