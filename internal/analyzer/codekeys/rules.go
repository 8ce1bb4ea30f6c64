package codekeys

import (
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Key-exposure mitigation ids shared with internal/analyzer/secrets
// (mitigation.Register merges CheckedBy when both register them).
const (
	MitigationFromEnvironment  = "keys.from-environment"
	MitigationNoHardcoded      = "keys.no-hardcoded-secrets"
	MitigationNotLogged        = "keys.not-logged"
	MitigationWebhookSecretOff = "keys.webhook-secret-not-committed"
)

func init() {
	mitigation.Register(
		&mitigation.Mitigation{ID: MitigationNoHardcoded, Threat: finding.KeyExposure, Title: "No Stripe secret or restricted key is hard-coded in the repository", CheckedBy: []string{Name}},
		&mitigation.Mitigation{ID: MitigationFromEnvironment, Threat: finding.KeyExposure, Title: "Stripe keys are read from the environment or a secret manager", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationNotLogged, Threat: finding.KeyExposure, Title: "Keys are never logged, printed or returned in responses", CheckedBy: []string{Name}},
		&mitigation.Mitigation{ID: MitigationWebhookSecretOff, Threat: finding.KeyExposure, Title: "The webhook signing secret (whsec_) is not committed", CheckedBy: []string{Name}},
	)
	rules.Register(Rules...)
}

// Rules of the codekeys analyzer.
var Rules = []*rules.Rule{HardcodedKey, EnvDefaultKey, HardcodedWebhookSecret, KeyLogged, KeyInResponse, KeyHeldByApp}

var (
	HardcodedKey = &rules.Rule{
		ID: "codekeys/hardcoded-api-key", Threat: finding.KeyExposure, Severity: finding.Critical,
		Name:         "Stripe API key hard-coded where the client uses it",
		Description:  "A secret (sk_) or restricted (rk_) key literal reaches stripe.api_key, StripeClient(...) or an api_key= argument, directly or through a settings constant. Anyone who can read the code (repository, image, laptop backup) can act on the Stripe account; a test key still exposes test data and webhooks.",
		Mitigation:   "Roll the key in the Stripe dashboard, then read it at start-up from the environment or a secret manager: stripe.api_key = os.environ['STRIPE_SECRET_KEY'].",
		MitigationID: MitigationNoHardcoded,
		Contradicts:  []string{MitigationFromEnvironment},
		Vulnerable:   "stripe.api_key = 'sk_live_…'",
		Fixed:        "stripe.api_key = os.environ['STRIPE_SECRET_KEY']",
	}
	EnvDefaultKey = &rules.Rule{
		ID: "codekeys/key-in-env-default", Threat: finding.KeyExposure, Severity: finding.Critical,
		Name:         "Real key as the default of an environment look-up",
		Description:  "os.getenv('STRIPE_SECRET_KEY', 'sk_live_…') looks configurable but commits the key anyway, and silently uses it wherever the variable is unset.",
		Mitigation:   "Roll the key, drop the default and fail at start-up when the variable is missing: os.environ['STRIPE_SECRET_KEY'].",
		MitigationID: MitigationNoHardcoded,
		Contradicts:  []string{MitigationFromEnvironment},
		Vulnerable:   "stripe.api_key = os.getenv('STRIPE_SECRET_KEY', 'sk_live_…')",
		Fixed:        "stripe.api_key = os.environ['STRIPE_SECRET_KEY']",
	}
	HardcodedWebhookSecret = &rules.Rule{
		ID: "codekeys/hardcoded-webhook-secret", Threat: finding.KeyExposure, Severity: finding.High,
		Name:         "Webhook signing secret hard-coded",
		Description:  "A whsec_ signing secret is written in the code. Whoever reads it can sign forged events that the handler accepts, even though the handler verifies signatures.",
		Mitigation:   "Roll the endpoint secret in the Stripe dashboard and read it from the environment: os.environ['STRIPE_WEBHOOK_SECRET'].",
		MitigationID: MitigationWebhookSecretOff,
		Vulnerable:   "endpoint_secret = 'whsec_…'",
		Fixed:        "endpoint_secret = os.environ['STRIPE_WEBHOOK_SECRET']",
	}
	KeyLogged = &rules.Rule{
		ID: "codekeys/key-logged", Threat: finding.KeyExposure, Severity: finding.High,
		Name:         "Stripe key written to logs or output",
		Description:  "A Stripe secret key or webhook secret is printed, logged or put into an exception message. Logs are shipped to third parties and kept for long; the key leaks with them. A prefix of at most 8 characters (key[:8]) or the last 4 is fine; a part of 9–16 characters (key[:15]) is reported low.",
		Mitigation:   "Log at most the key's prefix (key[:8]) or a fingerprint; never the key itself. Roll any key that reached logs.",
		MitigationID: MitigationNotLogged,
		Vulnerable:   "logger.info(f'using key {stripe.api_key}')",
		Fixed:        "logger.info('using key %s…', stripe.api_key[:8])",
	}
	KeyInResponse = &rules.Rule{
		ID: "codekeys/key-in-response", Threat: finding.KeyExposure, Severity: finding.Critical,
		Name:         "Stripe key returned in an HTTP response",
		Description:  "A handler returns a Stripe secret key or webhook secret to the client (jsonify(stripe.api_key), JsonResponse({...})). Anyone who can call the endpoint gets the key. A part of 9–16 characters (key[:15]) is reported low.",
		Mitigation:   "Return only the publishable key (pk_) to clients; keep secret keys on the server. Roll the exposed key.",
		MitigationID: MitigationNotLogged,
		Vulnerable:   "return jsonify(key=stripe.api_key)",
		Fixed:        "return jsonify(publishable_key=os.environ['STRIPE_PUBLISHABLE_KEY'])",
	}
	KeyHeldByApp = &rules.Rule{
		ID: "codekeys/key-held-by-application", Threat: finding.KeyExposure, Severity: finding.Info,
		Name:         "The application holds its own Stripe secret key",
		Description:  "Even read from the environment or a secret manager, the key sits in the application process: an SSRF that reads the environment, a debug page, a crash dump or a log line hands over the whole key, usable from anywhere until it is rolled. Reported once per scan, as advice, when no stripeguard broker token is configured.",
		Mitigation:   "Run the application behind `stripeguard broker` (docs/broker.md): the app holds an sk_broker_ token that is worthless outside the broker, and the broker injects the key and checks every call against a policy. Meanwhile prefer a restricted key (rk_) with only the permissions the app needs.",
		MitigationID: mitigation.KeysNotInApp,
		Vulnerable:   "stripe.api_key = os.environ['STRIPE_SECRET_KEY']",
		Fixed:        "stripe.api_key = os.environ['STRIPE_BROKER_TOKEN']; stripe.api_base = os.environ['STRIPE_BROKER_URL']",
	}
)
