package broker

import (
	"strings"
	"testing"
)

func TestSplitPath(t *testing.T) {
	ok := []struct {
		raw  string
		segs string // joined with |
	}{
		{"/v1/customers", "v1|customers"},
		{"/v1/customers/cus_123", "v1|customers|cus_123"},
		{"/v1/coupons/SUMMER%20SALE", "v1|coupons|SUMMER SALE"},
		{"/v1/coupons/a+b", "v1|coupons|a+b"},
		{"/v1/prices/price-1.2~x", "v1|prices|price-1.2~x"},
		{"/v1/coupons/%C3%A9t%C3%A9", "v1|coupons|été"},
		{"/v1/x/...a", "v1|x|...a"},
	}
	for _, c := range ok {
		segs, err := SplitPath(c.raw)
		if err != nil || strings.Join(segs, "|") != c.segs {
			t.Errorf("SplitPath(%q) = %q, %v; want %q", c.raw, segs, err, c.segs)
		}
	}
	bad := []string{
		"", "*", "v1/customers", "http://api.stripe.com/v1/customers",
		"/v1//customers", "/v1/customers/", "//v1/customers",
		"/v1/customers/..", "/v1/customers/.", "/v1/customers/../charges", "/v1/./customers",
		"/v1/customers/%2e%2e", "/v1/customers/%2E%2E/charges", "/v1/customers/%2e", "/v1/customers/.%2e",
		"/v1/customers/cus_1%2Fcharges", "/v1/customers/cus_1%2fcharges", "/v1/customers/a%5cb",
		"/v1/customers/%252e%252e", "/v1/customers/a%25", "/v1/customers/a%00b", "/v1/customers/a%0d%0ab",
		"/v1/customers/a%7f", "/v1/customers/a%zz", "/v1/customers/a%2", "/v1/customers/a%",
		"/v1/customers;x=1", "/v1/customers/a\\b", "/v1/customers/a b", "/v1/customers/a@b",
		"/v1/customers/a:b", "/v1/customers/%c0%ae%c0%ae", "/v1/customers/%ff",
		"/" + strings.Repeat("a/", MaxPathLen),
	}
	for _, raw := range bad {
		if segs, err := SplitPath(raw); err == nil {
			t.Errorf("SplitPath(%q) = %q, want an error", raw, segs)
		}
	}
}

func TestRouteMatch(t *testing.T) {
	cases := []struct {
		route, path string
		want        bool
	}{
		{"POST /v1/checkout/sessions", "/v1/checkout/sessions", true},
		{"POST /v1/checkout/sessions", "/v1/checkout/sessions/cs_1", false},
		{"POST /v1/checkout/sessions", "/v1/checkout", false},
		{"GET /v1/events/*", "/v1/events/evt_1", true},
		{"GET /v1/events/*", "/v1/events", false},
		{"GET /v1/events/*", "/v1/events/evt_1/x", false},
		{"GET /v1/customers/cus_*", "/v1/customers/cus_123", true},
		{"GET /v1/customers/cus_*", "/v1/customers/search", false},
		{"GET /v1/customers/cus_*", "/v1/customers/cus_", false},
		{"GET /v1/files/**", "/v1/files/file_1", true},
		{"GET /v1/files/**", "/v1/files/file_1/contents", true},
		{"GET /v1/files/**", "/v1/files", false},
		{"GET /v2/core/events/*", "/v2/core/events/evt_1", true},
		{"GET /v1/Customers", "/v1/customers", false}, // case matters: never widen
	}
	for _, c := range cases {
		r, err := ParseRoute(c.route)
		if err != nil {
			t.Fatal(err)
		}
		segs, err := SplitPath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Match(segs); got != c.want {
			t.Errorf("%s ~ %s = %v, want %v", c.route, c.path, got, c.want)
		}
	}
}

func TestParseRouteErrors(t *testing.T) {
	for _, s := range []string{
		"", "POST", "/v1/customers", "PUT /v1/customers", "PATCH /v1/x", "GET v1/customers", "GET /",
		"GET /v1//x", "GET /v1/**/x", "GET /v1/../x", "GET /v1/a%2fb", "GET /v1/a b", "GET /customers",
		"GET /v3/x", "GET /*/customers", "GET /v1/x/..", "GET /v1/a*b/c", "POST /v1/x extra",
	} {
		if r, err := ParseRoute(s); err == nil {
			t.Errorf("ParseRoute(%q) = %+v, want an error", s, r)
		}
	}
	r, err := ParseRoute("  post   /v1/refunds ")
	if err != nil || r.Method != "POST" || r.Text != "POST /v1/refunds" {
		t.Errorf("normalised route: %+v %v", r, err)
	}
}

func TestMostSpecificRuleWins(t *testing.T) {
	p := mustPolicy(t, `
[app.a]
token_sha256 = ["`+HashToken(testToken).String()+`"]
key_env = "K"
[[app.a.allow]]
route = "POST /v1/customers/*"
max_amount = 1
[[app.a.allow]]
route = "POST /v1/customers/cus_*"
max_amount = 2
[[app.a.allow]]
route = "POST /v1/customers/cus_vip*"
max_amount = 3
[[app.a.allow]]
route = "POST /v1/customers/**"
max_amount = 4
[[app.a.allow]]
route = "POST /v1/customers/search"
max_amount = 5
`)
	a := p.Apps[0]
	for path, want := range map[string]int64{
		"/v1/customers/x": 1, "/v1/customers/cus_1": 2, "/v1/customers/cus_vip1": 3,
		"/v1/customers/cus_1/balance": 4, "/v1/customers/search": 5,
	} {
		segs, _ := SplitPath(path)
		r := a.match("POST", segs)
		if r == nil || r.Limits.MaxAmount != want {
			t.Errorf("%s: rule %+v, want max_amount %d", path, r, want)
		}
	}
	if segs, _ := SplitPath("/v1/customers/x"); a.match("GET", segs) != nil {
		t.Error("method must match")
	}
}
