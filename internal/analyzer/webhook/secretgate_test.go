package webhook

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/source"
)

// A handler that verifies only when the signing secret is set must leave
// the checklist saying the secret can be empty: "[x] … never empty" beside
// a finding that says verification turns off when it is unset is a report
// contradicting itself. Twins gated by something else (a debug flag) or not
// gated at all must not be marked.
func TestSecretGateMarksSecretMissing(t *testing.T) {
	fx, err := expect.Load("testdata/secretgate_app", "webhook/")
	if err != nil {
		t.Fatal(err)
	}
	var c finding.Collector
	Analyze(fx.Project, &c)
	gated := map[string]string{}
	for _, o := range c.Observations {
		if o.Mitigation == MitigationSecret && o.State == finding.Missing {
			gated[strings.Fields(o.Detail)[1]] = o.Detail
		}
	}
	for _, h := range []string{"webhook_sample", "webhook_early", "webhook_ternary", "webhook_local"} {
		if gated[h] == "" {
			t.Errorf("%s: no missing observation for %s", h, MitigationSecret)
		}
		delete(gated, h)
	}
	for h, d := range gated {
		t.Errorf("%s must not be marked: %s", h, d)
	}
	if !strings.Contains(strings.Join(obsDetails(c.Observations), "|"), "skips verification when the signing secret webhook_secret is empty or unset") {
		t.Errorf("detail should name the secret: %v", obsDetails(c.Observations))
	}

	// Through the checklist: missing, with the reason, whatever the
	// in-place observations of the strict twin say.
	missing := map[string][]string{}
	for _, f := range c.Findings {
		if r := rules.Lookup(f.RuleID); r != nil {
			missing[r.MitigationID] = append(missing[r.MitigationID], f.RuleID)
		}
	}
	for _, st := range mitigation.Evaluate(finding.WebhookForgery, c.Observations, missing, map[string]bool{Name: true}) {
		if st.Mitigation.ID == MitigationSecret && st.State != finding.Missing {
			t.Errorf("%s = %s (%v), want missing", MitigationSecret, st.State, st.Evidence)
		}
	}
}

func obsDetails(os []*finding.Observation) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Detail)
	}
	return out
}

// A tree without handlers, or with handlers that never call
// construct_event, says which controls it gives nothing to check.
func TestNothingApplies(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want map[string]string // mitigation -> detail fragment; absent = no n/a observation
	}{
		{"import stripe\nstripe.api_key = 'x'\n", map[string]string{MitigationVerified: "no Stripe webhook handler", MitigationFailsClosed: "no Stripe webhook handler"}},
		{"import json, stripe\nfrom flask import Flask, request\napp = Flask(__name__)\n\n@app.route('/webhook', methods=['POST'])\ndef hook():\n    event = json.loads(request.data)\n    if event['type'] == 'checkout.session.completed':\n        pass\n    return ''\n",
			map[string]string{MitigationSecret: "no signature verification call", MitigationRawBody: "no signature verification call"}},
		{"import os, stripe\nfrom flask import Flask, request, abort\napp = Flask(__name__)\n\n@app.route('/webhook', methods=['POST'])\ndef hook():\n    try:\n        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get('Stripe-Signature'), os.environ['STRIPE_WEBHOOK_SECRET'])\n    except (ValueError, stripe.error.SignatureVerificationError):\n        abort(400)\n    return ''\n",
			map[string]string{}},
	} {
		// The verdict is the whole scan's: drive the analyzer as the
		// engine does (File, then Finish).
		a := New()
		var c finding.Collector
		a.File(context.Background(), &source.File{Rel: "app.py", Data: []byte(tc.src), Size: int64(len(tc.src))}, &c)
		a.Finish(context.Background(), &source.Project{}, &c)
		got := map[string]string{}
		for _, o := range c.Observations {
			if o.State == finding.NotApplicable {
				got[o.Mitigation] = o.Detail
			}
		}
		for id, frag := range tc.want {
			if !strings.Contains(got[id], frag) {
				t.Errorf("%q: %s = %q, want %q", tc.src[:30], id, got[id], frag)
			}
		}
		if len(tc.want) == 0 && len(got) > 0 {
			t.Errorf("verified handler: n/a observations %v", got)
		}
		if _, ok := got[MitigationVerified]; ok && tc.want[MitigationVerified] == "" {
			t.Errorf("%q: a tree with a handler must not call verification n/a", tc.src[:30])
		}
	}
}

// On every fixture app, a finding that says the signing secret can be empty,
// is the wrong kind or is chosen by the request leaves the checklist's
// secret item missing, however many handlers elsewhere take their secret
// from configuration.
func TestSecretFindingsMarkSecretMissing(t *testing.T) {
	apps, _ := filepath.Glob("testdata/*_app")
	sawFromRequest := false
	for _, app := range apps {
		fx, err := expect.Load(app, "webhook/")
		if err != nil {
			t.Fatal(err)
		}
		var c finding.Collector
		Analyze(fx.Project, &c)
		r := &report.Report{Findings: c.Findings, Observations: c.Observations, Analyzers: []string{Name}}
		r.Finalize()
		var secretFindings []string
		for _, f := range c.Findings {
			switch f.RuleID {
			case SecretFromRequest.ID:
				sawFromRequest = true
				fallthrough
			case EmptySecret.ID, WrongSecretKind.ID:
				secretFindings = append(secretFindings, f.RuleID+" at "+f.File)
			}
		}
		for _, st := range r.Checklist[finding.WebhookForgery] {
			if st.Mitigation.ID == MitigationSecret && len(secretFindings) > 0 && st.State != finding.Missing {
				t.Errorf("%s: %s is %s beside %v", app, MitigationSecret, st.State, secretFindings)
			}
		}
	}
	if !sawFromRequest {
		t.Error("no fixture reports webhook/secret-from-request: the test proves nothing")
	}
}
