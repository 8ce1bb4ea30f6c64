package guard

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stripeguard/stripeguard/internal/testutil"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

const (
	secret  = "whsec_guard_test_secret_0123456789"
	secret2 = "whsec_guard_rotated_secret_abcdef"
)

func event(id string) []byte {
	return []byte(`{"id":"` + id + `","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_123","object":"payment_intent","amount":2000}}}`)
}

// upstream is a real HTTP app on 127.0.0.1 that records what it receives.
type upstream struct {
	srv    *httptest.Server
	count  atomic.Int64
	status atomic.Int64 // status to answer; 0 = 200
	delay  atomic.Int64 // nanoseconds to sleep before answering
	mu     sync.Mutex
	got    []received
	perID  map[string]int
}

type received struct {
	path   string
	header http.Header
	body   []byte
	host   string
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{perID: map[string]int{}}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if d := u.delay.Load(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		u.count.Add(1)
		id, _ := EventID(b)
		u.mu.Lock()
		u.got = append(u.got, received{path: r.URL.RequestURI(), header: r.Header.Clone(), body: b, host: r.Host})
		u.perID[id]++
		u.mu.Unlock()
		st := int(u.status.Load())
		if st == 0 {
			st = 200
		}
		w.Header().Set("X-App", "yes")
		w.WriteHeader(st)
		fmt.Fprintf(w, "app says %d", st)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) forwarded(id string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.perID[id]
}

func newGuard(t testing.TB, upURL string, mod func(*Config)) (*Guard, *httptest.Server) {
	t.Helper()
	cfg := Config{Upstream: upURL}
	if mod != nil {
		mod(&cfg)
	}
	g, err := New(cfg, []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv
}

var testClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func post(t testing.TB, url string, body []byte, sig ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, s := range sig {
		req.Header.Add("Stripe-Signature", s)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func signed(body []byte, secrets ...string) string {
	if len(secrets) == 0 {
		secrets = []string{secret}
	}
	return webhooksig.Header(time.Now().Unix(), body, secrets...)
}

// redisServer is a real redis-server on a free loopback port in a temp dir.
type redisServer struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	args []string
	cmd  *exec.Cmd
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startRedis(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	bin := testutil.NeedProgram(t, "redis-server")
	r := &redisServer{t: t, bin: bin, dir: t.TempDir(), port: freePort(t), args: extra}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) url() string { return "redis://127.0.0.1:" + strconv.Itoa(r.port) + "/0" }

func (r *redisServer) start() {
	r.t.Helper()
	args := []string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir, "--save", "", "--appendonly", "no"}
	args = append(args, r.args...) // later options override earlier ones
	r.cmd = exec.Command(r.bin, args...)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(r.port)})
	defer c.Close()
	for i := 0; i < 200; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on port %d did not answer", r.port)
}

func (r *redisServer) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}
