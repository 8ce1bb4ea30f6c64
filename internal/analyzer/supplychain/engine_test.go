package supplychain

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	_ "github.com/stripeguard/stripeguard/internal/analyzer/deps"
	"github.com/stripeguard/stripeguard/internal/config"
	"github.com/stripeguard/stripeguard/internal/engine"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
)

// fixtureNow keeps testdata/advisories-mal fresh for the dependency audit.
var fixtureNow = time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC)

func run(t *testing.T, dir string, cfg *config.Config) *report.Report {
	t.Helper()
	db, _ := filepath.Abs("testdata/advisories-mal")
	r, err := engine.Run(context.Background(), engine.Options{
		Root: dir, Only: []string{"deps", Name}, Config: cfg,
		Analyzer: analyzer.Options{DBPath: db, Now: func() time.Time { return fixtureNow }},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rulesOf(r *report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.RuleID+" "+f.File)
	}
	sort.Strings(out)
	return out
}

// The dependency audit and this analyzer read the same data: a MAL- record
// is reported once, as known-malicious, and an ordinary advisory once, by
// the audit; manifest warnings are not doubled.
func TestEngineSplitsAdvisories(t *testing.T) {
	r := run(t, "testdata/app-malicious", nil)
	got := rulesOf(r)
	want := []string{
		"deps/vulnerable-package requirements.txt", // PYSEC-2099-1 on flask
		"supplychain/known-malicious " + site + "requestss-2.28.1.dist-info/METADATA",
		"supplychain/known-malicious Dockerfile",
		"supplychain/known-malicious requirements.txt",
		"supplychain/unlocked-install Dockerfile",
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	for _, f := range r.Findings {
		if f.RuleID == "deps/vulnerable-package" {
			for _, a := range f.Package.Advisories {
				if strings.HasPrefix(a.ID, "MAL-") || strings.HasPrefix(a.ID, "GHSA-m4l1") {
					t.Errorf("the audit reports a malicious-package record: %+v", a)
				}
			}
		}
	}
	// Every malicious-package checklist item is decided by this analyzer.
	for _, st := range r.Checklist[finding.MaliciousPackage] {
		if len(st.Mitigation.CheckedBy) != 1 || st.Mitigation.CheckedBy[0] != Name {
			t.Errorf("%s checked by %v", st.Mitigation.ID, st.Mitigation.CheckedBy)
		}
		if st.Mitigation.ID == MitigationNoKnownMalicious && st.State != finding.Missing {
			t.Errorf("no-known-malicious = %s", st.State)
		}
	}
}

// [typosquat] allow in .stripeguard.toml reaches the check.
func TestEngineConfigAllow(t *testing.T) {
	before := 0
	for _, f := range run(t, "testdata/app-squats", nil).Findings {
		if f.RuleID == Typosquat.ID {
			before++
		}
	}
	cfg := &config.Config{Typosquat: config.Typosquat{Allow: []string{"stripe-python", "reqeusts"}}}
	after := 0
	for _, f := range run(t, "testdata/app-squats", cfg).Findings {
		if f.RuleID == Typosquat.ID {
			after++
		}
	}
	if before-after != 2 {
		t.Errorf("allowlist: %d squats before, %d after", before, after)
	}
}

// A clean project marks every malicious-package item in place, with
// evidence.
func TestEngineChecklistClean(t *testing.T) {
	r := run(t, "testdata/app-venv-clean", nil)
	for _, f := range r.Findings {
		if strings.HasPrefix(f.RuleID, Name+"/") {
			t.Errorf("unexpected %s at %s: %s", f.RuleID, f.File, f.Message)
		}
	}
	for _, st := range r.Checklist[finding.MaliciousPackage] {
		if st.State != finding.InPlace {
			t.Errorf("%s = %s %v", st.Mitigation.ID, st.State, st.Evidence)
		}
	}
}
