package broker

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

// An allowed call reaches Stripe with the real key, the raw path and query,
// and only the headers the Stripe API uses; the answer comes back as is.
func TestForwardsAllowedCallWithRealKey(t *testing.T) {
	f := newFakeStripe(t)
	_, s := newTestBroker(t, f, shopPolicy, nil)
	r := do(t, "POST", s.URL+"/v1/customers?expand%5B%5D=sources", "email=a%40b.test&name=Ann",
		append(bearer(testToken),
			"Content-Type", "application/x-www-form-urlencoded",
			"Idempotency-Key", "idem-1",
			"Stripe-Version", "2024-06-20",
			"Stripe-Account", "acct_1Allowed",
			"User-Agent", "Stripe/v1 PythonBindings/5.0.0",
			"X-Stripe-Client-User-Agent", `{"lang":"python"}`,
			"Cookie", "session=secret",
			"X-Forwarded-For", "10.0.0.1",
			"Accept-Encoding", "gzip",
			"Proxy-Authorization", "Basic eDp5",
			"Host", "evil.example")...)
	if r.status != 200 || !strings.Contains(r.body, `"obj_1"`) || r.header.Get("Request-Id") != "req_fake_1" {
		t.Fatalf("allowed call: %d %s %v", r.status, r.body, r.header)
	}
	got := f.requests()
	if len(got) != 1 {
		t.Fatalf("Stripe saw %d requests", len(got))
	}
	g := got[0]
	if g.auth != "Bearer "+testKey {
		t.Errorf("Stripe saw Authorization %q, want the real key", g.auth)
	}
	if g.method != "POST" || g.uri != "/v1/customers?expand%5B%5D=sources" || string(g.body) != "email=a%40b.test&name=Ann" {
		t.Errorf("forwarded %s %s %q", g.method, g.uri, g.body)
	}
	if g.host != strings.TrimPrefix(f.srv.URL, "https://") {
		t.Errorf("Host %q: the client's Host must never be forwarded", g.host)
	}
	for _, h := range []string{"Cookie", "X-Forwarded-For", "Accept-Encoding", "Proxy-Authorization"} {
		if v := g.header.Get(h); v != "" && !(h == "Accept-Encoding" && v == "") {
			t.Errorf("header %s=%q forwarded", h, v)
		}
	}
	for h, want := range map[string]string{"Idempotency-Key": "idem-1", "Stripe-Version": "2024-06-20", "Stripe-Account": "acct_1Allowed",
		"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Stripe/v1 PythonBindings/5.0.0", "X-Stripe-Client-User-Agent": `{"lang":"python"}`} {
		if v := g.header.Get(h); v != want {
			t.Errorf("header %s = %q, want %q", h, v, want)
		}
	}
}

func TestAuthentication(t *testing.T) {
	f := newFakeStripe(t)
	b, s := newTestBroker(t, f, shopPolicy, nil)
	url := s.URL + "/v1/customers/cus_1"
	basic := func(user string) string {
		return "Basic " + b64(user+":")
	}
	cases := []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"no token", nil, 401, CodeNoToken},
		{"wrong token", bearer(TokenPrefix + "NotTheShopsToken0123456789abcdefghijkl"), 401, CodeBadToken},
		{"token with a space", []string{"Authorization", "Bearer " + testToken + " x"}, 401, CodeBadToken},
		{"real live key", bearer("sk_" + "live_" + "SomethingThatLooksReal0000"), 401, CodeRealKey},
		{"real test key", bearer(testKey), 401, CodeRealKey},
		{"restricted key", []string{"Authorization", basic("rk_" + "live_" + "Whatever000000000")}, 401, CodeRealKey},
		{"two Authorization headers", append(bearer(testToken), bearer(testToken)...), 401, CodeBadToken},
		{"good then bad", append(bearer(testToken), bearer("x")...), 401, CodeBadToken},
		{"basic with password", []string{"Authorization", "Basic " + b64(testToken+":pw")}, 401, CodeBadToken},
		{"unknown scheme", []string{"Authorization", "Token " + testToken}, 401, CodeBadToken},
		{"bearer (lower case) is fine", []string{"Authorization", "bearer " + testToken}, 200, ""},
		{"basic like curl -u", []string{"Authorization", basic(testToken)}, 200, ""},
	}
	for _, c := range cases {
		before := len(f.requests())
		r := do(t, "GET", url, "", c.headers...)
		if r.status != c.status || r.err.Code != c.code {
			t.Errorf("%s: %d %q %s, want %d %q", c.name, r.status, r.err.Code, r.body, c.status, c.code)
		}
		forwarded := len(f.requests()) - before
		if (c.status == 200) != (forwarded == 1) {
			t.Errorf("%s: forwarded %d", c.name, forwarded)
		}
		if c.status == 401 && (r.err.Type != "invalid_request_error" || r.header.Get("Stripe-Should-Retry") != "false" || !strings.HasPrefix(r.header.Get("Request-Id"), "req_broker_")) {
			t.Errorf("%s: not Stripe-shaped: %v %s", c.name, r.header, r.body)
		}
	}
	if n := counter(t, b, "stripeguard_broker_real_key_presented_total", nil); n != 3 {
		t.Errorf("real key metric = %v, want 3", n)
	}
}

func b64(s string) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out []byte
	for i := 0; i < len(s); i += 3 {
		var v uint32
		n := 0
		for j := 0; j < 3; j++ {
			v <<= 8
			if i+j < len(s) {
				v |= uint32(s[i+j])
				n++
			}
		}
		for j := 0; j < 4; j++ {
			if j <= n {
				out = append(out, enc[(v>>(18-6*j))&63])
			} else {
				out = append(out, '=')
			}
		}
	}
	return string(out)
}

func TestPolicyDenials(t *testing.T) {
	f := newFakeStripe(t)
	_, s := newTestBroker(t, f, shopPolicy, nil)
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	checkout := func(extra ...string) []string {
		h := append(append(bearer(testToken), form...), "Idempotency-Key", fmt.Sprint(time.Now().UnixNano()))
		return append(h, extra...)
	}
	cases := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		code, param              string
	}{
		{"route not in policy", "POST", "/v1/payouts", "amount=1&currency=usd", append(bearer(testToken), form...), 403, CodeRouteDenied, ""},
		{"method not allowed", "DELETE", "/v1/customers/cus_1", "", bearer(testToken), 403, CodeRouteDenied, ""},
		{"list not allowed", "GET", "/v1/customers", "", bearer(testToken), 403, CodeRouteDenied, ""},
		{"deeper path", "GET", "/v1/customers/cus_1/sources", "", bearer(testToken), 403, CodeRouteDenied, ""},
		{"HEAD", "HEAD", "/v1/customers/cus_1", "", bearer(testToken), 403, "", ""},
		{"allowed amount", "POST", "/v1/checkout/sessions", "mode=payment&line_items[0][price_data][unit_amount]=5000&line_items[0][price_data][currency]=usd", checkout(), 200, "", ""},
		{"amount over", "POST", "/v1/checkout/sessions", "line_items[0][price_data][unit_amount]=5001", checkout(), 403, CodeAmountOver, "line_items.0.price_data.unit_amount"},
		{"amount in the query string", "POST", "/v1/checkout/sessions?amount=999999", "mode=payment", checkout(), 403, CodeAmountOver, "amount"},
		{"second copy of a field", "POST", "/v1/checkout/sessions", "amount=10&amount=999999", checkout(), 403, CodeAmountOver, "amount"},
		{"semicolon separator", "POST", "/v1/checkout/sessions", "mode=payment;amount=999999", checkout(), 403, CodeAmountOver, "amount"},
		{"space after separator", "POST", "/v1/checkout/sessions", "mode=payment& amount=999999", checkout(), 403, CodeAmountOver, "amount"},
		{"encoded field name", "POST", "/v1/checkout/sessions", "am%6Funt=999999", checkout(), 403, CodeAmountOver, "amount"},
		{"leading bracket", "POST", "/v1/checkout/sessions", "[amount]=999999", checkout(), 403, CodeAmountOver, "amount"},
		{"decimal field", "POST", "/v1/checkout/sessions", "line_items[0][price_data][unit_amount_decimal]=5000.01", checkout(), 403, CodeAmountOver, ""},
		{"decimal at the limit", "POST", "/v1/checkout/sessions", "line_items[0][price_data][unit_amount_decimal]=5000.000", checkout(), 200, "", ""},
		{"exponent", "POST", "/v1/checkout/sessions", "amount=1e9", checkout(), 403, CodeAmountBad, ""},
		{"hex", "POST", "/v1/checkout/sessions", "amount=0x10", checkout(), 403, CodeAmountBad, ""},
		{"padded", "POST", "/v1/checkout/sessions", "amount=+100", checkout(), 403, CodeAmountBad, ""},
		{"huge", "POST", "/v1/checkout/sessions", "amount=99999999999999999999999", checkout(), 403, CodeAmountBad, ""},
		{"application fee", "POST", "/v1/checkout/sessions", "payment_intent_data[application_fee_amount]=9000", checkout(), 403, CodeAmountOver, ""},
		{"metadata is free text", "POST", "/v1/checkout/sessions", "metadata[amount]=lots&metadata[currency]=btc", checkout(), 200, "", ""},
		{"metadata lookalike", "POST", "/v1/checkout/sessions", "metadata]amount=999999", checkout(), 403, CodeAmountOver, ""},
		{"enum named amount", "POST", "/v1/checkout/sessions", "payment_method_options[card][mandate_options][amount_type]=fixed", checkout(), 200, "", ""},
		{"currency not allowed", "POST", "/v1/checkout/sessions", "line_items[0][price_data][currency]=jpy", checkout(), 403, CodeCurrencyDenied, ""},
		{"currency upper case", "POST", "/v1/checkout/sessions", "currency=USD", checkout(), 200, "", ""},
		{"currency with a space", "POST", "/v1/checkout/sessions", "currency=usd+", checkout(), 403, CodeCurrencyDenied, ""},
		{"currency as option key", "POST", "/v1/checkout/sessions", "line_items[0][price_data][currency_options][jpy][unit_amount]=1", checkout(), 403, CodeCurrencyDenied, ""},
		{"form and JSON content types", "POST", "/v1/checkout/sessions", `{"amount": 999999}`, checkout("Content-Type", "application/json"), 400, CodeRepeatedHeader, ""},
		{"JSON v2 amount object", "POST", "/v1/checkout/sessions", `{"amount": {"value": 999999, "currency": "usd"}}`, append(append(bearer(testToken), "Content-Type", "application/json"), "Idempotency-Key", "j1"), 403, CodeAmountOver, ""},
		{"JSON duplicate key", "POST", "/v1/checkout/sessions", `{"amount": 1, "amount": 999999}`, append(append(bearer(testToken), "Content-Type", "application/json"), "Idempotency-Key", "j2"), 400, CodeBadBody, ""},
		{"JSON with form text inside", "POST", "/v1/checkout/sessions", `{"x":"&amount=999999&"}`, append(append(bearer(testToken), "Content-Type", "application/json"), "Idempotency-Key", "j3"), 403, CodeAmountOver, ""},
		{"JSON body without content type", "POST", "/v1/checkout/sessions", `{"amount": 999999}`, append(bearer(testToken), "Idempotency-Key", "j4"), 403, CodeAmountOver, ""},
		{"multipart", "POST", "/v1/checkout/sessions", "--x\r\n", append(append(bearer(testToken), "Content-Type", "multipart/form-data; boundary=x"), "Idempotency-Key", "j5"), 403, CodeContentType, ""},
		{"bad escape", "POST", "/v1/checkout/sessions", "amount=%zz", checkout(), 400, CodeBadBody, ""},
		{"no idempotency key", "POST", "/v1/checkout/sessions", "mode=payment", append(bearer(testToken), form...), 403, CodeIdemRequired, ""},
		{"idempotency key too long", "POST", "/v1/customers", "", append(bearer(testToken), "Idempotency-Key", strings.Repeat("k", 256)), 400, CodeBadIdemKey, ""},
		{"no idempotency key needed", "POST", "/v1/customers", "email=x", append(bearer(testToken), form...), 200, "", ""},
		{"connect account allowed", "GET", "/v1/customers/cus_1", "", append(bearer(testToken), "Stripe-Account", "acct_1Allowed"), 200, "", ""},
		{"connect account denied", "GET", "/v1/customers/cus_1", "", append(bearer(testToken), "Stripe-Account", "acct_1Other"), 403, CodeAccountDenied, "Stripe-Account"},
		{"stripe-context denied", "GET", "/v1/customers/cus_1", "", append(bearer(testToken), "Stripe-Context", "acct_1Other"), 403, CodeAccountDenied, "Stripe-Context"},
		{"two Stripe-Account headers", "GET", "/v1/customers/cus_1", "", append(bearer(testToken), "Stripe-Account", "acct_1Allowed", "Stripe-Account", "acct_1Other"), 400, CodeRepeatedHeader, ""},
		{"two Idempotency-Keys", "POST", "/v1/customers", "", append(bearer(testToken), "Idempotency-Key", "a", "Idempotency-Key", "b"), 400, CodeRepeatedHeader, ""},
		{"two Content-Types", "POST", "/v1/checkout/sessions", "amount=999999", append(checkout(), "Content-Type", "application/json"), 400, CodeRepeatedHeader, ""},
	}
	for _, c := range cases {
		before := len(f.requests())
		r := do(t, c.method, s.URL+c.path, c.body, c.headers...)
		if c.method == "HEAD" {
			if r.status != 403 {
				t.Errorf("%s: %d", c.name, r.status)
			}
			continue
		}
		if r.status != c.status || r.err.Code != c.code || (c.param != "" && r.err.Param != c.param) {
			t.Errorf("%s: %d %s, want %d %q param %q", c.name, r.status, r.body, c.status, c.code, c.param)
		}
		forwarded := len(f.requests()) - before
		if (c.status == 200) != (forwarded == 1) {
			t.Errorf("%s: forwarded %d times", c.name, forwarded)
		}
		if c.status == 403 && (r.err.Type != "invalid_request_error" || r.header.Get("Stripe-Should-Retry") != "false" || r.header.Get("Content-Type") != "application/json") {
			t.Errorf("%s: denial not Stripe-shaped: %v %s", c.name, r.header, r.body)
		}
	}
}

func TestAPIVersionAllowList(t *testing.T) {
	f := newFakeStripe(t)
	_, s := newTestBroker(t, f, `
[app.a]
token_sha256 = ["`+HashToken(testToken).String()+`"]
key_env = "K"
api_versions = ["2024-06-20", "2022-11-15"]
[[app.a.allow]]
route = "GET /v1/balance"
`, nil)
	for v, want := range map[string]int{"2024-06-20": 200, "2022-11-15": 200, "2020-08-27": 403, "": 403, "2024-06-20x": 403, "2024-06-20,2020-08-27": 403} {
		h := bearer(testToken)
		if v != "" {
			h = append(h, "Stripe-Version", v)
		}
		if r := do(t, "GET", s.URL+"/v1/balance", "", h...); r.status != want || (want == 403 && r.err.Code != CodeVersionDenied) {
			t.Errorf("Stripe-Version %q: %d %s", v, r.status, r.body)
		}
	}
}

// Hostile request lines and headers, sent byte for byte over TCP so no
// client library normalises them first. Whatever the broker parses out of
// the bytes is checked by the policy: nothing may reach an endpoint the
// policy denies (here: anything but the shop's routes), and the malformed
// ones reach nothing at all.
func TestHostileRequestsNeverReachStripe(t *testing.T) {
	f := newFakeStripe(t)
	_, s := newTestBroker(t, f, shopPolicy, nil)
	addr := strings.TrimPrefix(s.URL, "http://")
	auth := "Authorization: Bearer " + testToken + "\r\n"
	smuggled := "GET /v1/payouts HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n"
	cases := []struct {
		name, raw string
		status    int // of the first response; 0: any
		reaches   int // requests Stripe may see (all on allowed routes)
	}{
		{"absolute-form target", "GET https://api.stripe.com/v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"absolute-form to the broker itself", "GET http://" + addr + "/v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"absolute-form to a denied path", "POST http://api.stripe.com/v1/payouts HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 0\r\n\r\n", 400, 0},
		{"OPTIONS * (answered by net/http itself)", "OPTIONS * HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 0, 0},
		{"CONNECT", "CONNECT api.stripe.com:443 HTTP/1.1\r\nHost: api.stripe.com:443\r\n" + auth + "\r\n", 400, 0},
		{"dot-dot to a denied path", "GET /v1/events/../customers HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"dot-dot out of an allowed prefix", "GET /v1/customers/../payouts/po_1 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"encoded dot-dot", "GET /v1/customers/%2e%2e/payouts HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"encoded slash", "GET /v1/customers/cus_1%2fsources HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"overlong UTF-8 dots", "GET /v1/customers/%c0%ae%c0%ae/payouts HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"double slash", "GET //v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"trailing slash", "GET /v1/customers/ HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"backslash", "GET /v1/customers\\..\\payouts HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"semicolon path parameter", "GET /v1/customers/cus_1;/../payouts HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"fragment", "GET /v1/customers/cus_1#x HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, 0},
		{"duplicate Authorization, second is a real key", "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\n" + auth + "Authorization: Bearer sk_test_abc\r\n\r\n", 401, 0},
		{"duplicate Authorization, differing case", "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\n" + auth + "authorization: Bearer " + testToken + "\r\n\r\n", 401, 0},
		{"Stripe-Account twice, differing case", "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\n" + auth + "Stripe-Account: acct_1Allowed\r\nstripe-account: acct_1Evil\r\n\r\n", 400, 0},
		{"Stripe_Account with an underscore is not forwarded", "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\nStripe_Account: acct_1Evil\r\n" + auth + "\r\n", 200, 1},
		{"control character in Idempotency-Key", "POST /v1/customers HTTP/1.1\r\nHost: x\r\n" + auth + "Idempotency-Key: a\x01b\r\nContent-Length: 0\r\n\r\n", 400, 0},
		{"two Content-Lengths", "POST /v1/refunds HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 8\r\nContent-Length: 12\r\n\r\namount=1", 400, 0},
		{"two Hosts", "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + auth + "\r\n", 400, 0},
		{"obsolete line folding", "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\n" + auth + "Stripe-Account: acct_1Allowed\r\n acct_1Evil\r\n\r\n", 403, 0},
		// Smuggling: whatever framing wins, a request hidden in a body is
		// either never parsed or parsed as a request of its own and denied.
		{"CL.TE smuggling", "POST /v1/customers HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: " + fmt.Sprint(5+len(smuggled)) + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 0, 1},
		{"TE.CL smuggling", "POST /v1/customers HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + fmt.Sprintf("%x", len(smuggled)) + "\r\n" + smuggled + "\r\n0\r\n\r\n", 0, 1},
		{"obfuscated Transfer-Encoding", "POST /v1/customers HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: xchunked\r\nContent-Length: 0\r\n\r\n" + smuggled, 0, 0},
		{"pipelined denied request", "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n" + smuggled, 200, 1},
	}
	allowed := map[string]bool{"/v1/customers": true, "/v1/customers/cus_1": true}
	for _, c := range cases {
		before := len(f.requests())
		status, body := rawAll(t, addr, c.raw)
		if c.status != 0 && status != c.status {
			t.Errorf("%s: status %d (%s), want %d", c.name, status, body, c.status)
		}
		got := f.requests()[before:]
		if len(got) > c.reaches {
			t.Errorf("%s: reached Stripe %d times, want at most %d: %+v", c.name, len(got), c.reaches, got)
		}
		for _, g := range got {
			if !allowed[g.uri] || g.header.Get("Stripe-Account") != "" {
				t.Errorf("%s: reached a denied endpoint: %s %s %v", c.name, g.method, g.uri, g.header)
			}
		}
	}
	// The Host header is never used: a request with Host: api.stripe.com or
	// an attacker's host goes to the configured upstream, with its host.
	for _, host := range []string{"evil.example", "api.stripe.com", "127.0.0.1:1"} {
		status, _ := raw(t, addr, "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: "+host+"\r\n"+auth+"\r\n")
		got := f.requests()
		if status != 200 || got[len(got)-1].host != strings.TrimPrefix(f.srv.URL, "https://") {
			t.Errorf("Host %s: %d, upstream saw host %q", host, status, got[len(got)-1].host)
		}
	}
}

// rawAll writes bytes on one connection and reads every response until the
// server closes it or goes quiet; it returns the first status.
func rawAll(t testing.TB, addr, req string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	first, firstBody := 0, ""
	for {
		c.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return first, firstBody
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if first == 0 {
			first, firstBody = resp.StatusCode, string(b)
		}
	}
}

// raw sends one request over a fresh TCP connection and reads the status.
func raw(t testing.TB, addr, req string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBodyLimitsAndSlowClients(t *testing.T) {
	f := newFakeStripe(t)
	b, _ := newTestBroker(t, f, shopPolicy, func(c *Config) { c.MaxBody = 1024 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- b.Serve(ctx, ServerConfig{Listen: "127.0.0.1:0", AdminListen: "off", ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond},
			nil, func(l, _ net.Addr) { addrc <- l.String() })
	}()
	addr := <-addrc
	url := "http://" + addr
	big := "email=" + strings.Repeat("a", 2000)
	if r := do(t, "POST", url+"/v1/customers", big, bearer(testToken)...); r.status != 413 || r.err.Code != CodeBodyTooLarge {
		t.Errorf("oversized body: %d %s", r.status, r.body)
	}
	// Oversized and chunked (no Content-Length to refuse up front).
	chunk := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(big), big)
	if st, body := raw(t, addr, "POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+testToken+"\r\nTransfer-Encoding: chunked\r\n\r\n"+chunk); st != 413 {
		t.Errorf("oversized chunked body: %d %s", st, body)
	}
	// A client that never finishes its headers is cut off.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "POST /v1/customers HTTP/1.1\r\nHost: x\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	n, _ := io.Copy(io.Discard, c)
	if time.Since(start) > 4*time.Second {
		t.Errorf("slow headers: connection kept open (%d bytes)", n)
	}
	c.Close()
	// A client that sends headers, then dribbles its body, never reaches Stripe.
	before := len(f.requests())
	c, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+testToken+"\r\nContent-Length: 100\r\n\r\nemail=")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start = time.Now()
	io.Copy(io.Discard, c)
	if time.Since(start) > 4*time.Second {
		t.Error("slow body: connection kept open")
	}
	c.Close()
	if len(f.requests()) != before {
		t.Error("a half-sent body reached Stripe")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Rate limits charge the app and the rule; a retry of an admitted
// Idempotency-Key is forwarded without being charged, and the same key with
// a different body is refused.
func TestRateLimitsAndIdempotency(t *testing.T) {
	f := newFakeStripe(t)
	now := time.Unix(1_900_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, s := newTestBroker(t, f, shopPolicy, func(c *Config) { c.Store = NewMemoryStore(0, clock) })
	refund := func(key, body string) resp {
		return do(t, "POST", s.URL+"/v1/refunds", body, append(bearer(testToken), "Idempotency-Key", key, "Content-Type", "application/x-www-form-urlencoded")...)
	}
	if r := refund("r1", "charge=ch_1&amount=100"); r.status != 200 {
		t.Fatalf("first refund: %d %s", r.status, r.body)
	}
	if r := refund("r2", "charge=ch_2&amount=100"); r.status != 200 {
		t.Fatalf("second refund: %d %s", r.status, r.body)
	}
	r := refund("r3", "charge=ch_3&amount=100")
	if r.status != 429 || r.err.Code != CodeRateLimited || r.header.Get("Retry-After") != "30" || r.header.Get("Stripe-Should-Retry") != "true" {
		t.Fatalf("third refund within a minute: %d %s %v", r.status, r.body, r.header)
	}
	// The library retrying r1 (timed out, say): forwarded, not charged.
	if r := refund("r1", "charge=ch_1&amount=100"); r.status != 200 {
		t.Fatalf("retry of r1: %d %s", r.status, r.body)
	}
	// r1 reused for another refund: refused before Stripe.
	before := len(f.requests())
	if r := refund("r1", "charge=ch_9&amount=900"); r.status != 400 || r.err.Type != "idempotency_error" || r.err.Code != CodeIdemConflict {
		t.Fatalf("reused key: %d %s", r.status, r.body)
	}
	if len(f.requests()) != before {
		t.Fatal("conflicting reuse reached Stripe")
	}
	mu.Lock()
	now = now.Add(30 * time.Second)
	mu.Unlock()
	if r := refund("r3", "charge=ch_3&amount=100"); r.status != 200 {
		t.Fatalf("after 30 s: %d %s", r.status, r.body)
	}
	// Other routes are not limited by the refunds rule (only by the app's 1000/s).
	for i := 0; i < 20; i++ {
		if r := do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testToken)...); r.status != 200 {
			t.Fatalf("customers: %d", r.status)
		}
	}
}

type failingStore struct{}

func (failingStore) Admit(context.Context, Admission) (Decision, error) {
	return Decision{}, errors.New("connection refused")
}
func (failingStore) Ping(context.Context) error { return errors.New("connection refused") }
func (failingStore) Close() error               { return nil }

func TestStoreOutageFailsClosed(t *testing.T) {
	f := newFakeStripe(t)
	b, s := newTestBroker(t, f, shopPolicy, func(c *Config) { c.Store = failingStore{} })
	r := do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testToken)...)
	if r.status != 503 || r.err.Code != CodeStoreUnavailable || r.err.Type != "api_error" || len(f.requests()) != 0 {
		t.Fatalf("store down: %d %s, forwarded %d", r.status, r.body, len(f.requests()))
	}
	admin := httptest.NewServer(b.AdminHandler())
	defer admin.Close()
	if r := do(t, "GET", admin.URL+"/healthz", ""); r.status != 503 {
		t.Errorf("healthz with the store down: %d", r.status)
	}
}

// The key never reaches the application, not even when Stripe (or
// stripe-mock) echoes it back: buffered and streamed bodies and headers are
// scrubbed, including a key split across chunk boundaries.
func TestResponsesAreScrubbed(t *testing.T) {
	f := newFakeStripe(t)
	f.handle = func(w http.ResponseWriter, r *http.Request, body []byte) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("X-Echo", auth)
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "stream") {
			fl := w.(http.Flusher)
			w.WriteHeader(401)
			msg := `{"error":{"message":"Authorization was '` + auth + `'"}}`
			for i := 0; i < len(msg); i += 7 { // key split over many chunks
				io.WriteString(w, msg[i:min(i+7, len(msg))])
				fl.Flush()
			}
			return
		}
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":{"message":"Authorization was '%s' (%s)","type":"invalid_request_error"}}`, auth, auth)
	}
	_, s := newTestBroker(t, f, `
[app.a]
token_sha256 = ["`+HashToken(testToken).String()+`"]
key_env = "K"
[[app.a.allow]]
route = "GET /v1/**"
`, nil)
	for _, p := range []string{"/v1/balance", "/v1/stream/x"} {
		r := do(t, "GET", s.URL+p, "", bearer(testToken)...)
		if strings.Contains(r.body, testKey) || strings.Contains(fmt.Sprint(r.header), testKey) {
			t.Fatalf("%s: key reached the app: %s %v", p, r.body, r.header)
		}
		if !strings.Contains(r.body, scrubMark) || r.header.Get("X-Echo") != "Bearer "+scrubMark {
			t.Errorf("%s: expected the scrub mark: %s %v", p, r.body, r.header)
		}
	}
}

func TestScrubWriterBoundaries(t *testing.T) {
	key := "sk_test_abcdef"
	in := "x" + key + key + "y" + key[:5] + "z" + key
	for step := 1; step <= len(in); step++ {
		var out strings.Builder
		sw := &scrubWriter{w: &out, key: []byte(key)}
		for i := 0; i < len(in); i += step {
			sw.Write([]byte(in[i:min(i+step, len(in))]))
		}
		sw.Flush()
		want := "x" + scrubMark + scrubMark + "y" + key[:5] + "z" + scrubMark
		if out.String() != want {
			t.Fatalf("step %d: %q", step, out.String())
		}
	}
}

// Every call is logged with app, method, path, status, latency and Stripe's
// request id; never the key, the token, the query or the body.
func TestLogsNeverHoldSecrets(t *testing.T) {
	f := newFakeStripe(t)
	var logs logBuffer
	_, s := newTestBroker(t, f, shopPolicy, func(c *Config) { c.Logger = jsonLogger(&logs) })
	do(t, "POST", s.URL+"/v1/customers?email=query%40secret.test", "name=BodySecretMarker", append(bearer(testToken), "Content-Type", "application/x-www-form-urlencoded")...)
	do(t, "POST", s.URL+"/v1/payouts", "amount=1&destination=BodySecretMarker", bearer(testToken)...)
	do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(TokenPrefix+"WrongTokenWrongTokenWrongToken0000")...)
	do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testKey)...)
	out := logs.String()
	for _, secret := range []string{testKey, testToken, "BodySecretMarker", "query%40secret", "query@secret", "WrongTokenWrongToken"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{`"app":"shop"`, `"path":"/v1/customers"`, `"status":200`, `"request_id":"req_fake_1"`, `"outcome":"forwarded"`,
		`"code":"broker_route_not_allowed"`, `"status":403`, `"outcome":"unauthenticated"`, `"code":"broker_real_key_sent"`, `"latency_ms":`, `"upstream_ms":`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestMetricsAndHealth(t *testing.T) {
	f := newFakeStripe(t)
	b, s := newTestBroker(t, f, shopPolicy, nil)
	do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testToken)...)
	do(t, "GET", s.URL+"/v1/payouts", "", bearer(testToken)...)
	do(t, "GET", s.URL+"/v1/payouts", "", bearer("nope")...)
	admin := httptest.NewServer(b.AdminHandler())
	defer admin.Close()
	if r := do(t, "GET", admin.URL+"/healthz", ""); r.status != 200 || !strings.HasPrefix(r.body, "ok") {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
	if n := counter(t, b, "stripeguard_broker_requests_total", map[string]string{"app": "shop", "outcome": "forwarded"}); n != 1 {
		t.Errorf("forwarded = %v", n)
	}
	if n := counter(t, b, "stripeguard_broker_denied_total", map[string]string{"app": "shop", "code": CodeRouteDenied}); n != 1 {
		t.Errorf("denied = %v", n)
	}
	if n := counter(t, b, "stripeguard_broker_requests_total", map[string]string{"app": "-", "outcome": "unauthenticated"}); n != 1 {
		t.Errorf("unauthenticated = %v", n)
	}
	r := do(t, "GET", admin.URL+"/metrics", "")
	for _, m := range []string{"stripeguard_broker_added_seconds_bucket", "stripeguard_broker_upstream_duration_seconds", "stripeguard_broker_apps 1"} {
		if !strings.Contains(r.body, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

func counter(t testing.TB, b *Broker, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := b.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.Metric {
			for _, lp := range m.Label {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// Key rotation under traffic: the policy snapshot is swapped while calls
// are in flight; every call succeeds, each with exactly one of the keys,
// and a call that started before the swap finishes with the old key.
func TestRotationUnderTrafficLosesNothing(t *testing.T) {
	f := newFakeStripe(t)
	var slow atomic.Bool
	release := make(chan struct{})
	f.handle = func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.URL.Path == "/v1/customers/cus_slow" && slow.Load() {
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"cus_1","object":"customer"}`)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600)
	policyFile := filepath.Join(dir, "broker.toml")
	pol := strings.Replace(shopPolicy, `key_env = "K"`, `key_file = "`+keyFile+`"`, 1)
	pol = strings.Replace(pol, `rate = "1000/s"`, "", 1) // this test is about keys, not rates
	os.WriteFile(policyFile, []byte(pol), 0o600)
	b, err := New(Config{PolicyPath: policyFile, Upstream: f.srv.URL, Transport: trustingTransport(t, f.srv)})
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(b)
	defer s.Close()

	// One call held in flight across the rotation.
	slow.Store(true)
	slowDone := make(chan resp, 1)
	go func() { slowDone <- do(t, "GET", s.URL+"/v1/customers/cus_slow", "", bearer(testToken)...) }()
	for len(f.requests()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}

	var wg sync.WaitGroup
	var failures atomic.Int64
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r := do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testToken)...); r.status != 200 {
					if failures.Add(1) == 1 {
						t.Logf("first failure: %d %s", r.status, r.body)
					}
				}
			}
		}()
	}
	keys := []string{testKey2, testKey}
	for i := 0; i < 20; i++ {
		time.Sleep(10 * time.Millisecond)
		os.WriteFile(keyFile+".new", []byte(keys[i%2]), 0o600)
		os.Rename(keyFile+".new", keyFile) // atomic, like a Kubernetes secret update
		if err := b.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(release)
	if r := <-slowDone; r.status != 200 {
		t.Fatalf("in-flight call across the rotation: %d %s", r.status, r.body)
	}
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d calls failed during rotation", n)
	}
	byKey := map[string]int{}
	for _, g := range f.requests() {
		byKey[g.auth]++
	}
	if len(byKey) != 2 || byKey["Bearer "+testKey] == 0 || byKey["Bearer "+testKey2] == 0 {
		t.Fatalf("keys seen by Stripe: %v", byKey)
	}
	if first := f.requests()[0]; first.uri != "/v1/customers/cus_slow" || first.auth != "Bearer "+testKey {
		t.Fatalf("the in-flight call must keep the key it started with: %+v", first)
	}

	// A bad reload keeps the current keys.
	os.WriteFile(keyFile, []byte("not a key"), 0o600)
	if err := b.Reload(); err == nil {
		t.Fatal("a bad key file must fail the reload")
	}
	if r := do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testToken)...); r.status != 200 {
		t.Fatalf("after a failed reload: %d", r.status)
	}
}

// TLS to Stripe is verified: the default (system roots) refuses a
// self-signed upstream before any byte of the request is sent; a pin or a
// CA file accepts exactly the right certificate.
func TestUpstreamTLSVerification(t *testing.T) {
	f := newFakeStripe(t)
	pol := mustPolicy(t, shopPolicy)
	get := func(cfg Config) resp {
		cfg.Upstream = f.srv.URL
		b, err := NewWithPolicy(cfg, pol)
		if err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(b)
		defer s.Close()
		return do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testToken)...)
	}
	if r := get(Config{}); r.status != 502 || r.err.Code != CodeUpstreamUnavailable || len(f.requests()) != 0 {
		t.Fatalf("self-signed upstream with system roots: %d %s (forwarded %d)", r.status, r.body, len(f.requests()))
	}
	pin := PinOf(f.srv.Certificate())
	if r := get(Config{UpstreamTLS: UpstreamOptions{Pins: []string{pin}, PinOnly: true}}); r.status != 200 {
		t.Fatalf("pinned: %d %s", r.status, r.body)
	}
	other := "sha256/" + b64(strings.Repeat("x", 32))
	if r := get(Config{UpstreamTLS: UpstreamOptions{Pins: []string{other}, PinOnly: true}}); r.status != 502 {
		t.Fatalf("wrong pin: %d %s", r.status, r.body)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeCertPEM(t, ca, f.srv.Certificate())
	if r := get(Config{UpstreamTLS: UpstreamOptions{CAFile: ca}}); r.status != 200 {
		t.Fatalf("--stripe-ca: %d %s", r.status, r.body)
	}
	if r := get(Config{UpstreamTLS: UpstreamOptions{CAFile: ca, Pins: []string{other}}}); r.status != 502 {
		t.Fatalf("--stripe-ca with a wrong pin: %d", r.status)
	}
	if _, err := ParseUpstream("http://api.stripe.com"); err == nil {
		t.Error("plain http to a non-loopback host must be refused")
	}
	for _, ok := range []string{"http://127.0.0.1:12111", "http://localhost:1", "http://[::1]:1", "https://api.stripe.com", ""} {
		if _, err := ParseUpstream(ok); err != nil {
			t.Errorf("ParseUpstream(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"ftp://x", "https://u:p@api.stripe.com", "https://api.stripe.com?x=1", "api.stripe.com"} {
		if _, err := ParseUpstream(bad); err == nil {
			t.Errorf("ParseUpstream(%q) accepted", bad)
		}
	}
}

// --watch: a key file replaced in place (as Kubernetes updates a mounted
// Secret, with no signal) is picked up.
func TestWatchReloadsChangedFiles(t *testing.T) {
	f := newFakeStripe(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(testKey), 0o600)
	policyFile := filepath.Join(dir, "broker.toml")
	os.WriteFile(policyFile, []byte(strings.Replace(shopPolicy, `key_env = "K"`, `key_file = "`+keyFile+`"`, 1)), 0o600)
	b, err := New(Config{PolicyPath: policyFile, Upstream: f.srv.URL, Transport: trustingTransport(t, f.srv)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	go b.Serve(ctx, ServerConfig{Listen: "127.0.0.1:0", AdminListen: "off", Watch: 20 * time.Millisecond}, nil, func(l, _ net.Addr) { addrc <- l.String() })
	url := "http://" + <-addrc + "/v1/customers/cus_1"
	if r := do(t, "GET", url, "", bearer(testToken)...); r.status != 200 || f.requests()[0].auth != "Bearer "+testKey {
		t.Fatalf("before: %d", r.status)
	}
	os.WriteFile(keyFile+".new", []byte(testKey2), 0o600)
	os.Rename(keyFile+".new", keyFile)
	deadline := time.Now().Add(5 * time.Second)
	for {
		do(t, "GET", url, "", bearer(testToken)...)
		got := f.requests()
		if got[len(got)-1].auth == "Bearer "+testKey2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the changed key file was not picked up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A trailing slash in the app's api_base gives //v1/…: refused with a hint.
	if st, body := raw(t, strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/v1/customers/cus_1"), "GET //v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+testToken+"\r\n\r\n"); st != 400 || !strings.Contains(body, "api_base") {
		t.Errorf("//v1: %d %s", st, body)
	}
}

// --tls-cert/--tls-key: the application listener speaks HTTPS.
func TestServeTLSListener(t *testing.T) {
	f := newFakeStripe(t)
	b, _ := newTestBroker(t, f, shopPolicy, nil)
	dir := t.TempDir()
	certFile, keyFile, der := testutil.SelfSigned(t, dir, "broker", time.Now().Add(24*time.Hour))
	pool := testutil.CertPool(t, der)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	go b.Serve(ctx, ServerConfig{Listen: "127.0.0.1:0", AdminListen: "off", TLSCert: certFile, TLSKey: keyFile},
		nil, func(l, _ net.Addr) { addrc <- l.String() })
	addr := <-addrc
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", "https://"+addr+"/v1/customers/cus_1", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("over TLS: %d", resp.StatusCode)
	}
	if st, _ := raw(t, addr, "GET /v1/customers/cus_1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+testToken+"\r\n\r\n"); st == 200 {
		t.Fatal("plain HTTP accepted on the TLS listener")
	}
}
