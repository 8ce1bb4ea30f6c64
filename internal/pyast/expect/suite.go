package expect

import (
	"path/filepath"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// RunSuite scores an analyzer on every fixture app matching glob (each app
// its own project, so cross-file resolution is exercised per app): every
// `# expect:` must be found, nothing else reported, no finding in a
// `clean` function, every `# observe:` emitted, no full key shown. check,
// if set, adds per-app assertions. It fails when a rule of ruleSet has no
// true positive, and logs the precision/recall table.
func RunSuite(t *testing.T, glob, prefix string, ruleSet []*rules.Rule, analyze func(*pyast.Project, finding.Sink), check func(t *testing.T, app string, c *finding.Collector)) {
	t.Helper()
	apps, err := filepath.Glob(glob)
	if err != nil || len(apps) == 0 {
		t.Fatalf("no fixture apps: %v", err)
	}
	total := map[string]*Score{}
	for _, app := range apps {
		t.Run(filepath.Base(app), func(t *testing.T) {
			fx, err := Load(app, prefix)
			if err != nil {
				t.Fatal(err)
			}
			var c finding.Collector
			analyze(fx.Project, &c)
			scores, clean := Compare(fx, c.Findings, prefix)
			for _, f := range c.Findings {
				if pyast.RedactKeys(f.Evidence) != f.Evidence || pyast.RedactKeys(f.Message) != f.Message {
					t.Errorf("%s:%d %s shows a full key", f.File, f.Line, f.RuleID)
				}
			}
			for _, o := range MissingObservations(fx, c.Observations) {
				t.Errorf("missing observation %s", o)
			}
			for _, v := range clean {
				t.Errorf("finding in a clean function: %s", v)
			}
			for r, s := range scores {
				for _, m := range s.Missed {
					t.Errorf("missed %s", m)
				}
				for _, x := range s.Extra {
					t.Errorf("unexpected %s", x)
				}
				if total[r] == nil {
					total[r] = &Score{Rule: r}
				}
				total[r].TP += s.TP
				total[r].FP += s.FP
				total[r].FN += s.FN
			}
			if check != nil {
				check(t, app, &c)
			}
		})
	}
	t.Logf("\n%s", Table(total))
	for _, r := range ruleSet {
		if total[r.ID] == nil || total[r.ID].TP == 0 {
			t.Errorf("rule %s has no true positive in the fixtures", r.ID)
		}
	}
}
