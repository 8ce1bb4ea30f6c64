package mitigation

import (
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
)

func TestEvaluate(t *testing.T) {
	Register(
		&Mitigation{ID: "t.silent", Threat: finding.WebhookForgery, Title: "silent", CheckedBy: []string{"a"}},
		&Mitigation{ID: "t.evidence", Threat: finding.WebhookForgery, Title: "evidence", CheckedBy: []string{"a"}, NeedsEvidence: true},
		&Mitigation{ID: "t.other", Threat: finding.WebhookForgery, Title: "other", CheckedBy: []string{"b"}},
		&Mitigation{ID: "t.other", Threat: finding.WebhookForgery, Title: "other", CheckedBy: []string{"c"}},
	)
	state := func(ss []Status, id string) finding.MitigationState {
		for _, s := range ss {
			if s.Mitigation.ID == id {
				return s.State
			}
		}
		return "absent"
	}
	ran := map[string]bool{"a": true}
	ss := Evaluate(finding.WebhookForgery, nil, nil, ran)
	if state(ss, "t.silent") != finding.InPlace || state(ss, "t.evidence") != finding.NotChecked || state(ss, "t.other") != finding.NotChecked {
		t.Errorf("no observations: %+v", ss)
	}
	obs := []*finding.Observation{{Mitigation: "t.evidence", State: finding.InPlace, Detail: "seen"}}
	ss = Evaluate(finding.WebhookForgery, obs, map[string][]string{"t.silent": {"x/y at a.py:1"}}, ran)
	if state(ss, "t.silent") != finding.Missing || state(ss, "t.evidence") != finding.InPlace {
		t.Errorf("with evidence: %+v", ss)
	}
	obs = append(obs, &finding.Observation{Mitigation: "t.evidence", State: finding.Missing, Detail: "broken"})
	if state(Evaluate(finding.WebhookForgery, obs, nil, ran), "t.evidence") != finding.Missing {
		t.Error("missing must win over in place")
	}
	if state(Evaluate(finding.WebhookForgery, nil, nil, map[string]bool{"c": true}), "t.other") != finding.InPlace {
		t.Error("CheckedBy must merge across registrations")
	}
}
