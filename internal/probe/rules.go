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
		Description:  "The endpoint answered a malformed or forged delivery with a server error. It failed closed, but the exception escaped the handler: stripe-python raises TypeError (not SignatureVerificationError) for a non-ASCII v1 signature and ValueError for bodies that are not UTF-8 JSON. Stripe retries 5xx answers, logs fill with tracebacks, and anyone can trigger them.",
		Mitigation:   "Catch every error of verification (stripe.error.SignatureVerificationError, ValueError, TypeError) and answer 400.",
		MitigationID: webhook.MitigationFailsClosed,
		Vulnerable:   "except stripe.error.SignatureVerificationError:\n    return '', 400",
		Fixed:        "except (stripe.error.SignatureVerificationError, ValueError, TypeError):\n    return '', 400",
	}
	ReplayAccepted = &rules.Rule{
		ID: "probe/replay-accepted", Threat: finding.WebhookForgery, Severity: finding.Medium,
		Name:         "Identical delivery accepted twice",
		Description:  "The endpoint accepted the same signed delivery (same event id, same signature) a second time. The signature stays valid for the whole 300 s tolerance, and Stripe itself redelivers events, so an app that does not remember processed event ids can fulfil an order twice. The probe only sees the status: an app that de-duplicates and still answers 2xx to the duplicate (which Stripe recommends) looks the same, so confirm in the code.",
		Mitigation:   "Record processed event.id values (e.g. a unique column) and skip an event seen before, still answering 2xx.",
		MitigationID: MitigationIdempotent,
		Vulnerable:   "event = stripe.Webhook.construct_event(...)\nfulfil(event)",
		Fixed:        "event = stripe.Webhook.construct_event(...)\nif not seen_before(event.id):\n    fulfil(event)",
		HelpURI:      "https://docs.stripe.com/webhooks#handle-duplicate-events",
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
	mitigation.Register(&mitigation.Mitigation{ID: MitigationIdempotent, Threat: finding.WebhookForgery, Title: "Processed event ids are remembered, so a replayed or redelivered event is not processed twice", CheckedBy: []string{Name}})
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
