package guard

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// certReloader serves the guard's TLS certificate and swaps it, without
// dropping connections, when the files change and the guard gets SIGHUP
// (cert-manager, certbot and Kubernetes Secret updates rewrite the files;
// handshakes after the swap use the new pair, established connections
// keep theirs).
type certReloader struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
	m                 *Metrics
}

func newCertReloader(certFile, keyFile string, m *Metrics) (*certReloader, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	c := &certReloader{certFile: certFile, keyFile: keyFile, m: m}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

// load reads and checks the pair; on error the current one stays.
func (c *certReloader) load() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("--tls-cert: %w", err)
		}
		pair.Leaf = leaf
	}
	c.cur.Store(&pair)
	c.m.tlsNotAfter.Set(float64(leaf.NotAfter.Unix()))
	return nil
}

// reload is load with its outcome counted.
func (c *certReloader) reload() error {
	err := c.load()
	result := "ok"
	if err != nil {
		result = "error"
	}
	c.m.tlsReloads.WithLabelValues(result).Inc()
	return err
}

func (c *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// leaf returns the certificate in use.
func (c *certReloader) leaf() *x509.Certificate { return c.cur.Load().Leaf }

// config is the listener's TLS configuration: TLS 1.2 at least (what
// Stripe's webhook client speaks), Go's default cipher suites, HTTP/1.1
// (a webhook delivery is one small POST; no HTTP/2 needed).
func (c *certReloader) config() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: c.getCertificate,
		NextProtos:     []string{"http/1.1"},
	}
}

// expiresIn says how long the current certificate stays valid.
func (c *certReloader) expiresIn(now time.Time) time.Duration { return c.leaf().NotAfter.Sub(now) }
