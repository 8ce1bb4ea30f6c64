package webhook

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

// TestFixtures scores every rule on the fixture apps (precision and recall
// must be 1.00 on this suite).
func TestFixtures(t *testing.T) {
	expect.RunSuite(t, "testdata/*_app", "webhook/", Rules, Analyze, func(t *testing.T, app string, c *finding.Collector) {
		// The idempotency check must not call the control missing where
		// the fixture records event ids.
		if filepath.Base(app) != "dedupe_app" {
			return
		}
		fx, err := expect.Load(app, "webhook/")
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range expect.UnexpectedMissing(fx, c.Observations, MitigationIdempotent) {
			t.Errorf("unexpected missing observation %s", u)
		}
	})
}

// TestStreamedSameAsWhole: analysing each file alone during the walk and
// only the undecided ones again in Finish reports exactly what the
// whole-project analysis reports.
func TestStreamedSameAsWhole(t *testing.T) {
	expect.SameResults(t, "testdata/*_app", "webhook/", Analyze, func() *pyast.Stream { return New().Stream() })
}

// The message names the condition under which verification runs.
func TestOptionalMessage(t *testing.T) {
	fx, err := expect.Load("testdata/flask_app", "webhook/")
	if err != nil {
		t.Fatal(err)
	}
	var c finding.Collector
	Analyze(fx.Project, &c)
	want := map[int]string{
		64: "verifies the signature only when endpoint_secret;",
		79: "verifies the signature only when sig;",
	}
	for _, f := range c.Findings {
		if w, ok := want[f.Line]; ok && f.File == "app.py" && f.RuleID == OptionalVerification.ID {
			if !strings.Contains(f.Message, w) {
				t.Errorf("line %d: %q, want %q", f.Line, f.Message, w)
			}
			delete(want, f.Line)
		}
	}
	if len(want) != 0 {
		t.Errorf("no optional-verification finding at %v", want)
	}
}
