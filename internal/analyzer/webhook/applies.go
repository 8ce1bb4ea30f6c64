package webhook

import (
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
)

// nothingApplies says, for the checklist, which controls the tree gives
// nothing to check: with no webhook handler none of them; with handlers but
// no construct_event / verify_header call, not the secret, the replay
// window, the raw body or the failure path of a verification that does not
// exist. Findings and in-place observations win over these in the
// checklist, so they only speak where nothing else did.
func (a *analysis) nothingApplies() {
	calls := 0
	a.forEachVerifyCall(func(*pyast.Module, *pyast.Func, *pyast.Node, string) { calls++ })
	sawHandler := a.count > 0
	for id := range a.observed {
		if strings.HasPrefix(id, MitigationVerified+"\x00") {
			sawHandler = true
		}
	}
	na := func(id, detail string) {
		a.sink.Observation(&finding.Observation{Mitigation: id, State: finding.NotApplicable, Detail: detail})
	}
	if !sawHandler && calls == 0 {
		for _, id := range []string{MitigationVerified, MitigationSecret, MitigationReplayWindow, MitigationRawBody, MitigationFailsClosed} {
			na(id, "no Stripe webhook handler in the scanned tree")
		}
		return
	}
	if calls == 0 {
		for _, id := range []string{MitigationSecret, MitigationReplayWindow, MitigationRawBody, MitigationFailsClosed} {
			na(id, "no signature verification call (construct_event / verify_header) in the scanned tree to check")
		}
	}
}
