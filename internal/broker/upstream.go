package broker

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultAPIBase is Stripe's API.
const DefaultAPIBase = "https://api.stripe.com"

// UpstreamOptions say where and how the broker reaches Stripe.
type UpstreamOptions struct {
	// Base is the API base URL (default https://api.stripe.com). http:// is
	// accepted only for a loopback host (a local stripe-mock): the real key
	// never crosses a network in clear.
	Base string
	// CAFile, if set, replaces the system roots with the PEM certificates
	// in it (a private CA). Verification is otherwise the standard one:
	// chain, expiry, and the host name in the certificate's SANs.
	CAFile string
	// Pins are "sha256/<base64 of the SHA-256 of the certificate's
	// SubjectPublicKeyInfo>" (curl's --pinnedpubkey format). With CAFile or
	// the system roots the pin is checked in addition to the chain; with
	// PinOnly the pin alone decides (a self-signed upstream such as
	// stripe-mock, whose certificate has no SAN and which Go refuses to
	// match by its Common Name).
	Pins    []string
	PinOnly bool
	// Timeout bounds the wait for Stripe's response headers.
	Timeout time.Duration
}

// ParseUpstream validates the base URL.
func ParseUpstream(base string) (*url.URL, error) {
	if base == "" {
		base = DefaultAPIBase
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--stripe-api-base %q: want https://host[:port]", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("--stripe-api-base %q: plain http is only allowed to a loopback host (the real key would cross the network in clear)", base)
		}
	default:
		return nil, fmt.Errorf("--stripe-api-base %q: want https://", base)
	}
	return u, nil
}

func isLoopback(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// NewTransport builds a net/http keep-alive HTTP/1.1 pool to Stripe with
// verified TLS. Proxies come from HTTPS_PROXY/NO_PROXY (an egress proxy such
// as smokescreen); TLS is end to end through it. Without a proxy the broker
// uses its own lean pool (lean.go) with the same TLS settings.
func NewTransport(o UpstreamOptions) (*http.Transport, error) {
	tc, err := tlsConfig(o)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultUpstreamTimeout
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only
		ForceAttemptHTTP2:     false,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true, // relay bytes as they are (and scrub them)
		ResponseHeaderTimeout: timeout,
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        16 << 10,
	}, nil
}

// newUpstreamTransport picks the lean pool unless an egress proxy applies
// to the upstream.
func newUpstreamTransport(u *url.URL, o UpstreamOptions) (http.RoundTripper, error) {
	if p, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err == nil && p != nil {
		return NewTransport(o)
	}
	tc, err := tlsConfig(o)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultUpstreamTimeout
	}
	return newLeanTransport(u, tc, timeout), nil
}

// tlsConfig is the verification the broker applies to Stripe: system roots
// (or CAFile), host name, TLS 1.2+, HTTP/1.1, optional pins.
func tlsConfig(o UpstreamOptions) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--stripe-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--stripe-ca %s: no PEM certificate in it", o.CAFile)
		}
		tc.RootCAs = pool
	}
	if len(o.Pins) > 0 {
		pins := map[[32]byte]bool{}
		for _, p := range o.Pins {
			h, err := ParsePin(p)
			if err != nil {
				return nil, err
			}
			pins[h] = true
		}
		// VerifyConnection runs after the standard verification (when it
		// is on) and on every connection, resumed ones included.
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("upstream sent no certificate")
			}
			if !pins[sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)] {
				return fmt.Errorf("upstream certificate key %s matches no --stripe-pin", PinOf(cs.PeerCertificates[0]))
			}
			return nil
		}
		tc.InsecureSkipVerify = o.PinOnly // the pin alone decides; see UpstreamOptions
	} else if o.PinOnly {
		return nil, errors.New("pin-only verification without a pin")
	}
	return tc, nil
}

// ParsePin reads "sha256/<base64>" (also "sha256//<base64>", curl's form).
func ParsePin(p string) ([32]byte, error) {
	var h [32]byte
	s, ok := strings.CutPrefix(p, "sha256/")
	s = strings.TrimPrefix(s, "/")
	b, err := base64.StdEncoding.DecodeString(s)
	if !ok || err != nil || len(b) != len(h) {
		return h, fmt.Errorf("--stripe-pin %q: want sha256/<base64 of 32 bytes>", p)
	}
	copy(h[:], b)
	return h, nil
}

// PinOf is a certificate's pin in the --stripe-pin format.
func PinOf(c *x509.Certificate) string {
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return "sha256/" + base64.StdEncoding.EncodeToString(h[:])
}

// FetchPin connects to addr (host:port) without verifying and returns the
// pin of the certificate it presents: trust on first use, for a local
// stripe-mock or a private endpoint the operator controls.
func FetchPin(addr string, timeout time.Duration) (string, error) {
	d := &net.Dialer{Timeout: timeout}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		return "", err
	}
	defer c.Close()
	certs := c.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", errors.New("no certificate")
	}
	return PinOf(certs[0]), nil
}

// Response bodies pass through a scrubber that removes the real key: an
// upstream that echoes the Authorization header in an error (stripe-mock
// does, in full) must not hand the key to the application.
const scrubMark = "[key removed by stripeguard broker]"

// scrubBytes replaces every occurrence of key in b.
func scrubBytes(b []byte, key string) []byte {
	if key == "" || !bytes.Contains(b, []byte(key)) {
		return b
	}
	return bytes.ReplaceAll(b, []byte(key), []byte(scrubMark))
}

// scrubWriter removes key from a stream whose length is not known in
// advance, holding back len(key)-1 bytes that could start a match.
type scrubWriter struct {
	w     io.Writer
	key   []byte
	carry []byte
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	data := append(s.carry, p...)
	for {
		i := bytes.Index(data, s.key)
		if i < 0 {
			break
		}
		if _, err := s.w.Write(data[:i]); err != nil {
			return 0, err
		}
		if _, err := io.WriteString(s.w, scrubMark); err != nil {
			return 0, err
		}
		data = data[i+len(s.key):]
	}
	keep := len(s.key) - 1
	if keep > len(data) {
		keep = len(data)
	}
	if _, err := s.w.Write(data[:len(data)-keep]); err != nil {
		return 0, err
	}
	s.carry = append(s.carry[:0:0], data[len(data)-keep:]...)
	return len(p), nil
}

// Flush writes what was held back.
func (s *scrubWriter) Flush() error {
	_, err := s.w.Write(s.carry)
	s.carry = nil
	return err
}
