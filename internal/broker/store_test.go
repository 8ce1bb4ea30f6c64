package broker

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

// The store contract, run against the memory store and a real Redis.
func storeContract(t *testing.T, s Store, advance func(time.Duration)) {
	ctx := context.Background()
	b := []Bucket{{Key: "{a}:rl:app", Interval: 100 * time.Millisecond, Burst: 2}}
	admit := func(a Admission) Decision {
		t.Helper()
		d, err := s.Admit(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := admit(Admission{Buckets: b}); d.Verdict != Admitted {
		t.Fatalf("1: %v", d)
	}
	if d := admit(Admission{Buckets: b, IdemKey: "{a}:idem:k1", Fingerprint: "f1", IdemTTL: time.Hour}); d.Verdict != Admitted {
		t.Fatalf("2: %v", d)
	}
	d := admit(Admission{Buckets: b, IdemKey: "{a}:idem:k2", Fingerprint: "f2", IdemTTL: time.Hour})
	if d.Verdict != Limited || d.RetryAfter <= 0 || d.RetryAfter > 100*time.Millisecond || d.Bucket != 0 {
		t.Fatalf("3 (burst 2): %+v", d)
	}
	// k2 was limited, so it was not remembered.
	if d := admit(Admission{IdemKey: "{a}:idem:k2", Fingerprint: "other", IdemTTL: time.Hour}); d.Verdict != Admitted {
		t.Fatalf("a limited key must not be remembered: %v", d)
	}
	if d := admit(Admission{Buckets: b, IdemKey: "{a}:idem:k1", Fingerprint: "f1", IdemTTL: time.Hour}); d.Verdict != Retry {
		t.Fatalf("retry while limited: %v", d)
	}
	if d := admit(Admission{Buckets: b, IdemKey: "{a}:idem:k1", Fingerprint: "f9", IdemTTL: time.Hour}); d.Verdict != Conflict {
		t.Fatalf("conflict: %v", d)
	}
	// All buckets or none: a second, empty bucket leaves the first uncharged.
	advance(250 * time.Millisecond)
	two := append(b, Bucket{Key: "{a}:rl:POST /v1/refunds", Interval: time.Hour, Burst: 1})
	if d := admit(Admission{Buckets: two}); d.Verdict != Admitted {
		t.Fatalf("two buckets: %v", d)
	}
	if d := admit(Admission{Buckets: two}); d.Verdict != Limited || d.Bucket != 1 {
		t.Fatalf("second bucket empty: %+v", d)
	}
	if d := admit(Admission{Buckets: b}); d.Verdict != Admitted {
		t.Fatalf("the first bucket must not have been charged by the refused call: %v", d)
	}
}

func TestMemoryStoreContract(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	s := NewMemoryStore(0, func() time.Time { return now })
	storeContract(t, s, func(d time.Duration) { now = now.Add(d) })
}

func TestMemoryStoreForgetsOldestKeys(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	s := NewMemoryStore(3, func() time.Time { return now })
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		s.Admit(ctx, Admission{IdemKey: fmt.Sprint(i), Fingerprint: "f", IdemTTL: time.Hour})
	}
	if s.Keys() != 3 {
		t.Fatalf("keys %d", s.Keys())
	}
	if d, _ := s.Admit(ctx, Admission{IdemKey: "0", Fingerprint: "x", IdemTTL: time.Hour}); d.Verdict != Admitted {
		t.Error("oldest key must be forgotten")
	}
	if d, _ := s.Admit(ctx, Admission{IdemKey: "4", Fingerprint: "f", IdemTTL: time.Hour}); d.Verdict != Retry {
		t.Error("newest key must be kept")
	}
	now = now.Add(2 * time.Hour)
	s.Admit(ctx, Admission{})
	if s.Keys() != 0 {
		t.Errorf("expired keys kept: %d", s.Keys())
	}
}

func TestRedisStoreContract(t *testing.T) {
	r := testutil.Redis(t)
	s, err := NewRedisStore(r.URL(), "sgtest:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storeContract(t, s, func(d time.Duration) { time.Sleep(d) })
}

// Two broker replicas share one real Redis: the rate limit holds across
// both under concurrency (exactly the burst gets through), an idempotent
// retry on the other replica is not charged, and when Redis stops both
// fail closed with nothing forwarded; they recover when it is back.
func TestRedisSharedAcrossReplicas(t *testing.T) {
	r := testutil.Redis(t)
	f := newFakeStripe(t)
	policy := `
[app.shop]
token_sha256 = ["` + HashToken(testToken).String() + `"]
key_env = "K"
[[app.shop.allow]]
route = "POST /v1/refunds"
rate = "10/h"
[[app.shop.allow]]
route = "GET /v1/customers/*"
`
	var urls []string
	for i := 0; i < 2; i++ {
		st, err := NewRedisStore(r.URL(), "sg:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		_, s := newTestBroker(t, f, policy, func(c *Config) { c.Store = st })
		urls = append(urls, s.URL)
	}
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res := do(t, "POST", urls[i%2]+"/v1/refunds", fmt.Sprintf("charge=ch_%d", i), append(bearer(testToken), "Idempotency-Key", fmt.Sprint("k", i))...)
			switch res.status {
			case 200:
				ok.Add(1)
			case 429:
				limited.Add(1)
			default:
				t.Errorf("refund %d: %d %s", i, res.status, res.body)
			}
		}(i)
	}
	wg.Wait()
	if ok.Load() != 10 || limited.Load() != 30 {
		t.Fatalf("across replicas: %d admitted, %d limited; want 10 and 30", ok.Load(), limited.Load())
	}
	// Find an admitted key and retry it on each replica: forwarded, not charged.
	admitted := ""
	for _, g := range f.requests() {
		admitted = g.header.Get("Idempotency-Key")
		break
	}
	body := ""
	for _, g := range f.requests() {
		if g.header.Get("Idempotency-Key") == admitted {
			body = string(g.body)
		}
	}
	for _, u := range urls {
		if res := do(t, "POST", u+"/v1/refunds", body, append(bearer(testToken), "Idempotency-Key", admitted)...); res.status != 200 {
			t.Fatalf("retry of %s: %d %s", admitted, res.status, res.body)
		}
	}
	if res := do(t, "POST", urls[1]+"/v1/refunds", "charge=ch_other", append(bearer(testToken), "Idempotency-Key", admitted)...); res.status != 400 || res.err.Type != "idempotency_error" {
		t.Fatalf("reuse on the other replica: %d %s", res.status, res.body)
	}

	r.Stop()
	before := len(f.requests())
	for _, u := range urls {
		for _, req := range [][2]string{{"POST", "/v1/refunds"}, {"GET", "/v1/customers/cus_1"}} {
			h := bearer(testToken)
			if req[0] == "POST" {
				h = append(h, "Idempotency-Key", "outage")
			}
			res := do(t, req[0], u+req[1], "", h...)
			// GET without rate limit or idempotency key needs no store.
			want := 503
			if req[0] == "GET" {
				want = 200
			}
			if res.status != want {
				t.Fatalf("Redis down, %s %s: %d %s", req[0], req[1], res.status, res.body)
			}
			if want == 503 && (res.err.Code != CodeStoreUnavailable || res.header.Get("Retry-After") == "") {
				t.Fatalf("fail closed: %s %v", res.body, res.header)
			}
		}
	}
	if n := len(f.requests()) - before; n != 2 {
		t.Fatalf("during the outage %d requests reached Stripe, want only the 2 GETs", n)
	}
	r.Start()
	recovered := false
	for i := 0; i < 40 && !recovered; i++ {
		res := do(t, "GET", urls[i%2]+"/v1/customers/cus_1", "", bearer(testToken)...)
		res = do(t, "POST", urls[i%2]+"/v1/refunds", "", append(bearer(testToken), "Idempotency-Key", "after")...)
		switch res.status {
		case 429, 200: // the store answers again (Redis restarted empty: the hour's budget is fresh)
			recovered = true
		case 503:
			time.Sleep(100 * time.Millisecond)
		default:
			t.Fatalf("after restart: %d", res.status)
		}
	}
	if !recovered {
		t.Fatal("brokers did not recover after Redis restarted")
	}
	// The healthz of a broker reflects the store.
	b, _ := newTestBroker(t, f, policy, func(c *Config) {
		st, _ := NewRedisStore("redis://127.0.0.1:1/0", "x:")
		c.Store = st
	})
	admin := httptest.NewServer(b.AdminHandler())
	defer admin.Close()
	if res := do(t, "GET", admin.URL+"/healthz", ""); res.status != 503 {
		t.Errorf("healthz with an unreachable Redis: %d", res.status)
	}
}
