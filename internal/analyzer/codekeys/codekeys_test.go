package codekeys

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
	"github.com/stripeguard/stripeguard/internal/source"
)

// scoreAtFirstPlace runs Analyze for the fixture suite, which scores by
// location: the scan-wide key-held-by-application advice has none of its
// own, so it is scored at the first place it lists (its `# expect:` line).
func scoreAtFirstPlace(p *pyast.Project, sink finding.Sink) {
	var c finding.Collector
	Analyze(p, &c)
	for _, f := range c.Findings {
		if f.RuleID == KeyHeldByApp.ID && f.File == "" && len(f.Related) > 0 {
			f.File, f.Line = f.Related[0].File, f.Related[0].Line
		}
		sink.Finding(f)
	}
	for _, o := range c.Observations {
		sink.Observation(o)
	}
	for _, w := range c.Warnings {
		sink.Warning(w)
	}
}

func TestFixtures(t *testing.T) {
	expect.RunSuite(t, "testdata/*_app", "codekeys/", Rules, scoreAtFirstPlace, func(t *testing.T, app string, c *finding.Collector) {
		for _, f := range c.Findings {
			literal := strings.HasPrefix(f.RuleID, "codekeys/hardcoded") || f.RuleID == EnvDefaultKey.ID
			if literal != (f.Secret != "") {
				t.Errorf("%s:%d %s: Secret set=%v", f.File, f.Line, f.RuleID, f.Secret != "")
			}
			// The engine merges with the raw-key finding on (File, Line,
			// Secret): the key must sit on that very line.
			if f.Secret != "" {
				src, err := os.ReadFile(filepath.Join(app, f.File))
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(string(expect.Materialize(src)), "\n")
				if f.Line < 1 || f.Line > len(lines) || !strings.Contains(lines[f.Line-1], f.Secret) {
					t.Errorf("%s:%d %s: the key is not on that line", f.File, f.Line, f.RuleID)
				}
			}
		}
	})
}

func TestRulesDocumented(t *testing.T) {
	for _, r := range Rules {
		if r.Vulnerable == "" || r.Fixed == "" || r.MitigationID == "" {
			t.Errorf("%s lacks an example or mitigation id", r.ID)
		}
	}
}

func TestAnalyzerPlumbing(t *testing.T) {
	a := New()
	var sink finding.Collector
	ctx := context.Background()
	key := "sk_live_" + "Zq8Lr3Xv9TpW2mKc7NbY4HdF"
	files := map[string]string{
		"settings.py": "API_KEY = '" + key + "'\n",
		"app.py":      "import stripe\nfrom settings import API_KEY\nstripe.api_key = API_KEY\n",
		"other.py":    "print('unrelated')\n",
		"notes.txt":   "import stripe\n",
		// Binary: warned about here only when the webhook analyzer, which
		// reads every file naming Stripe, does not read it.
		"bin.py":  "k = '" + key + "'\x00",
		"bin2.py": "import stripe\x00",
	}
	for rel, src := range files {
		f := &source.File{Rel: rel, Data: []byte(src)}
		if a.Wants(f) {
			a.File(ctx, f, &sink)
		}
	}
	a.Finish(ctx, &source.Project{}, &sink)
	// Beside the hard-coded key, the scan-wide advice that the app holds
	// its key (no broker token anywhere).
	var advice int
	for i := 0; i < len(sink.Findings); i++ {
		if sink.Findings[i].RuleID == KeyHeldByApp.ID {
			advice++
			sink.Findings = append(sink.Findings[:i], sink.Findings[i+1:]...)
			i--
		}
	}
	if len(sink.Findings) != 1 || advice != 1 {
		t.Fatalf("findings = %d (+%d key-held-by-application), want 1 (+1)", len(sink.Findings), advice)
	}
	f := sink.Findings[0]
	if f.RuleID != HardcodedKey.ID || f.File != "settings.py" || f.Line != 1 || f.Secret != key ||
		len(f.Related) != 1 || f.Related[0].File != "app.py" || f.Related[0].Line != 3 {
		t.Errorf("finding = %+v", f)
	}
	if len(sink.Warnings) != 1 || sink.Warnings[0].Kind != finding.WarnBinary || sink.Warnings[0].File != "bin.py" {
		t.Errorf("warnings = %+v", sink.Warnings)
	}
}
