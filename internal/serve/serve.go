// Package serve runs a runtime proxy's listeners (the guard's and the
// broker's): the main listener, plain or TLS with a certificate that can be
// swapped without a restart, and the admin listener for /metrics and
// /healthz, both with slow-client timeouts; on shutdown the listeners close
// at once and requests in flight are drained.
package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Config is the network side of a proxy.
type Config struct {
	// Listen is the main listener's address; Handler serves it.
	Listen  string
	Handler http.Handler
	// TLS, when not nil, makes the main listener HTTPS (Certificate.Config
	// gives one whose certificate can be reloaded). The admin listener
	// stays plain HTTP: probes and scrapes come from inside the pod or
	// host.
	TLS *tls.Config
	// AdminListen is the admin listener's address ("" or "off": none);
	// Admin serves it.
	AdminListen string
	Admin       http.Handler
	// Slow clients: timeouts of the main listener (net/http's meaning).
	// WriteTimeout must leave room for the upstream's answer.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests.
	ShutdownTimeout time.Duration
	// Log gets the shutdown line (default: discarded).
	Log *slog.Logger
}

// maxHeaderBytes: a webhook delivery or a Stripe API call has a few
// headers; 64 KiB is generous and bounds what a hostile client can make
// the proxy hold.
const maxHeaderBytes = 64 << 10

// Run listens on both addresses, calls started with the bound addresses
// (the admin one nil when disabled), then serves until ctx is done or a
// server fails. It then stops accepting, waits up to ShutdownTimeout for
// the requests in flight, and returns the server's error, if any.
func Run(ctx context.Context, c Config, started func(listen, admin net.Addr)) error {
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	srv := &http.Server{
		Handler:           c.Handler,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	if c.TLS != nil {
		srv.TLSConfig = c.TLS
		ln = tls.NewListener(ln, c.TLS)
	}
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	var adminAddr net.Addr
	if c.AdminListen != "" && c.AdminListen != "off" {
		aln, err := net.Listen("tcp", c.AdminListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--admin-listen: %w", err)
		}
		adminAddr = aln.Addr()
		asrv := &http.Server{Handler: c.Admin, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
		servers = append(servers, asrv)
		go func() { errc <- asrv.Serve(aln) }()
	}
	go func() { errc <- srv.Serve(ln) }()
	if started != nil {
		started(ln.Addr(), adminAddr)
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	log.Info("shutting down, draining in-flight requests", "timeout", c.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil && serveErr == nil {
			serveErr = err
		}
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// Admin is the admin listener's handler: /metrics from metrics, and
// /healthz, which answers 200 with ok() when ping (the proxy's shared
// store) answers within timeout, else 503: a replica whose store is down
// fails closed, so it is taken out of rotation.
func Admin(metrics http.Handler, ping func(context.Context) error, timeout time.Duration, ok func() string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "store unavailable: %v\n", err)
			return
		}
		fmt.Fprintln(w, ok())
	})
	return mux
}
