package sarif

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/report/reporttest"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func write(t testing.TB, r *report.Report) []byte {
	t.Helper()
	return reporttest.Render(t, "sarif", report.Options{}, r)
}

var cases = []struct {
	name string
	r    func() *report.Report
}{
	{"sample", reporttest.Sample},
	{"probe", reporttest.Probe},
	{"empty", reporttest.Empty},
	{"leaky", func() *report.Report { return reporttest.Leaky(false) }},
	{"history", reporttest.History},
}

func TestGolden(t *testing.T) {
	for _, tc := range append(cases[:3:3], cases[4]) {
		t.Run(tc.name, func(t *testing.T) {
			out := write(t, tc.r())
			reporttest.NoSecret(t, out)
			reporttest.Golden(t, tc.name+".sarif.golden", out, *update)
		})
	}
}

// validator checks a SARIF document against the official 2.1.0 JSON schema
// (testdata/sarif-schema-2.1.0.json, from the MIT-licensed
// @microsoft/jest-sarif package) with Python's jsonschema.
const validator = `
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(sys.stdin)
v = jsonschema.Draft4Validator(schema)
errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
for e in errs[:20]:
    print("/".join(str(p) for p in e.path), ":", e.message[:300])
sys.exit(1 if errs else 0)
`

func TestSchema(t *testing.T) {
	py := testutil.NeedProgram(t, "python3")
	if out, err := exec.Command(py, "-c", "import jsonschema").CombinedOutput(); err != nil {
		testutil.Unavailable(t, "python3 jsonschema: %s", strings.TrimSpace(string(out)))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(py, "-c", validator, filepath.Join("testdata", "sarif-schema-2.1.0.json"))
			cmd.Stdin = bytes.NewReader(write(t, tc.r()))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("not valid SARIF 2.1.0: %v\n%s", err, out)
			}
		})
	}
	// The validator must reject what is not SARIF, or the test proves nothing.
	cmd := exec.Command(py, "-c", validator, filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	cmd.Stdin = strings.NewReader(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"a","level":"fatal","message":{"text":"m"}}]}]}`)
	if err := cmd.Run(); err == nil {
		t.Error("validator accepted an invalid level")
	}
}

// log mirrors the parts of SARIF the structural test reads.
type log struct {
	Version string `json:"version"`
	Schema  string `json:"$schema"`
	Runs    []struct {
		ColumnKind string `json:"columnKind"`
		Tool       struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string `json:"id"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
					FullDescription *struct {
						Text string `json:"text"`
					} `json:"fullDescription"`
					Help *struct {
						Text     string `json:"text"`
						Markdown string `json:"markdown"`
					} `json:"help"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
						EndLine     int `json:"endLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				Message *struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Properties          map[string]any    `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

func TestStructure(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r()
			var l log
			if err := json.Unmarshal(write(t, r), &l); err != nil {
				t.Fatal(err)
			}
			if l.Version != "2.1.0" || !strings.Contains(l.Schema, "sarif-schema-2.1.0.json") {
				t.Errorf("version %q schema %q", l.Version, l.Schema)
			}
			if len(l.Runs) != 1 {
				t.Fatalf("%d runs, want 1", len(l.Runs))
			}
			run := l.Runs[0]
			d := run.Tool.Driver
			if d.Name != "stripeguard" || d.Version != "1.2.3-test" || d.InformationURI == "" {
				t.Errorf("driver = %+v", d)
			}
			if run.ColumnKind != "utf16CodeUnits" {
				t.Errorf("columnKind %q", run.ColumnKind)
			}
			if len(d.Rules) < len(rules.All()) {
				t.Errorf("%d rules, want every registered rule (%d)", len(d.Rules), len(rules.All()))
			}
			for _, rd := range d.Rules {
				rule := rules.Lookup(rd.ID)
				if rule == nil {
					t.Errorf("rule %s is not registered", rd.ID)
					continue
				}
				if rd.ShortDescription.Text != rule.Name || rd.FullDescription == nil || rd.FullDescription.Text != rule.Description {
					t.Errorf("%s descriptions = %+v", rd.ID, rd)
				}
				if rd.Help == nil || !strings.Contains(rd.Help.Text, rule.Mitigation) || !strings.Contains(rd.Help.Markdown, rule.Mitigation) {
					t.Errorf("%s help lacks the mitigation", rd.ID)
				}
				if rule.Fixed != "" && !strings.Contains(rd.Help.Markdown, rule.Fixed) {
					t.Errorf("%s markdown help lacks the fixed example", rd.ID)
				}
				if rd.Properties["security-severity"] != rule.Severity.SecuritySeverity() {
					t.Errorf("%s security-severity = %v", rd.ID, rd.Properties["security-severity"])
				}
				tags, _ := rd.Properties["tags"].([]any)
				if len(tags) != 2 || tags[0] != "security" || tags[1] != string(rule.Threat) {
					t.Errorf("%s tags = %v", rd.ID, tags)
				}
				if rd.DefaultConfiguration.Level != Level(rule.Severity) {
					t.Errorf("%s level %q", rd.ID, rd.DefaultConfiguration.Level)
				}
			}
			if len(run.Results) != len(r.Findings) {
				t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
			}
			for i, res := range run.Results {
				f := r.Findings[i]
				if res.RuleIndex == nil || *res.RuleIndex < 0 || *res.RuleIndex >= len(d.Rules) || d.Rules[*res.RuleIndex].ID != res.RuleID {
					t.Errorf("result %d (%s): ruleIndex does not point at its rule", i, res.RuleID)
				}
				if res.Level != Level(f.Severity) {
					t.Errorf("result %d level %q for %s", i, res.Level, f.Severity)
				}
				if !strings.Contains(res.Message.Text, f.Message) || !strings.Contains(res.Message.Text, f.Mitigation) {
					t.Errorf("result %d message %q lacks message or mitigation", i, res.Message.Text)
				}
				if res.PartialFingerprints[GitHubFingerprint] != f.Fingerprint || res.PartialFingerprints[OwnFingerprint] != f.Fingerprint {
					t.Errorf("result %d fingerprints %v", i, res.PartialFingerprints)
				}
				if res.Properties["threat"] != string(f.Threat) {
					t.Errorf("result %d threat %v", i, res.Properties["threat"])
				}
				if f.File == "" && f.URL == "" && f.History != nil {
					// A key in a commit message or a dangling blob has
					// no file to point at.
					if len(res.Locations) != 0 || res.Properties["history"] == nil {
						t.Errorf("history result %d without a file: %d locations, properties %v", i, len(res.Locations), res.Properties)
					}
					continue
				}
				if len(res.Locations) != 1 {
					t.Errorf("result %d has %d locations", i, len(res.Locations))
					continue
				}
				if f.History != nil && (res.Properties["history"] == nil || (f.Verification != nil) != (res.Properties["verification"] != nil)) {
					t.Errorf("result %d lacks history/verification properties: %v", i, res.Properties)
				}
				al := res.Locations[0].PhysicalLocation.ArtifactLocation
				switch {
				case f.URL != "":
					if al.URI != f.URL || al.URIBaseID != "" {
						t.Errorf("probe result %d location %+v", i, al)
					}
				default:
					if al.URIBaseID != SrcRoot || strings.HasPrefix(al.URI, "/") || strings.Contains(al.URI, "://") || strings.Contains(al.URI, "!") {
						t.Errorf("result %d uri %q base %q: want relative to %s", i, al.URI, al.URIBaseID, SrcRoot)
					}
					reg := res.Locations[0].PhysicalLocation.Region
					if strings.Contains(f.File, "!") {
						if reg != nil || res.Locations[0].Message == nil {
							t.Errorf("archive member result %d should point at the archive with a message", i)
						}
					} else if reg == nil || reg.StartLine != f.Line || reg.StartColumn != f.Column || reg.EndLine != f.EndLine {
						t.Errorf("result %d region %+v for %s:%d:%d-%d", i, reg, f.File, f.Line, f.Column, f.EndLine)
					}
				}
			}
		})
	}
}

func TestLevel(t *testing.T) {
	for _, tc := range []struct {
		s    finding.Severity
		want string
	}{{finding.Critical, "error"}, {finding.High, "error"}, {finding.Medium, "warning"}, {finding.Low, "note"}, {finding.Info, "note"}} {
		if got := Level(tc.s); got != tc.want {
			t.Errorf("Level(%s) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestFileURI(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"app/settings.py", "app/settings.py"},
		{"notebooks/explore payments.ipynb", "notebooks/explore%20payments.ipynb"},
		{`app\win.py`, "app/win.py"},
		{"./a/../b.py", "b.py"},
		{"ns:weird.py", "./ns:weird.py"},
		{"c:weird.py", ""},
		{"/etc/passwd", ""},
		{"C:/x.py", ""},
		{"../outside.py", ""},
		{"", ""},
	} {
		if got := fileURI(tc.in); got != tc.want {
			t.Errorf("fileURI(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLocationEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       finding.Finding
		wantNil bool
		region  bool
	}{
		{"file without line", finding.Finding{File: "requirements.txt"}, false, false},
		{"invalid url", finding.Finding{URL: "not a url"}, true, false},
		{"nothing", finding.Finding{}, true, false},
		{"absolute file", finding.Finding{File: "/abs/x.py", Line: 3}, true, false},
		{"file with line", finding.Finding{File: "x.py", Line: 3, Column: 2}, false, true},
	} {
		loc := location(&tc.f)
		if (loc == nil) != tc.wantNil {
			t.Errorf("%s: location nil = %v", tc.name, loc == nil)
			continue
		}
		if loc != nil && (loc.PhysicalLocation.Region != nil) != tc.region {
			t.Errorf("%s: region present = %v", tc.name, loc.PhysicalLocation.Region != nil)
		}
	}
}

func TestUnregisteredRule(t *testing.T) {
	f := &finding.Finding{RuleID: "other/not-registered", Threat: finding.MaliciousPackage, Severity: finding.High, File: "setup.py", Line: 1, Message: "m", Mitigation: "fix it"}
	f.SetFingerprint(0)
	var l log
	if err := json.Unmarshal(write(t, &report.Report{Findings: []*finding.Finding{f}}), &l); err != nil {
		t.Fatal(err)
	}
	res := l.Runs[0].Results[0]
	rd := l.Runs[0].Tool.Driver.Rules[*res.RuleIndex]
	if rd.ID != f.RuleID || rd.DefaultConfiguration.Level != "error" {
		t.Errorf("unregistered rule descriptor %+v", rd)
	}
	if l.Runs[0].Tool.Driver.Name != "stripeguard" {
		t.Errorf("driver name %q when the report has no tool", l.Runs[0].Tool.Driver.Name)
	}
}

func TestSecrets(t *testing.T) {
	for _, show := range []bool{false, true} {
		out := write(t, reporttest.Leaky(show))
		if full := bytes.Contains(out, []byte(reporttest.FakeWhsec)); full != show {
			t.Errorf("ShowSecrets=%v: full secret present = %v", show, full)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	r := reporttest.Large(1000)
	f := Format{}
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Write(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWriteError(t *testing.T) {
	f, err := report.Lookup("sarif", report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*report.Report{reporttest.Sample(), reporttest.Empty()} {
		if err := f.Write(reporttest.FailingWriter{}, r); !errors.Is(err, reporttest.ErrWrite) {
			t.Errorf("Write to a failing writer = %v, want %v", err, reporttest.ErrWrite)
		}
	}
}
