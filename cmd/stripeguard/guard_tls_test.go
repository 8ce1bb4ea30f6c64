package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/testutil"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

func selfSigned(t *testing.T, dir, cn string) []byte {
	_, _, der := testutil.SelfSigned(t, dir, cn, time.Now().Add(30*24*time.Hour))
	return der
}

// The guard command with --tls-cert/--tls-key: HTTPS deliveries reach the
// app with X-Forwarded-* and Forwarded set (a spoofed X-Forwarded-For is
// replaced), a real SIGHUP picks up a renewed certificate, and the admin
// /healthz stays plain HTTP.
func TestGuardCommandTLS(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		io.WriteString(w, `{"received": true}`)
	}))
	defer app.Close()
	dir := t.TempDir()
	derA := selfSigned(t, dir, "guard-a")
	secret := "whsec_" + "e2eGuardTLSSecretForTestsOnly0"
	listen, admin := freePort(t), freePort(t)
	cmd := exec.Command(binary, "guard", "--listen", listen, "--admin-listen", admin, "--upstream", app.URL,
		"--tls-cert", filepath.Join(dir, "tls.crt"), "--tls-key", filepath.Join(dir, "tls.key"))
	cmd.Env = append(os.Environ(), "STRIPE_WEBHOOK_SECRET="+secret)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
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
	client := func(der []byte) *http.Client {
		c, _ := x509.ParseCertificate(der)
		pool := x509.NewCertPool()
		pool.AddCert(c)
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	}
	deliver := func(c *http.Client, id string) (*http.Response, error) {
		body := []byte(`{"id": "` + id + `", "type": "invoice.paid"}`)
		req, _ := http.NewRequest("POST", "https://"+listen+"/webhooks/stripe", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", webhooksig.Header(time.Now().Unix(), body, secret))
		req.Header.Set("X-Forwarded-For", "6.6.6.6")
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := deliver(client(derA), "evt_tls_e2e_1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HTTPS delivery: %v %v\n%s", resp, err, logs.String())
	}
	mu.Lock()
	h := seen[0]
	mu.Unlock()
	if h.Get("X-Forwarded-For") != "127.0.0.1" || h.Get("X-Forwarded-Proto") != "https" || !strings.HasPrefix(h.Get("Forwarded"), "for=127.0.0.1;host=") {
		t.Errorf("forwarding headers: %v", h)
	}
	derB := selfSigned(t, dir, "guard-b")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var cn string
	for i := 0; i < 200 && cn != "guard-b"; i++ {
		if resp, err := deliver(client(derB), "evt_tls_e2e_2"); err == nil {
			cn = resp.TLS.PeerCertificates[0].Subject.CommonName
		} else {
			time.Sleep(25 * time.Millisecond)
		}
	}
	if cn != "guard-b" {
		t.Fatalf("renewed certificate not served after SIGHUP\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "TLS certificate reloaded") {
		t.Errorf("no reload in the log:\n%s", logs.String())
	}
	if _, stderr, code := run(t, ".", "guard", "--upstream", app.URL, "--tls-cert", "x.pem"); code != 2 || !strings.Contains(stderr, "go together") {
		t.Errorf("--tls-cert alone: exit %d %q", code, stderr)
	}
}
