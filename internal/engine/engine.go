// Package engine runs a scan: sources feed files to the analyzers, the
// results are merged, filtered (configuration, inline comments, baseline) and
// returned as a report.Report. It owns no detection logic.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/history"
	"github.com/stripeguard/stripeguard/internal/config"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/verify"
)

// DefaultMaxFileSize is --max-file-size's default.
const DefaultMaxFileSize = 10 << 20

// Expander turns a container file (archive, bytecode) into text members; see
// internal/source/expand. It returns false when f is not a container.
type Expander func(f *source.File, emit func(*source.File), warn func(*finding.Warning)) bool

// Options configure one scan.
type Options struct {
	Root        string
	Config      *config.Config
	Exclude     []string // in addition to the configuration's
	MaxFileSize int64
	// IncludeVendored scans virtualenvs and node_modules for keys.
	IncludeVendored bool
	// Staged scans only what is staged for commit.
	Staged      bool
	ShowSecrets bool
	// Only / Skip select analyzers by name (empty Only = all).
	Only, Skip []string
	Analyzer   analyzer.Options
	Expand     Expander
	// Baseline holds fingerprints to leave out of the report.
	Baseline map[string]bool
	Workers  int
	// Progress, if set, is told about each file (for a progress bar).
	Progress func(rel string)
	Tool     report.Tool
	// History, when set, also scans the git history of Root (scan
	// --history) with the analyzers that read history, whatever Only and
	// Skip say; Exclude and MaxFileSize apply to it too.
	History *history.Options
	// Verify, when set, asks the Stripe API whether each key found still
	// works (--verify).
	Verify *verify.Verifier
}

// Run scans opt.Root.
func Run(ctx context.Context, opt Options) (*report.Report, error) {
	start := time.Now()
	if opt.Config == nil {
		opt.Config = &config.Config{}
	}
	if opt.MaxFileSize <= 0 {
		opt.MaxFileSize = opt.Config.MaxFileSize
	}
	if opt.MaxFileSize <= 0 {
		opt.MaxFileSize = DefaultMaxFileSize
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	opt.Analyzer.ShowPublishable = opt.Analyzer.ShowPublishable || opt.Config.ShowPublishable
	// Staged content may differ from the working tree: the Python
	// analyzers cannot re-read it from disk in their cross-file pass.
	opt.Analyzer.KeepPythonSource = opt.Analyzer.KeepPythonSource || opt.Staged
	opt.Analyzer.TyposquatAllow = append(opt.Analyzer.TyposquatAllow, opt.Config.Typosquat.Allow...)
	opt.Analyzer.TyposquatProtect = append(opt.Analyzer.TyposquatProtect, opt.Config.Typosquat.Protect...)
	ans, names, err := build(opt)
	if err != nil {
		return nil, err
	}
	sink := &finding.Collector{}
	d := &dispatcher{ctx: ctx, sink: sink, expand: opt.Expand, progress: opt.Progress}
	exclude := append(append([]string(nil), opt.Config.Exclude...), opt.Exclude...)
	w, err := source.NewWalker(opt.Root, source.WalkOptions{Exclude: exclude, IncludeVendored: opt.IncludeVendored || opt.Config.IncludeVendored}, d.skip)
	if err != nil {
		return nil, err
	}

	var fileAns []analyzer.FileAnalyzer
	var projAns []analyzer.ProjectAnalyzer
	for _, a := range ans {
		if fa, ok := a.(analyzer.FileAnalyzer); ok {
			fileAns = append(fileAns, fa)
		}
		if pa, ok := a.(analyzer.ProjectAnalyzer); ok {
			projAns = append(projAns, pa)
		}
	}
	d.ans = fileAns

	hist, err := startHistory(ctx, opt, w, sink)
	if err != nil {
		return nil, err
	}
	switch {
	case hist != nil && hist.bare:
		// A bare repository has no working tree: only its history.
	case opt.Staged:
		if err := source.Staged(ctx, opt.Root, opt.MaxFileSize, d.file, d.skip); err != nil {
			return nil, err
		}
	default:
		entries := make(chan source.Entry, 256)
		var wg sync.WaitGroup
		for i := 0; i < opt.Workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var buf []byte
				for e := range entries {
					buf = d.read(e, w, opt.MaxFileSize, buf)
				}
			}()
		}
		w.Walk(ctx, func(e source.Entry) { entries <- e })
		close(entries)
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	proj := w.Project()
	// Project analyzers (git history, ...) and finishers run after the walk
	// so they see the complete project; they run concurrently.
	var wg sync.WaitGroup
	for _, pa := range projAns {
		wg.Add(1)
		go func(pa analyzer.ProjectAnalyzer) {
			defer wg.Done()
			defer recoverInto(sink, pa.Name())
			pa.Project(ctx, proj, sink)
		}(pa)
	}
	for _, a := range ans {
		if fin, ok := a.(analyzer.Finisher); ok {
			wg.Add(1)
			go func(fin analyzer.Finisher, name string) {
				defer wg.Done()
				defer recoverInto(sink, name)
				fin.Finish(ctx, proj, sink)
			}(fin, a.Name())
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// History findings wait for the working tree's: whether a key is still
	// there is part of each.
	if hist != nil {
		if err := hist.finish(sink); err != nil {
			return nil, err
		}
		names = append(names, history.Name)
	}

	r := &report.Report{
		Tool:         opt.Tool,
		Command:      "scan",
		Target:       opt.Root,
		Warnings:     sink.Warnings,
		Observations: sink.Observations,
		Packages:     sink.Packages,
		DataSources:  sink.DataSources,
		Analyzers:    names,
		Available:    available(),
		Files: &report.FileCounts{
			Scanned: int(d.scanned.Load()), Skipped: int(d.skipped.Load()),
			Expanded: int(d.expanded.Load()), Members: int(d.members.Load()),
		},
		ShowSecrets: opt.ShowSecrets,
	}
	if opt.Staged {
		r.Notes = append(r.Notes, "staged mode: only files staged for commit were scanned")
	}
	if hist != nil {
		r.Notes = append(r.Notes, hist.res.Notes()...)
	}
	post(r, sink.Findings, opt, proj)
	if opt.Verify != nil {
		verifyFindings(ctx, opt.Verify, r)
	}
	r.Finalize()
	r.Duration = time.Since(start)
	return r, nil
}

// available lists every analyzer linked into the build.
func available() []string {
	var out []string
	for _, f := range analyzer.Factories() {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

func build(opt Options) ([]analyzer.Analyzer, []string, error) {
	only := map[string]bool{}
	for _, n := range opt.Only {
		only[n] = true
	}
	skip := map[string]bool{}
	for _, n := range opt.Skip {
		skip[n] = true
	}
	known := map[string]bool{}
	var ans []analyzer.Analyzer
	var names []string
	for _, f := range analyzer.Factories() {
		known[f.Name] = true
		if (len(only) > 0 && !only[f.Name]) || skip[f.Name] {
			continue
		}
		a, err := f.New(opt.Analyzer)
		if err != nil {
			return nil, nil, fmt.Errorf("analyzer %s: %w", f.Name, err)
		}
		ans = append(ans, a)
		names = append(names, f.Name)
	}
	for _, list := range [][]string{opt.Only, opt.Skip} {
		for _, n := range list {
			if !known[n] {
				return nil, nil, fmt.Errorf("unknown analyzer %q (valid: %s)", n, strings.Join(available(), ", "))
			}
		}
	}
	return ans, names, nil
}

// recoverInto turns an analyzer panic into a warning: one analyzer's bug on
// one odd file must not take the whole scan down.
func recoverInto(sink finding.Sink, name string) {
	if v := recover(); v != nil {
		sink.Warning(&finding.Warning{Kind: "internal-error", Message: fmt.Sprintf("analyzer %s failed: %v", name, v)})
	}
}

type dispatcher struct {
	ctx      context.Context
	ans      []analyzer.FileAnalyzer
	sink     finding.Sink
	expand   Expander
	progress func(string)
	// What the report's file counts say.
	scanned, skipped, expanded, members atomic.Int64
}

// skip records a warning about input that was not scanned and counts it.
func (d *dispatcher) skip(w *finding.Warning) {
	switch w.Kind {
	case finding.WarnBinary, finding.WarnTooLarge, finding.WarnUnreadable, finding.WarnSymlink:
		if w.File != "" && !strings.Contains(w.Message, "not fully scanned") {
			d.skipped.Add(1)
		}
	}
	d.sink.Warning(w)
}

// read loads one file into buf (reused across files by one worker, so a
// worker holds at most one file in memory) and dispatches it.
func (d *dispatcher) read(e source.Entry, w *source.Walker, max int64, buf []byte) []byte {
	if d.progress != nil {
		d.progress(e.Rel)
	}
	size := e.Info.Size()
	if size > max {
		d.skip(&finding.Warning{File: e.Rel, Kind: finding.WarnTooLarge, Message: fmt.Sprintf("%d bytes, over --max-file-size (%d); not scanned", size, max)})
		return buf
	}
	fh, err := os.Open(e.Abs)
	if err != nil {
		d.skip(&finding.Warning{File: e.Rel, Kind: finding.WarnUnreadable, Message: errText(err)})
		return buf
	}
	// Read at most max+1 bytes: the file may have grown since stat.
	if int64(cap(buf)) < size+1 {
		buf = make([]byte, 0, size+512)
	}
	data, err := readAll(fh, buf[:0], max+1)
	fh.Close()
	if err != nil {
		d.skip(&finding.Warning{File: e.Rel, Kind: finding.WarnUnreadable, Message: errText(err)})
		return buf
	}
	if int64(len(data)) > max {
		d.skip(&finding.Warning{File: e.Rel, Kind: finding.WarnTooLarge, Message: fmt.Sprintf("over --max-file-size (%d); not scanned", max)})
		return data
	}
	d.file(&source.File{Rel: e.Rel, Abs: e.Abs, Mode: e.Info.Mode(), Size: int64(len(data)), Data: data, Tracked: w.IsTracked(e.Rel), Ignored: e.Ignored})
	return data
}

func readAll(r io.Reader, b []byte, limit int64) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) >= limit {
			return b, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return b, nil
			}
			return b, err
		}
	}
}

// IsBinary applies the usual heuristic: a NUL byte in the first 8 KiB.
func IsBinary(data []byte) bool {
	n := len(data)
	if n > 8192 {
		n = 8192
	}
	return bytes.IndexByte(data[:n], 0) >= 0
}

var containerExt = []string{".zip", ".whl", ".egg", ".jar", ".tar", ".tgz", ".gz", ".pyc"}

func isContainerName(name string) bool {
	name = strings.ToLower(name)
	for _, e := range containerExt {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

func (d *dispatcher) file(f *source.File) {
	if d.ctx.Err() != nil {
		return
	}
	if text, ok := source.DecodeUTF16or32(f.Data); ok {
		// UTF-16/32 text (PowerShell's default for `>`) holds NUL bytes
		// but is text: analyzers read it as UTF-8, lines unchanged.
		g := *f
		g.Data = text
		f = &g
	}
	binary := IsBinary(f.Data)
	if d.expand != nil && (binary || isContainerName(f.Base())) {
		if d.expand(f, d.file, d.skip) {
			d.expanded.Add(1)
			return
		}
	}
	if binary {
		d.skip(&finding.Warning{File: f.Rel, Kind: finding.WarnBinary, Message: "binary file not scanned"})
		return
	}
	if f.Container == "" {
		d.scanned.Add(1)
	} else {
		d.members.Add(1)
	}
	for _, a := range d.ans {
		if a.Wants(f) {
			func() {
				defer recoverInto(d.sink, a.Name()+" on "+f.Rel)
				a.File(d.ctx, f, d.sink)
			}()
		}
	}
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// post merges, filters and fingerprints findings.
func post(r *report.Report, fs []*finding.Finding, opt Options, proj *source.Project) {
	fs = mergeSameSecret(fs)
	fs = dropStalePycDuplicates(fs)
	lines := &lineCache{root: proj.Root, files: map[string][][]byte{}}
	var kept []*finding.Finding
	for _, f := range fs {
		// Line-level findings (a requirement, a file mode) point at the
		// start of their line: every located finding carries a column.
		if f.Line > 0 && f.Column == 0 {
			f.Column = 1
		}
		if f.Line > 0 && f.EndLine == 0 {
			f.EndLine = f.Line
		}
		if opt.Config.Disabled[f.RuleID] {
			r.Suppressed++
			continue
		}
		if sev, ok := opt.Config.Overrides[f.RuleID]; ok {
			f.Severity = sev
		}
		if f.File != "" && proj.Excluded != nil && proj.Excluded(f.File, false) {
			continue
		}
		if h := f.History; h != nil {
			// The introducing line may exist only in history: the
			// comment counts where the key was committed.
			if opt.Config.Disabled[h.DetectedBy] {
				r.Suppressed++
				continue
			}
			if suppressedInline([]byte(h.LineText), f.RuleID) || suppressedInline([]byte(h.LineText), h.DetectedBy) {
				r.Suppressed++
				continue
			}
		} else if f.File != "" && f.Line > 0 && !strings.Contains(f.File, "!") && suppressedInline(lines.line(f.File, f.Line), f.RuleID) {
			r.Suppressed++
			continue
		}
		kept = append(kept, f)
	}
	// Number identical findings in file order so fingerprints do not depend
	// on line numbers, only on what precedes them.
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	seen := map[string]int{}
	for _, f := range kept {
		k := f.IdentityKey()
		f.SetFingerprint(seen[k])
		seen[k]++
	}
	for _, f := range kept {
		if opt.Baseline[f.Fingerprint] {
			r.Baselined++
			continue
		}
		redact(f, opt.ShowSecrets)
		r.Findings = append(r.Findings, f)
	}
	if r.Findings == nil {
		r.Findings = []*finding.Finding{}
	}
}

// redact makes sure no full secret reaches a reporter unless asked.
func redact(f *finding.Finding, show bool) {
	if f.Secret == "" {
		return
	}
	if show {
		f.Evidence = f.Secret
		return
	}
	if f.Evidence == "" || strings.Contains(f.Evidence, f.Secret) {
		f.Evidence = finding.Redact(f.Secret)
	}
	if strings.Contains(f.Message, f.Secret) {
		f.Message = strings.ReplaceAll(f.Message, f.Secret, finding.Redact(f.Secret))
	}
}

// rawKeyPrefix marks the rules of the raw credential detector, which yield
// to a code analyzer's finding about the same key.
var rawKeyPrefix = "secrets/"

// mergeSameSecret folds findings about the same key at the same place
// (the raw detector and the code analyzer both see `stripe.api_key =
// "sk_live_…"`) into one: the more specific code finding leads, the raw one
// is linked, and the higher severity wins.
func mergeSameSecret(fs []*finding.Finding) []*finding.Finding {
	type key struct {
		file   string
		line   int
		secret string
	}
	lead := map[key]*finding.Finding{}
	var out []*finding.Finding
	for _, f := range fs {
		if f.Secret == "" || f.File == "" || f.History != nil {
			out = append(out, f)
			continue
		}
		k := key{f.File, f.Line, f.Secret}
		prev, ok := lead[k]
		if !ok {
			lead[k] = f
			out = append(out, f)
			continue
		}
		if prev.RuleID == f.RuleID {
			continue
		}
		primary, other := prev, f
		if strings.HasPrefix(prev.RuleID, rawKeyPrefix) && !strings.HasPrefix(f.RuleID, rawKeyPrefix) {
			// Swap contents in place so out keeps one pointer per key.
			*prev, *f = *f, *prev
			primary, other = prev, f
		}
		if other.Severity > primary.Severity {
			primary.Severity = other.Severity
		}
		primary.Related = append(primary.Related, finding.Location{File: other.File, Line: other.Line, Column: other.Column, Message: "also reported as " + other.RuleID + ": " + other.Message})
	}
	return out
}

// dropStalePycDuplicates keeps a key found in a .pyc only when the matching
// source file does not hold the same key: then the bytecode is stale and
// the key survives nowhere else in the tree.
func dropStalePycDuplicates(fs []*finding.Finding) []*finding.Finding {
	bySource := map[string]bool{}
	for _, f := range fs {
		if f.Secret != "" && strings.HasSuffix(f.File, ".py") {
			bySource[f.File+"\x00"+f.Secret] = true
		}
	}
	var out []*finding.Finding
	for _, f := range fs {
		if f.Secret != "" {
			if i := strings.Index(f.File, ".pyc!"); i >= 0 {
				if src := pycSource(f.File[:i+4]); src != "" && bySource[src+"\x00"+f.Secret] {
					continue
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// pycSource maps pkg/__pycache__/mod.cpython-311.pyc (or legacy mod.pyc) to
// pkg/mod.py.
func pycSource(pyc string) string {
	dir, base := filepath.Split(filepath.FromSlash(pyc))
	base = strings.TrimSuffix(base, ".pyc")
	if filepath.Base(filepath.Clean(dir)) == "__pycache__" {
		dir = filepath.Dir(filepath.Clean(dir))
		if i := strings.IndexByte(base, '.'); i >= 0 {
			base = base[:i]
		}
		return filepath.ToSlash(filepath.Join(dir, base+".py"))
	}
	return filepath.ToSlash(filepath.Join(dir, base+".py"))
}

type lineCache struct {
	mu    sync.Mutex
	root  string
	files map[string][][]byte
}

func (c *lineCache) line(rel string, n int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls, ok := c.files[rel]
	if !ok {
		data, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(rel)))
		if err == nil && len(data) <= 64<<20 {
			ls = bytes.Split(data, []byte{'\n'})
		}
		c.files[rel] = ls
	}
	if n < 1 || n > len(ls) {
		return nil
	}
	return ls[n-1]
}
