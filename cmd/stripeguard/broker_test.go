package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

// lockedBuffer collects a child process's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The broker as an operator runs it: the real binary with a policy file and
// a mounted-secret key file, in front of a real stripe-mock over pinned
// TLS, sharing state through a real Redis; the real stripe-python app
// holds only its token. Mid-traffic the key file is replaced and SIGHUP
// sent, again and again: no call fails. SIGTERM drains and exits 0.
func TestBrokerCommand(t *testing.T) {
	py := testutil.NeedPython(t, "stripe", "requests")
	sm := testutil.StripeMockTLS(t)
	rd := testutil.Redis(t)
	dir := t.TempDir()

	pin, stderr, code := run(t, ".", "broker", "pin", sm.HTTPSAddr)
	pin = strings.TrimSpace(pin)
	if code != 0 || !strings.HasPrefix(pin, "sha256/") {
		t.Fatalf("broker pin: %d %q %s", code, pin, stderr)
	}
	token, stderr, code := run(t, ".", "broker", "token")
	token = strings.TrimSpace(token)
	m := regexp.MustCompile(`token_sha256 = \["([0-9a-f]{64})"\]`).FindStringSubmatch(stderr)
	if code != 0 || !strings.HasPrefix(token, "sk_broker_") || m == nil {
		t.Fatalf("broker token: %d %q %s", code, token, stderr)
	}
	keyA, keyB := "sk_"+"test_"+"CommandTestKeyAAAAAAAAAAAA", "sk_"+"test_"+"CommandTestKeyBBBBBBBBBBBB"
	keyFile := filepath.Join(dir, "stripe-key")
	writeKey := func(k string) {
		os.WriteFile(keyFile+".tmp", []byte(k+"\n"), 0o600)
		os.Rename(keyFile+".tmp", keyFile)
	}
	writeKey(keyA)
	policy := filepath.Join(dir, "broker.toml")
	os.WriteFile(policy, []byte(`
version = 1
[app.shop]
token_sha256 = ["`+m[1]+`"]
key_file = "`+keyFile+`"
require_idempotency_key = true
rate = "100000/s"
[[app.shop.allow]]
route = "POST /v1/customers"
[[app.shop.allow]]
route = "GET /v1/customers/*"
`), 0o600)
	if out, stderr, code := run(t, ".", "broker", "policy", "check", policy); code != 0 || !strings.Contains(out, "app shop: key sk_test_…AAAA, 2 route(s)") {
		t.Fatalf("policy check: %d %s %s", code, out, stderr)
	}

	listen, admin := freePort(t), freePort(t)
	cmd := exec.Command(binary, "broker", "--policy", policy, "--listen", listen, "--admin-listen", admin,
		"--stripe-api-base", "https://"+sm.HTTPSAddr, "--stripe-pin", pin, "--stripe-pin-only",
		"--redis-url", rd.URL(), "--log-format", "json")
	var logs lockedBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if r, err := http.Get("http://" + admin + "/healthz"); err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode == 200 && strings.HasPrefix(string(b), "ok") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker did not start: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Traffic from stripe-python while the key rotates under SIGHUP.
	app := exec.Command(py, "../../internal/broker/testdata/stripe_app.py", "traffic")
	app.Env = []string{"PATH=/usr/bin:/bin", "STRIPE_API_BASE=http://" + listen, "STRIPE_BROKER_TOKEN=" + token, "THREADS=4", "SECONDS=3"}
	var appOut bytes.Buffer
	app.Stdout = &appOut
	app.Stderr = &appOut
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Wait() }()
	rotations := 0
	keys := []string{keyB, keyA}
rotate:
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("app: %v\n%s", err, appOut.String())
			}
			break rotate
		case <-time.After(200 * time.Millisecond):
			writeKey(keys[rotations%2])
			cmd.Process.Signal(syscall.SIGHUP)
			rotations++
		}
	}
	calls, failed := 0, 0
	sc := bufio.NewScanner(&appOut)
	for sc.Scan() {
		var l struct {
			OK   bool
			Text string
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			t.Fatalf("app output: %s", sc.Text())
		}
		calls++
		if !l.OK {
			failed++
			if failed < 4 {
				t.Errorf("call failed during rotation: %s", l.Text)
			}
		}
	}
	if calls < 20 || failed > 0 || rotations < 5 {
		t.Fatalf("%d calls, %d failed, %d rotations", calls, failed, rotations)
	}
	time.Sleep(300 * time.Millisecond) // let the last reload log
	lg := logs.String()
	if strings.Count(lg, `"key_rotated":true`) < 3 {
		t.Errorf("rotations not logged:\n%s", lg)
	}
	for _, secret := range []string{keyA, keyB, token} {
		if strings.Contains(lg, secret) {
			t.Fatalf("a secret reached the log")
		}
	}
	r, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{`stripeguard_broker_requests_total{app="shop",outcome="forwarded"}`, `stripeguard_broker_reloads_total{result="ok"}`} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	t.Logf("%d calls through %d SIGHUP rotations, none failed", calls, rotations)

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("broker exit: %v\n%s", err, logs.String())
	}
}

func TestBrokerCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[app.a]\nkey_env = \"NOPE\"\n"), 0o600)
	for _, args := range [][]string{
		{"broker"},
		{"broker", "--policy", filepath.Join(dir, "missing.toml")},
		{"broker", "--policy", bad},
		{"broker", "policy", "check", bad},
		{"broker", "--policy", bad, "--stripe-pin-only"},
		{"broker", "policy", "suggest"},
		{"broker", "policy", "frobnicate"},
		{"broker", "--nope"},
	} {
		if _, stderr, code := run(t, ".", args...); code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q (want 2 and one line)", args, code, stderr)
		}
	}
	out, stderr, code := run(t, ".", "broker", "policy", "suggest", "../../internal/broker/suggest/testdata/shop", "--app", "shop")
	if code != 0 || !strings.Contains(out, `route = "POST /v1/checkout/sessions"`) || !strings.Contains(stderr, "frobnicate") {
		t.Errorf("suggest: %d %s %s", code, out, stderr)
	}
}

// The scanner knows the broker: an app whose Stripe key is a broker token
// and whose API base points away from api.stripe.com has "keys never reach
// the application" in place; the repository's ordinary shop does not.
func TestScanSeesBrokerSetup(t *testing.T) {
	state := func(dir string) string {
		t.Helper()
		out, stderr, code := run(t, ".", "scan", "--format", "json", "--fail-on", "critical", dir)
		if code == 2 {
			t.Fatalf("scan %s: %s", dir, stderr)
		}
		var rep struct {
			Checklist map[string][]struct{ ID, State string }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		for _, m := range rep.Checklist["key-exposure"] {
			if m.ID == "keys.never-in-application" {
				return m.State
			}
		}
		t.Fatalf("%s: no keys.never-in-application in the checklist", dir)
		return ""
	}
	if s := state("../../internal/broker/suggest/testdata/shop"); s != "in-place" {
		t.Errorf("broker-configured app: %s", s)
	}
	if s := state("../../testdata/shop"); s == "in-place" {
		t.Errorf("ordinary app: %s", s)
	}
}
