package mitigation

import "github.com/stripeguard/stripeguard/internal/finding"

// KeysNotInApp is the strongest key-exposure control: the application holds
// only a `stripeguard broker` token (sk_broker_…) and reaches Stripe through
// the broker, which holds the key. The codekeys analyzer marks it in place
// when every Stripe key the code configures is a broker token and the
// library's API base points away from api.stripe.com, and missing when the
// app is set up for the broker but some code path still gets a real key.
const KeysNotInApp = "keys.never-in-application"

func init() {
	Register(&Mitigation{ID: KeysNotInApp, Threat: finding.KeyExposure,
		Title:     "Stripe keys never reach the application (it calls Stripe through stripeguard broker with a token)",
		CheckedBy: []string{"codekeys"}, NeedsEvidence: true})
}
