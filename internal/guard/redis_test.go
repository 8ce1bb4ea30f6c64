package guard

import (
	"strings"
	"testing"
	"time"
)

// TestRedisReplicas: two guard replicas share one real redis-server. 50
// concurrent deliveries of one event across both: exactly one reaches the
// app. Then Redis is killed: both fail closed (503 + Retry-After, nothing
// forwarded); after a restart, everything works again and no event was
// accepted twice. Redis runs with AOF here (as it must in production) so
// the delivered-ids survive its restart.
func TestRedisReplicas(t *testing.T) {
	r := startRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	up := newUpstream(t)
	up.delay.Store(int64(200 * time.Millisecond))
	var urls []string
	for i := 0; i < 2; i++ {
		st, err := NewRedisStore(r.url(), "sg:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		_, gs := newGuard(t, up.srv.URL, func(c *Config) { c.Store = st; c.StoreTimeout = time.Second })
		urls = append(urls, gs.URL)
	}
	body := event("evt_replicas")
	statuses := hammer(t, urls, body, 50)
	if n := up.forwarded("evt_replicas"); n != 1 {
		t.Fatalf("forwarded %d times across replicas (statuses %v)", n, statuses)
	}
	if statuses[200] < 1 || statuses[200]+statuses[409] != 50 {
		t.Fatalf("statuses %v", statuses)
	}
	for _, u := range urls {
		if st, b, _ := post(t, u+"/w", body, signed(body)); st != 200 || !strings.Contains(b, "duplicate") {
			t.Fatalf("replay on %s: %d %q", u, st, b)
		}
	}

	up.delay.Store(0)
	r.stop() // Redis down
	outage := event("evt_outage")
	for _, u := range urls {
		for _, b := range [][]byte{outage, body} {
			st, _, h := post(t, u+"/w", b, signed(b))
			if st != 503 || h.Get("Retry-After") == "" {
				t.Fatalf("Redis down: got %d (Retry-After %q), want 503", st, h.Get("Retry-After"))
			}
		}
	}
	before := up.count.Load()
	if before != 1 {
		t.Fatalf("requests reached the app during the outage: %d", before)
	}

	r.start() // same port, same dir: AOF reloaded
	// Stripe retries; the first call on a stale pooled connection may still
	// fail closed, so retry a bounded number of times.
	ok := false
	for i := 0; i < 50 && !ok; i++ {
		st, _, _ := post(t, urls[i%2]+"/w", outage, signed(outage))
		switch st {
		case 200:
			ok = true
		case 503:
			time.Sleep(100 * time.Millisecond)
		default:
			t.Fatalf("after restart: %d", st)
		}
	}
	if !ok {
		t.Fatal("guard did not recover after Redis restart")
	}
	for _, u := range urls {
		for _, b := range [][]byte{outage, body} {
			if st, resp, _ := post(t, u+"/w", b, signed(b)); st != 200 || !strings.Contains(resp, "duplicate") {
				t.Fatalf("after restart, replay: %d %q", st, resp)
			}
		}
	}
	if up.forwarded("evt_outage") != 1 || up.forwarded("evt_replicas") != 1 || up.count.Load() != 2 {
		t.Fatalf("accepted twice: outage=%d replicas=%d total=%d", up.forwarded("evt_outage"), up.forwarded("evt_replicas"), up.count.Load())
	}
}
