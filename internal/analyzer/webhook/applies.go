package webhook

import (
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// applies watches what a scan's webhook analysis reports, so that Finish
// can say which controls the tree gave nothing to check: with no webhook
// handler none of them; with handlers but no verification anywhere, not the
// secret, the replay window, the raw body or the failure path of a
// verification that does not exist. Decided on the whole scan's results
// (files are analysed one by one, then together), never per file. Findings
// and in-place observations win over these in the checklist, so they only
// speak where nothing else did.
type applies struct {
	sink finding.Sink

	mu           sync.Mutex
	handler      bool // a webhook handler was seen (finding or verdict on one)
	verification bool // some verification was seen (any verdict on its details)
}

func (s *applies) Finding(f *finding.Finding) {
	s.mu.Lock()
	s.handler = true
	if r := rules.Lookup(f.RuleID); r != nil && r.MitigationID != "" && r.MitigationID != MitigationVerified {
		s.verification = true
	}
	s.mu.Unlock()
	s.sink.Finding(f)
}

func (s *applies) Observation(o *finding.Observation) {
	s.mu.Lock()
	switch o.Mitigation {
	case MitigationVerified:
		s.handler = true
		if o.State == finding.InPlace {
			s.verification = true // verified directly or by a wrapper
		}
	case MitigationSecret, MitigationReplayWindow, MitigationRawBody, MitigationFailsClosed:
		s.verification = true
	}
	s.mu.Unlock()
	s.sink.Observation(o)
}

func (s *applies) Warning(w *finding.Warning) { s.sink.Warning(w) }

// conclude emits the not-applicable observations.
func (s *applies) conclude() {
	na := func(id, detail string) {
		s.sink.Observation(&finding.Observation{Mitigation: id, State: finding.NotApplicable, Detail: detail})
	}
	switch {
	case !s.handler && !s.verification:
		for _, id := range []string{MitigationVerified, MitigationSecret, MitigationReplayWindow, MitigationRawBody, MitigationFailsClosed} {
			na(id, "no Stripe webhook handler in the scanned tree")
		}
	case !s.verification:
		for _, id := range []string{MitigationSecret, MitigationReplayWindow, MitigationRawBody, MitigationFailsClosed} {
			na(id, "no signature verification call (construct_event / verify_header) in the scanned tree to check")
		}
	}
}
