package webhook

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

// TestFixtures scores every rule on the fixture apps; each app is its own
// project so cross-file resolution is exercised per app.
func TestFixtures(t *testing.T) {
	apps, err := filepath.Glob("testdata/*_app")
	if err != nil || len(apps) == 0 {
		t.Fatalf("no fixture apps: %v", err)
	}
	total := map[string]*expect.Score{}
	for _, app := range apps {
		t.Run(filepath.Base(app), func(t *testing.T) {
			fx, err := expect.Load(app, "webhook/")
			if err != nil {
				t.Fatal(err)
			}
			var c finding.Collector
			Analyze(fx.Project, &c)
			scores, clean := expect.Compare(fx, c.Findings, "webhook/")
			for _, f := range c.Findings {
				if pyast.RedactKeys(f.Evidence) != f.Evidence || pyast.RedactKeys(f.Message) != f.Message {
					t.Errorf("%s:%d %s shows a full key", f.File, f.Line, f.RuleID)
				}
			}
			for _, o := range expect.MissingObservations(fx, c.Observations) {
				t.Errorf("missing observation %s", o)
			}
			for _, v := range clean {
				t.Errorf("finding in a clean handler: %s", v)
			}
			for r, s := range scores {
				for _, m := range s.Missed {
					t.Errorf("missed %s", m)
				}
				for _, x := range s.Extra {
					t.Errorf("unexpected %s", x)
				}
				if total[r] == nil {
					total[r] = &expect.Score{Rule: r}
				}
				total[r].TP += s.TP
				total[r].FP += s.FP
				total[r].FN += s.FN
			}
			for _, cl := range fx.Cleans {
				found := false
				for _, o := range c.Observations {
					if o.File == cl.File && o.Line >= cl.Start && o.Line <= cl.End && o.Mitigation == MitigationVerified {
						found = true
					}
				}
				if !found && os.Getenv("WEBHOOK_STRICT_OBS") != "" {
					t.Logf("no verified observation for clean %s", cl.Name)
				}
			}
		})
	}
	t.Logf("\n%s", expect.Table(total))
	for _, r := range Rules {
		if total[r.ID] == nil || total[r.ID].TP == 0 {
			t.Errorf("rule %s has no true positive in the fixtures", r.ID)
		}
	}
}
