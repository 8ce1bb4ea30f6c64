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
	// Silence is in place only for a control that needs no evidence; one
	// that does is "nothing applies"; one whose analyzer did not run is not
	// checked.
	if state(ss, "t.silent") != finding.InPlace || state(ss, "t.evidence") != finding.NotApplicable || state(ss, "t.other") != finding.NotChecked {
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

// Each undecided state comes from its own kind of evidence, in a fixed
// precedence: missing > in place > no data > not applicable.
func TestEvaluateStates(t *testing.T) {
	Register(&Mitigation{ID: "s.x", Threat: finding.MaliciousPackage, Title: "x", CheckedBy: []string{"a"}, NeedsEvidence: true})
	ran := map[string]bool{"a": true}
	get := func(obs []*finding.Observation, missing map[string][]string) Status {
		for _, s := range Evaluate(finding.MaliciousPackage, obs, missing, ran) {
			if s.Mitigation.ID == "s.x" {
				return s
			}
		}
		t.Fatal("s.x absent")
		return Status{}
	}
	na := &finding.Observation{Mitigation: "s.x", State: finding.NotApplicable, Detail: "no stripe dependency"}
	nd := &finding.Observation{Mitigation: "s.x", State: finding.NoData, Detail: "advisory data unreadable"}
	in := &finding.Observation{Mitigation: "s.x", State: finding.InPlace, Detail: "seen", File: "a.py", Line: 3}
	for _, tc := range []struct {
		obs     []*finding.Observation
		missing map[string][]string
		want    finding.MitigationState
		ev      string
	}{
		{nil, nil, finding.NotApplicable, NothingApplies},
		{[]*finding.Observation{na}, nil, finding.NotApplicable, "no stripe dependency"},
		{[]*finding.Observation{na, nd}, nil, finding.NoData, "advisory data unreadable"},
		{[]*finding.Observation{na, nd, in}, nil, finding.InPlace, "seen (a.py:3)"},
		{[]*finding.Observation{na, nd, in}, map[string][]string{"s.x": {"r/x at b.py:1"}}, finding.Missing, "r/x at b.py:1"},
	} {
		st := get(tc.obs, tc.missing)
		if st.State != tc.want || len(st.Evidence) != 1 || st.Evidence[0] != tc.ev {
			t.Errorf("%d observations: %s %v, want %s %q", len(tc.obs), st.State, st.Evidence, tc.want, tc.ev)
		}
	}
}
