package cyclonedx

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json")

func sampleReport() *report.Report {
	req := finding.Advisory{ID: "PYSEC-2023-74", Aliases: []string{"CVE-2023-32681", "GHSA-j8r2-6x86-q33q"}, Summary: "Proxy-Authorization leak", Severity: finding.High, URL: "https://osv.dev/vulnerability/PYSEC-2023-74"}
	u1 := finding.Advisory{ID: "PYSEC-2023-192", Aliases: []string{"CVE-2023-43804"}, Summary: "Cookie leak", Severity: finding.High}
	return &report.Report{
		Tool:   report.Tool{Name: "stripeguard", Version: "test"},
		Target: "app",
		Findings: []*finding.Finding{
			{RuleID: "deps/vulnerable-package", Severity: finding.High, File: "requirements.txt", Line: 3,
				Package: &finding.Package{Name: "requests", Version: "2.30.0", Ecosystem: "PyPI", Source: "pinned", Advisories: []finding.Advisory{req}, FixedIn: "2.31.0"}},
			// The same version seen installed is the same component.
			{RuleID: "deps/vulnerable-package", Severity: finding.High, File: "venv/lib/site-packages/requests-2.30.0.dist-info/METADATA", Line: 3,
				Package: &finding.Package{Name: "requests", Version: "2.30.0", Ecosystem: "PyPI", Source: "installed", Advisories: []finding.Advisory{req}, FixedIn: "2.31.0"}},
			{RuleID: "deps/range-admits-vulnerable", Severity: finding.Medium, File: "requirements.txt", Line: 4,
				Package: &finding.Package{Name: "urllib3", Specifier: ">=1.26,<2", Ecosystem: "PyPI", Source: "manifest-range", Advisories: []finding.Advisory{u1}, FixedIn: "1.26.18"}},
			{RuleID: "deps/vulnerable-package", Severity: finding.High, File: "uv.lock", Line: 40,
				Package: &finding.Package{Name: "torch", Version: "2.0.0+cu118", Ecosystem: "PyPI", Source: "lockfile", Advisories: []finding.Advisory{{ID: "GHSA-xxxx-yyyy-zzzz", Severity: finding.Critical}}}},
			// Findings without a package (keys, stale data) are not SBOM material.
			{RuleID: "secrets/stripe-live-secret-key", Severity: finding.Critical, File: "app.py", Line: 1},
			{RuleID: "deps/advisory-data-stale", Severity: finding.Info},
		},
	}
}

func TestBuild(t *testing.T) {
	bom := Build(sampleReport())
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || bom.Version != 1 {
		t.Fatalf("header %+v", bom)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
		t.Errorf("serial %q", bom.SerialNumber)
	}
	var purls []string
	refs := map[string]bool{}
	for _, c := range bom.Components {
		purls = append(purls, c.Purl)
		refs[c.BOMRef] = true
	}
	want := []string{"pkg:pypi/requests@2.30.0", "pkg:pypi/torch@2.0.0%2Bcu118", "pkg:pypi/urllib3"}
	if len(purls) != len(want) {
		t.Fatalf("purls %v, want %v", purls, want)
	}
	for i := range want {
		if purls[i] != want[i] {
			t.Errorf("purl %d = %s, want %s", i, purls[i], want[i])
		}
	}
	if len(bom.Vulnerabilities) != 3 {
		t.Fatalf("vulnerabilities %+v", bom.Vulnerabilities)
	}
	for _, v := range bom.Vulnerabilities {
		if len(v.Affects) != 1 || !refs[v.Affects[0].Ref] || len(v.Ratings) != 1 {
			t.Errorf("%s: affects %+v ratings %+v", v.ID, v.Affects, v.Ratings)
		}
	}
	u := bom.Vulnerabilities[1]
	if u.ID != "PYSEC-2023-192" || u.Affects[0].Versions[0].Range != "vers:pypi/>=1.26|<2" || u.Ratings[0].Severity != "high" {
		t.Errorf("urllib3 vuln %+v", u)
	}
	r := bom.Vulnerabilities[2]
	if r.ID != "PYSEC-2023-74" || len(r.References) != 2 || r.References[1].Source.URL != "https://github.com/advisories/GHSA-j8r2-6x86-q33q" || r.Recommendation != "Upgrade requests to 2.31.0 or later." {
		t.Errorf("requests vuln %+v", r)
	}
	// Same input, same bytes.
	if Build(sampleReport()).SerialNumber != bom.SerialNumber {
		t.Error("serial number not deterministic")
	}
}

func TestVers(t *testing.T) {
	for spec, want := range map[string]string{"": "vers:pypi/*", ">=1.0, <2": "vers:pypi/>=1.0|<2", "==1.2,!=1.3": "vers:pypi/1.2|!=1.3", "~=1.2": "", "==1.*": "", ">1,<=2": "vers:pypi/>1|<=2"} {
		if got := vers(spec); got != want {
			t.Errorf("vers(%q) = %q, want %q", spec, got, want)
		}
	}
}

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := (Format{}).Write(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var any map[string]any
	if err := json.Unmarshal(buf.Bytes(), &any); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden.json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report/cyclonedx -update)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("output differs from %s (run with -update after checking):\n%s", golden, buf.String())
	}
}

func BenchmarkWrite(b *testing.B) {
	r := sampleReport()
	for i := 0; i < 6; i++ {
		r.Findings = append(r.Findings, r.Findings...)
	}
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := (Format{}).Write(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
}

// An SBOM lists every package the audit saw, not only vulnerable ones.
func TestInventoryWithoutFindings(t *testing.T) {
	r := &report.Report{Tool: report.Tool{Name: "stripeguard", Version: "t"}, Target: "app",
		Packages: []*finding.Package{
			{Name: "stripe", Version: "9.1.0", Ecosystem: "PyPI", Source: "installed"},
			{Name: "flask", Specifier: ">=2", Ecosystem: "PyPI", Source: "requirements"},
			{Name: "left-pad", Version: "1.0", Ecosystem: "npm"},
		}}
	bom := Build(r)
	if len(bom.Components) != 2 || len(bom.Vulnerabilities) != 0 {
		t.Fatalf("components %+v vulns %+v", bom.Components, bom.Vulnerabilities)
	}
	refs := map[string]bool{}
	for _, c := range bom.Components {
		refs[c.Purl] = true
	}
	if !refs["pkg:pypi/stripe@9.1.0"] || !refs["pkg:pypi/flask"] {
		t.Errorf("purls %v", refs)
	}
}
