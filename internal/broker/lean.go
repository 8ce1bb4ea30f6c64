package broker

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/stripeguard/stripeguard/internal/httppool"
)

// leanTransport is the broker's HTTP/1.1 keep-alive pool to Stripe when no
// egress proxy is configured: internal/httppool (each exchange synchronous
// in the handler's goroutine), with the TLS settings of NewTransport.
//
// A request is resent on a fresh connection only when a pooled connection
// turned out dead before any byte of the answer arrived and the request is
// idempotent (GET, DELETE, or a POST with an Idempotency-Key, which Stripe
// deduplicates) — the rule net/http follows.
type leanTransport struct {
	pool    *httppool.Pool
	host    string        // Host header
	timeout time.Duration // bound of one exchange
}

func newLeanTransport(u *url.URL, tc *tls.Config, timeout time.Duration) *leanTransport {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	var cfg *tls.Config
	if u.Scheme == "https" {
		cfg = tc.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	return &leanTransport{host: u.Host, timeout: timeout, pool: httppool.New(httppool.Options{
		Addr: net.JoinHostPort(host, port), TLS: cfg, Timeout: timeout, DialTimeout: 10 * time.Second, MaxIdle: 256,
	})}
}

// CloseIdleConnections drops the pool.
func (l *leanTransport) CloseIdleConnections() { l.pool.CloseIdle() }

func retryable(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodDelete || r.Header.Get("Idempotency-Key") != ""
}

// RoundTrip implements http.RoundTripper for the broker's outgoing
// requests (origin-form Opaque path, body already in memory via GetBody).
func (l *leanTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.GetBody != nil {
		rc, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	return l.pool.Do(r.Context(), r, retryable(r), func(w *bufio.Writer) {
		writeRequest(w, r.Method, r.URL.RequestURI(), r.Host, func(w *bufio.Writer) {
			for k, vv := range r.Header {
				for _, v := range vv {
					httppool.WriteField(w, k, v)
				}
			}
		}, body)
	})
}

// send is the broker's call path (Broker.send): in is the application's
// request (its method, its Idempotency-Key for the resend rule, its
// context: the call is abandoned when the application goes away), target
// the validated origin-form path and query, fields writes the header lines
// to forward.
func (l *leanTransport) send(ctx context.Context, in *http.Request, target string, fields func(*bufio.Writer), body []byte) (*http.Response, error) {
	return l.pool.Do(ctx, in, retryable(in), func(w *bufio.Writer) { writeRequest(w, in.Method, target, l.host, fields, body) })
}

// writeRequest writes the request line (the origin-form target the broker
// validated), Host, the header lines, Content-Length, and the body.
func writeRequest(w *bufio.Writer, method, target, host string, fields func(*bufio.Writer), body []byte) {
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(target)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	fields(w)
	if len(body) > 0 || method == http.MethodPost {
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(body)), 10))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
}
