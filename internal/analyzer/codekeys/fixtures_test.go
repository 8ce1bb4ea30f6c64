package codekeys

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer/secrets"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

var severityRE = regexp.MustCompile(`#\s*severity:\s*([a-z]+)`)

// TestTestFixtureSeverity: testdata/fixtures_app marks each expected
// finding with "# severity: X". Webhook secrets and test keys in test code
// (tests/, test_*.py, conftest.py) are low with the context "test
// fixture"; a live key there is critical; the same values in production
// code, including files whose names merely contain "test", keep their
// severity; throwaway values (whsec_WRONGSECRET…) are not reported. The
// evidence is the line holding the literal, also when the statement spans
// several lines.
func TestTestFixtureSeverity(t *testing.T) {
	app := filepath.Join("testdata", "fixtures_app")
	fx, err := expect.Load(app, "codekeys/")
	if err != nil {
		t.Fatal(err)
	}
	var c finding.Collector
	Analyze(fx.Project, &c)
	if len(c.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range c.Findings {
		if f.RuleID == KeyHeldByApp.ID {
			continue // scan-wide advice, no line of its own (broker_test.go)
		}
		src, err := os.ReadFile(filepath.Join(app, f.File))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(expect.Materialize(src)), "\n")
		line := lines[f.Line-1]
		m := severityRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("%s:%d %s: no severity marker on the line", f.File, f.Line, f.RuleID)
			continue
		}
		want, err := finding.ParseSeverity(m[1])
		if err != nil {
			t.Fatal(err)
		}
		if f.Severity != want {
			t.Errorf("%s:%d %s: severity %s, want %s", f.File, f.Line, f.RuleID, f.Severity, want)
		}
		// Low means a test fixture or a schema example, and the message
		// says which.
		fixture := want == finding.Low
		lowered := f.Context == secrets.TestFixtureContext && strings.Contains(f.Message, "test fixture") ||
			f.Context == secrets.ExampleContext && strings.Contains(f.Message, "schema example")
		if lowered != fixture {
			t.Errorf("%s:%d: context %q message %q, fixture=%v", f.File, f.Line, f.Context, f.Message, fixture)
		}
		// Evidence: the literal's own line, redacted.
		code := strings.TrimSpace(strings.Split(line, "#")[0])
		if f.Secret == "" || !strings.Contains(f.Evidence, finding.Redact(f.Secret)) ||
			!strings.HasPrefix(f.Evidence, strings.TrimSpace(strings.Split(code, f.Secret)[0])) {
			t.Errorf("%s:%d: evidence %q is not the line holding the literal (%q)", f.File, f.Line, f.Evidence, code)
		}
	}
}

// TestPartialKeySeverity: every finding in partial_app carries the
// severity its line announces (a partial prefix or suffix is low, more of
// the key keeps the rule's severity).
func TestPartialKeySeverity(t *testing.T) {
	app := filepath.Join("testdata", "partial_app")
	fx, err := expect.Load(app, "codekeys/")
	if err != nil {
		t.Fatal(err)
	}
	var c finding.Collector
	Analyze(fx.Project, &c)
	src, err := os.ReadFile(filepath.Join(app, "views.py"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	n := 0
	for _, f := range c.Findings {
		if f.RuleID == KeyHeldByApp.ID {
			continue
		}
		n++
		m := severityRE.FindStringSubmatch(lines[f.Line-1])
		if m == nil {
			t.Errorf("%s:%d %s: no severity marker", f.File, f.Line, f.RuleID)
			continue
		}
		want, _ := finding.ParseSeverity(m[1])
		if f.Severity != want {
			t.Errorf("%s:%d %s: severity %s, want %s (%s)", f.File, f.Line, f.RuleID, f.Severity, want, f.Message)
		}
		if (want == finding.Low) != strings.Contains(f.Message, "characters of it") {
			t.Errorf("%s:%d: message %q", f.File, f.Line, f.Message)
		}
	}
	if n != 7 {
		t.Errorf("%d findings, want 7", n)
	}
}
