package htmlfmt

import (
	"errors"
	"flag"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func render(t testing.TB, r *report.Report) string {
	t.Helper()
	return string(reporttest.Render(t, "html", report.Options{}, r))
}

// sampleSource is the scanned tree behind reporttest.Sample, so that the
// page shows code context (with the key redacted).
func sampleSource() fstest.MapFS {
	var settings, hooks strings.Builder
	for i := 1; i <= 20; i++ {
		if i == 12 {
			fmt.Fprintf(&settings, "stripe.api_key = %q\n", reporttest.FakeLiveKey)
			continue
		}
		fmt.Fprintf(&settings, "SETTING_%d = %d\n", i, i)
	}
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&hooks, "line_%d = 'webhook <code> & \"quotes\"'\n", i)
	}
	return fstest.MapFS{
		"app/settings.py": {Data: []byte(settings.String())},
		"app/webhooks.py": {Data: []byte(hooks.String())},
	}
}

func TestGolden(t *testing.T) {
	r := reporttest.Sample()
	r.Source = sampleSource()
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{
		{"sample.html.golden", r},
		{"probe.html.golden", reporttest.Probe()},
		{"empty.html.golden", reporttest.Empty()},
		{"history.html.golden", reporttest.History()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := render(t, tc.r)
			reporttest.NoSecret(t, []byte(out))
			reporttest.Golden(t, tc.name, []byte(out), *update)
		})
	}
}

// The page holds exactly the report's findings, grouped by threat, each
// with its severity; the summary agrees.
func TestCounts(t *testing.T) {
	for _, r := range []*report.Report{reporttest.Sample(), reporttest.Probe(), reporttest.Empty(), reporttest.Large(700)} {
		out := render(t, r)
		s := r.Summarize()
		if got := strings.Count(out, `<article class="finding`); got != s.Total {
			t.Errorf("%s: %d articles, %d findings", r.Command, got, s.Total)
		}
		for _, th := range finding.Threats {
			for sev, n := range s.ByThreat[th] {
				re := regexp.MustCompile(fmt.Sprintf(`<article class="finding [^"]*" id="[^"]+" data-threat="%s" data-severity="%s"`, th, sev))
				if got := len(re.FindAllString(out, -1)); got != n {
					t.Errorf("%s %s: %d articles, want %d", th, sev, got, n)
				}
			}
		}
		if !strings.Contains(out, fmt.Sprintf(`data-total="%d"`, s.Total)) {
			t.Error("body data-total is wrong")
		}
	}
}

// Self-contained: nothing to fetch, and the CSP allows exactly the inline
// style and script by hash.
func TestSelfContained(t *testing.T) {
	out := render(t, reporttest.Sample())
	for _, bad := range []string{" src=", "<link", "@import", "url(", "<iframe", "<object", "<embed", "fetch(", "XMLHttpRequest", "<img"} {
		if strings.Contains(out, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// The CSP sits in an attribute, where html/template writes '+' of
	// the base64 hash as &#43;: compare with what the browser reads.
	attrs := html.UnescapeString(out)
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(out)
	if m == nil || hash(m[1]) != hash(css) || !strings.Contains(attrs, hash(m[1])) {
		t.Error("inline style does not match the CSP hash")
	}
	m = regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(out)
	if m == nil || m[1] != js || !strings.Contains(attrs, hash(m[1])) {
		t.Error("inline script does not match the CSP hash")
	}
	if strings.Count(out, "<script") != 1 || strings.Count(out, "<style") != 1 {
		t.Error("want exactly one script and one style element")
	}
	if !strings.Contains(out, `content="default-src &#39;none&#39;;`) {
		t.Error("CSP must default to none")
	}
}

// Hostile text in findings stays text.
func TestEscaping(t *testing.T) {
	f := webhook.UnverifiedPayload.New()
	f.File, f.Line = `app/"><img src=x onerror=alert(1)>.py`, 3
	f.Message = `<script>alert("m")</script>`
	f.Evidence = `</pre><script>alert("e")</script>`
	f.Mitigation = `<b onmouseover=alert(1)>fix</b>`
	f.Related = []finding.Location{{File: "x.py", Line: 1, Message: "<svg onload=alert(1)>"}}
	f.Package = &finding.Package{Name: "<pkg>", Advisories: []finding.Advisory{{ID: "A-1", URL: "javascript:alert(1)"}}}
	f.SetFingerprint(0)
	r := &report.Report{Command: "scan", Target: "<t>", Findings: []*finding.Finding{f}, Notes: []string{"<i>note</i>"},
		Warnings: []*finding.Warning{{File: "<w>", Kind: "binary", Message: "<m>"}}}
	r.Finalize()
	out := render(t, r)
	for _, bad := range []string{"<script>alert", "<img src=x", "<b onmouseover", "<svg onload", "javascript:alert", "<i>note", "<pkg>", "<w>", "<t>"} {
		if strings.Contains(out, bad) {
			t.Errorf("unescaped %q in the page", bad)
		}
	}
}

func TestSecrets(t *testing.T) {
	out := render(t, reporttest.Leaky(false))
	reporttest.NoSecret(t, []byte(out))
	if strings.Contains(out, "--show-secrets</code> and holds full secrets") {
		t.Error("warning banner without --show-secrets")
	}
	out = render(t, reporttest.Leaky(true))
	if !strings.Contains(out, reporttest.FakeWhsec) || !strings.Contains(out, `role="alert"`) {
		t.Error("--show-secrets: want the secret and a warning banner")
	}
	// Code context: the key on the finding's line and a key on another
	// line of the same file are both redacted.
	r := reporttest.Sample()
	r.Source = sampleSource()
	out = render(t, r)
	reporttest.NoSecret(t, []byte(out))
	if !strings.Contains(out, `<span class="line hit"><span class="ln">12</span>stripe.api_key = &#34;sk_live_…4f2a&#34;</span>`) {
		t.Error("code context of app/settings.py:12 missing or not redacted")
	}
}

// Checklist states are rendered from their value, so states this version
// does not know (a newer catalogue) still show, with their own name.
func TestChecklistStates(t *testing.T) {
	r := reporttest.Sample()
	m := &mitigation.Mitigation{ID: "testrules.future", Title: "A control from a newer catalogue", Threat: finding.MaliciousPackage}
	r.Checklist[finding.MaliciousPackage] = []mitigation.Status{
		{Mitigation: m, State: "nothing-applies", Evidence: []string{"no dependencies"}},
		{Mitigation: m, State: "data-missing"},
		{Mitigation: m, State: finding.Missing, Evidence: []string{"e1"}},
	}
	out := render(t, r)
	for _, want := range []string{
		`data-state="nothing-applies"`, `<span class="state-label">nothing applies</span>`,
		`data-state="data-missing"`, `<span class="state-label">data missing</span>`,
		`<span class="state-count state-missing" data-state="missing">1 missing</span> <span class="state-count state-data-missing" data-state="data-missing">1 data missing</span> <span class="state-count state-nothing-applies" data-state="nothing-applies">1 nothing applies</span>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
}

// Links: a related location where another finding sits, the same key in
// two files, the same package in two files, two rules on one line.
func TestLinks(t *testing.T) {
	mk := func(file string, line int, key string) *finding.Finding {
		f := reporttest.LiveSecretKey.New()
		f.File, f.Line, f.Secret, f.Message = file, line, key, "key"
		f.SetFingerprint(line)
		return f
	}
	a := mk("a.py", 1, reporttest.FakeLiveKey)
	b := mk("b.env", 2, reporttest.FakeLiveKey)
	c := reporttest.KeyInHistory.New()
	c.File, c.Line, c.Message = "a.py", 1, "same line"
	c.SetFingerprint(9)
	a.Related = []finding.Location{{File: "b.env", Line: 2, Message: "copied here"}, {File: "nowhere.py", Line: 5}}
	p1 := reporttest.VulnerableDependency.New()
	p1.File, p1.Line, p1.Message, p1.Package = "requirements.txt", 3, "requests", &finding.Package{Name: "requests", Version: "2.19.0"}
	p1.SetFingerprint(0)
	p2 := reporttest.VulnerableDependency.New()
	p2.File, p2.Line, p2.Message, p2.Package = "poetry.lock", 40, "requests", &finding.Package{Name: "Requests", Version: "2.19.0"}
	p2.SetFingerprint(0)
	r := &report.Report{Command: "scan", Findings: []*finding.Finding{a, b, c, p1, p2}}
	r.Finalize()
	out := render(t, r)
	for _, want := range []string{
		`<a class="xref" href="#f-` + b.Fingerprint + `">b.env:2</a> <span class="note">copied here</span>`,
		`<code>nowhere.py:5</code>`,
		`<div class="same-secret"><span class="label">Same key also at</span> <a class="xref" href="#f-` + b.Fingerprint + `">`,
		`<div class="same-package"><span class="label">Same package also at</span> <a class="xref" href="#f-` + p2.Fingerprint + `">poetry.lock:40</a>`,
		`<div class="same-line"><span class="label">Same line</span> <a class="xref" href="#f-` + c.Fingerprint + `">testrules/key-in-history</a>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
	reporttest.NoSecret(t, []byte(out))
}

func TestWriteError(t *testing.T) {
	if err := (Format{}).Write(reporttest.FailingWriter{}, reporttest.Sample()); !errors.Is(err, reporttest.ErrWrite) {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

func BenchmarkWrite(b *testing.B) {
	r := reporttest.Large(5000)
	b.ReportAllocs()
	for b.Loop() {
		if err := (Format{}).Write(discard{}, r); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Like every report, the page says which advisory data it used and what was
// scanned.
func TestDataSourceAndFiles(t *testing.T) {
	out := render(t, reporttest.Sample())
	for _, s := range []string{`<p class="meta data-source">Advisory data: cache /home/dev/.cache/stripeguard/osv/PyPI/index.sgidx`, "newest record 2026-11-28", "Files: 1204 files scanned, 7 skipped"} {
		if !strings.Contains(out, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

// A related entry at the finding's own place is a note, never a "See"
// pointing back at the finding.
func TestNoSeeToSelf(t *testing.T) {
	out := render(t, reporttest.Sample())
	if strings.Contains(out, "<code>services/payments/integrations/stripe/webhooks/handlers/v2/checkout_session_completed_handler.py:88</code>") {
		t.Error("a See link points at the finding itself")
	}
	if !strings.Contains(out, `<span class="label">Note</span> <span class="note">also reported as testrules/raw-body: same call</span>`) {
		t.Error("the same-place entry should be a note")
	}
}
