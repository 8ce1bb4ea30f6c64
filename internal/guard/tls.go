package guard

import (
	"github.com/stripeguard/stripeguard/internal/serve"
)

// The guard terminates TLS with a serve.Certificate: SIGHUP re-reads the
// files (cert-manager, certbot and Kubernetes Secret updates rewrite them);
// handshakes after the swap use the new pair, established connections keep
// theirs. The certificate's expiry is exported
// (stripeguard_guard_tls_cert_not_after_seconds) and every reload counted.

// loadCertificate reads the pair and exports its expiry.
func (g *Guard) loadCertificate(certFile, keyFile string) (*serve.Certificate, error) {
	c, err := serve.LoadCertificate(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	g.m.tlsNotAfter.Set(float64(c.Leaf().NotAfter.Unix()))
	return c, nil
}

// reloadCertificate re-reads the pair; on error the current one stays.
func (g *Guard) reloadCertificate(c *serve.Certificate) error {
	err := c.Reload()
	result := "ok"
	if err != nil {
		result = "error"
	} else {
		g.m.tlsNotAfter.Set(float64(c.Leaf().NotAfter.Unix()))
	}
	g.m.tlsReloads.WithLabelValues(result).Inc()
	return err
}
