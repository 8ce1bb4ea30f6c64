package broker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPolicyErrors(t *testing.T) {
	tok := `token_sha256 = ["` + HashToken(testToken).String() + `"]`
	cases := map[string]string{
		"unknown key":                  "[app.a]\n" + tok + "\nkey_env = \"K\"\nallow_everything = true",
		"unknown rule key":             "[app.a]\n" + tok + "\nkey_env = \"K\"\n[[app.a.allow]]\nroute = \"GET /v1/x\"\nmax_amout = 5",
		"no apps":                      "version = 1",
		"future version":               "version = 2\n[app.a]\n" + tok + "\nkey_env = \"K\"",
		"no key":                       "[app.a]\n" + tok,
		"two key sources":              "[app.a]\n" + tok + "\nkey_env = \"K\"\nkey_file = \"/x\"",
		"key env unset":                "[app.a]\n" + tok + "\nkey_env = \"UNSET\"",
		"key is a token":               "[app.a]\n" + tok + "\nkey_env = \"TOKEN\"",
		"key is not a key":             "[app.a]\n" + tok + "\nkey_env = \"JUNK\"",
		"publishable key":              "[app.a]\n" + tok + "\nkey_env = \"PK\"",
		"no token":                     "[app.a]\nkey_env = \"K\"",
		"bad token hash":               "[app.a]\ntoken_sha256 = [\"abc\"]\nkey_env = \"K\"",
		"real key as token":            "[app.a]\ntoken_env = \"K\"\nkey_env = \"K\"",
		"short token":                  "[app.a]\ntoken_env = \"SHORT\"\nkey_env = \"K\"",
		"shared token":                 "[app.a]\n" + tok + "\nkey_env = \"K\"\n[app.b]\n" + tok + "\nkey_env = \"K\"",
		"bad app name":                 "[app.\"a b\"]\n" + tok + "\nkey_env = \"K\"",
		"bad route":                    "[app.a]\n" + tok + "\nkey_env = \"K\"\n[[app.a.allow]]\nroute = \"PUT /v1/x\"",
		"duplicate route":              "[app.a]\n" + tok + "\nkey_env = \"K\"\n[[app.a.allow]]\nroute = \"GET /v1/x\"\n[[app.a.allow]]\nroute = \"get  /v1/x\"",
		"bad rate":                     "[app.a]\n" + tok + "\nkey_env = \"K\"\nrate = \"fast\"",
		"zero rate":                    "[app.a]\n" + tok + "\nkey_env = \"K\"\nrate = \"0/s\"",
		"burst without rate":           "[app.a]\n" + tok + "\nkey_env = \"K\"\nburst = 3",
		"negative amount":              "[app.a]\n" + tok + "\nkey_env = \"K\"\nmax_amount = -1",
		"bad currency":                 "[app.a]\n" + tok + "\nkey_env = \"K\"\ncurrencies = [\"dollars\"]",
		"empty currency list":          "[app.a]\n" + tok + "\nkey_env = \"K\"\ncurrencies = []",
		"bad account":                  "[app.a]\n" + tok + "\nkey_env = \"K\"\nstripe_accounts = [\"cus_1\"]",
		"bad api version":              "[app.a]\n" + tok + "\nkey_env = \"K\"\napi_versions = [\" 2024-06-20\"]",
		"not TOML":                     "[app.a\n",
		"route outside the Stripe API": "[app.a]\n" + tok + "\nkey_env = \"K\"\n[[app.a.allow]]\nroute = \"GET /healthz\"",
	}
	env := testEnv(map[string]string{"TOKEN": testToken, "JUNK": "hello", "PK": "pk_" + "live_" + "abcdefghijkl", "SHORT": TokenPrefix + "abc"})
	for name, text := range cases {
		if _, err := ParsePolicy([]byte(text), env); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "hello") {
			t.Errorf("%s: the error shows a secret value: %v", name, err)
		}
	}
}

func TestPolicyLoad(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "stripe-key")
	os.WriteFile(keyFile, []byte("\n  "+testKey+"  \n"), 0o644)
	tokFile := filepath.Join(dir, "tokens")
	os.WriteFile(tokFile, []byte("# current and next\n"+testToken+"\n"+testToken2+"\n"), 0o600)
	policy := filepath.Join(dir, "broker.toml")
	os.WriteFile(policy, []byte(`
version = 1
[app.shop]
token_file = "`+tokFile+`"
key_file = "`+keyFile+`"
require_idempotency_key = true
max_amount = 10000
currencies = ["usd", "eur"]
rate = "100/min"
burst = 20
stripe_accounts = ["*"]

[[app.shop.allow]]
route = "POST /v1/payment_intents"
max_amount = 20000      # a rule cannot widen the app's ceiling
currencies = ["eur", "gbp"]
rate = "5/10s"

[[app.shop.allow]]
route = "GET /v1/payment_intents/pi_*"

[app.worker]
token_env = "WORKER_TOKEN"
key_env = "K"
[[app.worker.allow]]
route = "GET /v1/events/*"
`), 0o600)
	p, err := LoadPolicy(policy, testEnv(map[string]string{"WORKER_TOKEN": NewToken()}))
	if err != nil {
		t.Fatal(err)
	}
	shop := p.App("shop")
	if shop == nil || shop.key != testKey || len(shop.tokens) != 2 || !shop.anyAccount || shop.rate.Burst != 20 || shop.rate.Interval() != 600*time.Millisecond {
		t.Fatalf("shop: %+v", shop)
	}
	if p.lookup(testToken) != shop || p.lookup(testToken2) != shop || p.lookup(testKey) != nil {
		t.Error("token lookup")
	}
	r := shop.Rules[0]
	if r.Limits.MaxAmount != 10000 || len(r.Limits.Currencies) != 1 || !r.Limits.Currencies["eur"] || !r.RequireIdem || r.Rate.Interval() != 2*time.Second || r.Rate.Burst != 5 {
		t.Errorf("narrowed rule: %+v %+v", r, r.Limits)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "readable by group or others") {
		t.Errorf("a 0644 key file must be warned about: %v", p.Warnings)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "same Stripe key") {
		t.Errorf("two apps sharing a key must be warned about: %v", p.Warnings)
	}
	if shop.KeyHint() != "sk_test_…0001" {
		t.Errorf("key hint %q", shop.KeyHint())
	}
}

func TestParseRate(t *testing.T) {
	for s, want := range map[string]time.Duration{"50/s": 20 * time.Millisecond, "1000/min": 60 * time.Millisecond, "10/h": 6 * time.Minute,
		"100/d": 864 * time.Second, "5/10s": 2 * time.Second, " 3 / minute ": 20 * time.Second} {
		r, err := ParseRate(s, 0)
		if err != nil || r.Interval() != want {
			t.Errorf("%q: %v %v, want %v", s, r, err, want)
		}
	}
	for _, s := range []string{"", "5", "5/", "5/w", "-1/s", "1.5/s", "5/0s", "2000000/s"} {
		if _, err := ParseRate(s, 0); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || !strings.HasPrefix(a, TokenPrefix) || len(a) != len(TokenPrefix)+43 || CheckToken(a) != nil {
		t.Fatalf("NewToken: %q %q", a, b)
	}
	h := HashToken(a)
	if back, err := ParseTokenHash(h.String()); err != nil || back != h {
		t.Error("hash round trip")
	}
	if back, err := ParseTokenHash("sha256:" + h.String()); err != nil || back != h {
		t.Error("sha256: prefix")
	}
	for _, bad := range []string{testKey, "rk_" + "live_x", "tok_abc", TokenPrefix + "short", TokenPrefix + strings.Repeat("a", 31) + "-"} {
		if CheckToken(bad) == nil {
			t.Errorf("CheckToken(%q) accepted", bad)
		}
	}
}
