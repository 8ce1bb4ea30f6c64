// Package webhook finds Stripe webhook handlers in Python code that can be
// forged: no or optional verification, swallowed failures, weak secrets,
// disabled replay window, re-serialised bodies and hand-rolled checks.
package webhook

import (
	"context"
	"fmt"

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
		a.col.KeepSource = o.KeepPythonSource
		return a, nil
	}})
}

// Analyzer analyses each Python file that can hold a Stripe webhook
// handler or its verification as the walk yields it, and in Finish
// analyses again, with the whole tree, the files whose result depends on
// other modules (helpers, settings, hooks registered elsewhere).
type Analyzer struct {
	col pyast.Stream
}

// New returns an analyzer for one scan.
func New() *Analyzer {
	return &Analyzer{col: pyast.Stream{Want: gateBits, Driver: IsDriver, Analyze: Analyze, FindingKey: findingKey}}
}

// driverAnchors: what a file must mention to hold a handler, a hook, a
// verification or a hand-rolled check. Other gated files (plain modules
// that import stripe) are parsed only if a look-up from a driver needs
// them.
const driverAnchors = pyast.AVerify | pyast.AHmac | pyast.ASignature | pyast.ABody | pyast.ALambda |
	pyast.AWiring | pyast.AExcept | pyast.AClass | pyast.ADecorator | pyast.AWebhookDef

// IsDriver decides from a gated file's token anchors whether it must be
// analysed.
func IsDriver(_ uint8, a pyast.Anchor) bool { return a&driverAnchors != 0 }

// findingKey mirrors emit's own de-duplication (one finding per rule and
// line).
func findingKey(f *finding.Finding) string {
	return f.RuleID + "\x00" + f.File + "\x00" + fmt.Sprint(f.Line)
}

func (*Analyzer) Name() string { return Name }

// Wants the Python files of the application. A git-ignored local
// settings file (local_settings.py) is the developer's own machine
// configuration, walked only for the key checks: like codekeys, the
// webhook rules leave it out.
func (*Analyzer) Wants(f *source.File) bool { return pyast.WantsPython(f) && !f.Ignored }

// gateBits: a webhook handler, its helpers and its settings all name Stripe
// or webhooks somewhere; the rest of a Python tree is never parsed.
const gateBits = pyast.GateStripe | pyast.GateWebhook

// Gate is the byte prefilter for this analyzer.
func Gate(data []byte) bool { return pyast.GateBits(data)&gateBits != 0 }

func (a *Analyzer) File(ctx context.Context, f *source.File, sink finding.Sink) {
	a.col.File(ctx, f, sink)
}

func (a *Analyzer) Finish(ctx context.Context, _ *source.Project, sink finding.Sink) {
	// File runs emitted to the scan's sink directly; their results are
	// what the stream's Finish merges and re-emits, so watching Finish
	// sees the whole scan.
	w := &applies{sink: sink}
	a.col.Finish(ctx, w)
	if ctx.Err() == nil {
		w.conclude()
	}
}

// Stream exposes the per-file machinery (tests).
func (a *Analyzer) Stream() *pyast.Stream { return &a.col }
