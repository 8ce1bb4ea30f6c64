package httppool

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func post(body string) func(*bufio.Writer) {
	return func(w *bufio.Writer) {
		w.WriteString("POST /x HTTP/1.1\r\nHost: up\r\n")
		WriteField(w, "Content-Length", strconv.Itoa(len(body)))
		w.WriteString("\r\n" + body)
	}
}

var postReq = &http.Request{Method: http.MethodPost}

// call does one exchange and reads the whole answer.
func call(t *testing.T, p *Pool, ctx context.Context, resend bool, body string) (string, error) {
	t.Helper()
	resp, err := p.Do(ctx, postReq, resend, post(body))
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b), err
}

// counted is an httptest server that counts its connections.
func counted(t *testing.T, h http.HandlerFunc, useTLS bool) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if useTLS {
		srv.EnableHTTP2 = false
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &conns
}

func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	io.WriteString(w, r.Method+" "+r.RequestURI+" "+string(b))
}

func TestReusesOneConnection(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		srv, conns := counted(t, echo, useTLS)
		o := Options{Addr: srv.Listener.Addr().String(), Timeout: 5 * time.Second}
		if useTLS {
			o.TLS = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}}
		}
		p := New(o)
		for i := 0; i < 50; i++ {
			got, err := call(t, p, context.Background(), false, "a=1")
			if err != nil || got != "POST /x a=1" {
				t.Fatalf("tls=%v call %d: %q %v", useTLS, i, got, err)
			}
		}
		if n := conns.Load(); n != 1 {
			t.Errorf("tls=%v: %d connections for 50 sequential calls, want 1", useTLS, n)
		}
		if p.Idle() != 1 {
			t.Errorf("tls=%v: %d idle, want 1", useTLS, p.Idle())
		}
		p.CloseIdle()
		if p.Idle() != 0 {
			t.Errorf("CloseIdle left %d", p.Idle())
		}
	}
}

func TestConcurrentCallsAndMaxIdle(t *testing.T) {
	release := make(chan struct{})
	var inside atomic.Int64
	srv, conns := counted(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if inside.Add(1) <= 8 {
			<-release // hold the first 8 so they need 8 connections
		}
		io.WriteString(w, "ok")
	}, false)
	p := New(Options{Addr: srv.Listener.Addr().String(), Timeout: 5 * time.Second, MaxIdle: 3})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := call(t, p, context.Background(), false, ""); err != nil || got != "ok" {
				t.Errorf("%q %v", got, err)
			}
		}()
	}
	for inside.Load() < 8 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if conns.Load() != 8 || p.Idle() != 3 {
		t.Errorf("%d connections, %d idle; want 8 and 3 (MaxIdle)", conns.Load(), p.Idle())
	}
}

func TestTLSVerificationAndALPN(t *testing.T) {
	srv, _ := counted(t, echo, true)
	// The system roots do not know the test certificate.
	p := New(Options{Addr: srv.Listener.Addr().String(), Timeout: 5 * time.Second, TLS: &tls.Config{ServerName: "127.0.0.1"}})
	if _, err := call(t, p, context.Background(), true, ""); err == nil {
		t.Fatal("unverified certificate accepted")
	}
	// An upstream that picks h2 by ALPN is refused, not spoken to in HTTP/1.1.
	h2 := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	roots := h2.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	p = New(Options{Addr: h2.Listener.Addr().String(), Timeout: 5 * time.Second, TLS: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", NextProtos: []string{"h2", "http/1.1"}}})
	if _, err := call(t, p, context.Background(), true, ""); err == nil || !strings.Contains(err.Error(), "not http/1.1") {
		t.Fatalf("h2 upstream: %v", err)
	}
}

// hangUp is a raw server that answers one request per connection with
// keep-alive headers, then closes it: every pooled connection is dead.
func hangUp(t *testing.T) (addr string, seen func(string) int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	got := map[string]int{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				b, _ := io.ReadAll(req.Body)
				mu.Lock()
				got[string(b)]++
				mu.Unlock()
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}(c)
		}
	}()
	return ln.Addr().String(), func(b string) int { mu.Lock(); defer mu.Unlock(); return got[b] }
}

func TestDeadIdleConnection(t *testing.T) {
	addr, seen := hangUp(t)
	p := New(Options{Addr: addr, Timeout: 5 * time.Second})

	// Past peekAfter, the liveness peek finds the connection closed and a
	// new one is dialled, whatever resend says.
	p.peekAfter = 0
	for _, b := range []string{"first", "after-peek"} {
		if _, err := call(t, p, context.Background(), false, b); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		waitClosed(t, p)
	}

	// Reused within peekAfter (no peek): with resend the request goes
	// again on a fresh connection, once.
	p.peekAfter = time.Hour
	if _, err := call(t, p, context.Background(), true, "resent"); err != nil {
		t.Fatalf("resend allowed: %v", err)
	}
	if n := seen("resent"); n != 1 {
		t.Errorf("resent request delivered %d times", n)
	}

	// Without resend the failure is the caller's: nothing is sent again.
	waitClosed(t, p)
	if _, err := call(t, p, context.Background(), false, "once"); err == nil || seen("once") != 0 {
		t.Fatalf("resend refused: err %v, delivered %d times", err, seen("once"))
	}
}

// waitClosed lets the server's hang-up reach the pooled connection.
func waitClosed(t *testing.T, p *Pool) {
	t.Helper()
	if p.Idle() != 1 {
		t.Fatalf("%d idle connections, want 1", p.Idle())
	}
	time.Sleep(20 * time.Millisecond)
}

// An answer cut short after its first bytes is never resent: the upstream
// has seen the request.
func TestAnsweredThenCutIsNotResent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if n.Add(1) == 1 {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
						continue
					}
					io.WriteString(c, "HTTP/1.1 200 O") // then hang up
					return
				}
			}(c)
		}
	}()
	p := New(Options{Addr: ln.Addr().String(), Timeout: 5 * time.Second})
	if _, err := call(t, p, context.Background(), true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, p, context.Background(), true, ""); err == nil {
		t.Fatal("cut answer accepted")
	}
	if n.Load() != 2 {
		t.Errorf("upstream saw %d requests, want 2 (no resend after a partial answer)", n.Load())
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv, _ := counted(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, false)
	defer close(release)
	addr := srv.Listener.Addr().String()
	p := New(Options{Addr: addr, Timeout: 200 * time.Millisecond})
	start := time.Now()
	if _, err := call(t, p, context.Background(), true, ""); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("timeout: %v after %v", err, time.Since(start))
	}
	p = New(Options{Addr: addr, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	if _, err := call(t, p, ctx, true, ""); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("cancel: %v after %v", err, time.Since(start))
	}
	if p.Idle() != 0 {
		t.Error("a cancelled exchange's connection went back to the pool")
	}
}

// Cancelling while the body is read: the connection is not reused.
func TestCancelDuringBody(t *testing.T) {
	srv, conns := counted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4")
		io.WriteString(w, "ab")
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "cd")
	}, false)
	p := New(Options{Addr: srv.Listener.Addr().String(), Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := p.Do(ctx, postReq, false, post(""))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("body read on after cancel")
	}
	resp.Body.Close()
	if p.Idle() != 0 {
		t.Error("connection of a cancelled exchange pooled")
	}
	if _, err := call(t, p, context.Background(), false, ""); err != nil {
		t.Fatal(err)
	}
	if conns.Load() != 2 {
		t.Errorf("%d connections, want 2", conns.Load())
	}

	// Cancelled after the body was read but before Close: the cancel may
	// have moved the deadline of a connection someone else is about to
	// use, so it is not pooled either.
	p.CloseIdle()
	ctx, cancel = context.WithCancel(context.Background())
	resp, err = p.Do(ctx, postReq, false, post(""))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "abcd" {
		t.Fatalf("%q %v", b, err)
	}
	cancel()
	resp.Body.Close()
	if p.Idle() != 0 {
		t.Error("connection of an exchange cancelled before Close pooled")
	}
}

// What keeps a connection out of the pool: Connection: close, a body not
// read to its end; what does not: 1xx answers, chunked bodies, HEAD.
func TestWhenConnectionsGoBack(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	srv, _ := counted(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		case "/big":
			io.WriteString(w, big)
		case "/chunked":
			for i := 0; i < 3; i++ {
				io.WriteString(w, "chunk")
				w.(http.Flusher).Flush()
			}
		case "/hints":
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(202)
			io.WriteString(w, "accepted")
		default:
			w.Header().Set("Content-Length", "5")
		}
	}, false)
	p := New(Options{Addr: srv.Listener.Addr().String(), Timeout: 5 * time.Second})
	req := func(method, path string) func(*bufio.Writer) {
		return func(w *bufio.Writer) {
			w.WriteString(method + " " + path + " HTTP/1.1\r\nHost: up\r\nContent-Length: 0\r\n\r\n")
		}
	}
	tests := []struct {
		method, path string
		read         bool
		status       int
		body         string
		pooled       int
	}{
		{"POST", "/close", true, 200, "bye", 0},
		{"POST", "/big", false, 200, "", 0}, // closed unread
		{"POST", "/big", true, 200, big, 1},
		{"POST", "/chunked", true, 200, "chunkchunkchunk", 1},
		{"POST", "/hints", true, 202, "accepted", 1},
		{"HEAD", "/head", true, 200, "", 1},
	}
	for _, tc := range tests {
		p.CloseIdle()
		resp, err := p.Do(context.Background(), &http.Request{Method: tc.method}, false, req(tc.method, tc.path))
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		var got []byte
		if tc.read {
			got, _ = io.ReadAll(resp.Body)
		}
		resp.Body.Close()
		resp.Body.Close() // twice is harmless
		if resp.StatusCode != tc.status || string(got) != tc.body || p.Idle() != tc.pooled {
			t.Errorf("%s %s: %d %d bytes, %d pooled; want %d %d bytes, %d pooled", tc.method, tc.path, resp.StatusCode, len(got), p.Idle(), tc.status, len(tc.body), tc.pooled)
		}
	}
}

// Bytes that arrive on an idle connection answer nothing: the connection is
// dropped. (Within peekAfter the peek is skipped and only bytes already
// buffered are seen; an upstream that sends more than it announced is
// broken either way.)
func TestUnsolicitedBytesOnIdleConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil") // answers nothing
				}
			}(c)
		}
	}()
	p := New(Options{Addr: ln.Addr().String(), Timeout: 5 * time.Second})
	p.peekAfter = 0
	for i := 0; i < 2; i++ {
		if got, err := call(t, p, context.Background(), false, ""); err != nil || got != "ok" {
			t.Fatalf("call %d: %q %v", i, got, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if conns.Load() != 2 {
		t.Errorf("%d connections, want 2 (the out-of-step one dropped)", conns.Load())
	}
}

func TestDialErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p := New(Options{Addr: addr, Timeout: time.Second})
	_, err := call(t, p, context.Background(), true, "")
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Fatalf("refused connection: %v", err)
	}
}

func TestWriteField(t *testing.T) {
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	WriteField(w, "X-A", "one\r\nInjected: yes\ntwo")
	w.Flush()
	if got := sb.String(); got != "X-A: one  Injected: yes two\r\n" {
		t.Fatalf("%q", got)
	}
}
