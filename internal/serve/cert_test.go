package serve

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

func writePair(t *testing.T, dir, cn string) (certFile, keyFile string, der []byte) {
	return testutil.SelfSigned(t, dir, cn, time.Now().Add(24*time.Hour))
}

func TestLoadCertificateErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := writePair(t, dir, "a")
	other := t.TempDir()
	_, otherKey, _ := writePair(t, other, "b")
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
	for _, tc := range []struct {
		name, cert, key, want string
	}{
		{"cert without key", certFile, "", "--tls-cert and --tls-key go together"},
		{"key without cert", "", keyFile, "--tls-cert and --tls-key go together"},
		{"missing key file", certFile, filepath.Join(dir, "missing.key"), "--tls-cert/--tls-key:"},
		{"missing cert file", filepath.Join(dir, "missing.crt"), keyFile, "--tls-cert/--tls-key:"},
		{"key of another certificate", certFile, otherKey, "--tls-cert/--tls-key:"},
		{"certificate given as key", certFile, certFile, "--tls-cert/--tls-key:"},
		{"not PEM", garbage, keyFile, "--tls-cert/--tls-key:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadCertificate(tc.cert, tc.key)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("LoadCertificate: %v, %v; want an error starting %q", c, err, tc.want)
			}
			// The error names the flags, never the key material.
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("error shows key material: %v", err)
			}
		})
	}
	c, err := LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if c.Leaf().Subject.CommonName != "a" {
		t.Errorf("leaf: %v", c.Leaf().Subject)
	}
}

// clientFor trusts exactly der and opens a new connection per request,
// so each request sees the certificate served now.
func clientFor(t *testing.T, der []byte) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: testutil.CertPool(t, der)}, DisableKeepAlives: true}}
}

// Run serves HTTPS with a Certificate; Reload swaps the pair for new
// handshakes while an established connection keeps working; a pair that
// does not load keeps the one in use.
func TestCertificateReloadUnderServe(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, derA := writePair(t, dir, "cert-a")
	cert, err := LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c := base(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			io.WriteString(w, "plain")
			return
		}
		io.WriteString(w, r.Proto+" over TLS")
	}))
	c.TLS = cert.Config()
	r := start(t, c)
	url := "https://" + r.listen.String() + "/"

	// A keep-alive connection established under cert A.
	keep := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: testutil.CertPool(t, derA)}}}
	mustGet := func(cl *http.Client, what string) {
		t.Helper()
		res := get(cl, url)
		if res.err != nil || res.status != 200 || res.body != "HTTP/1.1 over TLS" {
			t.Fatalf("%s: %+v", what, res)
		}
	}
	mustGet(keep, "keep-alive client under cert A")

	derB := func() []byte {
		_, _, der := writePair(t, dir, "cert-b") // same paths, new pair
		return der
	}()
	steps := []struct {
		name     string
		prepare  func()
		wantErr  bool
		trusted  []byte // a new connection trusting only this works
		rejected []byte // and one trusting only this fails
		leafCN   string
	}{
		{name: "before reload: still A", prepare: func() {}, trusted: derA, rejected: derB, leafCN: "cert-a"},
		{name: "reload: B", prepare: func() {}, trusted: derB, rejected: derA, leafCN: "cert-b"},
		{name: "broken key file: B stays", prepare: func() { os.WriteFile(keyFile, []byte("garbage"), 0o600) }, wantErr: true, trusted: derB, rejected: derA, leafCN: "cert-b"},
		{name: "files removed: B stays", prepare: func() { os.Remove(certFile); os.Remove(keyFile) }, wantErr: true, trusted: derB, rejected: derA, leafCN: "cert-b"},
	}
	for i, s := range steps {
		s.prepare()
		if i > 0 {
			err := cert.Reload()
			if (err != nil) != s.wantErr {
				t.Fatalf("%s: Reload: %v", s.name, err)
			}
		}
		if cn := cert.Leaf().Subject.CommonName; cn != s.leafCN {
			t.Errorf("%s: Leaf %q, want %q", s.name, cn, s.leafCN)
		}
		mustGet(clientFor(t, s.trusted), s.name+": new connection")
		if res := get(clientFor(t, s.rejected), url); res.err == nil {
			t.Errorf("%s: a client trusting only the other certificate connected", s.name)
		}
		// The connection made under A keeps working across every swap.
		mustGet(keep, s.name+": established connection")
	}
}

// The listener configuration: TLS 1.2 at least, HTTP/1.1 only.
func TestCertificateConfig(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, der := writePair(t, dir, "cfg")
	cert, err := LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c := base(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	c.TLS = cert.Config()
	r := start(t, c)
	roots := testutil.CertPool(t, der)
	for _, tc := range []struct {
		name     string
		cfg      *tls.Config
		ok       bool
		wantALPN string
	}{
		{"TLS 1.3", &tls.Config{RootCAs: roots}, true, ""},
		{"TLS 1.2", &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS12}, true, ""},
		{"TLS 1.1 refused", &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, false, ""},
		{"h2 only refused", &tls.Config{RootCAs: roots, NextProtos: []string{"h2"}}, false, ""},
		{"h2 or http/1.1 gets http/1.1", &tls.Config{RootCAs: roots, NextProtos: []string{"h2", "http/1.1"}}, true, "http/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", r.listen.String(), tc.cfg)
			if !tc.ok {
				if err == nil {
					conn.Close()
					t.Fatal("handshake succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if p := conn.ConnectionState().NegotiatedProtocol; p != tc.wantALPN {
				t.Errorf("ALPN %q, want %q", p, tc.wantALPN)
			}
		})
	}
}
