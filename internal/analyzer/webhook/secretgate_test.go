package webhook

import (
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
	"github.com/stripeguard/stripeguard/internal/rules"
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
