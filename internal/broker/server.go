package broker

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/stripeguard/stripeguard/internal/serve"
)

// ServerConfig is the network side of the broker.
type ServerConfig struct {
	Listen      string // where applications connect
	AdminListen string // /metrics and /healthz; "" or "off" disables
	// Slow clients: a Stripe API call is a small request; a client that
	// dribbles its headers or body is cut off.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds the drain of in-flight calls on SIGTERM.
	ShutdownTimeout time.Duration
	// TLSCert and TLSKey, when set, make the application listener HTTPS
	// (a broker reached over a network rather than as a sidecar). They are
	// re-read on every reload, so a renewed certificate needs no restart.
	TLSCert, TLSKey string
	// Watch, when positive, re-reads the policy, key and token files at
	// this interval and reloads when their content changed: a Kubernetes
	// Secret mounted as files is updated in place without any signal.
	Watch time.Duration
}

func (c *ServerConfig) defaults(upstream time.Duration) {
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 5 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 90 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = upstream + 5*time.Second
	}
}

// Serve listens and serves until ctx is done, then drains in-flight calls
// (up to ShutdownTimeout). reload, when it receives (SIGHUP), re-reads the
// policy and keys without dropping a call. ready, if not nil, gets the
// bound addresses.
func (b *Broker) Serve(ctx context.Context, sc ServerConfig, reload <-chan os.Signal, ready func(listen, admin net.Addr)) error {
	sc.defaults(b.cfg.UpstreamTimeout)
	c := serve.Config{
		Listen: sc.Listen, Handler: b, AdminListen: sc.AdminListen, Admin: b.AdminHandler(),
		ReadHeaderTimeout: sc.ReadHeaderTimeout, ReadTimeout: sc.ReadTimeout,
		// The response may wait for Stripe.
		WriteTimeout: sc.ReadTimeout + b.cfg.UpstreamTimeout + 5*time.Second,
		IdleTimeout:  sc.IdleTimeout, ShutdownTimeout: sc.ShutdownTimeout, Log: b.log,
	}
	var cert *serve.Certificate
	if sc.TLSCert != "" || sc.TLSKey != "" {
		var err error
		if cert, err = serve.LoadCertificate(sc.TLSCert, sc.TLSKey); err != nil {
			return err
		}
		c.TLS = cert.Config()
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		var tick <-chan time.Time
		if sc.Watch > 0 {
			t := time.NewTicker(sc.Watch)
			defer t.Stop()
			tick = t.C
		}
		last := b.filesDigest()
		for {
			select {
			case <-done:
				return
			case <-reload:
				b.Reload()
				if cert != nil {
					if err := cert.Reload(); err != nil {
						b.log.Error("reload failed, keeping the current listener certificate", "err", err)
					}
				}
				last = b.filesDigest()
			case <-tick:
				if d := b.filesDigest(); d != last {
					b.log.Info("policy, key or token file changed; reloading")
					b.Reload()
					last = d
				}
			}
		}
	}()
	err := serve.Run(ctx, c, func(listen, admin net.Addr) {
		p := b.policy.Load()
		b.log.Info("broker listening", "listen", listen.String(), "admin", fmt.Sprint(admin), "stripe_api_base", b.upstream.String(),
			"apps", len(p.Apps), "store", storeName(b.store))
		for _, w := range p.Warnings {
			b.log.Warn(w)
		}
		for _, a := range p.Apps {
			b.log.Info("app loaded", "app", a.Name, "key", a.KeyHint(), "rules", len(a.Rules), "tokens", len(a.tokens))
		}
		if ready != nil {
			ready(listen, admin)
		}
	})
	if t, ok := b.rt.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	b.log.Info("stopped")
	return err
}

// filesDigest hashes the content of the policy file and of every key and
// token file it names (small files; content, not mtime, so a symlink swap
// or a same-second rewrite is seen). Unreadable files hash their error.
func (b *Broker) filesDigest() [32]byte {
	h := sha256.New()
	for _, p := range append([]string{b.cfg.PolicyPath}, b.policy.Load().Files...) {
		io.WriteString(h, p)
		h.Write([]byte{0})
		data, err := os.ReadFile(p)
		if err != nil {
			io.WriteString(h, err.Error())
		}
		h.Write(data)
		h.Write([]byte{0})
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func storeName(s Store) string {
	if st, ok := s.(fmt.Stringer); ok {
		return st.String()
	}
	return "memory (this replica only)"
}
