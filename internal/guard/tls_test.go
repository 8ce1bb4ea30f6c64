package guard

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

var writeCert = testutil.SelfSigned

// tlsClient trusts exactly one certificate and opens a new connection
// per request (so each request sees the certificate in use now).
func tlsClient(t testing.TB, der []byte) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: testutil.CertPool(t, der)}, DisableKeepAlives: true}}
}

// The guard terminates TLS, forwards with X-Forwarded-Proto https, and
// on a reload signal serves a renewed certificate to new connections
// while a broken one is refused and the current one kept.
func TestTLSTerminationAndReload(t *testing.T) {
	up := newUpstream(t)
	dir := t.TempDir()
	certFile, keyFile, derA := writeCert(t, dir, "guard-a", time.Now().Add(90*24*time.Hour))
	g, err := New(Config{Upstream: up.srv.URL}, []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	reload := make(chan os.Signal, 1)
	addrs := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	sc := ServerConfig{Listen: "127.0.0.1:0", AdminListen: "off", TLSCert: certFile, TLSKey: keyFile}
	go func() {
		done <- Run(ctx, g, sc, SecretSource{Flags: []string{secret}}, reload, func(l, _ net.Addr) { addrs <- l })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("guard did not start: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	url := "https://" + addr.String() + "/hook"
	deliver := func(c *http.Client, id string) (*http.Response, error) {
		body := event(id)
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", signed(body))
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := deliver(tlsClient(t, derA), "evt_tls_1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("delivery over TLS: %v %v", resp, err)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || resp.TLS.PeerCertificates[0].Subject.CommonName != "guard-a" {
		t.Errorf("TLS state %+v", resp.TLS)
	}
	if got := up.got[0].header.Get("X-Forwarded-Proto"); got != "https" {
		t.Errorf("X-Forwarded-Proto = %q, want https", got)
	}
	if !strings.Contains(up.got[0].header.Get("Forwarded"), "proto=https") {
		t.Errorf("Forwarded = %q", up.got[0].header.Get("Forwarded"))
	}
	notAfter := func() int64 { return int64(value(t, g.m.tlsNotAfter)) }
	if a, _ := x509.ParseCertificate(derA); notAfter() != a.NotAfter.Unix() {
		t.Errorf("not-after gauge %d, want %d", notAfter(), a.NotAfter.Unix())
	}

	// Plain HTTP and TLS 1.1 are refused.
	if r, err := http.Post("http://"+addr.String()+"/hook", "application/json", strings.NewReader("{}")); err == nil {
		r.Body.Close()
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the TLS port: %d", r.StatusCode)
		}
	}
	old := tlsClient(t, derA)
	old.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS11
	if _, err := deliver(old, "evt_tls_old"); err == nil {
		t.Error("TLS 1.1 accepted")
	}

	// Renewal: new files, reload signal, new connections get the new pair.
	_, _, derB := writeCert(t, dir, "guard-b", time.Now().Add(180*24*time.Hour))
	reload <- nil
	var served string
	for i := 0; i < 100; i++ {
		resp, err = deliver(tlsClient(t, derB), "evt_tls_2")
		if err == nil {
			served = resp.TLS.PeerCertificates[0].Subject.CommonName
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if served != "guard-b" || resp.StatusCode != 200 {
		t.Fatalf("after reload: served %q, err %v", served, err)
	}
	if _, err := deliver(tlsClient(t, derA), "evt_tls_3"); err == nil {
		t.Error("the old certificate is still served after the reload")
	}
	if got := value(t, g.m.tlsReloads.WithLabelValues("ok")); got != 1 {
		t.Errorf("tls reloads ok = %v", got)
	}
	// A broken pair (key of another certificate) is refused; B stays.
	_, otherKey, _ := writeCert(t, t.TempDir(), "other", time.Now().Add(time.Hour))
	kb, _ := os.ReadFile(otherKey)
	if err := os.WriteFile(keyFile, kb, 0o600); err != nil {
		t.Fatal(err)
	}
	reload <- nil
	for i := 0; i < 100 && value(t, g.m.tlsReloads.WithLabelValues("error")) == 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if got := value(t, g.m.tlsReloads.WithLabelValues("error")); got != 1 {
		t.Errorf("tls reloads error = %v", got)
	}
	if resp, err := deliver(tlsClient(t, derB), "evt_tls_4"); err != nil || resp.TLS.PeerCertificates[0].Subject.CommonName != "guard-b" {
		t.Errorf("after a failed reload the current certificate must stay: %v", err)
	}
	if b, _ := x509.ParseCertificate(derB); notAfter() != b.NotAfter.Unix() {
		t.Errorf("not-after gauge %d, want B's", notAfter())
	}
}

func TestTLSConfigErrors(t *testing.T) {
	g, err := New(Config{Upstream: "http://127.0.0.1:1"}, []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, _, _ := writeCert(t, dir, "x", time.Now().Add(time.Hour))
	for _, sc := range []ServerConfig{
		{Listen: "127.0.0.1:0", AdminListen: "off", TLSCert: certFile},
		{Listen: "127.0.0.1:0", AdminListen: "off", TLSCert: certFile, TLSKey: filepath.Join(dir, "missing.key")},
		{Listen: "127.0.0.1:0", AdminListen: "off", TLSCert: certFile, TLSKey: certFile},
	} {
		if err := Serve(context.Background(), g, sc, nil); err == nil || !strings.Contains(err.Error(), "--tls") {
			t.Errorf("%+v: err %v", sc, err)
		}
	}
}

// value reads a counter or gauge.
func value(t testing.TB, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Gauge != nil {
		return m.Gauge.GetValue()
	}
	return m.Counter.GetValue()
}
