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
	"strings"
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

	// tree is the inventory of manifests and the pip file references of
	// scripts, shared in shape with the supply-chain analyzer.
	tree *pydeps.Tree
	// compiled maps a pip-tools input (requirements/main.in) to the
	// requirements files compiled from it (requirements/main.txt).
	compiled map[string][]string
}

// New returns an analyzer for one scan.
func New(o analyzer.Options) *Analyzer {
	return &Analyzer{opt: o, Now: clock.Or(o.Now), tree: pydeps.NewTree()}
}

func (a *Analyzer) Name() string { return Name }

// Wants manifests and lock files on disk, and the scripts whose pip
// commands name requirements files; archive members are not installable
// dependency declarations.
func (a *Analyzer) Wants(f *source.File) bool {
	return f.Container == "" && pydeps.WantsFile(f.Rel)
}

// File keeps a copy of a manifest (Data is only valid during the call, and
// manifests are parsed together in Finish: includes, lock vs manifest
// precedence) and only the pip file references of a script.
func (a *Analyzer) File(_ context.Context, f *source.File, _ finding.Sink) {
	a.tree.Add(f.Rel, f.Data)
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
		// Shared with the supply-chain analyzer for the scan: not closed.
		db = a.loadDB(sink)
	}
	au := &audit{sink: sink, db: db, reqs: reqs, indexes: indexes, files: a.tree.Files(), compiled: a.compiled, now: a.Now()}
	au.run(ctx)
	if db != nil {
		// Records are decoded when their package is first queried, so
		// unreadable ones are known only now.
		for _, w := range db.WarningList() {
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
	root := ""
	var envDirs []string
	if p != nil {
		root, envDirs = p.Root, p.EnvDirs
	}
	res := a.tree.Parse(ctx, root, envDirs, pydeps.Options{MarkerEnv: a.markerEnv()})
	if ctx.Err() != nil {
		return nil, nil
	}
	a.compiled = res.Compiled
	warn := func(ws []finding.Warning) {
		for i := range ws {
			w := ws[i]
			sink.Warning(&w)
		}
	}
	warn(res.Warnings)
	reqs, idx := res.Requirements, res.Indexes
	envs, ws := pydeps.Environments(root, envDirs, a.opt.PythonEnvs)
	warn(ws)
	for _, e := range envs {
		if ctx.Err() != nil {
			return nil, nil
		}
		r := pydeps.ReadInstalled(os.DirFS(e.Dir), e.Display)
		reqs = append(reqs, r.Requirements...)
		idx = append(idx, r.Indexes...)
		warn(r.Warnings)
	}
	return pydeps.Dedupe(append(reqs, pydeps.ApplyConstraints(reqs, res.Constraints)...)), idx
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
