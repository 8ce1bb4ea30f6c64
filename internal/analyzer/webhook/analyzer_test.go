package webhook

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/source"
)

func TestGate(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"import stripe\n", true},
		{"sig = request.headers['Stripe-Signature']\n", true},
		{"@app.post('/webhooks/in')\nif event['type'] == 'checkout.session.completed': pass\n", true},
		{"@app.post('/webhooks/github')\n", false}, // a webhook, but nothing says Stripe
		{"SECRET = os.environ['STRIPE_WEBHOOK_SECRET']\n", true},
		{"import os\nprint('hello')\n", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := Gate([]byte(tc.src)); got != tc.want {
			t.Errorf("Gate(%q) = %v, want %v", tc.src, got, tc.want)
		}
	}
}

// TestAnalyzerPlumbing drives the analyzer the way the engine does: Wants,
// File with a reused buffer, Finish; bad files become warnings.
func TestAnalyzerPlumbing(t *testing.T) {
	a := New()
	var sink finding.Collector
	ctx := context.Background()
	feed := func(rel string, data []byte) {
		f := &source.File{Rel: rel, Data: data, Size: int64(len(data))}
		if !a.Wants(f) {
			return
		}
		a.File(ctx, f, &sink)
		for i := range data {
			data[i] = ' ' // Data is only valid during the call
		}
	}
	for _, p := range []string{"testdata/misc_app/broken.py", "testdata/misc_app/lambda_function.py"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		feed(filepath.Base(p), b)
	}
	feed("bin.py", []byte("import stripe\x00\x00"))
	feed("README.md", []byte("stripe webhook"))
	feed("venv/lib/python3.11/site-packages/stripe/webhook.py", []byte("import stripe"))
	feed("plain.py", []byte("print('no gate match')\n"))
	a.Finish(ctx, &source.Project{}, &sink)

	warn := map[string]string{}
	for _, w := range sink.Warnings {
		warn[w.File] = w.Kind
	}
	if warn["bin.py"] != finding.WarnBinary || warn["broken.py"] != finding.WarnParse || len(warn) != 2 {
		t.Errorf("warnings = %v", warn)
	}
	got := map[string]int{}
	for _, f := range sink.Findings {
		got[f.File+" "+f.RuleID] = f.Line
		if rules.Lookup(f.RuleID) == nil || f.Threat != finding.WebhookForgery || f.Severity == finding.SeverityUnknown {
			t.Errorf("malformed finding %+v", f)
		}
	}
	want := map[string]int{
		"broken.py webhook/unverified-payload":          16,
		"lambda_function.py webhook/unverified-payload": 8,
	}
	if len(got) != len(want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
	for k, l := range want {
		if got[k] != l {
			t.Errorf("%s at line %d, want %d", k, got[k], l)
		}
	}
}

func TestRulesDocumented(t *testing.T) {
	for _, r := range Rules {
		if r.Vulnerable == "" || r.Fixed == "" || r.MitigationID == "" {
			t.Errorf("%s lacks an example or mitigation id", r.ID)
		}
	}
}

// A payload read in a FastAPI dependency is reported there, linked to the
// route that uses it.
func TestRelatedHandler(t *testing.T) {
	fx, err := expect.Load("testdata/fastapi_app", "webhook/")
	if err != nil {
		t.Fatal(err)
	}
	var c finding.Collector
	Analyze(fx.Project, &c)
	for _, f := range c.Findings {
		if f.File == "app/deps.py" && f.RuleID == UnverifiedPayload.ID {
			if len(f.Related) != 1 || f.Related[0].File != "app/main.py" || !strings.Contains(f.Related[0].Message, "webhook_dependency_unverified") {
				t.Errorf("related = %+v", f.Related)
			}
			return
		}
	}
	t.Error("no finding in app/deps.py")
}

// TestWantsLeavesIgnoredLocalFiles: the walker yields a git-ignored
// local_settings.py only for the key checks; the webhook rules do not
// judge a developer's machine configuration. A tracked one is judged.
func TestWantsLeavesIgnoredLocalFiles(t *testing.T) {
	src := []byte("import os\nSTRIPE_WEBHOOK_SECRET = os.environ.get('STRIPE_WEBHOOK_SECRET', '')\n")
	a := New()
	if a.Wants(&source.File{Rel: "shop/local_settings.py", Data: src, Ignored: true}) {
		t.Error("wants an ignored local settings file")
	}
	if !a.Wants(&source.File{Rel: "shop/local_settings.py", Data: src, Tracked: true}) {
		t.Error("does not want a tracked settings file")
	}
}
