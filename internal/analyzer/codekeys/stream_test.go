package codekeys

import (
	"github.com/stripeguard/stripeguard/internal/finding"
	"testing"

	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

// TestStreamedSameAsWhole: the scan's per-file runs plus the cross-file
// pass report exactly what the whole-project analysis reports.
func TestStreamedSameAsWhole(t *testing.T) {
	expect.SameResultsThen(t, "testdata/*_app", "codekeys/", Analyze, func() (*pyast.Stream, func(finding.Sink)) {
		a := New()
		return &a.col, a.broker.decide
	})
}
