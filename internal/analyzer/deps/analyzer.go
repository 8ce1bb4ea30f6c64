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
	"slices"
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
	// scripts are Dockerfiles, CI workflows, shell scripts, Makefiles and
	// tox.ini files: pip commands in them name requirements files.
	scripts map[string][]pydeps.PipFileRef
	// compiled maps a pip-tools input (requirements/main.in) to the
	// requirements files compiled from it (requirements/main.txt).
	compiled map[string][]string
}

// New returns an analyzer for one scan.
func New(o analyzer.Options) *Analyzer {
	return &Analyzer{opt: o, Now: clock.Or(o.Now), files: map[string][]byte{}, scripts: map[string][]pydeps.PipFileRef{}}
}

func (a *Analyzer) Name() string { return Name }

// Wants manifests and lock files on disk, and the scripts whose pip
// commands name requirements files; archive members are not installable
// dependency declarations.
func (a *Analyzer) Wants(f *source.File) bool {
	return f.Container == "" && (pydeps.IsManifest(f.Rel) || pydeps.MayNamePipFiles(f.Rel) || strings.HasSuffix(f.Rel, ".txt"))
}

// File keeps a copy of a manifest (Data is only valid during the call, and
// manifests are parsed together in Finish: includes, lock vs manifest
// precedence) and only the pip file references of a script.
func (a *Analyzer) File(_ context.Context, f *source.File, _ finding.Sink) {
	if !pydeps.IsManifest(f.Rel) && strings.HasSuffix(f.Rel, ".txt") {
		// Any .txt that pip-compile or uv wrote is a requirements file,
		// whatever its name (deps/locked/app.txt).
		if pydeps.CompiledFrom(f.Rel, f.Data) == nil {
			return
		}
	} else if !pydeps.IsManifest(f.Rel) {
		if refs := pydeps.PipFileRefs(f.Rel, f.Data); len(refs) > 0 {
			a.mu.Lock()
			a.scripts[f.Rel] = refs
			a.mu.Unlock()
		}
		return
	}
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
	if db == nil {
		db = a.loadDB(sink)
	}
	au := &audit{sink: sink, db: db, reqs: reqs, indexes: indexes, files: a.files, compiled: a.compiled, now: a.Now()}
	au.run(ctx)
	if db != nil {
		// Records of a zip are decoded when their package is first
		// queried, so unreadable ones are known only now.
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

// collect parses the buffered manifests, the requirements files pip
// commands name, and the installed environments.
func (a *Analyzer) collect(ctx context.Context, p *source.Project, sink finding.Sink) ([]pydeps.Requirement, []pydeps.IndexSetting) {
	a.mu.Lock()
	defer a.mu.Unlock()
	root := ""
	if p != nil {
		root = p.Root
	}
	exists := func(rel string) bool {
		if _, ok := a.files[rel]; ok {
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
	inTree := func(n string) bool { return p == nil || !inEnv(n, p.EnvDirs) }

	// Files named by pip commands (pip install -r X -c Y) are read as pip
	// reads them, whatever their name.
	asReq, asCons := map[string]bool{}, map[string]bool{}
	scriptNames := make([]string, 0, len(a.scripts))
	for n := range a.scripts {
		scriptNames = append(scriptNames, n)
	}
	sort.Strings(scriptNames)
	for _, n := range scriptNames {
		if !inTree(n) {
			continue
		}
		for _, ref := range a.scripts[n] {
			for _, c := range pydeps.CandidatePaths(n, ref.Target) {
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
		res  pydeps.Result
	}
	var results []parsed
	done := map[string]bool{}
	parseOne := func(n string, data []byte, byName bool) {
		o := opt
		o.Constraints = (asCons[n] || byName && pydeps.IsConstraintsName(n)) && !asReq[n]
		var res pydeps.Result
		if pydeps.IsManifest(n) && !pydeps.IsRequirementsFile(n) {
			res = pydeps.Parse(n, data, read, o) // pyproject.toml, lock files…
		} else {
			res = pydeps.ParseRequirements(n, data, read, o)
		}
		results = append(results, parsed{n, res})
		done[n] = true
	}
	names := make([]string, 0, len(a.files))
	for n := range a.files {
		// With --include-vendored the walk also shows files inside
		// virtualenvs; a requirements.txt shipped inside an installed
		// package says nothing about this application.
		if inTree(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if ctx.Err() != nil {
			return nil, nil
		}
		parseOne(n, a.files[n], true)
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
			sink.Warning(&finding.Warning{File: n, Kind: finding.WarnUnreadable, Message: fmt.Sprintf("requirements file named by a pip command not readable: %v", err)})
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
	var reqs, cons []pydeps.Requirement
	var idx []pydeps.IndexSetting
	for _, r := range results {
		if includedAsCons[r.name] && !includedAsReq[r.name] && !asReq[r.name] {
			continue
		}
		reqs = append(reqs, r.res.Requirements...)
		cons = append(cons, r.res.Constraints...)
		idx = append(idx, r.res.Indexes...)
		for i := range r.res.Warnings {
			w := r.res.Warnings[i]
			sink.Warning(&w)
		}
	}

	// pip-tools: requirements/main.in compiled to requirements/main.txt
	// (same stem beside it, or a pip-compile / uv header naming it).
	a.compiled = map[string][]string{}
	for _, n := range names {
		if !strings.HasSuffix(n, ".txt") {
			continue
		}
		for _, in := range pydeps.CompiledFrom(n, a.files[n]) {
			if exists(in) {
				a.compiled[in] = append(a.compiled[in], n)
				break
			}
		}
		if in := strings.TrimSuffix(n, ".txt") + ".in"; exists(in) && !slices.Contains(a.compiled[in], n) {
			a.compiled[in] = append(a.compiled[in], n)
		}
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
		res := pydeps.ReadInstalled(os.DirFS(e[0]), e[1])
		reqs = append(reqs, res.Requirements...)
		idx = append(idx, res.Indexes...)
		for i := range res.Warnings {
			w := res.Warnings[i]
			sink.Warning(&w)
		}
	}
	return dedupe(append(reqs, applicableConstraints(reqs, cons)...)), idx
}

// applicableConstraints keeps the constraints that pin a package something
// requires (a manifest, a lock file or an installed package's metadata): a
// constraint alone installs nothing.
func applicableConstraints(reqs, cons []pydeps.Requirement) []pydeps.Requirement {
	required := map[string]bool{}
	for _, r := range reqs {
		required[r.Name] = true
		for _, d := range r.Requires {
			required[d] = true
		}
	}
	var out []pydeps.Requirement
	for _, c := range cons {
		if c.Name != "" && required[c.Name] {
			c.Direct = false
			out = append(out, c)
		}
	}
	return out
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

// DBPath returns the advisory data to use: --db, else the user cache if
// present; "" when there is none.
func (a *Analyzer) DBPath() string {
	if a.opt.DBPath != "" {
		return a.opt.DBPath
	}
	if p, err := osv.DefaultPath(); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func (a *Analyzer) loadDB(sink finding.Sink) *osv.DB {
	p := a.DBPath()
	if p == "" {
		sink.Warning(&finding.Warning{Kind: finding.WarnData, Message: "no advisory data: run `stripeguard db update` or pass --db; known vulnerabilities were not checked"})
		sink.Observation(&finding.Observation{Mitigation: MitigationDataFresh, State: finding.Missing, Detail: "no advisory data available (run stripeguard db update)"})
		return nil
	}
	db, err := osv.Load(p)
	if err != nil {
		sink.Warning(&finding.Warning{File: p, Kind: finding.WarnData, Message: fmt.Sprintf("advisory data not readable: %v; known vulnerabilities were not checked", err)})
		sink.Observation(&finding.Observation{Mitigation: MitigationDataFresh, State: finding.Missing, Detail: "advisory data at " + p + " not readable"})
		return nil
	}
	return db
}
