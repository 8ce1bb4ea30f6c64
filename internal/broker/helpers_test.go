package broker

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// Test credentials. The keys are built by concatenation so that the
// repository never holds a literal that looks like a real Stripe key.
var (
	testToken  = TokenPrefix + "TestTokenForTheShopApp0123456789abcdefghij"
	testToken2 = TokenPrefix + "SecondTokenForRotationTests0123456789abcd"
	testKey    = "sk_" + "test_" + "RealKeyHeldOnlyByTheBroker0001"
	testKey2   = "sk_" + "test_" + "RotatedKeyHeldByTheBroker00002"
)

func testEnv(extra map[string]string) Env {
	m := map[string]string{"K": testKey}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func mustPolicy(t testing.TB, text string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(text), testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// shopPolicy is the policy most handler tests use.
var shopPolicy = `
version = 1
[app.shop]
token_sha256 = ["` + HashToken(testToken).String() + `"]
key_env = "K"
stripe_accounts = ["acct_1Allowed"]
rate = "1000/s"

[[app.shop.allow]]
route = "POST /v1/checkout/sessions"
max_amount = 5000
currencies = ["usd", "eur"]
require_idempotency_key = true

[[app.shop.allow]]
route = "POST /v1/customers"

[[app.shop.allow]]
route = "GET /v1/customers/*"

[[app.shop.allow]]
route = "GET /v1/events/*"

[[app.shop.allow]]
route = "POST /v1/refunds"
max_amount = 1000
rate = "2/min"
`

// seen is what the fake Stripe received.
type seen struct {
	method, uri, host, auth string
	header                  http.Header
	body                    []byte
}

// fakeStripe is a TLS server on loopback standing in for api.stripe.com in
// handler tests (the stripe-mock tests use the real one). It records every
// request and answers a Stripe-shaped object.
type fakeStripe struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []seen
	handle func(w http.ResponseWriter, r *http.Request, body []byte) // optional override
}

func newFakeStripe(t testing.TB) *fakeStripe {
	f := &fakeStripe{}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, seen{r.Method, r.RequestURI, r.Host, r.Header.Get("Authorization"), r.Header.Clone(), b})
		h := f.handle
		f.mu.Unlock()
		if h != nil {
			h(w, r, b)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fake_1")
		json.NewEncoder(w).Encode(map[string]any{"id": "obj_1", "object": "thing", "livemode": false})
	}))
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeStripe) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.got...)
}

// newTestBroker builds a broker in front of f trusting f's certificate
// through the standard chain check (--stripe-ca).
func newTestBroker(t testing.TB, f *fakeStripe, policy string, mod func(*Config)) (*Broker, *httptest.Server) {
	t.Helper()
	cfg := Config{Upstream: f.srv.URL, Transport: trustingTransport(t, f.srv)}
	if mod != nil {
		mod(&cfg)
	}
	b, err := NewWithPolicy(cfg, mustPolicy(t, policy))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(b)
	t.Cleanup(s.Close)
	return b, s
}

// trustingTransport is NewTransport with the test server's certificate as
// the only root: the standard verification, no shortcut.
func trustingTransport(t testing.TB, srv *httptest.Server) *http.Transport {
	t.Helper()
	tr, err := NewTransport(UpstreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return tr
}

type resp struct {
	status int
	header http.Header
	body   string
	err    struct {
		Code, Message, Param, Type string
	}
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, TLSClientConfig: &tls.Config{}}}

// do sends a request with the given headers (repeat a name to send it twice).
func do(t testing.TB, method, url, body string, headers ...string) resp {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body = http.NoBody
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	r, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	out := resp{status: r.StatusCode, header: r.Header, body: string(b)}
	var e struct {
		Error struct{ Code, Message, Param, Type string }
	}
	if json.Unmarshal(b, &e) == nil {
		out.err = e.Error
	}
	return out
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// logBuffer captures a broker's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func writeCertPEM(t testing.TB, path string, c *x509.Certificate) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
}
