package broker

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

// recorder wraps the broker's real transport to stripe-mock and notes the
// Authorization each request carried on the wire to stripe-mock.
type recorder struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	auth map[string]int
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.auth[req.Header.Get("Authorization")]++
	r.mu.Unlock()
	return r.rt.RoundTrip(req)
}

func (r *recorder) seen() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.auth {
		out[k] = v
	}
	return out
}

type pyLine struct {
	Call   string
	OK     bool
	Error  string
	Code   string
	Status int
	Text   string
}

// runApp runs testdata/stripe_app.py with Debian's stripe-python against
// the broker. Its environment holds the broker URL and token only.
func runApp(t *testing.T, py, brokerURL, token, scenario string, extra ...string) []pyLine {
	t.Helper()
	cmd := exec.Command(py, "testdata/stripe_app.py", scenario)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "STRIPE_API_BASE=" + brokerURL, "STRIPE_BROKER_TOKEN=" + token}, extra...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stripe_app.py %s: %v\n%s", scenario, err, stderr.String())
	}
	var lines []pyLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l pyLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

// stripeMockBroker starts stripe-mock and a broker in front of its HTTPS
// port, verifying stripe-mock's self-signed certificate by its pin.
func stripeMockBroker(t *testing.T, policyPath string) (*Broker, *httptest.Server, *recorder, *testutil.StripeMockServer) {
	t.Helper()
	sm := testutil.StripeMockTLS(t)
	pin, err := FetchPin(sm.HTTPSAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := ParseUpstream("https://" + sm.HTTPSAddr)
	tr, err := newUpstreamTransport(u, UpstreamOptions{Pins: []string{pin}, PinOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{rt: tr, auth: map[string]int{}}
	b, err := New(Config{PolicyPath: policyPath, Upstream: "https://" + sm.HTTPSAddr, Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(b)
	t.Cleanup(s.Close)
	return b, s, rec, sm
}

const leakyToken = TokenPrefix + "LeakyAppTokenLeakyAppToken0123456789abcd"

// leakyKey is a key stripe-mock refuses, so its 401 echoes the
// Authorization header it received — in full.
var leakyKey = "rk_" + "live_" + "EchoedBackByStripeMock0000000"

func writePolicy(t *testing.T, keyFile, leakyKeyFile string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "broker.toml")
	text := `
version = 1
[app.shop]
token_sha256 = ["` + HashToken(testToken).String() + `"]
key_file = "` + keyFile + `"
stripe_accounts = ["acct_1Partner"]

[[app.shop.allow]]
route = "POST /v1/customers"
[[app.shop.allow]]
route = "GET /v1/customers/*"
[[app.shop.allow]]
route = "POST /v1/payment_intents"
max_amount = 5000
currencies = ["usd"]
[[app.shop.allow]]
route = "POST /v1/refunds"
max_amount = 1000
require_idempotency_key = true

[app.leaky]
token_sha256 = ["` + HashToken(leakyToken).String() + `"]
key_file = "` + leakyKeyFile + `"
[[app.leaky.allow]]
route = "GET /v1/customers/*"
`
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeKey(t *testing.T, path, key string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// The real stripe-python, through the broker, to a real stripe-mock over
// TLS: allowed calls succeed with the real key injected (stripe-mock would
// refuse the sk_broker_ token: it only takes sk_test_ keys), denied calls
// raise the library's own exceptions, a wrong token is refused, and the key
// never reaches the app — not even when stripe-mock echoes it.
func TestStripePythonThroughBrokerToStripeMock(t *testing.T) {
	py := testutil.NeedPython(t, "stripe", "requests")
	dir := t.TempDir()
	keyFile, leakyFile := filepath.Join(dir, "shop.key"), filepath.Join(dir, "leaky.key")
	writeKey(t, keyFile, testKey)
	writeKey(t, leakyFile, leakyKey)
	_, s, rec, _ := stripeMockBroker(t, writePolicy(t, keyFile, leakyFile))

	lines := runApp(t, py, s.URL, testToken, "allowed_and_denied", "LEAKY_TOKEN="+leakyToken)
	got := map[string]pyLine{}
	for _, l := range lines {
		got[l.Call] = l
		for _, secret := range []string{testKey, leakyKey} {
			if strings.Contains(l.Text, secret) {
				t.Errorf("%s: the app received a real key: %s", l.Call, l.Text)
			}
		}
	}
	want := []struct {
		call, err, code string
		status          int
	}{
		{"customer.create", "", "", 0},
		{"customer.retrieve", "", "", 0},
		{"payment_intent.create", "", "", 0},
		{"payment_intent.create.over_limit", "PermissionError", CodeAmountOver, 403},
		{"payment_intent.create.bad_currency", "PermissionError", CodeCurrencyDenied, 403},
		{"payment_intent.create.nested_amount", "PermissionError", CodeAmountOver, 403},
		{"payout.create", "PermissionError", CodeRouteDenied, 403},
		{"customer.list", "PermissionError", CodeRouteDenied, 403},
		{"customer.retrieve.connect_denied", "PermissionError", CodeAccountDenied, 403},
		{"customer.retrieve.connect_allowed", "", "", 0},
		{"customer.retrieve.traversal", "InvalidRequestError", CodeBadPath, 400},
		{"refund.create", "", "", 0},
		{"refund.create.retry", "", "", 0},
		{"refund.create.reused_key", "IdempotencyError", CodeIdemConflict, 400},
		{"wrong_token", "AuthenticationError", CodeBadToken, 401},
		{"leaky_app", "AuthenticationError", "", 401}, // stripe-mock's own 401
	}
	for _, w := range want {
		l, ok := got[w.call]
		if !ok {
			t.Errorf("%s: not run", w.call)
			continue
		}
		if w.err == "" {
			if !l.OK {
				t.Errorf("%s: %s %s", w.call, l.Error, l.Text)
			}
			continue
		}
		if l.OK || l.Error != w.err || (w.code != "" && l.Code != w.code) || l.Status != w.status {
			t.Errorf("%s: ok=%v %s code=%q status=%d (%s); want %s %q %d", w.call, l.OK, l.Error, l.Code, l.Status, l.Text, w.err, w.code, w.status)
		}
	}
	if !strings.Contains(got["customer.create"].Text, `"object": "customer"`) {
		t.Errorf("stripe-mock's customer did not come back: %s", got["customer.create"].Text)
	}
	// stripe-mock echoed exactly the leaky app's real key (that is the only
	// way the scrub mark can appear), and the app got the mark instead.
	if l := got["leaky_app"]; !strings.Contains(l.Text, "Bearer "+scrubMark) {
		t.Errorf("stripe-mock's echo of the injected key was not scrubbed as expected: %s", l.Text)
	}
	seen := rec.seen()
	if seen["Bearer "+testKey] == 0 || seen["Bearer "+leakyKey] == 0 {
		t.Errorf("stripe-mock was sent %v", seen)
	}
	for auth := range seen {
		if strings.Contains(auth, TokenPrefix) {
			t.Errorf("a broker token reached stripe-mock: %q", auth)
		}
	}
	// Denied calls never left the broker: 6 allowed calls (one of them an
	// idempotent retry) and the leaky app's one.
	total := 0
	for _, n := range seen {
		total += n
	}
	if total != 7 {
		t.Errorf("stripe-mock got %d requests, want 7 (%v)", total, seen)
	}
}

// Key rotation mid-traffic: stripe-python threads create customers through
// the broker while the key file is rewritten and the broker reloads, over
// and over. Every call succeeds and stripe-mock saw both keys.
func TestRotationMidTrafficWithStripePython(t *testing.T) {
	py := testutil.NeedPython(t, "stripe", "requests")
	dir := t.TempDir()
	keyFile, leakyFile := filepath.Join(dir, "shop.key"), filepath.Join(dir, "leaky.key")
	writeKey(t, keyFile, testKey)
	writeKey(t, leakyFile, leakyKey)
	b, s, rec, _ := stripeMockBroker(t, writePolicy(t, keyFile, leakyFile))

	stop := make(chan struct{})
	rotated := make(chan int)
	go func() {
		n := 0
		keys := []string{testKey2, testKey}
		for {
			select {
			case <-stop:
				rotated <- n
				return
			case <-time.After(150 * time.Millisecond):
			}
			writeKey(t, keyFile, keys[n%2])
			if err := b.Reload(); err != nil {
				t.Error(err)
			}
			n++
		}
	}()
	lines := runApp(t, py, s.URL, testToken, "traffic", "THREADS=4", "SECONDS=3")
	close(stop)
	n := <-rotated
	failed := 0
	for _, l := range lines {
		if !l.OK {
			failed++
			if failed < 5 {
				t.Errorf("call failed during rotation: %s %s", l.Error, l.Text)
			}
		}
	}
	seen := rec.seen()
	if failed > 0 || len(lines) < 20 || n < 5 || seen["Bearer "+testKey] == 0 || seen["Bearer "+testKey2] == 0 {
		t.Fatalf("%d calls, %d failed, %d rotations, keys seen by stripe-mock %v", len(lines), failed, n, seen)
	}
	t.Logf("%d calls through %d rotations, none lost; stripe-mock saw %v", len(lines), n, seen)
}

// stripe-mock's certificate has no SAN (CN=localhost only), so Go's
// standard verification cannot accept it even with the certificate given
// as a CA: the broker refuses it unless pinned. This is why tests use
// --stripe-pin; production keeps the system roots and api.stripe.com.
func TestStripeMockCertificateNeedsPin(t *testing.T) {
	sm := testutil.StripeMockTLS(t)
	c, err := tls.Dial("tcp", sm.HTTPSAddr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	cert := c.ConnectionState().PeerCertificates[0]
	c.Close()
	ca := filepath.Join(t.TempDir(), "stripe-mock.pem")
	writeCertPEM(t, ca, cert)
	pol := mustPolicy(t, shopPolicy)
	for name, opts := range map[string]UpstreamOptions{"system roots": {}, "its certificate as --stripe-ca": {CAFile: ca}} {
		b, err := NewWithPolicy(Config{Upstream: "https://" + sm.HTTPSAddr, UpstreamTLS: opts}, pol)
		if err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(b)
		r := do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testToken)...)
		s.Close()
		if r.status != 502 {
			t.Errorf("%s: %d %s, want 502 (certificate refused)", name, r.status, r.body)
		}
	}
	b, err := NewWithPolicy(Config{Upstream: "https://" + sm.HTTPSAddr, UpstreamTLS: UpstreamOptions{Pins: []string{PinOf(cert)}, PinOnly: true}}, pol)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(b)
	defer s.Close()
	if r := do(t, "GET", s.URL+"/v1/customers/cus_1", "", bearer(testToken)...); r.status != 200 {
		t.Errorf("pinned: %d %s", r.status, r.body)
	}
}
