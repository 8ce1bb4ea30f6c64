package broker

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func leanFor(t *testing.T, srv *httptest.Server, timeout time.Duration) *leanTransport {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	tc, err := tlsConfig(UpstreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if srv.TLS != nil {
		tc.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	}
	return newLeanTransport(u, tc, timeout)
}

func leanReq(t *testing.T, u, method, body string, hdr ...string) *http.Request {
	pu, _ := url.Parse(u)
	r := &http.Request{Method: method, URL: &url.URL{Scheme: pu.Scheme, Host: pu.Host, Opaque: "/v1/x"}, Host: pu.Host, Header: http.Header{}}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	if body != "" {
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	}
	return r.WithContext(context.Background())
}

func TestLeanTransportReusesConnections(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.RequestURI+" "+string(b))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	l := leanFor(t, srv, 5*time.Second)
	for i := 0; i < 50; i++ {
		resp, err := l.RoundTrip(leanReq(t, srv.URL, "POST", "a=1"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "POST /v1/x a=1" {
			t.Fatalf("%q", b)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 50 sequential calls, want 1 (keep-alive)", n)
	}
}

// An upstream that drops a kept-alive connection: an idempotent call is
// resent once on a fresh connection; a POST without Idempotency-Key is
// never sent twice.
func TestLeanTransportStaleConnection(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				// Answer one request with keep-alive headers, then hang up.
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				b, _ := io.ReadAll(req.Body)
				mu.Lock()
				seen[req.Method+" "+req.Header.Get("Idempotency-Key")+" "+string(b)]++
				mu.Unlock()
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}(c)
		}
	}()
	u, _ := url.Parse("http://" + ln.Addr().String())
	l := newLeanTransport(u, nil, 5*time.Second)
	call := func(method, body string, hdr ...string) error {
		resp, err := l.RoundTrip(leanReq(t, u.String(), method, body, hdr...))
		if err != nil {
			return err
		}
		io.ReadAll(resp.Body)
		return resp.Body.Close()
	}
	if err := call("GET", ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the server has hung up the pooled connection
	if err := call("POST", "x=1", "Idempotency-Key", "k1"); err != nil {
		t.Fatalf("idempotent POST on a stale connection: %v", err)
	}
	// Now a stale connection met without the peek (reused within peekAfter).
	if err := call("GET", ""); err != nil {
		t.Fatal(err)
	}
	err = call("POST", "y=2")
	mu.Lock()
	n := seen["POST  y=2"]
	mu.Unlock()
	if n > 1 {
		t.Fatalf("a POST without Idempotency-Key was sent %d times", n)
	}
	if err == nil && n != 1 {
		t.Fatalf("no error but not delivered")
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["POST k1 x=1"] != 1 {
		t.Errorf("idempotent POST delivered %d times", seen["POST k1 x=1"])
	}
}

func TestLeanTransportTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	l := leanFor(t, srv, 200*time.Millisecond)
	start := time.Now()
	if _, err := l.RoundTrip(leanReq(t, srv.URL, "GET", "")); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("timeout: %v after %v", err, time.Since(start))
	}
	l = leanFor(t, srv, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	start = time.Now()
	if _, err := l.RoundTrip(leanReq(t, srv.URL, "GET", "").WithContext(ctx)); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("cancel: %v after %v", err, time.Since(start))
	}
}
