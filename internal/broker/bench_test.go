package broker

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// staticStripe answers every request in memory, so the benchmarks measure
// the broker's own work per call.
type staticStripe struct{ body []byte }

func (s staticStripe) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
	}
	h := http.Header{"Content-Type": {"application/json"}, "Request-Id": {"req_bench"}}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(s.body)), ContentLength: int64(len(s.body)), Request: r}, nil
}

const benchIntent = `{"id":"pi_3MtwBwLkdIwHu7ix28a3tqPa","object":"payment_intent","amount":1000,"currency":"usd","customer":"cus_123","status":"requires_payment_method","livemode":false,"metadata":{},"payment_method_types":["card"]}`

// BenchmarkServeHTTP: one allowed POST /v1/payment_intents with amount and
// currency limits, a required Idempotency-Key, an app rate limit and the
// memory store; the handler alone (no sockets).
func BenchmarkServeHTTP(b *testing.B) {
	p := mustPolicy(b, `
[app.shop]
token_sha256 = ["`+HashToken(testToken).String()+`"]
key_env = "K"
require_idempotency_key = true
rate = "1000000/s"
burst = 1000000000
[[app.shop.allow]]
route = "POST /v1/payment_intents"
max_amount = 100000
currencies = ["usd"]
[[app.shop.allow]]
route = "GET /v1/customers/*"
`)
	br, err := NewWithPolicy(Config{Upstream: DefaultAPIBase, Transport: staticStripe{[]byte(benchIntent)}}, p)
	if err != nil {
		b.Fatal(err)
	}
	body := "amount=1000&currency=usd&customer=cus_123&description=bench&payment_method_types[0]=card"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			r := httptest.NewRequest("POST", "/v1/payment_intents", strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+testToken)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Idempotency-Key", "k"+strconv.Itoa(i)+"-"+strconv.Itoa(int(uintptr(0))))
			w := httptest.NewRecorder()
			br.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
}

func BenchmarkSplitPath(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		SplitPath("/v1/customers/cus_NffrFeUfNV2Hib/balance_transactions")
	}
}

func BenchmarkCheckLimits(b *testing.B) {
	l, _ := limitsOf(100000, []string{"usd", "eur"})
	body := []byte("mode=payment&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=2000&line_items[0][price_data][product_data][name]=T-shirt&line_items[0][quantity]=1&success_url=https%3A%2F%2Fshop.example%2Fok&metadata[order]=1234")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if d := checkLimits(l, "", body, "application/x-www-form-urlencoded"); d != nil {
			b.Fatal(d.msg)
		}
	}
}
