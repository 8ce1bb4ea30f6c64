package broker

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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

// BenchmarkServeHTTPUpstream: the handler of BenchmarkServeHTTP with the
// broker's default transport (the keep-alive TLS pool) to a loopback HTTPS
// "Stripe": the whole per-call work of the broker, allocations included,
// except the application's own socket.
func BenchmarkServeHTTPUpstream(b *testing.B) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Authorization") != "Bearer "+testKey {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_bench")
		io.WriteString(w, benchIntent)
	}))
	srv.EnableHTTP2 = false
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(b.TempDir(), "ca.pem")
	writeCertPEM(b, ca, srv.Certificate())
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
`)
	br, err := NewWithPolicy(Config{Upstream: srv.URL, UpstreamTLS: UpstreamOptions{CAFile: ca}}, p)
	if err != nil {
		b.Fatal(err)
	}
	body := "amount=1000&currency=usd&customer=cus_123&description=bench&payment_method_types[0]=card"
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("POST", "/v1/payment_intents", strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+testToken)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Idempotency-Key", "k"+strconv.FormatInt(n.Add(1), 36))
			w := httptest.NewRecorder()
			br.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
	if c, ok := br.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
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

// BenchmarkUpstreamRoundTrip: the broker's default upstream transport (the
// keep-alive TLS pool) against a loopback HTTPS server answering a
// PaymentIntent; sequential, so a call's cost includes both hops' wake-ups.
// The pool itself is what this measures: the server and the TLS records are
// the same on every run.
func BenchmarkUpstreamRoundTrip(b *testing.B) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_bench")
		io.WriteString(w, benchIntent)
	}))
	srv.EnableHTTP2 = false
	srv.StartTLS()
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	// The test server's certificate as the only root (--stripe-ca): the
	// standard verification.
	ca := filepath.Join(b.TempDir(), "ca.pem")
	writeCertPEM(b, ca, srv.Certificate())
	rt, err := newUpstreamTransport(u, UpstreamOptions{CAFile: ca, Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte("amount=1000&currency=usd&customer=cus_123&description=bench&payment_method_types[0]=card")
	for _, par := range []int{1, 8} {
		b.Run("parallelism="+strconv.Itoa(par), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(par)
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := &http.Request{Method: "POST", URL: &url.URL{Scheme: "https", Host: u.Host, Opaque: "/v1/payment_intents"}, Host: u.Host,
						Header: http.Header{"Authorization": {"Bearer " + testKey}, "Idempotency-Key": {strconv.FormatInt(n.Add(1), 36)},
							"Content-Type": {"application/x-www-form-urlencoded"}}, ContentLength: int64(len(body))}
					r.Body = io.NopCloser(bytes.NewReader(body))
					r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
					resp, err := rt.RoundTrip(r.WithContext(context.Background()))
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatal(resp.Status)
					}
				}
			})
		})
	}
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
