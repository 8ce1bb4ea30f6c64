package pyast

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// WantsPython is the path gate of the Python analyzers: project source
// only, not archive members, bytecode or installed packages (the key and
// dependency analyzers cover those).
func WantsPython(f *source.File) bool {
	if f.Container != "" || strings.Contains(f.Rel, "!") {
		return false
	}
	p := f.Rel
	if !strings.HasSuffix(p, ".py") && !strings.HasSuffix(p, ".pyw") {
		return false
	}
	return !strings.Contains(p, "site-packages/") && !strings.Contains(p, "node_modules/")
}

// DefaultBudget bounds the Python source an analyzer has parsed at once in
// its cross-file pass (about 13 bytes of memory per source byte). The pass
// loads only the modules whose own analysis could not conclude and what
// they look up, so real applications stay far below it; past it, modules
// are left out with a warning so that memory stays bounded whatever the
// tree size.
const DefaultBudget = 24 << 20

// WarnBudget is the warning kind for files left out by the budget.
const WarnBudget = "budget"

// Stream runs one Python analyzer over a scan without keeping syntax trees
// for the whole walk. File analyses each driver file on its own at once
// (on the engine's worker goroutines, so on every core) and keeps only its
// results and the questions it asked about other modules (Deps); the tree
// is dropped. Finish keeps the results that nothing in the finished tree
// can change and analyses the remaining modules again together, loading
// other files only when a look-up needs them. Files that are not drivers
// are never parsed unless such a look-up asks for them.
//
// Memory is therefore the summaries (a few hundred bytes a file), the
// buffered local results and the modules of the cross-file pass, bounded
// by Budget. Safe for concurrent File calls.
type Stream struct {
	// Budget is the most source bytes loaded in Finish (0 = DefaultBudget,
	// <0 = none).
	Budget int64
	// Want are the gate bits a file needs to be part of the analysis;
	// Quiet are the bits of files another analyzer warns about (one
	// warning per file, decided without shared state).
	Want, Quiet uint8
	// Driver decides from the gate bits and token anchors whether a file
	// can hold anything the analyzer reports, so must be analysed; other
	// files are only looked up.
	Driver func(gate uint8, a Anchor) bool
	// Analyze is the analyzer's run over a project.
	Analyze func(p *Project, sink finding.Sink)
	// FindingKey identifies a finding across runs (default: rule, file,
	// line, key, secret); the same finding may come from a local run and
	// from the cross-file pass.
	FindingKey func(*finding.Finding) string
	// KeepSource keeps every file's bytes (staged scans: the working tree
	// may differ from what is scanned).
	KeepSource bool
	// Skip, if set, decides per function body of a driver file whether
	// its local run needs it parsed (see Skippable). The cross-file pass
	// always parses whole files.
	Skip func(o *Outline, b *FuncBody) SkipDecision

	mu     sync.Mutex
	sums   []*Summary
	local  map[*Summary]*localRun
	parsed atomic.Int64 // driver parses in File (tests)
	reran  atomic.Int64 // modules analysed again in Finish (tests)
}

type localRun struct {
	deps *Deps
	fs   []*finding.Finding
	obs  []*finding.Observation
}

// File adds one file to the scan and analyses it on its own if it is a
// driver.
func (s *Stream) File(ctx context.Context, f *source.File, sink finding.Sink) {
	bits := Gates(f)
	if ctx.Err() != nil {
		return
	}
	if bits&s.Want == 0 {
		// Not part of the analysis, but a settings helper or a base class
		// of a module that is may live here: keep its name so that a
		// look-up can parse it in the cross-file pass.
		if len(f.Data) <= MaxFileSize {
			// No content hash: a file only looked up is read as it is
			// when the look-up happens (hashing every Python file of a
			// large tree would cost more than the look-ups).
			sum := &Summary{Path: f.Rel, Name: ModuleName(f.Rel), Abs: f.Abs, Size: len(f.Data), gate: bits}
			if s.KeepSource || f.Abs == "" {
				sum.Src = append([]byte(nil), f.Data...)
				sum.Abs = ""
			}
			s.mu.Lock()
			s.sums = append(s.sums, sum)
			s.mu.Unlock()
		}
		return
	}
	warn := bits&s.Quiet == 0
	if len(f.Data) > MaxFileSize {
		if warn {
			sink.Warning(&finding.Warning{File: f.Rel, Kind: finding.WarnTooLarge, Message: "Python analysis skipped: " + ErrTooLarge.Error()})
		}
		return
	}
	if bytes.IndexByte(f.Data, 0) >= 0 {
		if warn {
			sink.Warning(&finding.Warning{File: f.Rel, Kind: finding.WarnBinary, Message: "Python analysis skipped: " + ErrBinary.Error()})
		}
		return
	}
	facts := FileFacts(f)
	sum := &Summary{Path: f.Rel, Name: ModuleName(f.Rel), Abs: f.Abs, Size: len(f.Data), Hash: maphash.Bytes(seed, f.Data), Facts: facts, gate: bits}
	if s.KeepSource || f.Abs == "" {
		sum.Src = append([]byte(nil), f.Data...)
		sum.Abs = ""
	}
	var run *localRun
	if s.Driver == nil || s.Driver(bits, facts.Anchors) {
		s.parsed.Add(1)
		m, needCallers, err := s.parseDriver(f)
		if err != nil {
			if warn {
				sink.Warning(parseWarning(f.Rel, err))
			}
			sum.warned = true
		} else {
			if m.HasError && warn {
				sink.Warning(syntaxWarning(f.Rel))
			}
			sum.warned = true
			p := Local(m)
			for _, n := range needCallers {
				p.deps.call(n)
			}
			var buf finding.Collector
			s.Analyze(p, &buf)
			run = &localRun{deps: p.deps, fs: buf.Findings, obs: buf.Observations}
		}
	}
	s.mu.Lock()
	s.sums = append(s.sums, sum)
	if run != nil {
		if s.local == nil {
			s.local = map[*Summary]*localRun{}
		}
		s.local[sum] = run
	}
	s.mu.Unlock()
}

// parseDriver parses a driver file for its local run: the whole file when
// another analyzer already parsed it, else without the bodies Skip drops
// (falling back to the whole file if that leaves a syntax error).
func (s *Stream) parseDriver(f *source.File) (*Module, []string, error) {
	if s.Skip == nil {
		m, err := Shared.Get(f.Rel, f.Data, ParseDeadline)
		return m, nil, err
	}
	if m := Shared.Peek(f.Rel, f.Data); m != nil {
		return m, nil, nil
	}
	drop, need := Skippable(f.Data, s.Skip)
	if len(drop) == 0 {
		m, err := Shared.Get(f.Rel, f.Data, ParseDeadline)
		return m, nil, err
	}
	m, err := ParseModuleSkipping(f.Rel, append([]byte(nil), f.Data...), drop, ParseDeadline)
	if err == nil && !m.HasError {
		return m, need, nil
	}
	m, err = Shared.Get(f.Rel, f.Data, ParseDeadline)
	return m, nil, err
}

// Parsed is how many files File parsed (tests check the gate).
func (s *Stream) Parsed() int64 { return s.parsed.Load() }

// Reran is how many modules the last Finish analysed again.
func (s *Stream) Reran() int64 { return s.reran.Load() }

func parseWarning(rel string, err error) *finding.Warning {
	kind := finding.WarnParse
	switch {
	case errors.Is(err, ErrTooLarge):
		kind = finding.WarnTooLarge
	case errors.Is(err, ErrBinary):
		kind = finding.WarnBinary
	case errors.Is(err, ErrTimeout):
		kind = finding.WarnTimeout
	}
	return &finding.Warning{File: rel, Kind: kind, Message: "Python analysis skipped: " + err.Error()}
}

func syntaxWarning(rel string) *finding.Warning {
	return &finding.Warning{File: rel, Kind: finding.WarnParse, Message: "Python syntax errors; the analysis used the parts that parsed"}
}

func (s *Stream) budget() int64 {
	if s.Budget == 0 {
		return DefaultBudget
	}
	return s.Budget
}

// Finish decides the local results and runs the cross-file pass.
func (s *Stream) Finish(ctx context.Context, sink finding.Sink) {
	s.mu.Lock()
	sums, local := s.sums, s.local
	s.sums, s.local = nil, nil
	s.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	out := &dedupeSink{next: sink, key: s.FindingKey, seen: map[string]bool{}}
	if out.key == nil {
		out.key = DefaultFindingKey
	}
	var used atomic.Int64
	budget := s.budget()
	var overMu sync.Mutex
	overWarned := false
	var failedMu sync.Mutex
	failed := map[*Summary]bool{}
	var loadOnce func(sm *Summary) *Module
	load := func(sm *Summary) *Module {
		failedMu.Lock()
		f := failed[sm]
		failedMu.Unlock()
		if f {
			return nil // warned about once already
		}
		m := loadOnce(sm)
		if m == nil {
			failedMu.Lock()
			failed[sm] = true
			failedMu.Unlock()
		}
		return m
	}
	loadOnce = func(sm *Summary) *Module {
		data := sm.Src
		if data == nil {
			b, err := os.ReadFile(sm.Abs)
			if err != nil {
				sink.Warning(&finding.Warning{File: sm.Path, Kind: finding.WarnUnreadable, Message: "Python cross-file analysis: " + err.Error()})
				return nil
			}
			data = b
		}
		if sm.Facts != nil && (len(data) != sm.Size || maphash.Bytes(seed, data) != sm.Hash) {
			sink.Warning(&finding.Warning{File: sm.Path, Kind: finding.WarnUnreadable, Message: "Python cross-file analysis: the file changed during the scan; left out"})
			return nil
		}
		if budget > 0 && used.Add(int64(len(data))) > budget {
			overMu.Lock()
			first := !overWarned
			overWarned = true
			overMu.Unlock()
			msg := "Python cross-file analysis left this file out: over the budget of " + strconv.FormatInt(budget>>20, 10) + " MiB of source parsed at once (raise it with --python-budget, or scan a subdirectory)"
			if !first {
				msg = "Python cross-file analysis left this file out (budget)"
			}
			sink.Warning(&finding.Warning{File: sm.Path, Kind: WarnBudget, Message: msg})
			return nil
		}
		m, err := Shared.Get(sm.Path, data, ParseDeadline)
		if err != nil {
			if !sm.warned && (sm.Facts != nil || s.Quiet == 0) {
				sink.Warning(parseWarning(sm.Path, err))
			}
			return nil
		}
		// Files outside the gate (looked up only) are warned about by the
		// analyzer that warns for everything (Quiet == 0), once.
		if m.HasError && !sm.warned && sm.gate&s.Quiet == 0 && (sm.Facts != nil || s.Quiet == 0) {
			sink.Warning(syntaxWarning(sm.Path))
		}
		return m
	}
	u := NewUniverse(sums, load)
	var rerun []*Summary
	for _, sm := range u.sums {
		run := local[sm]
		if run == nil {
			continue
		}
		if u.Satisfied(sm, run.deps) {
			for _, f := range run.fs {
				out.Finding(f)
			}
			for _, o := range run.obs {
				out.Observation(o)
			}
			continue
		}
		rerun = append(rerun, sm)
	}
	local = nil
	s.reran.Store(int64(len(rerun)))
	if len(rerun) == 0 || ctx.Err() != nil {
		return
	}
	// Parse the drivers of the cross-file pass on every core.
	mods := make([]*Module, len(rerun))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rerun) || ctx.Err() != nil {
					return
				}
				mods[i] = load(rerun[i])
			}
		}()
	}
	wg.Wait()
	var drivers []*Module
	for _, m := range mods {
		if m != nil {
			drivers = append(drivers, m)
		}
	}
	if ctx.Err() != nil {
		return
	}
	s.Analyze(u.Project(drivers), out)
}

// DefaultFindingKey identifies a finding by rule, place, key and secret.
func DefaultFindingKey(f *finding.Finding) string {
	return f.RuleID + "\x00" + f.File + "\x00" + strconv.Itoa(f.Line) + "\x00" + f.Key + "\x00" + f.Secret
}

// dedupeSink drops a finding or observation already emitted by another
// run of the same analyzer.
type dedupeSink struct {
	mu   sync.Mutex
	next finding.Sink
	key  func(*finding.Finding) string
	seen map[string]bool
}

func (d *dedupeSink) first(k string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen[k] {
		return false
	}
	d.seen[k] = true
	return true
}

func (d *dedupeSink) Finding(f *finding.Finding) {
	if d.first("f\x00" + d.key(f)) {
		d.next.Finding(f)
	}
}

func (d *dedupeSink) Observation(o *finding.Observation) {
	if d.first(fmt.Sprintf("o\x00%s\x00%s\x00%s\x00%d\x00%s", o.Mitigation, o.State, o.File, o.Line, o.Detail)) {
		d.next.Observation(o)
	}
}

func (d *dedupeSink) Warning(w *finding.Warning) { d.next.Warning(w) }

// Summaries returns the files seen so far, sorted by path (tests).
func (s *Stream) Summaries() []*Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]*Summary(nil), s.sums...)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
