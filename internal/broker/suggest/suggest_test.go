package suggest

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/broker"
)

var update = flag.Bool("update", false, "rewrite testdata/*.expected.toml")

// The fixture app uses both library styles, aliases, a fetched object's
// method, async calls, a raw request, Connect, v2 services, a webhook
// verification (no API call), a look-alike non-Stripe client and a typo.
// The suggested policy is compared with a reviewed golden file.
func TestSuggestShop(t *testing.T) {
	res, err := Scan(context.Background(), "testdata/shop", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Policy("shop", "testdata/shop")
	golden := "testdata/shop.expected.toml"
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("policy differs from %s (go test -run TestSuggestShop -update to accept):\n%s", golden, got)
	}
	routes := map[string]*Route{}
	for _, r := range res.Routes {
		routes[r.Route] = r
	}
	for _, want := range []string{
		"POST /v1/checkout/sessions", "POST /v1/customers", "GET /v1/customers/*", "POST /v1/customers/*",
		"GET /v1/payment_intents/*", "POST /v1/payment_intents/*/confirm", "POST /v1/refunds", "POST /v1/tax/calculations",
		"POST /v1/subscriptions", "GET /v1/checkout/sessions/*", "GET /v2/core/events", "POST /v2/billing/meter_events",
		"POST /v1/transfers", "GET /v1/balance", "POST /v1/payment_intents",
	} {
		if routes[want] == nil {
			t.Errorf("missing route %s", want)
		}
	}
	if len(routes) != 15 {
		t.Errorf("%d routes, want 15 (a look-alike or vendored call was taken?)", len(routes))
	}
	if r := routes["POST /v1/payment_intents"]; r == nil || !r.AmountDynamic || r.MaxAmount != 2000 || r.CurrencyDynamic || !r.Currencies["eur"] || len(r.Currencies) != 1 {
		t.Errorf("literals through a local and a constant, and a parameter: %+v", r)
	}
	if r := routes["POST /v1/checkout/sessions"]; r == nil || r.MaxAmount != 2000 || r.AmountDynamic || !r.Currencies["usd"] {
		t.Errorf("checkout literals: %+v", r)
	}
	if r := routes["POST /v1/refunds"]; r == nil || !r.AmountDynamic {
		t.Errorf("refund amount is computed: %+v", r)
	}
	if !res.AccountDynamic {
		t.Error("stripe_account=account_id must be seen as Connect")
	}
	if len(res.APIVersions) != 1 || res.APIVersions[0] != "2024-06-20" {
		t.Errorf("api versions %v", res.APIVersions)
	}
	if len(res.Unmapped) != 1 || !strings.Contains(res.Unmapped[0].Text, "frobnicate") {
		t.Errorf("unmapped %+v", res.Unmapped)
	}
}

// The suggested policy is a policy the broker loads, once the token and key
// paths are real, and it allows exactly the routes found.
func TestSuggestedPolicyLoads(t *testing.T) {
	res, err := Scan(context.Background(), "testdata/shop", Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := res.Policy("shop", "testdata/shop")
	text = strings.Replace(text, `token_file = "/run/secrets/shop-broker-token"`, `token_env = "TOK"`, 1)
	text = strings.Replace(text, `key_file = "/run/secrets/shop-stripe-key"`, `key_env = "KEY"`, 1)
	env := map[string]string{"TOK": broker.NewToken(), "KEY": "sk_" + "test_" + "SuggestTestKey000000"}
	p, err := broker.ParsePolicy([]byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	a := p.App("shop")
	if a == nil || len(a.Rules) != len(res.Routes) {
		t.Fatalf("rules: %+v", a)
	}
}

func TestTableCoversCommonCalls(t *testing.T) {
	for key, want := range map[string]string{
		"Customer.create": "POST /v1/customers", "checkout.Session.create": "POST /v1/checkout/sessions",
		"PaymentIntent.capture": "POST /v1/payment_intents/{intent}/capture", "Subscription.cancel": "DELETE /v1/subscriptions/{subscription_exposed_id}",
		"Balance.retrieve": "GET /v1/balance", "Customer.list_payment_methods": "GET /v1/customers/{customer}/payment_methods",
	} {
		if e, ok := resources[key]; !ok || e.method+" "+e.path != want {
			t.Errorf("resource %s: %+v, want %s", key, e, want)
		}
	}
	for key, want := range map[string]string{
		"v1.customers.create": "POST /v1/customers", "v1.checkout.sessions.create": "POST /v1/checkout/sessions",
		"v1.customers.balance_transactions.list": "GET /v1/customers/{customer}/balance_transactions",
		"v2.core.events.retrieve":                "GET /v2/core/events/{id}",
	} {
		if e, ok := services[key]; !ok || e.method+" "+e.path != want {
			t.Errorf("service %s: %+v, want %s", key, e, want)
		}
	}
	if len(resources) < 500 || len(services) < 500 {
		t.Errorf("table too small: %d resources, %d services", len(resources), len(services))
	}
}

func TestSuggestIncludeTests(t *testing.T) {
	res, err := Scan(context.Background(), "testdata/shop", Options{IncludeTests: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range res.Routes {
		found = found || r.Route == "POST /v1/payouts"
	}
	if !found || res.TestFiles != 0 {
		t.Errorf("--include-tests: payouts route %v, test files left out %d", found, res.TestFiles)
	}
}
