package broker

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// leanTransport is the broker's HTTP/1.1 keep-alive pool to Stripe when no
// egress proxy is configured. It runs each exchange synchronously in the
// handler's goroutine: one buffered write of the request, then
// http.ReadResponse on the same goroutine. http.Transport hands every
// request to two per-connection goroutines (writeLoop and readLoop); on a
// busy two-core machine each of those wake-ups is a chance to wait for a
// time slice, which is what the tail latency is made of. TLS settings
// (verification, pins) are those of NewTransport.
//
// A request is resent on a fresh connection only when a pooled connection
// turned out dead before any byte of the answer arrived and the request is
// idempotent (GET, DELETE, or a POST with an Idempotency-Key, which Stripe
// deduplicates) — the rule net/http follows.
type leanTransport struct {
	addr    string // host:port
	tls     *tls.Config
	timeout time.Duration
	maxIdle int

	mu   sync.Mutex
	idle []*leanConn
}

type leanConn struct {
	c    net.Conn
	raw  net.Conn // the TCP connection under TLS, for the liveness peek
	br   *bufio.Reader
	bw   *bufio.Writer
	idle time.Time
}

// peekAfter: a connection idle for less than this is reused without the
// liveness peek (one syscall saved per call under load).
const peekAfter = 20 * time.Millisecond

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
	return &leanTransport{addr: net.JoinHostPort(host, port), tls: cfg, timeout: timeout, maxIdle: 256}
}

func (l *leanTransport) dial(ctx context.Context) (*leanConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", l.addr)
	if err != nil {
		return nil, err
	}
	c := raw
	if l.tls != nil {
		tc := tls.Client(raw, l.tls)
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, err
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
			raw.Close()
			return nil, errors.New("upstream negotiated " + p + ", not http/1.1")
		}
		c = tc
	}
	return &leanConn{c: c, raw: raw, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 16<<10)}, nil
}

// get returns a live pooled connection, or nil.
func (l *leanTransport) get() *leanConn {
	for {
		l.mu.Lock()
		n := len(l.idle)
		if n == 0 {
			l.mu.Unlock()
			return nil
		}
		c := l.idle[n-1]
		l.idle[n-1] = nil
		l.idle = l.idle[:n-1]
		l.mu.Unlock()
		if c.br.Buffered() == 0 && (time.Since(c.idle) < peekAfter || alive(c.raw)) {
			return c
		}
		c.c.Close()
	}
}

func (l *leanTransport) put(c *leanConn) {
	c.idle = time.Now()
	l.mu.Lock()
	if len(l.idle) < l.maxIdle {
		l.idle = append(l.idle, c)
		c = nil
	}
	l.mu.Unlock()
	if c != nil {
		c.c.Close()
	}
}

// CloseIdleConnections drops the pool.
func (l *leanTransport) CloseIdleConnections() {
	l.mu.Lock()
	idle := l.idle
	l.idle = nil
	l.mu.Unlock()
	for _, c := range idle {
		c.c.Close()
	}
}

func retryable(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodDelete || r.Header.Get("Idempotency-Key") != ""
}

// RoundTrip implements http.RoundTripper for the broker's outgoing
// requests (origin-form Opaque path, body already in memory via GetBody).
func (l *leanTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	for attempt := 0; ; attempt++ {
		c, reused := l.get(), true
		if c == nil {
			var err error
			if c, err = l.dial(ctx); err != nil {
				return nil, err
			}
			reused = false
		}
		resp, gotBytes, err := l.exchange(ctx, c, r)
		if err == nil {
			return resp, nil
		}
		c.c.Close()
		if !reused || gotBytes || attempt > 0 || !retryable(r) || ctx.Err() != nil {
			return nil, err
		}
	}
}

func (l *leanTransport) exchange(ctx context.Context, c *leanConn, r *http.Request) (*http.Response, bool, error) {
	deadline := time.Now().Add(l.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.c.SetDeadline(deadline)
	// The client going away cancels the exchange.
	stop := context.AfterFunc(ctx, func() { c.c.SetDeadline(time.Unix(1, 0)) })
	var body []byte
	if r.GetBody != nil {
		rc, err := r.GetBody()
		if err != nil {
			stop()
			return nil, false, err
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			stop()
			return nil, false, err
		}
	}
	writeRequest(c.bw, r, body)
	if err := c.bw.Flush(); err != nil {
		stop()
		return nil, false, err
	}
	var resp *http.Response
	var err error
	for {
		resp, err = http.ReadResponse(c.br, r)
		if err != nil || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		resp.Body.Close() // 1xx informational
	}
	if err != nil {
		stop()
		return nil, c.br.Buffered() > 0, err
	}
	resp.Body = &leanBody{rc: resp.Body, c: c, l: l, left: resp.ContentLength, keep: !resp.Close, stop: stop, eof: resp.ContentLength == 0}
	return resp, true, nil
}

// writeRequest writes the request line (the Opaque origin-form path the
// broker validated), Host, the headers it set, and the body.
func writeRequest(w *bufio.Writer, r *http.Request, body []byte) {
	w.WriteString(r.Method)
	w.WriteByte(' ')
	w.WriteString(r.URL.RequestURI())
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(r.Host)
	w.WriteString("\r\n")
	for k, vv := range r.Header {
		for _, v := range vv {
			w.WriteString(k)
			w.WriteString(": ")
			for i := 0; i < len(v); i++ { // the server refused CR/LF already; stay defensive
				if c := v[i]; c == '\r' || c == '\n' {
					w.WriteByte(' ')
				} else {
					w.WriteByte(c)
				}
			}
			w.WriteString("\r\n")
		}
	}
	if len(body) > 0 || r.Method == http.MethodPost {
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.Itoa(len(body)))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
}

type leanBody struct {
	rc   io.ReadCloser
	c    *leanConn
	l    *leanTransport
	left int64 // bytes of a known Content-Length not read yet; -1 unknown
	keep bool
	eof  bool
	done bool
	stop func() bool
}

func (b *leanBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	if err == io.EOF || b.left == 0 {
		b.eof = true
	}
	return n, err
}

func (b *leanBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.rc.Close()
	// stop reports false when the context already fired (deadline moved
	// to the past): such a connection is not reused.
	if b.stop() && b.keep && b.eof && err == nil {
		b.l.put(b.c)
	} else {
		b.c.c.Close()
	}
	return err
}
