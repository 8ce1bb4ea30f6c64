package guard

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// leanClient forwards to a plain-http upstream over a pool of keep-alive
// connections, synchronously in the handler goroutine: one buffered write of
// request line + headers + body, then http.ReadResponse on the same
// goroutine. http.Transport hands every request to two per-connection
// goroutines (writeLoop/readLoop); on a 2-core box that scheduling is a
// visible share of the proxy cost. https upstreams use http.Transport.
type leanClient struct {
	addr    string
	timeout time.Duration
	maxIdle int

	mu   sync.Mutex
	idle []*leanConn
}

type leanConn struct {
	c    net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	idle time.Time // when it went back to the pool
}

// peekAfter: a connection idle for less than this is reused without the
// liveness peek (one syscall saved per request under load). If such a
// connection turns out dead, the request fails with 502 and Stripe retries;
// it is never resent.
const peekAfter = 20 * time.Millisecond

func newLeanClient(hostport string, timeout time.Duration) *leanClient {
	return &leanClient{addr: hostport, timeout: timeout, maxIdle: 1024}
}

func (l *leanClient) get() (*leanConn, error) {
	for {
		l.mu.Lock()
		n := len(l.idle)
		if n == 0 {
			l.mu.Unlock()
			break
		}
		c := l.idle[n-1]
		l.idle[n-1] = nil
		l.idle = l.idle[:n-1]
		l.mu.Unlock()
		now := time.Now()
		c.c.SetDeadline(now.Add(l.timeout))
		if c.br.Buffered() == 0 && (now.Sub(c.idle) < peekAfter || alive(c.c)) {
			return c, nil
		}
		c.c.Close() // closed by the upstream while idle
	}
	nc, err := net.DialTimeout("tcp", l.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetKeepAlive(true)
		tc.SetKeepAlivePeriod(30 * time.Second)
	}
	nc.SetDeadline(time.Now().Add(l.timeout))
	return &leanConn{c: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 16<<10)}, nil
}

func (l *leanClient) put(c *leanConn) {
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

// Close drops idle connections.
func (l *leanClient) Close() {
	l.mu.Lock()
	idle := l.idle
	l.idle = nil
	l.mu.Unlock()
	for _, c := range idle {
		c.c.Close()
	}
}

// roundTrip sends req (body already in memory) and returns the response;
// the connection goes back to the pool when the body is read to EOF and
// closed. A request is written at most once: idle connections are checked
// before reuse (alive), and any failure after writing is an error (502, the
// claim is released, Stripe retries) rather than a resend that could
// deliver an event twice.
func (l *leanClient) roundTrip(r *http.Request, uri, host string, fwd *forwarded, body []byte) (*http.Response, error) {
	c, err := l.get()
	if err != nil {
		return nil, err
	}
	writeRequest(c.bw, r, uri, host, fwd, body)
	err = c.bw.Flush()
	var resp *http.Response
	for err == nil {
		resp, err = http.ReadResponse(c.br, nil)
		if err != nil || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		resp.Body.Close() // skip 1xx informational responses
	}
	if err != nil {
		c.c.Close()
		return nil, err
	}
	resp.Body = &leanBody{rc: resp.Body, c: c, l: l, keep: !resp.Close}
	return resp, nil
}

func writeRequest(w *bufio.Writer, r *http.Request, uri, host string, fwd *forwarded, body []byte) {
	w.WriteString(r.Method)
	w.WriteByte(' ')
	w.WriteString(uri)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	conn := r.Header["Connection"]
	for k, vv := range r.Header {
		if k == "Host" || k == "Content-Length" || k == "Expect" || isHop(k) || listed(conn, k) || !validHeaderKey(k) || forwardingHeaders[k] {
			continue
		}
		for _, v := range vv {
			writeHeader(w, k, v)
		}
	}
	writeHeader(w, "X-Forwarded-For", fwd.xff)
	writeHeader(w, "X-Forwarded-Proto", fwd.proto)
	if fwd.host != "" {
		writeHeader(w, "X-Forwarded-Host", fwd.host)
	}
	writeHeader(w, "Forwarded", fwd.fwd)
	if fwd.realIP != "" {
		writeHeader(w, "X-Real-Ip", fwd.realIP)
	}
	w.WriteString("Content-Length: ")
	var nb [20]byte
	w.Write(strconv.AppendInt(nb[:0], int64(len(body)), 10))
	w.WriteString("\r\n\r\n")
	w.Write(body)
}

func writeHeader(w *bufio.Writer, k, v string) {
	w.WriteString(k)
	w.WriteString(": ")
	writeHeaderValue(w, v)
	w.WriteString("\r\n")
}

// The Go server already refused CR/LF in incoming headers; stay defensive.
func validHeaderKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c == ':' || c >= 0x7f {
			return false
		}
	}
	return k != ""
}

func writeHeaderValue(w *bufio.Writer, v string) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' {
			w.WriteByte(' ')
		} else {
			w.WriteByte(c)
		}
	}
}

type leanBody struct {
	rc   io.ReadCloser
	c    *leanConn
	l    *leanClient
	keep bool
	eof  bool
	done bool
}

func (b *leanBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF {
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
	if b.keep && b.eof && err == nil {
		b.c.idle = time.Now()
		b.l.put(b.c)
	} else {
		b.c.c.Close()
	}
	return err
}
