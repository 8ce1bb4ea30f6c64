package webhook

import (
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Mitigation ids of the webhook-forgery checklist. The static analysis
// (this package) and the runtime probe (internal/probe) both decide them.
const (
	MitigationVerified     = "webhook.signature-verified"
	MitigationSecret       = "webhook.secret-managed"
	MitigationReplayWindow = "webhook.replay-window"
	MitigationRawBody      = "webhook.raw-body"
	MitigationFailsClosed  = "webhook.fails-closed"
	MitigationRuntimeGuard = "webhook.runtime-guard"
	// MitigationIdempotent: processed event ids are recorded before side
	// effects (decided here from the code, by the probe from a replay).
	MitigationIdempotent = "webhook.idempotent-processing"
)

func init() {
	mitigation.Register(
		&mitigation.Mitigation{ID: MitigationVerified, Threat: finding.WebhookForgery, Title: "Every webhook handler verifies the Stripe-Signature (construct_event / verify_header) before acting", CheckedBy: []string{"webhook", "probe"}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationSecret, Threat: finding.WebhookForgery, Title: "The signing secret is a whsec_ value from the environment or a secret manager, never empty", CheckedBy: []string{"webhook", "probe"}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationReplayWindow, Threat: finding.WebhookForgery, Title: "Stale signatures are rejected (tolerance kept at 300 s)", CheckedBy: []string{"webhook", "probe"}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationRawBody, Threat: finding.WebhookForgery, Title: "The raw request bytes are verified, not a re-serialised body", CheckedBy: []string{"webhook"}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationFailsClosed, Threat: finding.WebhookForgery, Title: "A failed verification stops processing and answers 4xx", CheckedBy: []string{"webhook", "probe"}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationIdempotent, Threat: finding.WebhookForgery, Title: "Processed event ids are remembered, so a replayed or redelivered event is not processed twice", CheckedBy: []string{"webhook"}, NeedsEvidence: true},
	)
	rules.Register(Rules...)
}

// Rules of the webhook-forgery threat. The probe reports with the same ids
// where a live endpoint shows the same weakness.
var Rules = []*rules.Rule{
	UnverifiedPayload, OptionalVerification, SwallowedError, EmptySecret, WrongSecretKind,
	SecretFromRequest, ReplayWindowDisabled, BodyNotRaw, HandRolled, RefetchUnverified,
	ErrorUnhandled, HeaderNoDefault, FailureAnswered2xx, FailureAnswered5xx, DevOnlyFallback,
}

var (
	UnverifiedPayload = &rules.Rule{
		ID: "webhook/unverified-payload", Threat: finding.WebhookForgery, Severity: finding.Critical,
		Name:         "Webhook payload trusted without signature verification",
		Description:  "The handler acts on the posted event (json.loads(request.data), request.json / get_json(), await request.json(), DRF request.data, a FastAPI body parameter, Event.construct_from, construct_event_without_verification) without verifying the Stripe-Signature header on any path — a verification call in a comment, in dead code or in a decorator applied above the route registration does not count — so anyone who can reach the endpoint can forge events such as checkout.session.completed or invoice.paid.",
		Mitigation:   "Verify every delivery with stripe.Webhook.construct_event(raw_body, request.headers['Stripe-Signature'], endpoint_secret) before using it, and answer 400 when it raises.",
		MitigationID: MitigationVerified,
		Vulnerable:   "event = json.loads(request.data)\nif event['type'] == 'checkout.session.completed': fulfil(event)",
		Fixed:        "event = stripe.Webhook.construct_event(request.data, request.headers['Stripe-Signature'], os.environ['STRIPE_WEBHOOK_SECRET'])",
	}
	OptionalVerification = &rules.Rule{
		ID: "webhook/optional-verification", Threat: finding.WebhookForgery, Severity: finding.High,
		Name:         "Signature verification can be skipped",
		Description:  "Verification runs only under a condition (a secret is configured, the header is present, DEBUG, ALLOW_UNSIGNED, a test event id); otherwise the payload is trusted. Stripe's own quickstart has this shape; in production a missing setting silently turns verification off.",
		Mitigation:   "Make verification unconditional; fail start-up when the signing secret is missing instead of falling back to the unverified payload.",
		MitigationID: MitigationVerified,
		Vulnerable:   "if endpoint_secret:\n    event = stripe.Webhook.construct_event(payload, sig, endpoint_secret)\nelse:\n    event = json.loads(payload)",
		Fixed:        "event = stripe.Webhook.construct_event(payload, sig, endpoint_secret)  # secret required at start-up",
	}
	SwallowedError = &rules.Rule{
		ID: "webhook/swallowed-verification-error", Threat: finding.WebhookForgery, Severity: finding.High,
		Name:         "Verification failure swallowed",
		Description:  "SignatureVerificationError is caught and only logged or ignored, and the handler goes on to process the payload, so a forged request is processed anyway.",
		Mitigation:   "Return a 400 response (or re-raise) from the except block; never continue with the unverified payload.",
		MitigationID: MitigationFailsClosed,
		Vulnerable:   "try:\n    event = stripe.Webhook.construct_event(payload, sig, secret)\nexcept stripe.error.SignatureVerificationError:\n    log.warning('bad signature')\nhandle(json.loads(payload))",
		Fixed:        "except stripe.error.SignatureVerificationError:\n    return '', 400",
	}
	EmptySecret = &rules.Rule{
		ID: "webhook/empty-secret", Threat: finding.WebhookForgery, Severity: finding.High,
		Name:         "Webhook signing secret can be empty",
		Description:  "The secret comes from a lookup with an empty default (os.environ.get('X', ''), getattr(settings, 'X', '')) or is a placeholder (the bare prefix whsec_, whsec_..., whsec_123, as a default or a literal). stripe-python computes the HMAC with whatever key it gets, so when the setting is missing anyone can sign valid events (with an empty key, or with a placeholder printed in the code). A check that refuses the empty value before verification (if not secret: abort(500), a start-up raise in the settings module) is not reported; throwaway values in test code are not either.",
		Mitigation:   "Read the secret with os.environ['STRIPE_WEBHOOK_SECRET'] (fails when missing) and check it starts with whsec_ at start-up.",
		MitigationID: MitigationSecret,
		Vulnerable:   "endpoint_secret = os.environ.get('STRIPE_WEBHOOK_SECRET', '')",
		Fixed:        "endpoint_secret = os.environ['STRIPE_WEBHOOK_SECRET']",
	}
	WrongSecretKind = &rules.Rule{
		ID: "webhook/wrong-secret-kind", Threat: finding.WebhookForgery, Severity: finding.High,
		Name:         "Wrong value used as the webhook signing secret",
		Description:  "The secret passed to construct_event is stripe.api_key, an sk_/rk_/pk_ key or a literal that does not start with whsec_. Verification then never succeeds for real deliveries, which invites disabling it, or it uses a value that is not secret at all (pk_).",
		Mitigation:   "Pass the endpoint's signing secret (whsec_…) from the Stripe dashboard or `stripe listen`, read from the environment.",
		MitigationID: MitigationSecret,
		Vulnerable:   "stripe.Webhook.construct_event(payload, sig, stripe.api_key)",
		Fixed:        "stripe.Webhook.construct_event(payload, sig, os.environ['STRIPE_WEBHOOK_SECRET'])",
	}
	SecretFromRequest = &rules.Rule{
		ID: "webhook/secret-from-request", Threat: finding.WebhookForgery, Severity: finding.Critical,
		Name:         "Signing secret chosen by the request",
		Description:  "The secret used to verify is read from the request itself (a header, query parameter or payload field), so the sender picks the key and can sign anything: as bad as no verification.",
		Mitigation:   "Select the secret from server-side configuration only (e.g. per endpoint path), never from request data.",
		MitigationID: MitigationVerified,
		// A secret the request chooses is not one from configuration.
		Contradicts: []string{MitigationSecret},
		Vulnerable:  "secret = request.headers['X-Webhook-Secret']\nstripe.Webhook.construct_event(payload, sig, secret)",
		Fixed:       "stripe.Webhook.construct_event(payload, sig, settings.STRIPE_WEBHOOK_SECRET)",
	}
	ReplayWindowDisabled = &rules.Rule{
		ID: "webhook/replay-window-disabled", Threat: finding.WebhookForgery, Severity: finding.Medium,
		Name:         "Replay protection disabled",
		Description:  "The timestamp check is off: tolerance=None or tolerance=0 (both falsy, so stripe-python skips the check), a very large tolerance, or WebhookSignature.verify_header called without a tolerance (its default is None). A captured delivery can be replayed forever.",
		Mitigation:   "Keep the default tolerance (300 s) of construct_event, or pass tolerance=300 to verify_header; also de-duplicate on event.id.",
		MitigationID: MitigationReplayWindow,
		Vulnerable:   "stripe.WebhookSignature.verify_header(payload, sig, secret)",
		Fixed:        "stripe.WebhookSignature.verify_header(payload, sig, secret, tolerance=300)",
	}
	BodyNotRaw = &rules.Rule{
		ID: "webhook/body-not-raw", Threat: finding.WebhookForgery, Severity: finding.Medium,
		Name:         "Verification over a re-serialised body",
		Description:  "The payload passed to verification is not the raw request bytes (json.dumps(request.json), str(...), DRF request.data, request.body() without await). Signatures then fail for real deliveries, which pushes teams to disable verification.",
		Mitigation:   "Pass the raw bytes: Flask request.get_data(), Django request.body, FastAPI/Starlette await request.body().",
		MitigationID: MitigationRawBody,
		Vulnerable:   "stripe.Webhook.construct_event(json.dumps(request.json), sig, secret)",
		Fixed:        "stripe.Webhook.construct_event(request.get_data(), sig, secret)",
	}
	HandRolled = &rules.Rule{
		ID: "webhook/hand-rolled-verification", Threat: finding.WebhookForgery, Severity: finding.High,
		Name:         "Hand-rolled signature check",
		Description:  "The handler computes the HMAC itself and compares it with == (not constant time, leaks the signature byte by byte) or never checks the timestamp (replayable).",
		Mitigation:   "Use stripe.Webhook.construct_event; if you must verify by hand, use hmac.compare_digest and reject timestamps older than 300 s.",
		MitigationID: MitigationVerified,
		Vulnerable:   "if hmac.new(secret, signed, sha256).hexdigest() == sig: ...",
		Fixed:        "event = stripe.Webhook.construct_event(payload, sig_header, secret)",
	}
	RefetchUnverified = &rules.Rule{
		ID: "webhook/refetch-unverified", Threat: finding.WebhookForgery, Severity: finding.Low,
		Name:         "Unsigned payload, event re-fetched from the API",
		Description:  "The handler does not verify the signature but only takes the event id from the payload (and livemode or account, which select how to fetch it; logging the payload is allowed) and re-fetches the event with stripe.Event.retrieve, directly or through a helper. Forgery is not possible, but anyone can make the app call Stripe (cost, rate limits).",
		Mitigation:   "Also verify the signature so that unauthenticated requests are rejected before any API call.",
		MitigationID: MitigationVerified,
		Vulnerable:   "event = stripe.Event.retrieve(json.loads(request.data)['id'])",
		Fixed:        "event = stripe.Webhook.construct_event(request.data, sig, secret)",
	}
	ErrorUnhandled = &rules.Rule{
		ID: "webhook/verification-error-unhandled", Threat: finding.WebhookForgery, Severity: finding.Low,
		Name:         "Malformed payload answered with 500",
		Description:  "Only SignatureVerificationError is caught; construct_event also raises ValueError for bad JSON or bodies that are not UTF-8, which escapes as HTTP 500 (fails closed, but noisy and makes Stripe retry).",
		Mitigation:   "Catch ValueError as well and answer 400.",
		MitigationID: MitigationFailsClosed,
		Vulnerable:   "except stripe.error.SignatureVerificationError:\n    return '', 400",
		Fixed:        "except (ValueError, stripe.error.SignatureVerificationError):\n    return '', 400",
	}
	HeaderNoDefault = &rules.Rule{
		ID: "webhook/signature-header-no-default", Threat: finding.WebhookForgery, Severity: finding.Low,
		Name:         "Missing Stripe-Signature header raises",
		Description:  "request.META['HTTP_STRIPE_SIGNATURE'] (or headers['Stripe-Signature']) raises KeyError when the header is absent, so unsigned requests get HTTP 500 instead of 400.",
		Mitigation:   "Use request.META.get('HTTP_STRIPE_SIGNATURE') / request.headers.get('Stripe-Signature') and let construct_event reject a missing value.",
		MitigationID: MitigationFailsClosed,
		Vulnerable:   "sig = request.META['HTTP_STRIPE_SIGNATURE']",
		Fixed:        "sig = request.META.get('HTTP_STRIPE_SIGNATURE')",
	}
	FailureAnswered2xx = &rules.Rule{
		ID: "webhook/failure-answered-2xx", Threat: finding.WebhookForgery, Severity: finding.Low,
		Name:         "Verification failure answered with 2xx",
		Description:  "The except block returns a 2xx status, so Stripe's dashboard never shows failing deliveries and misconfiguration (wrong secret) goes unnoticed.",
		Mitigation:   "Answer 400 when verification fails.",
		MitigationID: MitigationFailsClosed,
		Vulnerable:   "except stripe.error.SignatureVerificationError:\n    return jsonify(ok=True), 200",
		Fixed:        "except stripe.error.SignatureVerificationError:\n    return jsonify(error='bad signature'), 400",
	}
	FailureAnswered5xx = &rules.Rule{
		ID: "webhook/failure-answered-5xx", Threat: finding.WebhookForgery, Severity: finding.Low,
		Name:         "Failed verification answered with 5xx",
		Description:  "A failed verification leaves the handler (or the permission class, decorator, dependency or middleware that verifies) as an exception: no except clause catches SignatureVerificationError, the except block re-raises it, or a Flask view returns the exception object (a TypeError). Every forged or malformed delivery is then answered 500: it fails closed, but Stripe retries 5xx answers for up to three days, real failures drown in tracebacks, and anyone can make the endpoint error. Most of Stripe's sample servers have this shape.",
		Mitigation:   "Catch stripe.error.SignatureVerificationError and ValueError around construct_event and return 400.",
		MitigationID: MitigationFailsClosed,
		Vulnerable:   "try:\n    event = stripe.Webhook.construct_event(payload, sig, secret)\nexcept stripe.error.SignatureVerificationError as e:\n    raise e",
		Fixed:        "except (ValueError, stripe.error.SignatureVerificationError):\n    return '', 400",
	}
	DevOnlyFallback = &rules.Rule{
		ID: "webhook/dev-only-unverified", Threat: finding.WebhookForgery, Severity: finding.Low,
		Name:         "Unverified fallback for development or tests",
		Description:  "The handler accepts unsigned deliveries only when the code shows it runs in development or tests (a TESTING or TEST_SUITE flag, not PRODUCTION, an environment named development, a DEBUG setting derived from one, or an assert that the app is not in production). It is not reachable in a correctly configured production, so it is low, but a misconfigured flag turns it into forgeable webhooks, and assert statements are removed when Python runs with -O.",
		Mitigation:   "Verify in every environment (use `stripe listen` or a test secret to sign local deliveries); if a bypass must exist, raise at start-up when it is enabled in production instead of relying on assert.",
		MitigationID: MitigationVerified,
		Vulnerable:   "if settings.TESTING:\n    event = json.loads(request.body)\nelse:\n    event = stripe.Webhook.construct_event(request.body, sig, secret)",
		Fixed:        "event = stripe.Webhook.construct_event(request.body, sig, secret)  # tests sign with a test secret",
	}
)
