package guard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/stripeguard/stripeguard/internal/serve"
)

// SecretSource says where secrets come from; Load is called at start and on
// every SIGHUP. All sources are combined (every secret listed is accepted).
type SecretSource struct {
	Flags []string // --secret, repeatable
	File  string   // --secret-file: one secret per line, '#' comments
	Env   string   // name of a comma-separated env var (STRIPE_WEBHOOK_SECRET)
}

// Load returns the secrets, deduplicated, in order flags, file, env.
func (s SecretSource) Load() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, f := range s.Flags {
		add(f)
	}
	if s.File != "" {
		f, err := os.Open(s.File)
		if err != nil {
			return nil, fmt.Errorf("--secret-file: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			add(line)
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--secret-file: %w", err)
		}
	}
	if s.Env != "" {
		if v, ok := os.LookupEnv(s.Env); ok {
			for _, p := range strings.Split(v, ",") {
				add(strings.TrimSpace(p)) // an empty element is refused by CheckSecret
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no webhook secret: give --secret, --secret-file or " + s.Env)
	}
	return out, nil
}

// ServerConfig is the network side of the guard.
type ServerConfig struct {
	Listen      string // webhook listener
	AdminListen string // /metrics and /healthz; "" or "off" disables
	// Slow clients: a Stripe delivery is one small POST.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests on SIGTERM.
	ShutdownTimeout time.Duration
	// TLSCert and TLSKey (PEM files) make the webhook listener terminate
	// TLS; SIGHUP re-reads them. The admin listener stays plain HTTP
	// (probes and scrapes from inside the pod or cluster).
	TLSCert, TLSKey string
}

func (c *ServerConfig) defaults(upstreamTimeout time.Duration) {
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 5 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 15 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = c.ReadTimeout + upstreamTimeout + 5*time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 90 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = upstreamTimeout + 5*time.Second
	}
}

// Serve listens and serves until ctx is done, then shuts down gracefully:
// listeners close at once, in-flight requests are drained (up to
// ShutdownTimeout). ready, if not nil, gets the bound addresses.
func Serve(ctx context.Context, g *Guard, sc ServerConfig, ready func(listen, admin net.Addr)) error {
	var cert *serve.Certificate
	if sc.TLSCert != "" || sc.TLSKey != "" {
		var err error
		if cert, err = g.loadCertificate(sc.TLSCert, sc.TLSKey); err != nil {
			return err
		}
	}
	return run(ctx, g, sc, cert, ready)
}

func run(ctx context.Context, g *Guard, sc ServerConfig, cert *serve.Certificate, ready func(listen, admin net.Addr)) error {
	sc.defaults(g.cfg.UpstreamTimeout)
	c := serve.Config{
		Listen: sc.Listen, Handler: g, AdminListen: sc.AdminListen, Admin: g.AdminHandler(),
		ReadHeaderTimeout: sc.ReadHeaderTimeout, ReadTimeout: sc.ReadTimeout, WriteTimeout: sc.WriteTimeout,
		IdleTimeout: sc.IdleTimeout, ShutdownTimeout: sc.ShutdownTimeout, Log: g.log,
	}
	tlsInfo := "off"
	if cert != nil {
		c.TLS = cert.Config()
		leaf := cert.Leaf()
		tlsInfo = fmt.Sprintf("on (%s, expires %s)", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.RFC3339))
		if d := time.Until(leaf.NotAfter); d < 14*24*time.Hour {
			g.log.Warn("TLS certificate expires soon", "in", d.Round(time.Hour).String())
		}
	}
	err := serve.Run(ctx, c, func(listen, admin net.Addr) {
		g.log.Info("guard listening", "listen", listen.String(), "tls", tlsInfo, "admin", fmt.Sprint(admin), "upstream", g.upstream.Redacted(),
			"secrets", g.Verifier().Secrets(), "tolerance", g.Verifier().Tolerance().String(), "future_skew", g.Verifier().FutureSkew().String())
		if ready != nil {
			ready(listen, admin)
		}
	})
	g.Close()
	g.log.Info("stopped")
	return err
}

// Run serves until ctx is done, reloading secrets from src whenever reload
// receives (SIGHUP in the CLI). A reload builds a new verifier and swaps it
// atomically: no request is dropped, requests in progress finish with the
// old one. A bad reload (say, an empty file) keeps the current secrets.
//
// With TLS, the same signal re-reads the certificate and key: handshakes
// after it use the new pair; a pair that does not load keeps the old one.
func Run(ctx context.Context, g *Guard, sc ServerConfig, src SecretSource, reload <-chan os.Signal, ready func(listen, admin net.Addr)) error {
	var cert *serve.Certificate
	if sc.TLSCert != "" || sc.TLSKey != "" {
		var err error
		if cert, err = g.loadCertificate(sc.TLSCert, sc.TLSKey); err != nil {
			return err
		}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-reload:
				g.Reload(src)
				if cert != nil {
					if err := g.reloadCertificate(cert); err != nil {
						g.log.Error("TLS reload failed, keeping the current certificate", "err", err)
					} else {
						g.log.Info("TLS certificate reloaded", "subject", cert.Leaf().Subject.CommonName,
							"expires", cert.Leaf().NotAfter.UTC().Format(time.RFC3339))
					}
				}
			}
		}
	}()
	return run(ctx, g, sc, cert, ready)
}

// Reload re-reads src and swaps the verifier; it logs the redacted secrets.
func (g *Guard) Reload(src SecretSource) error {
	secrets, err := src.Load()
	if err == nil {
		err = g.SetSecrets(secrets)
	}
	if err != nil {
		g.m.reloads.WithLabelValues("error").Inc()
		g.log.Error("reload failed, keeping the current secrets", "err", err)
		return err
	}
	g.m.reloads.WithLabelValues("ok").Inc()
	g.log.Info("secrets reloaded", "secrets", g.Verifier().Secrets())
	return nil
}
