package guard

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

func TestGuardRequests(t *testing.T) {
	up := newUpstream(t)
	_, gs := newGuard(t, up.srv.URL, func(c *Config) { c.MaxBody = 64 << 10 })
	now := time.Now().Unix()
	body := event("evt_table")
	big := bytes.Repeat([]byte("x"), 65<<10)
	tests := []struct {
		name   string
		method string
		path   string
		body   []byte
		sigs   []string
		status int
		reason string
	}{
		{"no header", "POST", "/webhook", body, nil, 400, "missing-header"},
		{"two headers", "POST", "/webhook", body, []string{signed(body), signed(body)}, 400, "multiple-headers"},
		{"forged", "POST", "/webhook", body, []string{webhooksig.Header(now, body, "whsec_attacker")}, 400, "signature-mismatch"},
		{"stale", "POST", "/webhook", body, []string{webhooksig.Header(now-400, body, secret)}, 400, "timestamp-too-old"},
		{"future", "POST", "/webhook", body, []string{webhooksig.Header(now+400, body, secret)}, 400, "timestamp-in-future"},
		{"v0 only", "POST", "/webhook", body, []string{"t=" + strconv.FormatInt(now, 10) + ",v0=" + webhooksig.Sign(secret, now, body)}, 400, "no-v1-signature"},
		{"malformed", "POST", "/webhook", body, []string{"t=abc,v1=zz"}, 400, "malformed-header"},
		{"non-ascii", "POST", "/webhook", body, []string{"t=1,v1=é"}, 400, "malformed-header"},
		{"GET", "GET", "/webhook", nil, []string{signed(nil)}, 405, "method-not-allowed"},
		{"too large", "POST", "/webhook", big, []string{signed(big)}, 413, "body-too-large"},
		{"signed non-event", "POST", "/webhook", []byte(`[1,2]`), []string{signed([]byte(`[1,2]`))}, 400, "invalid-event"},
		{"signed invalid utf8", "POST", "/webhook", []byte("{\"id\":\"evt_\xff\"}"), []string{signed([]byte("{\"id\":\"evt_\xff\"}"))}, 400, "invalid-event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, gs.URL+tc.path, bytes.NewReader(tc.body))
			for _, s := range tc.sigs {
				req.Header.Add("Stripe-Signature", s)
			}
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.reason) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b, tc.status, tc.reason)
			}
		})
	}
	if n := up.count.Load(); n != 0 {
		t.Fatalf("%d rejected requests reached the app", n)
	}
}

func TestGuardForwardsExactlyAndDedupes(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"lean forwarder", nil},
		{"http.Transport", func(c *Config) { c.Transport = NewTransport(10 * time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) { forwardsExactlyAndDedupes(t, tc.mod) })
	}
}

func forwardsExactlyAndDedupes(t *testing.T, mod func(*Config)) {
	up := newUpstream(t)
	g, gs := newGuard(t, up.srv.URL+"/base", mod)
	if (mod == nil) != (g.lean != nil) {
		t.Fatal("wrong forwarder selected")
	}
	// Whitespace and key order exactly as sent; nested ids must not be used.
	body := []byte("{\n  \"data\": {\"object\": {\"id\": \"pi_1\"}},\n  \"id\": \"evt_exact_1\",\n  \"object\": \"event\"\n}\n")
	sig := signed(body)
	req, _ := http.NewRequest("POST", gs.URL+"/stripe/webhook?x=1", bytes.NewReader(body))
	req.Header.Set("Stripe-Signature", sig)
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Host = "hooks.example.test"
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "app says 200" || resp.Header.Get("X-App") != "yes" {
		t.Fatalf("got %d %q %v", resp.StatusCode, b, resp.Header)
	}
	got := up.got[0]
	if !bytes.Equal(got.body, body) || got.header.Get("Stripe-Signature") != sig || got.path != "/base/stripe/webhook?x=1" ||
		got.header.Get("User-Agent") != req.Header.Get("User-Agent") || got.header.Get("Content-Type") != req.Header.Get("Content-Type") ||
		got.host != "hooks.example.test" {
		t.Fatalf("not forwarded unchanged: %+v", got)
	}
	// Replays (even freshly re-signed, as Stripe retries) are answered 200
	// without reaching the app.
	for i := 0; i < 3; i++ {
		st, b, _ := post(t, gs.URL+"/stripe/webhook", body, signed(body))
		if st != 200 || !strings.Contains(b, "duplicate") {
			t.Fatalf("replay %d: %d %q", i, st, b)
		}
	}
	if up.forwarded("evt_exact_1") != 1 {
		t.Fatalf("forwarded %d times", up.forwarded("evt_exact_1"))
	}
	// Rotation: the swapped verifier accepts the new secret, old one gone.
	if err := g.SetSecrets([]string{secret2}); err != nil {
		t.Fatal(err)
	}
	b2 := event("evt_rotated")
	if st, _, _ := post(t, gs.URL+"/w", b2, signed(b2, secret)); st != 400 {
		t.Fatalf("old secret after rotation: %d", st)
	}
	if st, _, _ := post(t, gs.URL+"/w", b2, signed(b2, secret, secret2)); st != 200 {
		t.Fatalf("new secret after rotation: %d", st)
	}
	if err := g.SetSecrets([]string{""}); err == nil {
		t.Fatal("empty secret accepted on reload")
	}
	if st, _, _ := post(t, gs.URL+"/w", event("evt_r2"), signed(event("evt_r2"), secret2)); st != 200 {
		t.Fatalf("bad reload changed the verifier: %d", st)
	}
}

func TestGuardFailedDeliveryIsRetried(t *testing.T) {
	up := newUpstream(t)
	_, gs := newGuard(t, up.srv.URL, nil)
	body := event("evt_retry")
	up.status.Store(500)
	if st, b, _ := post(t, gs.URL+"/w", body, signed(body)); st != 500 || b != "app says 500" {
		t.Fatalf("upstream 500 not relayed: %d %q", st, b)
	}
	up.status.Store(0)
	if st, _, _ := post(t, gs.URL+"/w", body, signed(body)); st != 200 {
		t.Fatalf("retry after failure: %d", st)
	}
	if st, b, _ := post(t, gs.URL+"/w", body, signed(body)); st != 200 || !strings.Contains(b, "duplicate") {
		t.Fatalf("after success: %d %q", st, b)
	}
	if n := up.forwarded("evt_retry"); n != 2 {
		t.Fatalf("forwarded %d times, want 2 (failed + retried)", n)
	}

	// Upstream unreachable: 502, and the retry is forwarded once it is back.
	dead := newUpstream(t)
	deadURL := dead.srv.URL
	dead.srv.Close()
	_, gs2 := newGuard(t, deadURL, func(c *Config) { c.UpstreamTimeout = 5 * time.Second })
	b2 := event("evt_down")
	if st, _, _ := post(t, gs2.URL+"/w", b2, signed(b2)); st != 502 {
		t.Fatalf("upstream down: %d", st)
	}
}

func TestGuardConcurrentDuplicatesMemory(t *testing.T) {
	up := newUpstream(t)
	up.delay.Store(int64(200 * time.Millisecond))
	_, gs := newGuard(t, up.srv.URL, nil)
	body := event("evt_concurrent")
	statuses := hammer(t, []string{gs.URL}, body, 50)
	if n := up.forwarded("evt_concurrent"); n != 1 {
		t.Fatalf("forwarded %d times, want 1 (statuses %v)", n, statuses)
	}
	if statuses[200] < 1 || statuses[200]+statuses[409] != 50 {
		t.Fatalf("statuses %v", statuses)
	}
}

// hammer fires n concurrent deliveries of one event at the given guards
// (round robin) and counts statuses.
func hammer(t *testing.T, urls []string, body []byte, n int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("POST", urls[i%len(urls)]+"/w", bytes.NewReader(body))
			req.Header.Set("Stripe-Signature", signed(body))
			resp, err := testClient.Do(req)
			st := -1
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				st = resp.StatusCode
			}
			mu.Lock()
			statuses[st]++
			mu.Unlock()
		}(i)
	}
	close(start)
	wg.Wait()
	return statuses
}

func TestGuardAllowCIDR(t *testing.T) {
	up := newUpstream(t)
	tests := []struct {
		cidr string
		want int
	}{
		{"127.0.0.0/8", 200},
		{"3.18.12.63/32", 403},
		{"::1/128", 403},
	}
	for i, tc := range tests {
		_, gs := newGuard(t, up.srv.URL, func(c *Config) { c.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix(tc.cidr)} })
		b := event("evt_cidr_" + strconv.Itoa(i))
		if st, _, _ := post(t, gs.URL+"/w", b, signed(b)); st != tc.want {
			t.Errorf("%s: %d, want %d", tc.cidr, st, tc.want)
		}
	}
}

func TestGuardMetrics(t *testing.T) {
	up := newUpstream(t)
	g, gs := newGuard(t, up.srv.URL, nil)
	admin := newAdmin(t, g)
	b := event("evt_metrics")
	post(t, gs.URL+"/w", b, signed(b))
	post(t, gs.URL+"/w", b, signed(b))
	post(t, gs.URL+"/w", b, "t=1,v1=00")
	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`stripeguard_guard_requests_total{outcome="forwarded"} 1`,
		`stripeguard_guard_requests_total{outcome="duplicate"} 1`,
		`stripeguard_guard_rejected_total{reason="malformed-header"} 1`,
		`stripeguard_guard_duplicates_total 1`,
		`stripeguard_guard_secrets 1`,
		`stripeguard_guard_request_duration_seconds_count{outcome="forwarded"} 1`,
	} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if bytes.Contains(m, []byte(secret[6:])) {
		t.Error("metrics leak the secret")
	}
	if resp, err := http.Get(admin + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
}

func newAdmin(t *testing.T, g *Guard) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g.AdminHandler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestRunReloadAndDrain runs the real server loop: SIGHUP-style reload from
// a secret file, slow clients cut off, graceful drain on shutdown.
func TestRunReloadAndDrain(t *testing.T) {
	up := newUpstream(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "secrets")
	os.WriteFile(file, []byte("# current\n"+secret+"\n"), 0o600)
	src := SecretSource{File: file}
	list, err := src.Load()
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Upstream: up.srv.URL}, list)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reload := make(chan os.Signal)
	addrs := make(chan string, 1)
	runErr := make(chan error, 1)
	go func() {
		runErr <- Run(ctx, g, ServerConfig{Listen: "127.0.0.1:0", AdminListen: "off", ReadHeaderTimeout: 300 * time.Millisecond},
			src, reload, func(l, _ net.Addr) { addrs <- "http://" + l.String() })
	}()
	var base string
	select {
	case base = <-addrs:
	case err := <-runErr:
		t.Fatal(err)
	}

	b1 := event("evt_before_reload")
	if st, _, _ := post(t, base+"/w", b1, signed(b1, secret2)); st != 400 {
		t.Fatalf("secret2 accepted before reload: %d", st)
	}
	os.WriteFile(file, []byte(secret+"\n"+secret2+"\n"), 0o600)
	reload <- os.Interrupt // any signal value; the channel is what matters
	reload <- os.Interrupt // the second send returns once the first reload is done
	if st, _, _ := post(t, base+"/w", b1, signed(b1, secret2)); st != 200 {
		t.Fatalf("secret2 refused after reload: %d", st)
	}
	// Reloads under traffic drop nothing: 100 deliveries while 20 reloads run.
	var wg sync.WaitGroup
	failures := make(chan string, 100)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				b := event("evt_reload_" + strconv.Itoa(i) + "_" + strconv.Itoa(j))
				req, _ := http.NewRequest("POST", base+"/w", bytes.NewReader(b))
				req.Header.Set("Stripe-Signature", signed(b, secret2))
				resp, err := testClient.Do(req)
				if err != nil {
					failures <- err.Error()
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failures <- strconv.Itoa(resp.StatusCode)
				}
			}
		}(i)
	}
	for i := 0; i < 20; i++ {
		reload <- os.Interrupt
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("request failed during reloads: %s", f)
	}
	os.WriteFile(file, []byte("sk_live_thisisnotawebhooksecret1234\n"), 0o600)
	reload <- os.Interrupt
	reload <- os.Interrupt
	b2 := event("evt_after_bad_reload")
	if st, _, _ := post(t, base+"/w", b2, signed(b2, secret)); st != 200 {
		t.Fatalf("bad reload dropped the old secrets: %d", st)
	}

	// A slow client that never finishes its headers is cut off.
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("POST /w HTTP/1.1\r\nHost: x\r\n"))
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, rerr := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if rerr == nil {
		// Go answers 408 on a header timeout; either way the server must not wait forever.
		t.Log("server answered the slow client")
	} else if ne, ok := rerr.(net.Error); ok && ne.Timeout() {
		t.Fatal("slow client was not cut off by ReadHeaderTimeout")
	}

	// Graceful shutdown drains an in-flight request.
	up.delay.Store(int64(500 * time.Millisecond))
	b3 := event("evt_draining")
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/w", bytes.NewReader(b3))
		req.Header.Set("Stripe-Signature", signed(b3))
		resp, err := testClient.Do(req)
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// Wait until the request is at the upstream (bounded).
	for i := 0; i < 2000; i++ {
		if inflight(g, "evt_draining") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if st := <-done; st != 200 {
		t.Fatalf("in-flight request during shutdown: %d", st)
	}
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	if up.forwarded("evt_draining") != 1 {
		t.Fatal("drained request not delivered")
	}
}

func inflight(g *Guard, id string) bool {
	ms := g.cfg.Store.(*MemoryStore)
	ms.mu.Lock()
	defer ms.mu.Unlock()
	e, ok := ms.m[keyOf(id)]
	return ok && !e.done
}

func TestSecretSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s")
	os.WriteFile(file, []byte("\n# c\n whsec_file1 \nwhsec_a\n"), 0o600)
	t.Setenv("SG_TEST_SECRETS", "whsec_env1, whsec_a")
	got, err := SecretSource{Flags: []string{"whsec_a"}, File: file, Env: "SG_TEST_SECRETS"}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "whsec_a,whsec_file1,whsec_env1" {
		t.Fatalf("got %v", got)
	}
	if _, err := (SecretSource{Env: "SG_TEST_UNSET_VAR"}).Load(); err == nil {
		t.Fatal("no secrets accepted")
	}
	t.Setenv("SG_TEST_SECRETS", "whsec_ok,")
	got, _ = SecretSource{Env: "SG_TEST_SECRETS"}.Load()
	if _, err := New(Config{Upstream: "http://127.0.0.1:1"}, got); err == nil {
		t.Fatal("trailing comma (empty secret) accepted")
	}
	if _, err := New(Config{Upstream: "ftp://x"}, []string{"whsec_ok"}); err == nil {
		t.Fatal("bad upstream accepted")
	}
}
