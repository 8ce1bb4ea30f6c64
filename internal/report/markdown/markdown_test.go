package markdown

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func write(t testing.TB, r *report.Report) string {
	t.Helper()
	return string(reporttest.Render(t, "markdown", report.Options{}, r))
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{
		{"sample.md.golden", reporttest.Sample()},
		{"probe.md.golden", reporttest.Probe()},
		{"empty.md.golden", reporttest.Empty()},
		{"history.md.golden", reporttest.History()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := write(t, tc.r)
			reporttest.NoSecret(t, []byte(out))
			reporttest.Golden(t, tc.name, []byte(out), *update)
		})
	}
}

// cells counts the cells of a table row: '|' splits cells unless escaped.
func cells(row string) int {
	n := 0
	esc := false
	for _, c := range row {
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '|':
			n++
		}
	}
	return n - 1
}

func TestTables(t *testing.T) {
	for _, r := range []*report.Report{reporttest.Sample(), reporttest.Probe(), reporttest.Empty(), reporttest.Large(50)} {
		out := write(t, r)
		want := 0
		for i, l := range strings.Split(out, "\n") {
			if !strings.HasPrefix(l, "|") {
				want = 0
				continue
			}
			if want == 0 {
				want = cells(l)
				continue
			}
			if got := cells(l); got != want {
				t.Errorf("line %d has %d cells, its table %d: %q", i+1, got, want, l)
			}
		}
	}
}

func TestContent(t *testing.T) {
	for _, tc := range []struct {
		name     string
		r        *report.Report
		contains []string
		order    []string
	}{
		{
			name: "sample",
			r:    reporttest.Sample(),
			contains: []string{
				"# Stripe threat model — ./shop\n",
				"**10 findings**: 3 critical, 2 high, 3 medium, 1 low, 1 info; 2 suppressed, 1 baselined.",
				"| Threat | Highest severity | Findings | Mitigations in place / missing / n/a / not checked / no data |",
				"| Stripe key exposure (`key-exposure`) | **critical** | 4 | 0 / 2 / 0 / 1 / 0 |",
				"| Malicious or tampered packages (`malicious-package`) | — | 0 | 0 / 0 / 0 / 1 / 0 |",
				"Files: 1204 files scanned, 7 skipped, 1 archive expanded (14 members scanned).",
				"Advisory data: cache /home/dev/.cache/stripeguard/osv/PyPI/index.sgidx of https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip (18234 records",
				"| 1 | critical | `app/settings.py:12:18` | `testrules/live-secret-key` | Live secret key assigned to stripe.api\\_key | `sk_live_…4f2a` |",
				"``stripe.Webhook.construct_event(payload, sig, secret, ↵ tolerance=None) # `tolerance` \\| replay ok``",
				"- **#1, #2** `testrules/live-secret-key`: Roll the key",
				"- [x] **in place** — The signing secret is a whsec\\_ value from the environment or a secret manager, never empty\n  - signing secret passed to stripe.Webhook.construct\\_event comes from configuration (app/webhooks.py:57)",
				"- [ ] **missing** — No secret or restricted key is hard-coded in the tree or its history\n",
				"- ❔ **not checked** — Restricted keys (rk\\_) with least privilege are used instead of the secret key\n  - keyaudit did not run",
				"- ➖ **n/a** — stripe is pinned\n  - no stripe requirement, lock entry or installation in the scanned tree",
				"- ⚠️ **no data** — The audit used current advisory data\n  - the advisory data could not be read (see warnings)",
				"## Warnings (8)\n\nSkipped: 5 binary, 1 over --max-file-size (each listed in `--format json`).",
				"<details>\n<summary>2 warnings: input that could not be fully read</summary>",
				"| unreadable | `services/payments/integrations/stripe/webhooks/handlers/v2/legacy_payment_intent_succeeded.py` | permission denied |",
				"</details>",
				"## Notes\n\n- advisory database built 2026-11-20 (9 days old)",
				"(GHSA-test-0002, GHSA-test-0003); fixed in 2.31.0",
			},
			order: []string{"## Summary", "## Stripe key exposure", "## Webhook forgery", "## Vulnerable stripe library", "## Vulnerable dependencies", "## Malicious or tampered packages", "## Warnings", "## Notes"},
		},
		{
			name:     "probe",
			r:        reporttest.Probe(),
			contains: []string{"# Stripe threat model — https://shop.example.com/webhooks/stripe", "| `https://shop.example.com/webhooks/stripe` | `webhook/unverified-payload` |", "(`probe`)"},
		},
		{
			name:     "empty",
			r:        reporttest.Empty(),
			contains: []string{"**No findings**.", "No findings."},
		},
		{
			name:     "unfinalized",
			r:        &report.Report{Findings: []*finding.Finding{{RuleID: "x/y", Threat: "bogus", Severity: finding.Low, Message: "a | b\nc"}}},
			contains: []string{"## Other findings", "| 1 | low | `(project)` | `x/y` | a \\| b<br>c |"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := write(t, tc.r)
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			last := -1
			for _, s := range tc.order {
				i := strings.Index(out, s)
				if i < last {
					t.Errorf("%q missing or out of order", s)
				}
				last = i
			}
		})
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		in      string
		inTable bool
		want    string
	}{
		{"plain", false, "`plain`"},
		{"a`b", false, "``a`b``"},
		{"`start", false, "`` `start ``"},
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"x\ny", false, "`x ↵ y`"},
		{"a``b`", false, "``` a``b` ```"},
	} {
		if got := code(tc.in, tc.inTable); got != tc.want {
			t.Errorf("code(%q, %v) = %q, want %q", tc.in, tc.inTable, got, tc.want)
		}
	}
}

func TestEscText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text.", "plain text."},
		{"a|b", "a\\|b"},
		{"*x* _y_ [l](u)", "\\*x\\* \\_y\\_ \\[l\\](u)"},
		{"<script>&", "&lt;script&gt;&amp;"},
		{"l1\nl2", "l1<br>l2"},
		{"back\\slash `c`", "back\\\\slash \\`c\\`"},
	} {
		if got := escText(tc.in); got != tc.want {
			t.Errorf("escText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	for _, show := range []bool{false, true} {
		out := write(t, reporttest.Leaky(show))
		if full := strings.Contains(out, reporttest.FakeWhsec); full != show {
			t.Errorf("ShowSecrets=%v: full secret present = %v", show, full)
		}
		if warned := strings.Contains(out, "--show-secrets"); warned != show {
			t.Errorf("ShowSecrets=%v: warning shown = %v", show, warned)
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
	f, err := report.Lookup("markdown", report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*report.Report{reporttest.Sample(), reporttest.Empty()} {
		if err := f.Write(reporttest.FailingWriter{}, r); !errors.Is(err, reporttest.ErrWrite) {
			t.Errorf("Write to a failing writer = %v, want %v", err, reporttest.ErrWrite)
		}
	}
}

// Brief (scan --staged) keeps the findings and drops the checklists; routine
// skips are counted, never listed.
func TestBriefAndRoutineWarnings(t *testing.T) {
	full := string(reporttest.Render(t, "markdown", report.Options{}, reporttest.Sample()))
	if strings.Contains(full, "static/img/logo.png") || strings.Contains(full, "binary file skipped") {
		t.Error("routine skips must be counted, not listed")
	}
	brief := string(reporttest.Render(t, "markdown", report.Options{Brief: true}, reporttest.Sample()))
	for _, s := range []string{"**Mitigations**", "## Summary", "Malicious or tampered packages"} {
		if strings.Contains(brief, s) {
			t.Errorf("brief output has %q", s)
		}
	}
	for _, s := range []string{"**10 findings**", "`testrules/live-secret-key`", "## Warnings (8)"} {
		if !strings.Contains(brief, s) {
			t.Errorf("brief output lacks %q", s)
		}
	}
}
