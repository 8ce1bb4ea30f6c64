// Package httppool is the HTTP/1.1 keep-alive connection pool the runtime
// proxies use to reach their upstream: the guard to the webhook app (plain
// TCP), the broker to the Stripe API (verified TLS).
//
// Each exchange runs synchronously in the caller's goroutine: one buffered
// write of the request, then http.ReadResponse on the same goroutine.
// http.Transport hands every request to two per-connection goroutines
// (writeLoop and readLoop); on a busy two-core machine each of those
// wake-ups is a chance to wait for a time slice, which is what tail latency
// is made of.
//
// The pool knows nothing of headers: the caller writes the whole request,
// because what may go upstream is each proxy's own rule (the guard passes
// the app's headers on and adds the forwarding ones; the broker sends only
// the headers the Stripe API reads, with the real key). Whether a request
// may be written twice is the caller's decision too.
package httppool

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Options configure a Pool.
type Options struct {
	// Addr is the upstream's host:port.
	Addr string
	// TLS, when not nil, is the client configuration of every connection
	// (verification, ServerName, pins); nil means plain TCP. The upstream
	// must speak HTTP/1.1: a connection that negotiates anything else by
	// ALPN is refused.
	TLS *tls.Config
	// Timeout bounds one exchange, from the request's first byte to the
	// answer's last (the caller's context may cut it shorter).
	Timeout time.Duration
	// DialTimeout bounds the TCP connect plus the TLS handshake; default
	// 10 s.
	DialTimeout time.Duration
	// MaxIdle is the number of idle connections kept; default 256.
	MaxIdle int
}

// Pool is a set of idle keep-alive connections to one upstream. Safe for
// concurrent use.
type Pool struct {
	addr        string
	tls         *tls.Config
	timeout     time.Duration
	dialTimeout time.Duration
	maxIdle     int
	peekAfter   time.Duration

	mu   sync.Mutex
	idle []*conn // a stack: the most recently used connection first
}

type conn struct {
	c    net.Conn // what requests go through (TLS or TCP)
	raw  net.Conn // the TCP connection under TLS, for the liveness peek
	br   *bufio.Reader
	bw   *bufio.Writer
	idle time.Time // when it went back to the pool
}

// peekAfter: a connection idle for less than this is reused without the
// liveness peek (one syscall saved per request under load). A connection
// that died within that window costs a failed exchange; see Do.
const peekAfter = 20 * time.Millisecond

// New builds an empty pool.
func New(o Options) *Pool {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.MaxIdle <= 0 {
		o.MaxIdle = 256
	}
	return &Pool{addr: o.Addr, tls: o.TLS, timeout: o.Timeout, dialTimeout: o.DialTimeout, maxIdle: o.MaxIdle, peekAfter: peekAfter}
}

// get returns a live idle connection, or nil.
func (p *Pool) get() *conn {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		// Bytes waiting on an idle connection are an answer to nothing:
		// the connection is out of step and cannot be trusted.
		if c.br.Buffered() == 0 && (time.Since(c.idle) < p.peekAfter || alive(c.raw)) {
			return c
		}
		c.c.Close() // closed by the upstream while idle
	}
}

func (p *Pool) put(c *conn) {
	c.idle = time.Now()
	p.mu.Lock()
	if len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		c.c.Close()
	}
}

func (p *Pool) dial(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.dialTimeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	c := raw
	if p.tls != nil {
		tc := tls.Client(raw, p.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, err
		}
		if proto := tc.ConnectionState().NegotiatedProtocol; proto != "" && proto != "http/1.1" {
			raw.Close()
			return nil, errors.New("upstream negotiated " + proto + ", not http/1.1")
		}
		c = tc
	}
	return &conn{c: c, raw: raw, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 16<<10)}, nil
}

// CloseIdle closes the idle connections; connections in use are closed
// when their exchange ends, if the pool is full.
func (p *Pool) CloseIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.c.Close()
	}
}

// Idle is the number of idle connections (for tests and metrics).
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// Do sends one request on an idle connection (or a new one) and reads the
// answer's headers. write puts the whole request into w: request line,
// headers, body. req is the request being answered (its method decides
// whether the answer has a body, as in http.ReadResponse). The response's
// Body gives the connection back to the pool when it has been read to its
// end and closed; it must be closed.
//
// Cancelling ctx, or reaching its deadline, aborts the exchange.
//
// A request is written again on a fresh connection only when resend is
// true and an idle connection turned out dead before any byte of the answer
// arrived (the upstream closed it while it was in the pool). Say true only
// for requests the upstream may receive twice: an idempotent method, or a
// POST with an Idempotency-Key (the rule net/http follows). With false, that
// failure is returned like any other.
func (p *Pool) Do(ctx context.Context, req *http.Request, resend bool, write func(w *bufio.Writer)) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		c, reused := p.get(), true
		if c == nil {
			var err error
			if c, err = p.dial(ctx); err != nil {
				return nil, err
			}
			reused = false
		}
		resp, answered, err := p.exchange(ctx, c, req, write)
		if err == nil {
			return resp, nil
		}
		c.c.Close()
		if !resend || !reused || answered || attempt > 0 || ctx.Err() != nil {
			return nil, err
		}
	}
}

// exchange writes the request and reads the answer's headers; answered
// says whether any byte of an answer arrived.
func (p *Pool) exchange(ctx context.Context, c *conn, req *http.Request, write func(*bufio.Writer)) (*http.Response, bool, error) {
	deadline := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.c.SetDeadline(deadline)
	var stop func() bool
	if ctx.Done() != nil {
		// Going away cancels the exchange: a deadline in the past wakes
		// the blocked read or write.
		stop = context.AfterFunc(ctx, func() { c.c.SetDeadline(time.Unix(1, 0)) })
	}
	fail := func(answered bool, err error) (*http.Response, bool, error) {
		if stop != nil {
			stop()
		}
		return nil, answered, err
	}
	write(c.bw)
	if err := c.bw.Flush(); err != nil {
		return fail(false, err)
	}
	// The first byte of the answer, apart: an error before it means the
	// upstream never answered (a connection it had closed while idle).
	if _, err := c.br.Peek(1); err != nil {
		return fail(false, err)
	}
	var resp *http.Response
	var err error
	for {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		resp.Body.Close() // 1xx informational
	}
	if err != nil {
		return fail(true, err)
	}
	resp.Body = &body{rc: resp.Body, c: c, p: p, left: resp.ContentLength, keep: !resp.Close, eof: resp.ContentLength == 0, stop: stop}
	return resp, true, nil
}

// body hands its connection back to the pool once read to the end and
// closed; anything else (an error, a body left unread, Connection: close,
// a cancelled exchange) closes the connection.
type body struct {
	rc   io.ReadCloser
	c    *conn
	p    *Pool
	left int64 // bytes of a known Content-Length not read yet; -1 unknown
	keep bool
	eof  bool
	done bool
	stop func() bool // nil when the exchange had no context to follow
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	if err == io.EOF || b.left == 0 {
		b.eof = true
	}
	return n, err
}

func (b *body) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.rc.Close()
	// stop reports false when the context already fired (the deadline
	// was moved to the past): such a connection is not reused.
	live := b.stop == nil || b.stop()
	if live && b.keep && b.eof && err == nil {
		b.p.put(b.c)
	} else {
		b.c.c.Close()
	}
	return err
}

// WriteField writes one header line "k: v\r\n". A CR or LF in v becomes a
// space: the Go server refuses them in incoming headers already, and a
// value the proxy built itself must not be able to split the request
// either.
func WriteField(w *bufio.Writer, k, v string) {
	w.WriteString(k)
	w.WriteString(": ")
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' {
			w.WriteByte(' ')
		} else {
			w.WriteByte(c)
		}
	}
	w.WriteString("\r\n")
}
