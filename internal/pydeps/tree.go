package pydeps

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Tree is what a scan shows of a Python project's dependency declarations:
// manifest and lock files (buffered during the walk and parsed together, so
// that -r/-c includes resolve among them) and the pip file references of
// scripts (pip install -r X in a Dockerfile makes X a requirements file,
// whatever its name). The dependency audit and the supply-chain analyzer
// read the same inventory through it. Add is safe for concurrent use.
type Tree struct {
	mu    sync.Mutex
	files map[string][]byte
	// scripts are Dockerfiles, CI workflows, shell scripts, Makefiles and
	// tox.ini files: pip commands in them name requirements files.
	scripts map[string][]PipFileRef
}

// NewTree returns an empty tree.
func NewTree() *Tree {
	return &Tree{files: map[string][]byte{}, scripts: map[string][]PipFileRef{}}
}

// WantsFile is the cheap path gate for Add: manifests, lock files, scripts
// whose pip commands may name requirements files, and .txt files (pip-compile
// or uv output whatever its name).
func WantsFile(rel string) bool {
	return IsManifest(rel) || MayNamePipFiles(rel) || strings.HasSuffix(rel, ".txt")
}

// Add records one file of the walk (data is copied when kept).
func (t *Tree) Add(rel string, data []byte) {
	if !IsManifest(rel) && strings.HasSuffix(rel, ".txt") {
		// Any .txt that pip-compile or uv wrote is a requirements file,
		// whatever its name (deps/locked/app.txt).
		if CompiledFrom(rel, data) == nil {
			return
		}
	} else if !IsManifest(rel) {
		if refs := PipFileRefs(rel, data); len(refs) > 0 {
			t.mu.Lock()
			t.scripts[rel] = refs
			t.mu.Unlock()
		}
		return
	}
	b := append([]byte(nil), data...)
	t.mu.Lock()
	t.files[rel] = b
	t.mu.Unlock()
}

// Files returns the buffered manifests by relative path (not to be
// modified).
func (t *Tree) Files() map[string][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.files
}

// Parsed is the inventory of a tree's manifests.
type Parsed struct {
	Requirements []Requirement
	// Constraints are entries of -c constraints files; ApplyConstraints
	// keeps those that pin something required.
	Constraints []Requirement
	Indexes     []IndexSetting
	Warnings    []finding.Warning
	// Compiled maps a pip-tools input (requirements/main.in) to the
	// requirements files compiled from it (requirements/main.txt).
	Compiled map[string][]string
}

// Parse reads every buffered manifest outside the environments envDirs and
// every requirements file a pip command names. root is the scanned
// directory on disk ("" when there is none): includes the walk did not hand
// over are read from under it, never from outside.
func (t *Tree) Parse(ctx context.Context, root string, envDirs []string, opt Options) Parsed {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out Parsed
	exists := func(rel string) bool {
		if _, ok := t.files[rel]; ok {
			return true
		}
		if root == "" || rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
			return false
		}
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		return err == nil && st.Mode().IsRegular()
	}
	read := func(rel string) ([]byte, error) {
		rel = path.Clean(rel)
		if b, ok := t.files[rel]; ok {
			return b, nil
		}
		// Includes may name files the walk did not hand us (excluded
		// or odd names); read them only from inside the root.
		if root == "" || rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
			return nil, fmt.Errorf("%s: outside the scanned tree", rel)
		}
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		if st.Size() > MaxFileSize {
			return nil, fmt.Errorf("%s: too large", rel)
		}
		return os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	}
	// With --include-vendored the walk also shows files inside
	// virtualenvs; a requirements.txt shipped inside an installed package
	// says nothing about this application.
	inTree := func(n string) bool { return !InEnv(n, envDirs) }

	// Files named by pip commands (pip install -r X -c Y) are read as pip
	// reads them, whatever their name.
	asReq, asCons := map[string]bool{}, map[string]bool{}
	scriptNames := make([]string, 0, len(t.scripts))
	for n := range t.scripts {
		scriptNames = append(scriptNames, n)
	}
	sort.Strings(scriptNames)
	for _, n := range scriptNames {
		if !inTree(n) {
			continue
		}
		for _, ref := range t.scripts[n] {
			for _, c := range CandidatePaths(n, ref.Target) {
				if exists(c) && inTree(c) {
					if ref.Constraint {
						asCons[c] = true
					} else {
						asReq[c] = true
					}
					break
				}
			}
		}
	}
	type parsed struct {
		name string
		res  Result
	}
	var results []parsed
	done := map[string]bool{}
	parseOne := func(n string, data []byte, byName bool) {
		o := opt
		o.Constraints = (asCons[n] || byName && IsConstraintsName(n)) && !asReq[n]
		var res Result
		switch {
		case IsManifest(n) && !IsRequirementsFile(n):
			res = Parse(n, data, read, o) // pyproject.toml, lock files…
		case byName && !asReq[n] && !asCons[n] && IsRequirementsFile(n):
			// Chosen for its name alone: Parse skips text that is not
			// a requirements file (pasted notes called …Requirements….txt).
			res = Parse(n, data, read, o)
		default:
			res = ParseRequirements(n, data, read, o)
		}
		results = append(results, parsed{n, res})
		done[n] = true
	}
	names := make([]string, 0, len(t.files))
	for n := range t.files {
		if inTree(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if ctx.Err() != nil {
			return Parsed{}
		}
		parseOne(n, t.files[n], true)
	}
	var extra []string
	for n := range asReq {
		if !done[n] {
			extra = append(extra, n)
		}
	}
	for n := range asCons {
		if !done[n] && !asReq[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		data, err := read(n)
		if err != nil {
			out.Warnings = append(out.Warnings, finding.Warning{File: n, Kind: finding.WarnUnreadable, Message: fmt.Sprintf("requirements file named by a pip command not readable: %v", err)})
			continue
		}
		parseOne(n, data, false)
	}

	// A file another file includes with -c is a constraints file: its
	// entries reach the audit through the includer, so its own parse (as
	// if it were a requirements file) is dropped.
	includedAsCons, includedAsReq := map[string]bool{}, map[string]bool{}
	for _, r := range results {
		for _, inc := range r.res.Includes {
			if inc.Constraint {
				includedAsCons[inc.Target] = true
			} else {
				includedAsReq[inc.Target] = true
			}
		}
	}
	for _, r := range results {
		if includedAsCons[r.name] && !includedAsReq[r.name] && !asReq[r.name] {
			continue
		}
		out.Requirements = append(out.Requirements, r.res.Requirements...)
		out.Constraints = append(out.Constraints, r.res.Constraints...)
		out.Indexes = append(out.Indexes, r.res.Indexes...)
		out.Warnings = append(out.Warnings, r.res.Warnings...)
	}

	// pip-tools: requirements/main.in compiled to requirements/main.txt
	// (same stem beside it, or a pip-compile / uv header naming it).
	out.Compiled = map[string][]string{}
	for _, n := range names {
		if !strings.HasSuffix(n, ".txt") {
			continue
		}
		for _, in := range CompiledFrom(n, t.files[n]) {
			if exists(in) {
				out.Compiled[in] = append(out.Compiled[in], n)
				break
			}
		}
		if in := strings.TrimSuffix(n, ".txt") + ".in"; exists(in) && !slices.Contains(out.Compiled[in], n) {
			out.Compiled[in] = append(out.Compiled[in], n)
		}
	}
	return out
}

// ApplyConstraints keeps the constraints that pin a package something
// requires (a manifest, a lock file or an installed package's metadata): a
// constraint alone installs nothing.
func ApplyConstraints(reqs, cons []Requirement) []Requirement {
	required := map[string]bool{}
	for _, r := range reqs {
		required[r.Name] = true
		for _, d := range r.Requires {
			required[d] = true
		}
	}
	var out []Requirement
	for _, c := range cons {
		if c.Name != "" && required[c.Name] {
			c.Direct = false
			out = append(out, c)
		}
	}
	return out
}

// Env is an installed environment: where it is on disk and how reports
// name it.
type Env struct {
	Dir     string
	Display string
}

// Environments lists the environments found in the tree (envDirs, relative
// to root) and given on the command line (extra, paths on disk) that can be
// read; the others become warnings.
func Environments(root string, envDirs, extra []string) ([]Env, []finding.Warning) {
	var envs []Env
	for _, e := range envDirs {
		envs = append(envs, Env{filepath.Join(root, filepath.FromSlash(e)), e})
	}
	for _, e := range extra {
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
