// Package webhook finds Stripe webhook handlers in Python code that can be
// forged: no or optional verification, swallowed failures, weak secrets,
// disabled replay window, re-serialised bodies and hand-rolled checks.
package webhook

import (
	"context"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/source"
)

// Name is the analyzer name and rule id prefix.
const Name = "webhook"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: func(o analyzer.Options) (analyzer.Analyzer, error) {
		a := New()
		a.col.Budget = o.PythonBudget
		return a, nil
	}})
}

// Analyzer collects the Python files that can hold a Stripe webhook handler
// and decides in Finish, when every module (helpers, settings, decorators
// in other files) is known.
type Analyzer struct {
	col pyast.Collector
}

// New returns an analyzer for one scan.
func New() *Analyzer { return &Analyzer{} }

func (*Analyzer) Name() string { return Name }

func (*Analyzer) Wants(f *source.File) bool { return pyast.WantsPython(f) }

// gateBits: a webhook handler, its helpers and its settings all name Stripe
// or webhooks somewhere; the rest of a Python tree is never parsed.
const gateBits = pyast.GateStripe | pyast.GateWebhook

// Gate is the byte prefilter for this analyzer.
func Gate(data []byte) bool { return pyast.GateBits(data)&gateBits != 0 }

func (a *Analyzer) File(ctx context.Context, f *source.File, sink finding.Sink) {
	a.col.Add(ctx, f, sink, gateBits, 0)
}

func (a *Analyzer) Finish(ctx context.Context, _ *source.Project, sink finding.Sink) {
	mods := a.col.Modules()
	if ctx.Err() != nil {
		return
	}
	Analyze(pyast.NewProject(mods), sink)
}

// Modules exposes what File collected (tests check the parse is shared).
func (a *Analyzer) Modules() []*pyast.Module { return a.col.Modules() }
