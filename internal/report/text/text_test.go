package text

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

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
				"[x] The raw request bytes are verified",
				"[ ] No secret or restricted key is hard-coded",
				"[?] Restricted keys (rk_)",
				"not checked: keyaudit did not run",
				"binary ×5: binary file skipped",
				"… 2 more",
				"parse-error: app/legacy.py:3: Python 2 print statement",
				"advisory database built",
				"9 findings: 3 critical, 2 high, 2 medium, 1 low, 1 info; 2 suppressed, 1 baselined",
				"package: requests 2.19.0 (lockfile) · GHSA-test-0002, GHSA-test-0003 · fixed in 2.31.0",
				"      evidence: stripe.Webhook.construct_event(payload, sig, secret, ↵ tolerance=None) # `tolerance`\n                | replay ok",
			},
			order: []string{"(key-exposure)", "(webhook-forgery)", "(stripe-vulnerability)", "(dependency-vulnerability)", "(malicious-package)", "Warnings (7)", "Notes", "9 findings"},
		},
		{
			name:     "probe",
			r:        reporttest.Probe(),
			contains: []string{"    https://shop.example.com/webhooks/stripe\n      An unsigned checkout.session.completed event was accepted\n", "probe of https://shop.example.com/webhooks/stripe", "3 findings: 1 critical, 1 medium, 1 low"},
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
			for i, l := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(l); n > Width {
					t.Errorf("line %d is %d columns: %q", i+1, n, l)
				}
			}
		})
	}
}

func TestColor(t *testing.T) {
	out := write(t, reporttest.Sample(), true)
	for _, s := range []string{bold + red + "CRITICAL" + reset, green + "[x]" + reset, red + "[ ]" + reset, yellow + "[?]" + reset} {
		if !strings.Contains(out, s) {
			t.Errorf("coloured output lacks %q", s)
		}
	}
	for i, l := range strings.Split(out, "\n") {
		if n := visibleLen(l); n > Width {
			t.Errorf("line %d is %d visible columns", i+1, n)
		}
		if i := strings.LastIndex(l, "\x1b["); i >= 0 && !strings.HasPrefix(l[i:], reset) {
			t.Errorf("line %d leaves a style open: %q", i+1, l)
		}
	}
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

func TestJoinFit(t *testing.T) {
	for _, tc := range []struct {
		items []string
		width int
		want  string
	}{
		{[]string{"a", "b"}, 20, "a; b"},
		{[]string{"aaaa", "bbbb", "cccc"}, 17, "aaaa (+2 more)"},
		{[]string{"aaaaaaaaaaaaaaaaaaaa"}, 10, "aaaaaaaaa…"},
		{[]string{"aaaaaaaaaaaaaaaaaaaa", "b"}, 15, "aaaa… (+1 more)"},
		{[]string{"x\ny"}, 20, "x ↵ y"},
	} {
		got := joinFit(tc.items, tc.width)
		if got != tc.want {
			t.Errorf("joinFit(%q, %d) = %q, want %q", tc.items, tc.width, got, tc.want)
		}
		if utf8.RuneCountInString(got) > tc.width {
			t.Errorf("joinFit(%q, %d) = %q is too wide", tc.items, tc.width, got)
		}
	}
}

func TestTruncateStyled(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 10, "plain"},
		{"abcdefgh", 5, "abcd…"},
		{bold + "abcdefgh" + reset, 5, bold + "abcd…" + reset},
	} {
		if got := truncateStyled(tc.in, tc.n); got != tc.want {
			t.Errorf("truncateStyled(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
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
