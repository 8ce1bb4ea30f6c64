package probe

import (
	"slices"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Name is the analyzer name the probe puts in Report.Analyzers and in the
// CheckedBy of the mitigations it decides.
const Name = "probe"

// WarnInconclusive is the warning kind for a run whose results cannot be
// trusted (the valid control was rejected, every delivery got 404, ...).
const WarnInconclusive = "inconclusive"

// Rules the probe reports that have no static equivalent. Where a live
// endpoint shows the same weakness as the static check, the probe reports the
// webhook/... rule instead (see the battery).
var Rules = []*rules.Rule{FutureTimestamp, ServerError, ReplayAccepted, DowngradeV0}

var (
	// FutureTimestamp is info: no Stripe SDK bounds future timestamps, and a
	// future-dated signature can only be made by someone who holds the
	// signing secret, so accepting one only matters if the secret leaked.
	FutureTimestamp = &rules.Rule{
		ID: "probe/future-timestamp-accepted", Threat: finding.WebhookForgery, Severity: finding.Info,
		Name:        "Future-dated signature accepted",
		Description: "The endpoint accepted a correctly signed delivery whose timestamp is a day in the future. No Stripe SDK checks for future timestamps (stripe-python, stripe-go and stripe-node all accept them), and only a holder of the signing secret can produce one, so this is information: it matters only if the secret leaked, because such a delivery stays inside the replay window for longer than 300 s.",
		Mitigation:  "Nothing is required. A runtime guard in front of the app can also reject timestamps more than a minute in the future.",
		Vulnerable:  "stripe.Webhook.construct_event(payload, sig, secret)  # no upper bound on t",
		Fixed:       "if int(t) > time.time() + 60: return '', 400  # optional, before construct_event",
	}
	ServerError = &rules.Rule{
		ID: "probe/server-error", Threat: finding.WebhookForgery, Severity: finding.Low,
		Name:         "Malformed delivery answered with 5xx",
		Description:  "The endpoint answered malformed or forged deliveries with a server error (one finding lists every delivery so answered). It failed closed, but the exception escaped the handler: stripe-python raises TypeError (not SignatureVerificationError) for a non-ASCII v1 signature, even in a handler written as Stripe's docs show, and ValueError for bodies that are not UTF-8 JSON. Stripe retries 5xx answers, logs fill with tracebacks, and anyone can trigger them.",
		Mitigation:   "Catch every error of verification (stripe.error.SignatureVerificationError, ValueError, TypeError) and answer 400.",
		MitigationID: webhook.MitigationFailsClosed,
		Vulnerable:   "except stripe.error.SignatureVerificationError:\n    return '', 400",
		Fixed:        "except (stripe.error.SignatureVerificationError, ValueError, TypeError):\n    return '', 400",
	}
	// ReplayAccepted is information: answering 2xx to a duplicate is what
	// Stripe asks for (it retries anything else), and the probe cannot see
	// whether the app processed the duplicate again. It names no
	// mitigation, so the idempotency item stays unproven rather than
	// missing.
	ReplayAccepted = &rules.Rule{
		ID: "probe/replay-accepted", Threat: finding.WebhookForgery, Severity: finding.Info,
		Name:        "Identical delivery answered 2xx twice",
		Description: "The endpoint answered 2xx to the same signed delivery (same event id, same signature) sent a second time within the 300 s tolerance. That is the right answer when the app de-duplicates (Stripe retries anything but 2xx, and redelivers events itself); it is a problem only if the app processes the event again, which the probe cannot see: only the HTTP status is observable. Check in the code that processed event ids are recorded.",
		Mitigation:  "Record processed event.id values (a unique column, a Redis SETNX) and skip an event seen before, still answering 2xx; or put `stripeguard guard` in front of the endpoint, which does this.",
		Vulnerable:  "event = stripe.Webhook.construct_event(...)\nfulfil(event)",
		Fixed:       "event = stripe.Webhook.construct_event(...)\nif not seen_before(event.id):\n    fulfil(event)\nreturn '', 200",
		HelpURI:     "https://docs.stripe.com/webhooks#handle-duplicate-events",
	}
	DowngradeV0 = &rules.Rule{
		ID: "probe/downgrade-v0-accepted", Threat: finding.WebhookForgery, Severity: finding.High,
		Name:         "v0 signature scheme accepted",
		Description:  "The endpoint rejected a v1 signature made with a wrong secret but accepted a delivery that carries only a v0 signature. v0 is the fake scheme Stripe adds to test-mode events; verifiers must ignore every scheme but v1 (downgrade attack). stripe-python does; a hand-rolled verifier that takes any scheme does not.",
		Mitigation:   "Verify with stripe.Webhook.construct_event, which only considers v1; if you verify by hand, ignore every scheme but v1.",
		MitigationID: webhook.MitigationVerified,
		Vulnerable:   "scheme, sig = header.split(',')[1].split('=')",
		Fixed:        "event = stripe.Webhook.construct_event(payload, sig_header, secret)",
	}
)

// MitigationIdempotent is the control a live replay shows (and `stripeguard
// guard` provides in front of an app); the webhook analyzer decides it
// from the code too.
const MitigationIdempotent = webhook.MitigationIdempotent

// probeMitigations are the webhook-forgery controls a live probe can decide.
var probeMitigations = []string{
	webhook.MitigationVerified, webhook.MitigationSecret,
	webhook.MitigationReplayWindow, webhook.MitigationFailsClosed,
}

func init() {
	// NeedsEvidence: a probe that saw the replay answered 2xx has seen
	// nothing either way; only a rejected replay shows the app remembers.
	mitigation.Register(&mitigation.Mitigation{ID: MitigationIdempotent, Threat: finding.WebhookForgery, Title: "Processed event ids are remembered, so a replayed or redelivered event is not processed twice", CheckedBy: []string{Name}, NeedsEvidence: true})
	rules.Register(Rules...)
	// The webhook package already lists "probe" in CheckedBy; register only
	// what is not there, so that Register's merge adds no duplicates.
	for _, id := range probeMitigations {
		m := mitigation.Lookup(id)
		if m != nil && slices.Contains(m.CheckedBy, Name) {
			continue
		}
		title := id
		if m != nil {
			title = m.Title
		}
		mitigation.Register(&mitigation.Mitigation{ID: id, Threat: finding.WebhookForgery, Title: title, CheckedBy: []string{Name}})
	}
}
