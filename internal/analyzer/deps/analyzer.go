// Package deps is the dependency audit: it matches the Python packages an
// application declares, locks and installs (read by internal/pydeps) against
// OSV advisories (internal/osv) and reports vulnerable versions of stripe
// (threat stripe-vulnerability) and of every other package
// (dependency-vulnerability), plus how stripe is pinned and where it comes
// from.
//
// Which version is checked follows how much is known about it: installed
// versions are the truth when an environment is present; otherwise locked
// and exactly pinned versions; otherwise the declared range, which is
// reported when it admits a vulnerable version, one severity level lower.
package deps

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/clock"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/pydeps"
	"github.com/stripeguard/stripeguard/internal/source"
)

// Name is the analyzer name and rule-id prefix.
const Name = "deps"

// Staleness limits for the advisory data: downloads older than a week, or
// data whose newest record is a month old, miss recent advisories.
const (
	MaxFetchAge  = 7 * 24 * time.Hour
	MaxNewestAge = 30 * 24 * time.Hour
)

// MinimumStripe is the oldest stripe major still worth allowing: ranges
// admitting older versions are reported at medium severity. stripe-python
// 6.0.0 (August 2023) removed Python 2 support and is the first major that
// pins the Stripe API version it was built for instead of using the
// account's default.
const MinimumStripe = "6.0.0"

const stripe = "stripe"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: func(o analyzer.Options) (analyzer.Analyzer, error) {
		return New(o), nil
	}})
}

// Analyzer buffers manifests during the walk and audits them in Finish.
type Analyzer struct {
	opt analyzer.Options
	// Now is the clock used for data age (tests fix it).
	Now func() time.Time
	// DB, when set, is used instead of loading the advisory data (tests
	// and callers that audit many trees with one database).
	DB *osv.DB

	mu    sync.Mutex
	files map[string][]byte
}

// New returns an analyzer for one scan.
func New(o analyzer.Options) *Analyzer {
	return &Analyzer{opt: o, Now: clock.Or(o.Now), files: map[string][]byte{}}
}

func (a *Analyzer) Name() string { return Name }

// Wants manifests and lock files on disk; archive members are not
// installable dependency declarations.
func (a *Analyzer) Wants(f *source.File) bool {
	return f.Container == "" && pydeps.IsManifest(f.Rel)
}

// File keeps a copy: Data is only valid during the call, and manifests are
// parsed together in Finish (includes, lock vs manifest precedence).
func (a *Analyzer) File(_ context.Context, f *source.File, _ finding.Sink) {
	b := append([]byte(nil), f.Data...)
	a.mu.Lock()
	a.files[f.Rel] = b
	a.mu.Unlock()
}

// Finish parses everything, loads the advisory data and reports.
func (a *Analyzer) Finish(ctx context.Context, p *source.Project, sink finding.Sink) {
	reqs, indexes := a.collect(ctx, p, sink)
	if ctx.Err() != nil {
		return
	}
	db := a.DB
	// Nothing to audit (no manifest, lock file or environment: a tree
	// without Python dependencies, or a commit that stages none): no data
	// is needed, and its age is not worth a word.
	if db == nil && len(reqs) > 0 {
		if db = a.loadDB(sink); db != nil {
			defer db.Close()
		}
	}
	au := &audit{sink: sink, db: db, reqs: reqs, indexes: indexes, files: a.files, now: a.Now()}
	au.run(ctx)
	if db != nil {
		// Records are decoded when their package is first queried, so
		// unreadable ones are known only now.
		for i := range db.Warnings {
			w := db.Warnings[i]
			sink.Warning(&w)
		}
	}
}

// markerEnv builds PEP 508 marker values from --target-python/--target-platform;
// nil (markers not evaluated) when neither is given.
func (a *Analyzer) markerEnv() map[string]string {
	if a.opt.TargetPython == "" && a.opt.TargetPlatform == "" {
		return nil
	}
	env := map[string]string{}
	if v := a.opt.TargetPython; v != "" {
		env["python_full_version"] = v
		parts := strings.Split(v, ".")
		if len(parts) >= 2 {
			env["python_version"] = parts[0] + "." + parts[1]
		} else {
			env["python_version"] = v
		}
		env["implementation_name"] = "cpython"
		env["platform_python_implementation"] = "CPython"
	}
	switch strings.ToLower(a.opt.TargetPlatform) {
	case "linux":
		env["sys_platform"], env["platform_system"], env["os_name"] = "linux", "Linux", "posix"
	case "darwin", "macos":
		env["sys_platform"], env["platform_system"], env["os_name"] = "darwin", "Darwin", "posix"
	case "win32", "windows":
		env["sys_platform"], env["platform_system"], env["os_name"] = "win32", "Windows", "nt"
	case "":
	default:
		env["sys_platform"] = a.opt.TargetPlatform
	}
	return env
}

// collect parses the buffered manifests and the installed environments.
func (a *Analyzer) collect(ctx context.Context, p *source.Project, sink finding.Sink) ([]pydeps.Requirement, []pydeps.IndexSetting) {
	a.mu.Lock()
	defer a.mu.Unlock()
	root := ""
	if p != nil {
		root = p.Root
	}
	read := func(rel string) ([]byte, error) {
		rel = path.Clean(rel)
		if b, ok := a.files[rel]; ok {
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
		if st.Size() > pydeps.MaxFileSize {
			return nil, fmt.Errorf("%s: too large", rel)
		}
		return os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	}
	opt := pydeps.Options{MarkerEnv: a.markerEnv()}
	names := make([]string, 0, len(a.files))
	for n := range a.files {
		// With --include-vendored the walk also shows files inside
		// virtualenvs; a requirements.txt shipped inside an installed
		// package says nothing about this application.
		if p != nil && inEnv(n, p.EnvDirs) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var reqs []pydeps.Requirement
	var idx []pydeps.IndexSetting
	add := func(res pydeps.Result) {
		reqs = append(reqs, res.Requirements...)
		idx = append(idx, res.Indexes...)
		for i := range res.Warnings {
			w := res.Warnings[i]
			sink.Warning(&w)
		}
	}
	for _, n := range names {
		if ctx.Err() != nil {
			return nil, nil
		}
		add(pydeps.Parse(n, a.files[n], read, opt))
	}
	var envs [][2]string // dir on disk, display prefix
	if p != nil {
		for _, e := range p.EnvDirs {
			envs = append(envs, [2]string{filepath.Join(root, filepath.FromSlash(e)), e})
		}
	}
	for _, e := range a.opt.PythonEnvs {
		envs = append(envs, [2]string{e, filepath.ToSlash(e)})
	}
	for _, e := range envs {
		if ctx.Err() != nil {
			return nil, nil
		}
		if st, err := os.Stat(e[0]); err != nil || !st.IsDir() {
			sink.Warning(&finding.Warning{File: e[1], Kind: finding.WarnUnreadable, Message: fmt.Sprintf("python environment not readable: %v", errOrNotDir(err))})
			continue
		}
		add(pydeps.ReadInstalled(os.DirFS(e[0]), e[1]))
	}
	return dedupe(reqs), idx
}

func inEnv(rel string, envs []string) bool {
	for _, e := range envs {
		if rel == e || strings.HasPrefix(rel, e+"/") {
			return true
		}
	}
	return false
}

func errOrNotDir(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("not a directory")
}

// dedupe drops requirements seen twice (a -r include is parsed both from the
// including file and on its own).
func dedupe(reqs []pydeps.Requirement) []pydeps.Requirement {
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

// loadDB opens the advisory data: --db, else the user cache, else the
// snapshot built into the binary (osv.Open). Only an unreadable --db leaves
// the audit without data; the report then says so item by item.
func (a *Analyzer) loadDB(sink finding.Sink) *osv.DB {
	db, err := osv.Open(a.opt.DBPath)
	if err != nil {
		sink.Warning(&finding.Warning{File: a.opt.DBPath, Kind: finding.WarnData, Message: fmt.Sprintf("advisory data not readable: %v; known vulnerabilities were not checked (without --db the cache or the built-in snapshot is used)", err)})
		return nil
	}
	return db
}
