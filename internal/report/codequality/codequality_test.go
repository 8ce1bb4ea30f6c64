package codequality

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/report/reporttest"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// The report is checked against testdata/codequality.schema.json, written
// from GitLab's "Code Quality report format" documentation: an array of
// issues, each with description, check_name, fingerprint, severity (info,
// minor, major, critical, blocker), location.path and location.lines.begin.
func TestSchema(t *testing.T) {
	py := testutil.NeedPython(t, "jsonschema")
	for name, r := range map[string]*report.Report{"sample": reporttest.Sample(), "probe": reporttest.Probe(), "empty": reporttest.Empty(), "large": reporttest.Large(300)} {
		out := reporttest.Render(t, "codequality", report.Options{}, r)
		reporttest.NoSecret(t, out)
		p := filepath.Join(t.TempDir(), name+".json")
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(py, "-c", `import json, sys, jsonschema
schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
jsonschema.Draft7Validator.check_schema(schema)
errs = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
for e in errs[:10]: print(list(e.path), e.message)
sys.exit(1 if errs else 0)`, "testdata/codequality.schema.json", p)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: not a valid Code Quality report: %v\n%s", name, err, out)
		}
		var issues []Issue
		if err := json.Unmarshal(out, &issues); err != nil {
			t.Fatal(err)
		}
		if len(issues) != len(r.Findings) {
			t.Errorf("%s: %d issues for %d findings", name, len(issues), len(r.Findings))
		}
		seen := map[string]bool{}
		for _, is := range issues {
			if seen[is.Fingerprint] {
				t.Errorf("%s: duplicate fingerprint %s (GitLab would show only one)", name, is.Fingerprint)
			}
			seen[is.Fingerprint] = true
		}
	}
}

func TestMapping(t *testing.T) {
	issues := Build(reporttest.Sample())
	by := map[string]Issue{}
	for _, is := range issues {
		by[is.Location.Path+" "+is.CheckName] = is
	}
	for key, want := range map[string]struct {
		sev   string
		begin int
	}{
		"app/settings.py testrules/live-secret-key":                  {"blocker", 12},
		"dist/shop-1.0-py3-none-any.whl testrules/live-secret-key":   {"blocker", 1},
		"config/old.env testrules/key-in-history":                    {"critical", 1},
		"poetry.lock testrules/vulnerable-dependency":                {"major", 210},
		"notebooks/explore payments.ipynb testrules/publishable-key": {"info", 7},
	} {
		is, ok := by[key]
		if !ok {
			t.Errorf("no issue for %s", key)
			continue
		}
		if is.Severity != want.sev || is.Location.Lines.Begin != want.begin {
			t.Errorf("%s: severity %s line %d, want %s %d", key, is.Severity, is.Location.Lines.Begin, want.sev, want.begin)
		}
		if !strings.HasPrefix(is.Description, "[") {
			t.Errorf("%s: description %q does not name the threat", key, is.Description)
		}
	}
	for _, is := range Build(reporttest.Probe()) {
		if is.Location.Path != "." || is.Location.Lines.Begin != 1 {
			t.Errorf("probe finding located at %+v", is.Location)
		}
	}
	if err := (Format{}).Write(reporttest.FailingWriter{}, reporttest.Sample()); !errors.Is(err, reporttest.ErrWrite) {
		t.Errorf("err = %v", err)
	}
}
