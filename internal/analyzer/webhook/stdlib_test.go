package webhook

import (
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

// TestRealCodeNoPanic runs the analysis, without the gate, over a slice of
// CPython's library: real code of every shape must not panic, and nothing
// there is a Stripe webhook handler.
func TestRealCodeNoPanic(t *testing.T) {
	mods := expect.StdlibModules(t, 3<<20)
	var c finding.Collector
	start := time.Now()
	Analyze(pyast.NewProject(mods), &c)
	for _, f := range c.Findings {
		t.Errorf("unexpected finding in CPython: %s %s:%d %s", f.RuleID, f.File, f.Line, f.Message)
	}
	t.Logf("%d modules, analysis %v", len(mods), time.Since(start))
}
