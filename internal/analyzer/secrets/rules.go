package secrets

import (
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Mitigation ids of the key-exposure checklist. Other analyzers (Python
// code, git history) register the same ids; mitigation.Register merges who
// checks them.
const (
	MitigationNoHardcoded   = "keys.no-hardcoded-secrets"
	MitigationWebhookSecret = "keys.webhook-secret-not-committed"
	MitigationEnvIgnored    = "keys.env-files-ignored"
	MitigationPermissions   = "keys.file-permissions"
	MitigationFromEnv       = "keys.from-environment"
	MitigationRestricted    = "keys.restricted-keys"
	MitigationNotLogged     = "keys.not-logged"
)

func init() {
	by := []string{Name}
	mitigation.Register(
		&mitigation.Mitigation{ID: MitigationNoHardcoded, Threat: finding.KeyExposure, Title: "No live or test secret key is stored in the repository's files", CheckedBy: by},
		&mitigation.Mitigation{ID: MitigationWebhookSecret, Threat: finding.KeyExposure, Title: "No webhook signing secret (whsec_) is committed", CheckedBy: by},
		&mitigation.Mitigation{ID: MitigationEnvIgnored, Threat: finding.KeyExposure, Title: ".env files holding keys are git-ignored and untracked", CheckedBy: by},
		&mitigation.Mitigation{ID: MitigationPermissions, Threat: finding.KeyExposure, Title: "Local files holding keys (.env, local settings, credentials) are readable by their owner only (chmod 600)", CheckedBy: by},
		&mitigation.Mitigation{ID: MitigationFromEnv, Threat: finding.KeyExposure, Title: "Keys are read from the environment or a secret manager", CheckedBy: by, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationRestricted, Threat: finding.KeyExposure, Title: "Restricted keys (rk_) with least privilege are used instead of the unrestricted secret key", CheckedBy: by, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationNotLogged, Threat: finding.KeyExposure, Title: "Keys never reach logs", CheckedBy: by},
	)
	rules.Register(Rules...)
}

// Rules of the secrets analyzer, one per credential kind plus the
// file-level hygiene rules.
var Rules = []*rules.Rule{
	LiveSecretKey, LiveRestrictedKey, WebhookSigningSecret, TestSecretKey, TestRestrictedKey,
	PublishableKey, DocumentationKey, WorldReadableKeyFile, EnvFileNotIgnored,
}

const rotate = "Roll the key in the Stripe dashboard (Developers > API keys > Roll key) now: removing it from the file does not remove it from git history, copies or images. "

var (
	LiveSecretKey = &rules.Rule{
		ID: "secrets/stripe-live-secret-key", Threat: finding.KeyExposure, Severity: finding.Critical,
		Name:         "Stripe live secret key in a file",
		Description:  "An sk_live_ key grants full access to the live Stripe account: charges, refunds, payouts, customer data. Anyone who can read this file (repository readers, CI logs, image pullers) can use it.",
		Mitigation:   rotate + "Read the key from the environment or a secret manager (os.environ['STRIPE_SECRET_KEY']) and prefer a restricted rk_live_ key with only the permissions the app needs.",
		MitigationID: MitigationNoHardcoded,
		Vulnerable:   "stripe.api_key = \"sk_live_51H…\"",
		Fixed:        "stripe.api_key = os.environ[\"STRIPE_SECRET_KEY\"]",
		HelpURI:      "https://docs.stripe.com/keys-best-practices",
	}
	LiveRestrictedKey = &rules.Rule{
		ID: "secrets/stripe-live-restricted-key", Threat: finding.KeyExposure, Severity: finding.High,
		Name:         "Stripe live restricted key in a file",
		Description:  "An rk_live_ key acts on the live account with the permissions it was granted; often those include creating charges or reading customers.",
		Mitigation:   rotate + "Load it from the environment or a secret manager.",
		MitigationID: MitigationNoHardcoded,
		Vulnerable:   "STRIPE_KEY = \"rk_live_51H…\"",
		Fixed:        "STRIPE_KEY = os.environ[\"STRIPE_RESTRICTED_KEY\"]",
		HelpURI:      "https://docs.stripe.com/keys#limit-access",
	}
	WebhookSigningSecret = &rules.Rule{
		ID: "secrets/stripe-webhook-secret", Threat: finding.KeyExposure, Severity: finding.High,
		Name:         "Stripe webhook signing secret in a file",
		Description:  "A whsec_ secret lets anyone compute valid Stripe-Signature headers, so they can forge events (checkout.session.completed, invoice.paid) that the endpoint will trust.",
		Mitigation:   "Roll the endpoint's signing secret in the Stripe dashboard (Webhooks > endpoint > Roll secret) and read it from the environment (os.environ['STRIPE_WEBHOOK_SECRET']).",
		MitigationID: MitigationWebhookSecret,
		Vulnerable:   "endpoint_secret = \"whsec_…\"",
		Fixed:        "endpoint_secret = os.environ[\"STRIPE_WEBHOOK_SECRET\"]",
		HelpURI:      "https://docs.stripe.com/webhooks#verify-events",
	}
	TestSecretKey = &rules.Rule{
		ID: "secrets/stripe-test-secret-key", Threat: finding.KeyExposure, Severity: finding.Medium,
		Name:         "Stripe test secret key in a file",
		Description:  "An sk_test_ key cannot move real money, but it exposes the test account's data and settings, lets others create objects and webhooks in it, and shows that keys are being hardcoded: the live key often follows the same path.",
		Mitigation:   "Roll the test key in the dashboard and read it from the environment like the live key.",
		MitigationID: MitigationNoHardcoded,
		Vulnerable:   "stripe.api_key = \"sk_test_51H…\"",
		Fixed:        "stripe.api_key = os.environ[\"STRIPE_SECRET_KEY\"]",
	}
	TestRestrictedKey = &rules.Rule{
		ID: "secrets/stripe-test-restricted-key", Threat: finding.KeyExposure, Severity: finding.Medium,
		Name:         "Stripe test restricted key in a file",
		Description:  "An rk_test_ key acts on the test account with its granted permissions; committing it shows keys are hardcoded.",
		Mitigation:   "Roll the key in the dashboard and read it from the environment.",
		MitigationID: MitigationNoHardcoded,
		Vulnerable:   "KEY = \"rk_test_51H…\"",
		Fixed:        "KEY = os.environ[\"STRIPE_RESTRICTED_KEY\"]",
	}
	PublishableKey = &rules.Rule{
		ID: "secrets/stripe-publishable-key", Threat: finding.KeyExposure, Severity: finding.Info,
		Name:        "Stripe publishable key",
		Description: "pk_ keys are meant to be public (they ship to browsers). Reported only with --show-publishable, to inventory which accounts the code talks to.",
		Mitigation:  "Nothing to fix; make sure no secret key sits beside it.",
		Vulnerable:  "STRIPE_PUBLISHABLE_KEY = \"pk_live_…\"",
		Fixed:       "STRIPE_PUBLISHABLE_KEY = \"pk_live_…\"  # public by design",
	}
	DocumentationKey = &rules.Rule{
		ID: "secrets/stripe-documentation-key", Threat: finding.KeyExposure, Severity: finding.Info,
		Name:        "Stripe documentation example key",
		Description: "The key is one Stripe prints in its public API reference. It is not a leak, but code using it was copied from the docs and will not work against your account; the real key is probably configured somewhere else.",
		Mitigation:  "Replace it with a key read from the environment.",
		Vulnerable:  "stripe.api_key = \"sk_test_4eC39…\"",
		Fixed:       "stripe.api_key = os.environ[\"STRIPE_SECRET_KEY\"]",
	}
	WorldReadableKeyFile = &rules.Rule{
		ID: "secrets/world-readable-key-file", Threat: finding.KeyExposure, Severity: finding.Medium,
		Name:         "Local file holding a key is world-readable",
		Description:  "A local file that git does not track and where keys are meant to live (.env, local settings, secrets or credentials files, *.local.* overrides) or a log that caught a key has a mode that lets every local user read it (other-read bit set): other accounts on a shared host, a compromised low-privilege service. Medium for a live key or a webhook signing secret, low for a test key. Files git tracks are not checked: they are in every clone whatever their mode, and the key in them is the finding.",
		Mitigation:   "chmod 600 the file (owner read/write only).",
		MitigationID: MitigationPermissions,
		Vulnerable:   "-rw-r--r--  .env",
		Fixed:        "chmod 600 .env",
	}
	EnvFileNotIgnored = &rules.Rule{
		ID: "secrets/env-file-not-ignored", Threat: finding.KeyExposure, Severity: finding.High,
		Name:         ".env file with keys is committed or not git-ignored",
		Description:  "A dotenv file holding Stripe secrets is tracked by git or not covered by .gitignore, so the next `git add .` publishes it; once committed the keys stay in history.",
		Mitigation:   "Add the file to .gitignore, run `git rm --cached <file>` if it is tracked, roll the keys it held, and commit a .env.example with ${VAR} placeholders instead.",
		MitigationID: MitigationEnvIgnored,
		Vulnerable:   ".env  (tracked)  STRIPE_SECRET_KEY=sk_live_…",
		Fixed:        ".gitignore: .env",
	}
)

// ruleFor maps a credential to its rule.
func ruleFor(c Cred) *rules.Rule {
	switch c {
	case LiveSecret:
		return LiveSecretKey
	case LiveRestricted:
		return LiveRestrictedKey
	case WebhookSecret:
		return WebhookSigningSecret
	case TestSecret:
		return TestSecretKey
	case TestRestricted:
		return TestRestrictedKey
	case LivePublishable, TestPublishable:
		return PublishableKey
	}
	return nil
}

func (c Cred) String() string {
	switch c {
	case LiveSecret:
		return "live secret key"
	case LiveRestricted:
		return "live restricted key"
	case WebhookSecret:
		return "webhook signing secret"
	case TestSecret:
		return "test secret key"
	case TestRestricted:
		return "test restricted key"
	case LivePublishable:
		return "live publishable key"
	case TestPublishable:
		return "test publishable key"
	}
	return "credential"
}
