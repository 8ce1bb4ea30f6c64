package serve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// started runs Run in a goroutine and waits for the bound addresses.
type running struct {
	listen, admin net.Addr
	cancel        context.CancelFunc
	done          chan error
}

func start(t *testing.T, c Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	addrs := make(chan [2]net.Addr, 1)
	go func() { r.done <- Run(ctx, c, func(l, a net.Addr) { addrs <- [2]net.Addr{l, a} }) }()
	select {
	case a := <-addrs:
		r.listen, r.admin = a[0], a[1]
	case err := <-r.done:
		cancel()
		t.Fatalf("Run did not start: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("Run did not start in 10s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return r
}

// stop cancels and returns Run's result.
func (r *running) stop(t *testing.T, within time.Duration) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(within):
		t.Fatalf("Run did not return within %v", within)
		return nil
	}
}

func base(h http.Handler) Config {
	return Config{
		Listen: "127.0.0.1:0", Handler: h, AdminListen: "off",
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second,
		IdleTimeout: 30 * time.Second, ShutdownTimeout: 5 * time.Second,
	}
}

// gate is a handler whose requests block until released; entered says
// that one is in the handler.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 16), release: make(chan struct{})} }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/quick" {
		io.WriteString(w, "quick")
		return
	}
	g.entered <- struct{}{}
	<-g.release
	io.WriteString(w, "drained "+r.URL.Path)
}

type result struct {
	status int
	body   string
	err    error
}

func get(c *http.Client, url string) result {
	resp, err := c.Get(url)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: string(b), err: err}
}

// On shutdown the listener closes at once, requests in flight finish with
// their answer, and Run returns nil once they have; a drain longer than
// ShutdownTimeout makes Run return the deadline error without waiting
// further.
func TestShutdownDrainsInFlight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inflight int
		timeout  time.Duration
		release  bool // release the handlers after shutdown began
		wantErr  error
	}{
		{name: "idle", inflight: 0, timeout: 5 * time.Second},
		{name: "one in flight", inflight: 1, timeout: 5 * time.Second, release: true},
		{name: "several in flight", inflight: 5, timeout: 5 * time.Second, release: true},
		{name: "drain longer than the timeout", inflight: 2, timeout: 300 * time.Millisecond, wantErr: context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate()
			c := base(g)
			c.ShutdownTimeout = tc.timeout
			r := start(t, c)
			url := "http://" + r.listen.String()
			client := &http.Client{Timeout: 10 * time.Second}
			results := make(chan result, tc.inflight)
			for i := range tc.inflight {
				go func() { results <- get(client, fmt.Sprintf("%s/call%d", url, i)) }()
			}
			for range tc.inflight {
				select {
				case <-g.entered:
				case <-time.After(10 * time.Second):
					t.Fatal("request never reached the handler")
				}
			}
			stopped := make(chan error, 1)
			go func() { stopped <- r.stop(t, 10*time.Second) }()
			// The listener stops accepting while the calls are in flight.
			deadline := time.Now().Add(5 * time.Second)
			for {
				conn, err := net.DialTimeout("tcp", r.listen.String(), time.Second)
				if err != nil {
					break
				}
				conn.Close()
				if time.Now().After(deadline) {
					t.Fatal("listener still accepts after shutdown began")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if tc.inflight > 0 {
				select {
				case err := <-stopped:
					if tc.release {
						t.Fatalf("Run returned (%v) before the in-flight requests finished", err)
					}
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("Run: %v, want %v", err, tc.wantErr)
					}
					close(g.release)
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			if tc.release {
				close(g.release)
			}
			if err := <-stopped; !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Run: %v, want %v", err, tc.wantErr)
			}
			if !tc.release {
				close(g.release)
			}
			for i := range tc.inflight {
				res := <-results
				if res.err != nil || res.status != 200 || !strings.HasPrefix(res.body, "drained /call") {
					t.Errorf("in-flight request %d: %d %q %v", i, res.status, res.body, res.err)
				}
			}
		})
	}
}

// An idle keep-alive connection does not hold the shutdown up (net/http
// closes idle connections at once).
func TestShutdownClosesIdleKeepAlive(t *testing.T) {
	r := start(t, base(newGate()))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	if res := get(client, "http://"+r.listen.String()+"/quick"); res.err != nil || res.body != "quick" {
		t.Fatalf("quick: %+v", res)
	}
	start := time.Now()
	if err := r.stop(t, 5*time.Second); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown with an idle keep-alive connection took %v", d)
	}
}

func TestListenErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name, listen, admin, want string
	}{
		{"main address taken", busy.Addr().String(), "off", "--listen:"},
		{"main address malformed", "127.0.0.1:notaport", "off", "--listen:"},
		{"admin address taken", "127.0.0.1:0", busy.Addr().String(), "--admin-listen:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base(newGate())
			c.Listen, c.AdminListen = tc.listen, tc.admin
			called := false
			err := Run(context.Background(), c, func(net.Addr, net.Addr) { called = true })
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Run: %v, want an error starting %q", err, tc.want)
			}
			if called {
				t.Error("started called although Run failed")
			}
		})
	}
	// A failed admin listener leaves no main listener behind: the same
	// address can be bound again at once.
	c := base(newGate())
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := free.Addr().String()
	free.Close()
	c.Listen, c.AdminListen = addr, busy.Addr().String()
	if err := Run(context.Background(), c, nil); err == nil {
		t.Fatal("Run with a taken admin address succeeded")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("main listener left open after the admin listener failed: %v", err)
	}
	ln.Close()
}

// A client that dribbles its headers is cut off after ReadHeaderTimeout;
// headers over 64 KiB are refused with 431.
func TestSlowAndOversizedClients(t *testing.T) {
	c := base(newGate())
	c.ReadHeaderTimeout = 300 * time.Millisecond
	r := start(t, c)
	t.Run("slow headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", r.listen.String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /quick HTTP/1.1\r\nHost: x\r\n")
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(conn) // returns when the server closes
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("slow client held the connection for %v", d)
		}
		if strings.Contains(string(b), "quick") {
			t.Errorf("a request with unfinished headers was served: %q", b)
		}
	})
	t.Run("oversized headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", r.listen.String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		go func() {
			fmt.Fprintf(conn, "GET /quick HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 100<<10))
		}()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("oversized headers: %d", resp.StatusCode)
		}
	})
}

type fakeStore struct {
	mu  sync.Mutex
	err error
}

func (f *fakeStore) ping(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeStore) set(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

// The admin listener serves /metrics and /healthz; /healthz follows the
// store and answers 503 when it is down or slower than the timeout.
func TestAdmin(t *testing.T) {
	store := &fakeStore{}
	slow := make(chan struct{})
	defer close(slow)
	ping := func(ctx context.Context) error {
		if err := store.ping(ctx); err != nil {
			if err.Error() == "slow" {
				select {
				case <-slow:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return err
		}
		return nil
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "some_metric 1\n") })
	c := base(newGate())
	c.AdminListen = "127.0.0.1:0"
	c.Admin = Admin(metrics, ping, 200*time.Millisecond, func() string { return "ok: 2 apps" })
	r := start(t, c)
	if r.admin == nil {
		t.Fatal("no admin address")
	}
	client := &http.Client{Timeout: 5 * time.Second}
	adm := "http://" + r.admin.String()
	for _, tc := range []struct {
		name     string
		storeErr error
		path     string
		status   int
		body     string
	}{
		{"metrics", nil, "/metrics", 200, "some_metric 1\n"},
		{"healthy", nil, "/healthz", 200, "ok: 2 apps\n"},
		{"store down", errors.New("connection refused"), "/healthz", 503, "store unavailable: connection refused\n"},
		{"store slow", errors.New("slow"), "/healthz", 503, "store unavailable: context deadline exceeded\n"},
		{"store back", nil, "/healthz", 200, "ok: 2 apps\n"},
		{"unknown path", nil, "/debug/pprof/", 404, "404 page not found\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store.set(tc.storeErr)
			res := get(client, adm+tc.path)
			if res.err != nil || res.status != tc.status || res.body != tc.body {
				t.Errorf("GET %s: %d %q %v, want %d %q", tc.path, res.status, res.body, res.err, tc.status, tc.body)
			}
		})
	}
	// The main listener does not serve the admin paths.
	if res := get(client, "http://"+r.listen.String()+"/quick"); res.body != "quick" {
		t.Errorf("main listener: %+v", res)
	}
}

// "" and "off" both disable the admin listener.
func TestAdminOff(t *testing.T) {
	for _, v := range []string{"", "off"} {
		c := base(newGate())
		c.AdminListen = v
		c.Admin = http.NotFoundHandler()
		r := start(t, c)
		if r.admin != nil {
			t.Errorf("AdminListen %q: admin listener on %v", v, r.admin)
		}
	}
}
