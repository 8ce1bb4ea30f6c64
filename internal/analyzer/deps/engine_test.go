package deps

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/engine"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report/cyclonedx"
)

// TestThroughEngine runs the analyzer the way `stripeguard scan` does: the
// walker finds .venv as an environment, hands over the manifests, and the
// checklist reflects the findings.
// fixtureNow is a date at which testdata/advisories is fresh.
var fixtureNow = time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)

func TestThroughEngine(t *testing.T) {
	db, _ := filepath.Abs(filepath.Join("testdata", "advisories"))
	for _, vendored := range []bool{false, true} {
		r, err := engine.Run(context.Background(), engine.Options{
			Root: filepath.Join("testdata", "app-venv"), Only: []string{Name}, IncludeVendored: vendored,
			// The clock is pinned beside the fixture data (newest record
			// 2026-11-02): on the wall clock the data turns stale a month
			// later and the report gains deps/advisory-data-stale.
			Analyzer: analyzer.Options{DBPath: db, Now: func() time.Time { return fixtureNow }},
		})
		if err != nil {
			t.Fatal(err)
		}
		rules := map[string]int{}
		for _, f := range r.Findings {
			rules[f.RuleID]++
		}
		want := map[string]int{"deps/vulnerable-stripe": 1, "deps/stripe-unexpected-source": 1, "deps/vulnerable-package": 1, "deps/stripe-unpinned": 1}
		if len(rules) != len(want) {
			t.Errorf("vendored=%v: findings %v, want %v", vendored, rules, want)
		}
		for k, n := range want {
			if rules[k] != n {
				t.Errorf("vendored=%v: %s x%d, want %d", vendored, k, rules[k], n)
			}
		}
		for _, st := range r.Checklist[finding.StripeVulnerability] {
			if st.Mitigation.ID == MitigationStripePatched && st.State != finding.Missing {
				t.Errorf("stripe-patched = %s, want missing", st.State)
			}
		}
		// The same report as a CycloneDX SBOM.
		var buf bytes.Buffer
		if err := (cyclonedx.Format{}).Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		var bom cyclonedx.BOM
		if err := json.Unmarshal(buf.Bytes(), &bom); err != nil {
			t.Fatal(err)
		}
		purls := map[string]bool{}
		for _, c := range bom.Components {
			purls[c.Purl] = true
		}
		if !purls["pkg:pypi/stripe@2.0.0"] || !purls["pkg:pypi/urllib3@1.26.5"] || len(bom.Vulnerabilities) != 2 {
			t.Errorf("SBOM components %v, %d vulnerabilities", purls, len(bom.Vulnerabilities))
		}
	}
}
