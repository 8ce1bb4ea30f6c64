package probe

import (
	"fmt"
	"strings"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

// Role says how the result of a case is read.
type Role int

const (
	// Forgery: a delivery without a valid signature. A 2xx shows the
	// endpoint does not verify; rejecting it is evidence that it does.
	Forgery Role = iota + 1
	// Weakness: a delivery only a misconfigured verifier accepts (empty key,
	// stale, v0, future, replay). When the endpoint accepts forgeries these
	// are implied and not reported separately.
	Weakness
	// Control: the valid delivery; it must be accepted or the run is
	// inconclusive.
	Control
)

// Delivery is one HTTP request of the battery.
type Delivery struct {
	Body []byte
	// Header is the Stripe-Signature value; "" sends no header.
	Header string
}

// Case is one entry of the battery. The battery is data: adding a case is
// adding a row.
type Case struct {
	Name  string
	Title string
	// NeedsSecret: the case signs with the endpoint's secret (--secret).
	NeedsSecret bool
	Role        Role
	// Rule is what a 2xx answer shows (nil for the control).
	Rule *rules.Rule
	// MustReject: a correct Stripe verifier rejects this delivery, so it
	// counts for the fails-closed (4xx) evidence.
	MustReject bool
	// Build makes the delivery; s holds the secret, the clock and the
	// deliveries already sent (the replay resends the control's).
	Build func(s *state) Delivery
}

// state is what Build functions share during one run.
type state struct {
	secret      string
	wrongSecret string
	now         int64
	newID       func() string
	sent        map[string]Delivery
}

// event is a realistic checkout.session.completed event (test mode) with a
// fresh id. amount lets the tampered case change the body after signing.
func (s *state) event(t int64, amount int) []byte {
	id := s.newID()
	return fmt.Appendf(nil, `{"id":"evt_stripeguard_probe_%s","object":"event","api_version":"2022-11-15","created":%d,"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"checkout.session.completed","data":{"object":{"id":"cs_test_stripeguard_probe_%s","object":"checkout.session","amount_total":%d,"currency":"usd","mode":"payment","payment_status":"paid","status":"complete"}}}`, id, t, id, amount)
}

func v1(t int64, sig string) string { return fmt.Sprintf("t=%d,v1=%s", t, sig) }

// signed returns a fresh event signed at time t with secret.
func (s *state) signed(t int64, secret string) Delivery {
	body := s.event(t, 2000)
	return Delivery{Body: body, Header: v1(t, webhooksig.Sign(secret, t, body))}
}

const (
	day  = 24 * 60 * 60
	tenM = 10 * 60
)

// Battery is every case, in the order they are sent. The replay must follow
// the control.
var Battery = []Case{
	{
		Name: "unsigned", Title: "no Stripe-Signature header", Role: Forgery, MustReject: true,
		Rule:  webhook.UnverifiedPayload,
		Build: func(s *state) Delivery { return Delivery{Body: s.event(s.now, 2000)} },
	},
	{
		Name: "garbage-header", Title: "Stripe-Signature that is not a signature", Role: Forgery, MustReject: true,
		Rule: webhook.UnverifiedPayload,
		Build: func(s *state) Delivery {
			return Delivery{Body: s.event(s.now, 2000), Header: "stripeguard-probe-not-a-signature"}
		},
	},
	{
		Name: "wrong-secret", Title: "v1 signature made with a random secret", Role: Forgery, MustReject: true,
		Rule:  webhook.UnverifiedPayload,
		Build: func(s *state) Delivery { return s.signed(s.now, s.wrongSecret) },
	},
	{
		Name: "v0-only", Title: "only a v0 signature (random secret)", Role: Forgery, MustReject: true,
		Rule: webhook.UnverifiedPayload,
		Build: func(s *state) Delivery {
			body := s.event(s.now, 2000)
			return Delivery{Body: body, Header: fmt.Sprintf("t=%d,v0=%s", s.now, webhooksig.Sign(s.wrongSecret, s.now, body))}
		},
	},
	{
		Name: "non-ascii-signature", Title: "v1 signature with a non-ASCII character", Role: Forgery, MustReject: true,
		Rule: webhook.UnverifiedPayload,
		Build: func(s *state) Delivery {
			return Delivery{Body: s.event(s.now, 2000), Header: v1(s.now, "é"+strings.Repeat("0", 63))}
		},
	},
	{
		Name: "empty-key", Title: "v1 signature made with an empty secret", Role: Weakness, MustReject: true,
		Rule:  webhook.EmptySecret,
		Build: func(s *state) Delivery { return s.signed(s.now, "") },
	},
	{
		Name: "valid", Title: "valid delivery signed with --secret (control)", NeedsSecret: true, Role: Control,
		Build: func(s *state) Delivery { return s.signed(s.now, s.secret) },
	},
	{
		Name: "replay", Title: "the valid delivery sent again, byte for byte", NeedsSecret: true, Role: Weakness,
		Rule:  ReplayAccepted,
		Build: func(s *state) Delivery { return s.sent["valid"] },
	},
	{
		Name: "tampered-body", Title: "body changed after signing with --secret", NeedsSecret: true, Role: Forgery, MustReject: true,
		Rule: webhook.UnverifiedPayload,
		Build: func(s *state) Delivery {
			d := s.signed(s.now, s.secret)
			d.Body = []byte(strings.Replace(string(d.Body), `"amount_total":2000`, `"amount_total":1`, 1))
			return d
		},
	},
	{
		Name: "v0-downgrade", Title: "only a v0 signature made with --secret", NeedsSecret: true, Role: Weakness, MustReject: true,
		Rule: DowngradeV0,
		Build: func(s *state) Delivery {
			body := s.event(s.now, 2000)
			return Delivery{Body: body, Header: fmt.Sprintf("t=%d,v0=%s", s.now, webhooksig.Sign(s.secret, s.now, body))}
		},
	},
	{
		Name: "stale-10m", Title: "signed with --secret 10 minutes ago", NeedsSecret: true, Role: Weakness, MustReject: true,
		Rule:  webhook.ReplayWindowDisabled,
		Build: func(s *state) Delivery { return s.signed(s.now-tenM, s.secret) },
	},
	{
		Name: "stale-1d", Title: "signed with --secret 1 day ago", NeedsSecret: true, Role: Weakness, MustReject: true,
		Rule:  webhook.ReplayWindowDisabled,
		Build: func(s *state) Delivery { return s.signed(s.now-day, s.secret) },
	},
	{
		Name: "future-1d", Title: "signed with --secret, dated 1 day in the future", NeedsSecret: true, Role: Weakness,
		Rule:  FutureTimestamp,
		Build: func(s *state) Delivery { return s.signed(s.now+day, s.secret) },
	},
}
