package webhook

import (
	"testing"

	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

// TestFixtures scores every rule on the fixture apps (precision and recall
// must be 1.00 on this suite).
func TestFixtures(t *testing.T) {
	expect.RunSuite(t, "testdata/*_app", "webhook/", Rules, Analyze, nil)
}

// TestStreamedSameAsWhole: analysing each file alone during the walk and
// only the undecided ones again in Finish reports exactly what the
// whole-project analysis reports.
func TestStreamedSameAsWhole(t *testing.T) {
	expect.SameResults(t, "testdata/*_app", "webhook/", Analyze, func() *pyast.Stream { return New().Stream() })
}
