package verify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

var (
	skTest = secretstest.Key("sk_"+"test_", 24, 201)
	rkTest = secretstest.Key("rk_"+"test_", 24, 202)
	skLive = secretstest.Key("sk_"+"live_", 99, 203)
	rkLive = secretstest.Key("rk_"+"live_", 24, 204)
	whsec  = secretstest.Key("whsec"+"_", 32, 205)
)

// stripe-mock accepts any test key and rejects live keys with 401: both
// verdicts from the real API's contract.
func TestAgainstStripeMock(t *testing.T) {
	base := testutil.StripeMock(t)
	v, err := New(Options{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{skTest: finding.KeyActive, rkTest: finding.KeyActive, skLive: finding.KeyInactive, rkLive: finding.KeyInactive}
	for key, want := range cases {
		got := v.Check(context.Background(), key)
		if got.State != want {
			t.Errorf("%s: %+v, want %s", finding.Redact(key), got, want)
		}
		if strings.Contains(got.Detail, key) || strings.Contains(got.Detail, "authenticate") {
			t.Errorf("detail shows the key or the response message: %s", got.Detail)
		}
	}
	if d := v.Check(context.Background(), skLive).Detail; !strings.Contains(d, "HTTP 401") || !strings.Contains(d, "invalid_request_error") {
		t.Errorf("401 detail: %s", d)
	}
}

// Statuses stripe-mock cannot produce, from a loopback server that records
// what it was sent.
func TestStatuses(t *testing.T) {
	var requests atomic.Int32
	var lastAuth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		lastAuth.Store(r.Header.Get("Authorization"))
		if r.Method != http.MethodGet || r.URL.Path != "/v1/balance" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
			return
		}
		switch key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); {
		case strings.HasSuffix(key, "3"):
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"secret_key_required","message":"The provided key '` + key + `' does not have the required permissions"}}`))
		case strings.HasSuffix(key, "4"):
			w.WriteHeader(http.StatusTooManyRequests)
		case strings.HasSuffix(key, "5"):
			w.WriteHeader(http.StatusInternalServerError)
		case strings.HasSuffix(key, "6"):
			http.Redirect(w, r, "http://example.invalid/steal", http.StatusFound)
		case strings.HasSuffix(key, "7"):
			time.Sleep(2 * time.Second)
		default:
			_, _ = w.Write([]byte(`{"object":"balance"}`))
		}
	}))
	defer srv.Close()
	v, err := New(Options{Base: srv.URL + "/", Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		last  string
		state string
		has   string
	}{
		{"0", finding.KeyActive, "HTTP 200"},
		{"3", finding.KeyActive, "restricted"},
		{"4", finding.KeyUnknown, "rate limited"},
		{"5", finding.KeyUnknown, "HTTP 500"},
		{"6", finding.KeyUnknown, "HTTP 302"},
		{"7", finding.KeyUnknown, "no answer within"},
	}
	for _, c := range cases {
		key := "rk_" + "live_" + secretstest.Body(23, 9) + c.last
		before := requests.Load()
		got := v.Check(context.Background(), key)
		if got.State != c.state || !strings.Contains(got.Detail, c.has) {
			t.Errorf("key ending %s: %+v, want %s with %q", c.last, got, c.state, c.has)
		}
		if strings.Contains(got.Detail, key) || strings.Contains(got.Detail, "permissions") {
			t.Errorf("detail leaks the response: %s", got.Detail)
		}
		if n := requests.Load() - before; n != 1 {
			t.Errorf("key ending %s: %d requests, want exactly 1", c.last, n)
		}
		if lastAuth.Load() != "Bearer "+key {
			t.Errorf("Authorization = %v", lastAuth.Load())
		}
	}

	// Findings: one request per distinct key, whsec never sent.
	before := requests.Load()
	k := "sk_" + "live_" + secretstest.Body(24, 11)
	fs := []*finding.Finding{{Secret: k}, {Secret: k}, {Secret: whsec}, {}, nil}
	v.Findings(context.Background(), fs)
	if n := requests.Load() - before; n != 1 {
		t.Errorf("%d requests for one distinct key", n)
	}
	if fs[0].Verification == nil || fs[1].Verification == nil || fs[0].Verification.State != finding.KeyActive {
		t.Errorf("verification not set on every finding of the key")
	}
	if fs[2].Verification != nil || fs[3].Verification != nil {
		t.Error("webhook secrets and findings without a key are not verified")
	}

	// A server that is down: unknown, not an error.
	srv.Close()
	if got := v.Check(context.Background(), skTest); got.State != finding.KeyUnknown || !strings.Contains(got.Detail, "failed") {
		t.Errorf("server down: %+v", got)
	}
}

func TestCheckBase(t *testing.T) {
	ok := []string{"https://api.stripe.com", "https://proxy.example/stripe", "http://127.0.0.1:12111", "http://localhost:8080/", "http://[::1]:1"}
	bad := []string{"http://api.stripe.com", "ftp://x", "api.stripe.com", "https://user:pw@api.stripe.com", "https://x/?a=b", "http://10.0.0.1:80", ""}
	for _, b := range ok {
		if err := CheckBase(b); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	for _, b := range bad {
		if err := CheckBase(b); err == nil {
			t.Errorf("%s accepted", b)
		}
	}
	if _, err := New(Options{Base: "http://example.com"}); err == nil {
		t.Error("New accepted plain http to a remote host")
	}
}

func TestVerifiable(t *testing.T) {
	for key, want := range map[string]bool{skTest: true, rkTest: true, skLive: true, rkLive: true, whsec: false, "pk_" + "live_abc": false, "": false} {
		if Verifiable(key) != want {
			t.Errorf("Verifiable(%s) != %v", finding.Redact(key), want)
		}
	}
}
