package serve

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
)

// Certificate is a listener's TLS certificate and key, read from PEM files
// and swapped by Reload without dropping connections: cert-manager,
// certbot and Kubernetes Secret volumes rewrite the files in place, the
// proxy gets SIGHUP (or notices), handshakes after the swap use the new
// pair, established connections keep theirs.
type Certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// LoadCertificate reads the pair (both files are needed).
func LoadCertificate(certFile, keyFile string) (*Certificate, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again; on error the pair in use stays.
func (c *Certificate) Reload() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("--tls-cert: %w", err)
		}
	}
	c.cur.Store(&pair)
	return nil
}

// Leaf is the certificate in use.
func (c *Certificate) Leaf() *x509.Certificate { return c.cur.Load().Leaf }

// Config is a listener configuration serving the current pair: TLS 1.2 at
// least (what Stripe's webhook client and the Stripe libraries speak), Go's
// default cipher suites, HTTP/1.1 only (one small request at a time; no
// HTTP/2 needed).
func (c *Certificate) Config() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.cur.Load(), nil },
	}
}
