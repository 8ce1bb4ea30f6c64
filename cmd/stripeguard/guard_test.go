package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The guard command as a user runs it: a real process in front of an app on
// loopback, forwarding a signed delivery, blocking a forged one and a
// replay, refusing an API key as secret, and stopping cleanly on SIGTERM.
func TestGuardCommand(t *testing.T) {
	var forwarded atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Stripe-Signature") == "" || !bytes.Contains(body, []byte("evt_guard_e2e")) {
			w.WriteHeader(500)
			return
		}
		forwarded.Add(1)
		io.WriteString(w, `{"received": true}`)
	}))
	defer app.Close()

	secret := "whsec_" + "e2eGuardSecretForTestsOnly0000"
	if _, stderr, code := run(t, ".", "guard", "--upstream", app.URL, "--secret", "sk_"+"live_notAwebhookSecret0000000"); code != 2 || !strings.Contains(stderr, "API KEY") {
		t.Errorf("an API key as secret must be refused: exit %d %q", code, stderr)
	}

	listen, admin := freePort(t), freePort(t)
	cmd := exec.Command(binary, "guard", "--listen", listen, "--admin-listen", admin, "--upstream", app.URL, "--secret", secret)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url := "http://" + listen + "/webhooks/stripe"
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r, err := http.Get("http://" + admin + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("guard did not start: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	body := []byte(`{"id": "evt_guard_e2e", "type": "invoice.paid"}`)
	post := func(header string) int {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("Stripe-Signature", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := time.Now().Unix()
	if got := post(""); got != 400 {
		t.Errorf("unsigned: %d, want 400", got)
	}
	if got := post(webhooksig.Header(now, body, "whsec_"+"someoneElsesSecret000000000000")); got != 400 {
		t.Errorf("wrong secret: %d, want 400", got)
	}
	if got := post(webhooksig.Header(now-3600, body, secret)); got != 400 {
		t.Errorf("stale: %d, want 400", got)
	}
	valid := webhooksig.Header(now, body, secret)
	if got := post(valid); got != 200 {
		t.Errorf("valid: %d, want 200 (%s)", got, logs.String())
	}
	if got := post(valid); got != 200 {
		t.Errorf("replay: %d, want 200 without forwarding", got)
	}
	if n := forwarded.Load(); n != 1 {
		t.Errorf("app saw %d deliveries, want exactly 1", n)
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("logs contain the full secret")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("guard exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("guard did not stop on SIGTERM")
	}
}
