package deps

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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

// TestInventoryThroughEngine: a requirements file written by PowerShell 5
// (`pip freeze > requirements.txt`: UTF-16 LE with a BOM, CRLF) and one
// with old Mac line ends (bare CR) are read, not skipped as binary or read
// as one line, and the CycloneDX SBOM lists their packages even without
// advisory data.
func TestInventoryThroughEngine(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	utf16le := []byte{0xff, 0xfe}
	for _, r := range "requests==2.30.0\r\nstripe==11.6.0\r\n" {
		utf16le = append(utf16le, byte(r), 0)
	}
	if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), utf16le, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "requirements-dev.txt"), []byte("idna==3.6\rpytest==8.0.0\r"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := engine.Run(context.Background(), engine.Options{Root: dir, Only: []string{Name}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range r.Warnings {
		if w.Kind != finding.WarnData {
			t.Errorf("unexpected warning %+v", w)
		}
	}
	var buf bytes.Buffer
	if err := (cyclonedx.Format{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	var bom cyclonedx.BOM
	if err := json.Unmarshal(buf.Bytes(), &bom); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range bom.Components {
		src := ""
		for _, p := range c.Properties {
			if p.Name == "stripeguard:source" {
				src = p.Value
			}
		}
		got = append(got, c.Purl+" "+src)
	}
	want := []string{"pkg:pypi/idna@3.6 pinned", "pkg:pypi/pytest@8.0.0 pinned", "pkg:pypi/requests@2.30.0 pinned", "pkg:pypi/stripe@11.6.0 pinned"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("SBOM components\n got  %q\n want %q", got, want)
	}
}
