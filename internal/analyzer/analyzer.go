// Package analyzer defines how analyzers plug into a scan. One package per
// threat (or per family of rules) lives under internal/analyzer/; all.go lists
// them. Analyzers never print: they emit to a finding.Sink.
package analyzer

import (
	"context"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// Analyzer is the common part.
type Analyzer interface {
	// Name is the package name, which is also the prefix of its rule ids
	// and what mitigations list in CheckedBy.
	Name() string
}

// FileAnalyzer reads files one at a time, from many goroutines at once.
type FileAnalyzer interface {
	Analyzer
	// Wants is a cheap gate on the path alone (and the Ignored/Tracked
	// flags); File is called only for files it wants.
	Wants(f *source.File) bool
	// File analyzes one file. Data is only valid during the call.
	File(ctx context.Context, f *source.File, sink finding.Sink)
}

// Finisher is implemented by file analyzers that need the whole tree before
// they can conclude (cross-file Python analysis, dependency resolution).
// Finish runs once, after every File call returned.
type Finisher interface {
	Finish(ctx context.Context, p *source.Project, sink finding.Sink)
}

// HistoryAnalyzer is a FileAnalyzer that is also worth running on every
// version of every file in git history (scan --history): a cheap detector
// of credentials. The history scan keeps only its findings that carry a
// Secret, and reports each distinct secret once.
type HistoryAnalyzer interface {
	FileAnalyzer
	ScansHistory()
}

// ProjectAnalyzer works on the project as a whole (git history) and runs
// concurrently with the walk.
type ProjectAnalyzer interface {
	Analyzer
	Project(ctx context.Context, p *source.Project, sink finding.Sink)
}

// Options are the scan options analyzers may need.
type Options struct {
	// ShowPublishable reports pk_ keys (not secrets) as info.
	ShowPublishable bool
	// DBPath is the advisory database location (--db).
	DBPath string
	// PythonEnvs are extra site-packages/virtualenv paths (--python-env).
	PythonEnvs []string
	// TargetPython / TargetPlatform evaluate environment markers; empty
	// means "report with the marker shown".
	TargetPython   string
	TargetPlatform string
	// Offline forbids network access (always true for scan today).
	Offline bool
	// PythonBudget bounds the Python source (bytes) the code analyzers keep
	// parsed for their cross-file pass: 0 = default, negative = unlimited.
	PythonBudget int64
	// KeepPythonSource keeps the bytes of the Python files the code
	// analyzers may read again in their cross-file pass, instead of
	// re-reading them from disk (staged scans, where the working tree
	// may differ from what is scanned).
	KeepPythonSource bool
	// Now is the calendar clock for date judgements (advisory data age);
	// nil means clock.Now. Tests pin it next to their fixtures.
	Now func() time.Time
	// TyposquatAllow and TyposquatProtect extend the typosquat check
	// ([typosquat] allow / protect in the configuration): legitimate
	// neighbours of protected names, and names to guard like stripe.
	TyposquatAllow, TyposquatProtect []string
}

// Factory makes a fresh analyzer for one scan (analyzers may keep state
// across files).
type Factory struct {
	Name string
	New  func(Options) (Analyzer, error)
}

var factories []Factory

// Register is called from each analyzer package's init.
func Register(f Factory) { factories = append(factories, f) }

// Factories returns every registered analyzer factory.
func Factories() []Factory { return append([]Factory(nil), factories...) }
