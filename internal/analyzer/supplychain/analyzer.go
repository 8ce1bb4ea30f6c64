// Package supplychain covers threat malicious-package: a package disguised
// as stripe (or as one of its dependencies) gets installed, or the
// installed stripe is not what PyPI published. Checks, each its own rule:
//
//   - names.go: typosquats of stripe, its dependencies, configured names and
//     the most-downloaded PyPI projects (internal/typosquat; no advisory
//     data needed), and known-malicious packages (OSV MAL- records);
//   - index.go: index configuration from every place pip, uv, Poetry,
//     Pipenv and PDM read it (internal/pyindex): dependency confusion,
//     plain HTTP, disabled TLS verification, credentials in index URLs;
//   - pinning.go: manifests and install commands without hash checking;
//   - installed.go: installed files against their RECORD (internal/record),
//     rogue .pth files, a stripe module shipped by another distribution and
//     a stripe distribution whose metadata points away from Stripe.
//
// The dependency inventory is the one the dependency audit reads
// (pydeps.Tree); the advisory data is the same database, queried only
// through maliciousReports.
package supplychain

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/pep440"
	"github.com/stripeguard/stripeguard/internal/pydeps"
	"github.com/stripeguard/stripeguard/internal/pyindex"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/typosquat"
)

// Name is the analyzer name and rule-id prefix.
const Name = "supplychain"

const stripe = "stripe"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: func(o analyzer.Options) (analyzer.Analyzer, error) {
		return New(o), nil
	}})
}

// Analyzer reads manifests and index settings during the walk and checks
// everything in Finish.
type Analyzer struct {
	opt analyzer.Options
	// DB, when set, is used instead of loading the advisory data (tests).
	DB *osv.DB
	// NoDB skips the advisory data altogether (tests of the name checks).
	NoDB bool

	tree       *pydeps.Tree // manifests and pip file references, as the dependency audit reads them
	mu         sync.Mutex
	settings   []pyindex.Setting
	installs   []pyindex.Install
	indexFiles []string // files read for index settings
	warnings   []finding.Warning
}

// New returns an analyzer for one scan.
func New(o analyzer.Options) *Analyzer {
	return &Analyzer{opt: o, tree: pydeps.NewTree()}
}

func (a *Analyzer) Name() string { return Name }

// Wants manifests, lock files and every file that can configure a package
// index or run an install command; archive members install nothing.
func (a *Analyzer) Wants(f *source.File) bool {
	return f.Container == "" && (pydeps.WantsFile(f.Rel) || pyindex.Wants(f.Rel))
}

// File keeps manifests (parsed together in Finish, includes resolve among
// them) and reads index settings right away (they need no other file).
func (a *Analyzer) File(_ context.Context, f *source.File, _ finding.Sink) {
	if pydeps.WantsFile(f.Rel) {
		a.tree.Add(f.Rel, f.Data)
	}
	var res pyindex.Result
	idx := pyindex.Wants(f.Rel)
	if idx {
		res = pyindex.Read(f.Rel, f.Data)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if idx {
		a.indexFiles = append(a.indexFiles, f.Rel)
		a.settings = append(a.settings, res.Settings...)
		a.installs = append(a.installs, res.Installs...)
		a.warnings = append(a.warnings, res.Warnings...)
	}
}

// inventory is everything Finish checks.
type inventory struct {
	reqs       []pydeps.Requirement
	settings   []pyindex.Setting
	installs   []pyindex.Install
	envs       []pydeps.Env
	files      map[string][]byte
	indexFiles []string
	// compiled maps pip-tools inputs to the files compiled from them.
	compiled map[string][]string
}

// Finish checks names, advisory data, index settings, pinning and the
// installed environments.
func (a *Analyzer) Finish(ctx context.Context, p *source.Project, sink finding.Sink) {
	inv := a.collect(ctx, p, sink)
	if ctx.Err() != nil {
		return
	}
	c := &checks{sink: sink, inv: inv, opt: a.opt}
	c.squats = typosquat.New(typosquat.Options{Allow: a.opt.TyposquatAllow, Protect: a.opt.TyposquatProtect})
	if !a.NoDB {
		c.db = a.DB
		if c.db == nil {
			c.db = a.loadDB(sink)
		}
	}
	// Environments first: a distribution that shadows stripe is reported
	// as such, not a second time for its name.
	c.installed(ctx)
	c.names()
	c.indexes()
	c.pinning()
}

// collect parses the manifests and merges what File gathered, leaving out
// files inside environments (seen with --include-vendored).
func (a *Analyzer) collect(ctx context.Context, p *source.Project, sink finding.Sink) *inventory {
	a.mu.Lock()
	defer a.mu.Unlock()
	root := ""
	var envDirs []string
	if p != nil {
		root, envDirs = p.Root, p.EnvDirs
	}
	inv := &inventory{files: a.tree.Files()}
	// Manifest warnings are the dependency audit's too: both analyzers
	// read the same files, and the report drops duplicates.
	res := a.tree.Parse(ctx, root, envDirs, pydeps.Options{})
	for i := range res.Warnings {
		w := res.Warnings[i]
		sink.Warning(&w)
	}
	inv.reqs = append(res.Requirements, pydeps.ApplyConstraints(res.Requirements, res.Constraints)...)
	inv.compiled = res.Compiled
	for _, s := range res.Indexes {
		if !isRequirementsLike(s.File) {
			continue // Pipfile and pyproject sources are read by pyindex with their tools' semantics
		}
		if st, ok := pyindex.FromPip(s); ok {
			inv.settings = append(inv.settings, st)
		}
	}
	for _, s := range a.settings {
		if !pydeps.InEnv(s.File, envDirs) {
			inv.settings = append(inv.settings, s)
		}
	}
	for _, i := range a.installs {
		if !pydeps.InEnv(i.File, envDirs) {
			inv.installs = append(inv.installs, i)
		}
	}
	for _, f := range a.indexFiles {
		if !pydeps.InEnv(f, envDirs) {
			inv.indexFiles = append(inv.indexFiles, f)
		}
	}
	sort.Strings(inv.indexFiles)
	for i := range a.warnings {
		w := a.warnings[i]
		if !pydeps.InEnv(w.File, envDirs) {
			sink.Warning(&w)
		}
	}
	envs, ws := pydeps.Environments(root, envDirs, a.opt.PythonEnvs)
	for i := range ws {
		sink.Warning(&ws[i])
	}
	inv.envs = envs
	return inv
}

// isRequirementsLike: files whose index options are pip's own
// (requirements files, conda pip sections).
func isRequirementsLike(rel string) bool {
	b := strings.ToLower(rel[strings.LastIndexByte(rel, '/')+1:])
	switch b {
	case "pipfile", "pipfile.lock", "pyproject.toml", "poetry.lock", "uv.lock", "pdm.lock", "pylock.toml":
		return false
	}
	return !strings.HasPrefix(b, "pylock.")
}

// loadDB opens the advisory data the dependency audit uses (--db, else the
// user cache, else the built-in snapshot: osv.Open, shared with it for the
// scan). The built-in snapshot is the PyPA database, which holds no MAL-
// records: with it the check would find nothing and prove nothing, so it is
// reported as not done.
func (a *Analyzer) loadDB(sink finding.Sink) *osv.DB {
	db, err := osv.Open(a.opt.DBPath)
	if err != nil {
		sink.Warning(&finding.Warning{File: a.opt.DBPath, Kind: finding.WarnData, Message: fmt.Sprintf("advisory data not readable: %v; known-malicious packages were not checked", err)})
		return nil
	}
	if db.From == osv.FromEmbedded {
		sink.Warning(&finding.Warning{Kind: finding.WarnData, Message: "no downloaded advisory data: the snapshot built into stripeguard holds no OSV MAL- records, so known-malicious packages were not checked; run `stripeguard db update` or pass --db"})
		return nil
	}
	return db
}

// maliciousReports returns the malicious-package reports (MAL- records)
// that list name at version, or, when version is "", at any version spec
// admits. It is the only place this analyzer reads advisory data, through
// the database's per-package queries.
func maliciousReports(db *osv.DB, name, version string, spec pep440.SpecifierSet) []osv.Vuln {
	var m osv.Match
	if version != "" {
		m = db.Check(name, version)
	} else {
		m = db.Admits(name, spec)
	}
	var out []osv.Vuln
	for _, v := range m.Vulns {
		if v.IsMalicious() {
			out = append(out, v)
		}
	}
	return out
}

// checks holds the state of one Finish.
type checks struct {
	sink   finding.Sink
	inv    *inventory
	opt    analyzer.Options
	db     *osv.DB
	squats *typosquat.Checker
	// hashUse says whether (and where) the project installs with hashes.
	hashUse []string
	// malCount counts packages with MAL- reports.
	malCount int
	// shadowing are installed distributions that provide the stripe
	// module (PEP 503 names).
	shadowing map[string]bool
}
