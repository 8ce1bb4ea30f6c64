package text

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

func write(t testing.TB, r *report.Report, color bool) string {
	t.Helper()
	return string(reporttest.Render(t, "text", report.Options{Color: color}, r))
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     *report.Report
		color bool
	}{
		{"sample.golden", reporttest.Sample(), false},
		{"sample-color.golden", reporttest.Sample(), true},
		{"probe.golden", reporttest.Probe(), false},
		{"empty.golden", reporttest.Empty(), false},
		{"history.golden", reporttest.History(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := write(t, tc.r, tc.color)
			reporttest.NoSecret(t, []byte(out))
			reporttest.Golden(t, tc.name, []byte(out), *update)
		})
	}
}

func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		name     string
		r        *report.Report
		contains []string
		absent   []string
		order    []string
	}{
		{
			name: "sample",
			r:    reporttest.Sample(),
			contains: []string{
				"■ Stripe key exposure (key-exposure) — CRITICAL, 4 findings",
				"■ Malicious or tampered packages (malicious-package) — no findings",
				"app/settings.py:12:18  Live secret key assigned to stripe.api_key",
				"evidence: sk_live_…4f2a",
				"config/old.env:2:1 in commit 3f9c2a1d5e7b",
				"(notebook cell 3 (output))",
				"fix: Roll the key in the Stripe dashboard",
				// Every state has its own symbol and word.
				"[x] The signing secret is a whsec_ value",
				"in place: signing secret passed to stripe.Webhook.construct_event comes\n          from configuration (app/webhooks.py:57)",
				"[ ] The raw request bytes are verified",
				"missing: webhook/body-not-raw at",
				"[ ] No secret or restricted key is hard-coded",
				"missing: testrules/key-in-history at config/old.env:2",
				"[?] Restricted keys (rk_)",
				"not checked: keyaudit did not run",
				"[-] stripe is pinned",
				"n/a: no stripe requirement, lock entry or installation in the scanned\n          tree",
				"[!] The audit used current advisory data",
				"no data: the advisory data could not be read (see warnings)",
				// Routine skips counted, the rest one by one, paths whole.
				"Warnings (8)",
				"skipped: 5 binary, 1 over --max-file-size (each listed in --format json)",
				"parse-error: app/legacy.py:3: Python 2 print statement",
				"unreadable:\n    services/payments/integrations/stripe/webhooks/handlers/v2/legacy_payment_intent_succeeded.py:\n    permission denied",
				"advisory database built",
				"Advisory data: cache /home/dev/.cache/stripeguard/osv/PyPI/index.sgidx of\n  https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip (18234\n  records,",
				"Files: 1204 files scanned, 7 skipped, 1 archive expanded (14 members scanned)",
				"10 findings: 3 critical, 2 high, 3 medium, 1 low, 1 info; 2 suppressed, 1\n  baselined",
				"package: requests 2.19.0 (lockfile) · GHSA-test-0002, GHSA-test-0003 ·\n               fixed in 2.31.0",
				"      evidence: stripe.Webhook.construct_event(payload, sig, secret, ↵\n                tolerance=None) # `tolerance` | replay ok",
				"    services/payments/integrations/stripe/webhooks/handlers/v2/checkout_session_completed_handler.py:88:21\n",
				"note: also reported as testrules/raw-body: same call",
				"see: services/payments/integrations/stripe/webhooks/routes.py:12 (route\n",
			},
			absent: []string{"static/img/logo.png", "binary file skipped", "see: services/payments/integrations/stripe/webhooks/handlers/v2/checkout_session_completed_handler.py", "…  "},
			order:  []string{"(key-exposure)", "(webhook-forgery)", "(stripe-vulnerability)", "(dependency-vulnerability)", "(malicious-package)", "Warnings (8)", "Notes", "Advisory data:", "Files:", "10 findings"},
		},
		{
			name:     "probe",
			r:        reporttest.Probe(),
			contains: []string{"    https://shop.example.com/webhooks/stripe\n      An unsigned checkout.session.completed event was accepted\n", "probe of https://shop.example.com/webhooks/stripe", "3 findings: 1 critical, 1 medium, 1 low"},
			absent:   []string{"Files:", "Advisory data:"},
		},
		{
			name:     "empty",
			r:        reporttest.Empty(),
			contains: []string{"No findings", "— no findings"},
		},
		{
			name:     "unfinalized",
			r:        &report.Report{Findings: []*finding.Finding{{RuleID: "x/y", Threat: "bogus", Severity: finding.High, Message: "odd"}}},
			contains: []string{"■ Other findings — HIGH, 1 finding", "(project)  odd", "1 finding: 1 high"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := write(t, tc.r, false)
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(out, s) {
					t.Errorf("output has %q", s)
				}
			}
			last := -1
			for _, s := range tc.order {
				i := strings.Index(out, s)
				if i < last {
					t.Errorf("%q out of order", s)
				}
				last = i
			}
			if strings.Contains(out, "\x1b[") {
				t.Error("ANSI codes without Color")
			}
			checkWidth(t, out, DefaultWidth)
		})
	}
}

// checkWidth: no line is wider than width unless it is one word that does
// not fit (after its indentation and label), which is never cut.
func checkWidth(t *testing.T, out string, width int) {
	t.Helper()
	for i, l := range strings.Split(out, "\n") {
		if visibleLen(l) <= width {
			continue
		}
		words := strings.Fields(l)
		last := words[len(words)-1]
		if len(words) > 3 || visibleLen(last) < width/2 {
			t.Errorf("line %d is %d columns: %q", i+1, visibleLen(l), l)
		}
	}
}

// Wrapping follows the width, and a word (path, id, URL) is never cut
// whatever the width.
func TestWidths(t *testing.T) {
	r := reporttest.Sample()
	var words []string
	for _, f := range r.Findings {
		words = append(words, f.File, f.RuleID, f.Fingerprint[:0])
	}
	words = append(words, "services/payments/integrations/stripe/webhooks/handlers/v2/legacy_payment_intent_succeeded.py", "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip")
	for _, width := range []int{0, 40, 60, 100, 160} {
		out := string(reporttest.Render(t, "text", report.Options{Width: width}, r))
		w := width
		switch {
		case w == 0:
			w = DefaultWidth
		case w < MinWidth:
			w = MinWidth
		}
		checkWidth(t, out, w)
		for _, word := range words {
			if word != "" && !strings.Contains(out, word) {
				t.Errorf("width %d: %q cut or missing", width, word)
			}
		}
		if width == 160 && !strings.Contains(out, "    app/webhooks.py:41:13  stripe_webhook() acts on json.loads(request.data) without verifying the Stripe-Signature header\n") {
			t.Errorf("width 160 should keep location and message on one line:\n%s", out)
		}
	}
}

// Brief is what `scan --staged` prints: findings and one summary line.
func TestBrief(t *testing.T) {
	out := string(reporttest.Render(t, "text", report.Options{Brief: true}, reporttest.Sample()))
	for _, s := range []string{"Mitigations", "[x]", "[?]", "no findings", "Notes", "Warnings ("} {
		if strings.Contains(out, s) {
			t.Errorf("brief output has %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "10 findings: 3 critical, 2 high, 3 medium, 1 low, 1 info; 2 suppressed, 1\n  baselined · 1204 files scanned") || !strings.Contains(out, "8 warnings") {
		t.Errorf("summary line:\n%s", out)
	}
	if !strings.Contains(out, "app/settings.py:12:18  Live secret key assigned to stripe.api_key") {
		t.Error("findings missing from brief output")
	}
	empty := string(reporttest.Render(t, "text", report.Options{Brief: true}, reporttest.Empty()))
	if strings.Count(empty, "\n") != 1 || !strings.HasPrefix(empty, "No findings") {
		t.Errorf("brief empty report: %q", empty)
	}
}

func TestColor(t *testing.T) {
	out := write(t, reporttest.Sample(), true)
	for _, s := range []string{bold + red + "CRITICAL" + reset, green + "[x]" + reset, red + "[ ]" + reset, yellow + "[?]" + reset, dim + "[-]" + reset, bold + yellow + "[!]" + reset} {
		if !strings.Contains(out, s) {
			t.Errorf("coloured output lacks %q", s)
		}
	}
	for n, l := range strings.Split(out, "\n") {
		if i := strings.LastIndex(l, "\x1b["); i >= 0 && !strings.HasPrefix(l[i:], reset) {
			t.Errorf("line %d leaves a style open: %q", n+1, l)
		}
	}
	checkWidth(t, out, DefaultWidth)
}

func TestSecrets(t *testing.T) {
	for _, show := range []bool{false, true} {
		out := write(t, reporttest.Leaky(show), false)
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
	for _, color := range []bool{false, true} {
		f := Format{Color: color}
		b.Run(map[bool]string{false: "plain", true: "color"}[color], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := f.Write(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestAndList(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a and b"}, {[]string{"a", "b", "c"}, "a, b and c"}} {
		if got := report.AndList(tc.in); got != tc.want {
			t.Errorf("andList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriteError(t *testing.T) {
	f, err := report.Lookup("text", report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*report.Report{reporttest.Sample(), reporttest.Empty()} {
		if err := f.Write(reporttest.FailingWriter{}, r); !errors.Is(err, reporttest.ErrWrite) {
			t.Errorf("Write to a failing writer = %v, want %v", err, reporttest.ErrWrite)
		}
	}
}
