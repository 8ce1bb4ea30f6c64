package jsonfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/report/reporttest"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func write(t testing.TB, r *report.Report) []byte {
	t.Helper()
	return reporttest.Render(t, "json", report.Options{}, r)
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{
		{"sample.golden", reporttest.Sample()},
		{"probe.golden", reporttest.Probe()},
		{"empty.golden", reporttest.Empty()},
		{"history.golden", reporttest.History()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := write(t, tc.r)
			reporttest.NoSecret(t, out)
			reporttest.Golden(t, tc.name, out, *update)
		})
	}
}

// decoded is the document as a consumer reads it, with generic maps so that
// the test sees the real key names and order-independent content.
func decode(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	return m
}

func TestDocumentShape(t *testing.T) {
	for _, tc := range []struct {
		name      string
		r         *report.Report
		total     int
		wantKeys  []string
		firstFile string
		firstURL  string
	}{
		{name: "sample", r: reporttest.Sample(), total: 10, firstFile: "app/settings.py"},
		{name: "probe", r: reporttest.Probe(), total: 3, firstURL: "https://shop.example.com/webhooks/stripe"},
		{name: "empty", r: reporttest.Empty(), total: 0},
		{name: "unfinalized", r: &report.Report{Command: "scan", Target: "."}, total: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := decode(t, write(t, tc.r))
			for _, k := range []string{"schema_version", "tool", "command", "target", "findings", "summary", "checklist", "observations", "warnings", "suppressed", "baselined", "notes"} {
				if _, ok := m[k]; !ok {
					t.Errorf("missing top-level key %q", k)
				}
			}
			if _, ok := m["duration"]; ok {
				t.Error("duration must not be written")
			}
			if m["schema_version"] != report.SchemaVersion {
				t.Errorf("schema_version = %v", m["schema_version"])
			}
			for _, k := range []string{"findings", "observations", "warnings", "notes", "analyzers", "data_sources"} {
				if _, ok := m[k].([]any); !ok {
					t.Errorf("%s is %T, want an array (never null)", k, m[k])
				}
			}
			fs := m["findings"].([]any)
			if len(fs) != tc.total {
				t.Fatalf("%d findings, want %d", len(fs), tc.total)
			}
			sum := m["summary"].(map[string]any)
			if int(sum["total"].(float64)) != tc.total {
				t.Errorf("summary.total = %v, want %d", sum["total"], tc.total)
			}
			bt := sum["by_threat"].(map[string]any)
			ck := m["checklist"].(map[string]any)
			n := 0
			for _, th := range finding.Threats {
				counts, ok := bt[string(th)].(map[string]any)
				if !ok {
					t.Fatalf("summary.by_threat lacks %s", th)
				}
				if len(counts) != len(Severities) {
					t.Errorf("by_threat[%s] has %d severities, want %d", th, len(counts), len(Severities))
				}
				for _, v := range counts {
					n += int(v.(float64))
				}
				if _, ok := ck[string(th)].([]any); !ok {
					t.Errorf("checklist[%s] is %T, want an array", th, ck[string(th)])
				}
			}
			if n != tc.total {
				t.Errorf("by_threat counts add up to %d, want %d", n, tc.total)
			}
			if tc.total == 0 {
				return
			}
			f0 := fs[0].(map[string]any)
			for _, k := range []string{"rule_id", "threat", "severity", "message", "mitigation", "fingerprint"} {
				if s, _ := f0[k].(string); s == "" {
					t.Errorf("first finding lacks %q: %v", k, f0)
				}
			}
			if tc.firstFile != "" {
				if f0["file"] != tc.firstFile || f0["line"] == nil || f0["column"] == nil || f0["end_line"] == nil || f0["evidence"] == nil {
					t.Errorf("first finding location/evidence = %v", f0)
				}
			}
			if tc.firstURL != "" {
				if f0["url"] != tc.firstURL || f0["file"] != nil {
					t.Errorf("probe finding should have url and no file: %v", f0)
				}
			}
		})
	}
}

// validate checks a document against Schema with Python's jsonschema and
// returns its complaints.
const validate = `
import json, sys, jsonschema
schema = json.loads(sys.argv[1])
jsonschema.Draft7Validator.check_schema(schema)
errs = list(jsonschema.Draft7Validator(schema).iter_errors(json.load(sys.stdin)))
for e in errs[:20]:
    print("/".join(str(p) for p in e.path), ":", e.message[:300])
sys.exit(1 if errs else 0)
`

func TestSchema(t *testing.T) {
	py := testutil.NeedProgram(t, "python3")
	if out, err := exec.Command(py, "-c", "import jsonschema").CombinedOutput(); err != nil {
		testutil.Unavailable(t, "python3 jsonschema: %s", strings.TrimSpace(string(out)))
	}
	run := func(doc []byte) ([]byte, error) {
		cmd := exec.Command(py, "-c", validate, string(Schema))
		cmd.Stdin = bytes.NewReader(doc)
		return cmd.CombinedOutput()
	}
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{
		{"sample", reporttest.Sample()},
		{"probe", reporttest.Probe()},
		{"empty", reporttest.Empty()},
		{"history", reporttest.History()},
		{"unfinalized", &report.Report{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out, err := run(write(t, tc.r)); err != nil {
				t.Errorf("does not match schema.json: %v\n%s", err, out)
			}
		})
	}
	// The schema must reject a broken document, or the test proves nothing.
	bad := bytes.Replace(write(t, reporttest.Sample()), []byte(`"severity": "critical"`), []byte(`"severity": "fatal"`), 1)
	if _, err := run(bad); err == nil {
		t.Error("schema accepted an unknown severity")
	}
	bad = bytes.Replace(write(t, reporttest.History()), []byte(`"reach": "reachable"`), []byte(`"reach": "somewhere"`), 1)
	if _, err := run(bad); err == nil {
		t.Error("schema accepted an unknown history reach")
	}
}

// TestHistoryFields checks what a consumer reads off a history finding.
func TestHistoryFields(t *testing.T) {
	m := decode(t, write(t, reporttest.History()))
	var found map[string]any
	for _, f := range m["findings"].([]any) {
		f := f.(map[string]any)
		if f["file"] == "shop/settings.py" {
			found = f
		}
	}
	if found == nil {
		t.Fatal("no finding at shop/settings.py")
	}
	h, _ := found["history"].(map[string]any)
	v, _ := found["verification"].(map[string]any)
	if h == nil || v == nil {
		t.Fatalf("history/verification missing: %v", found)
	}
	if found["commit"] != "1697f559d63ef19fac7d0dcf43c0099c00c6834a" || h["author_date"] != "2021-03-04T11:00:00+01:00" ||
		h["commits"] != 3.0 || h["paths"] != 2.0 || h["in_working_tree"] != false || h["reach"] != "reachable" ||
		h["detected_by"] != "testrules/live-secret-key" || v["state"] != "active" {
		t.Errorf("history finding: %v", found)
	}
	if _, ok := h["LineText"]; ok {
		t.Error("the introducing line (which holds the key) must not be written")
	}
}

func TestThreatOrder(t *testing.T) {
	out := string(write(t, reporttest.Sample()))
	i := strings.Index(out, `"checklist"`)
	last := -1
	for _, th := range finding.Threats {
		j := strings.Index(out[i:], `"`+string(th)+`"`)
		if j < 0 || j < last {
			t.Fatalf("checklist threats not in report order at %s", th)
		}
		last = j
	}
}

func TestChecklistStates(t *testing.T) {
	d := Build(reporttest.Sample())
	want := map[string]finding.MitigationState{
		reporttest.MitigationNoHardcodedKeys: finding.Missing,
		reporttest.MitigationKeysFromEnv:     finding.Missing,
		reporttest.MitigationRestrictedKeys:  finding.NotChecked,
		"webhook.raw-body":                   finding.Missing,
		"webhook.secret-managed":             finding.InPlace,
		reporttest.MitigationPinnedStripe:    finding.NotApplicable,
		reporttest.MitigationDataCurrent:     finding.NoData,
		"webhook.replay-window":              finding.Missing,
		reporttest.MitigationDepsAudited:     finding.Missing,
		reporttest.MitigationHashesPinned:    finding.NotChecked,
	}
	got := map[string]Item{}
	for _, items := range d.Checklist {
		for _, it := range items {
			got[it.ID] = it
		}
	}
	for id, st := range want {
		if got[id].State != st {
			t.Errorf("%s: state %q, want %q (%v)", id, got[id].State, st, got[id].Evidence)
		}
	}
	// Every item says why, whatever its state.
	for id, it := range got {
		if len(it.Evidence) == 0 {
			t.Errorf("%s (%s) has no evidence", id, it.State)
		}
	}
}

// summary.files and data_sources carry what the scan read and the data it
// used.
func TestFilesAndDataSources(t *testing.T) {
	m := decode(t, write(t, reporttest.Sample()))
	files := m["summary"].(map[string]any)["files"].(map[string]any)
	if files["scanned"] != 1204.0 || files["skipped"] != 7.0 || files["expanded"] != 1.0 || files["members"] != 14.0 {
		t.Errorf("summary.files = %v", files)
	}
	ds := m["data_sources"].([]any)
	if len(ds) != 1 {
		t.Fatalf("data_sources = %v", ds)
	}
	d := ds[0].(map[string]any)
	if d["kind"] != "cache" || d["newest_record"] != "2026-11-28T21:04:11Z" || d["age_days"] != 1.0 || d["stale"] != false || d["records"] != 18234.0 {
		t.Errorf("data source %v", d)
	}
	if p := decode(t, write(t, reporttest.Probe())); p["summary"].(map[string]any)["files"] != nil {
		t.Error("a probe report has no file counts")
	}
}

func TestSecrets(t *testing.T) {
	for _, tc := range []struct {
		show     bool
		wantFull bool
	}{{false, false}, {true, true}} {
		out := write(t, reporttest.Leaky(tc.show))
		full := bytes.Contains(out, []byte(reporttest.FakeWhsec))
		if full != tc.wantFull {
			t.Errorf("ShowSecrets=%v: full secret present = %v", tc.show, full)
		}
		if !tc.show && !bytes.Contains(out, []byte(finding.Redact(reporttest.FakeWhsec))) {
			t.Errorf("redacted secret missing:\n%s", out)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := write(t, reporttest.Sample())
	b := write(t, reporttest.Sample())
	if !bytes.Equal(a, b) {
		t.Error("two writes of the same report differ")
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
	f, err := report.Lookup("json", report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*report.Report{reporttest.Sample(), reporttest.Empty()} {
		if err := f.Write(reporttest.FailingWriter{}, r); !errors.Is(err, reporttest.ErrWrite) {
			t.Errorf("Write to a failing writer = %v, want %v", err, reporttest.ErrWrite)
		}
	}
}
