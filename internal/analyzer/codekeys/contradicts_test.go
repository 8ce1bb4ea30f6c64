package codekeys

import (
	"path/filepath"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
	"github.com/stripeguard/stripeguard/internal/report"
)

// A key hard-coded where the client uses it, or as the default of an
// environment look-up, is not "read from the environment": the checklist
// item is missing even when other keys of the same app do come from the
// environment.
func TestHardcodedKeyMarksFromEnvironmentMissing(t *testing.T) {
	apps, _ := filepath.Glob("testdata/*_app")
	meaningful := false
	for _, app := range apps {
		fx, err := expect.Load(app, "codekeys/")
		if err != nil {
			t.Fatal(err)
		}
		var c finding.Collector
		Analyze(fx.Project, &c)
		hardcoded := 0
		for _, f := range c.Findings {
			if f.RuleID == HardcodedKey.ID || f.RuleID == EnvDefaultKey.ID {
				hardcoded++
			}
		}
		fromEnv := false
		for _, o := range c.Observations {
			if o.Mitigation == MitigationFromEnvironment && o.State == finding.InPlace {
				fromEnv = true
			}
		}
		if hardcoded > 0 && fromEnv {
			meaningful = true
		}
		r := &report.Report{Findings: c.Findings, Observations: c.Observations, Analyzers: []string{Name}}
		r.Finalize()
		for _, st := range r.Checklist[finding.KeyExposure] {
			if st.Mitigation.ID == MitigationFromEnvironment && hardcoded > 0 && st.State != finding.Missing {
				t.Errorf("%s: %s is %s beside %d hard-coded keys", app, MitigationFromEnvironment, st.State, hardcoded)
			}
		}
	}
	if !meaningful {
		t.Error("no fixture app has both a hard-coded key and a key read from the environment: the test proves nothing")
	}
}
