package guard

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// storeContract runs the same table against any Store.
func storeContract(t *testing.T, s Store) {
	ctx := context.Background()
	steps := []struct {
		op    string // claim, done, release
		id    string
		token string
		want  State
	}{
		{"claim", "evt_a", "t1", Claimed},
		{"claim", "evt_a", "t2", InFlight},
		{"release", "evt_a", "t2", 0}, // not the owner: no effect
		{"claim", "evt_a", "t3", InFlight},
		{"release", "evt_a", "t1", 0},
		{"claim", "evt_a", "t4", Claimed},
		{"done", "evt_a", "t4", 0},
		{"claim", "evt_a", "t5", Done},
		{"release", "evt_a", "t5", 0},
		{"claim", "evt_a", "t6", Done},
		{"claim", "evt_b", "t7", Claimed},
	}
	for i, st := range steps {
		var err error
		var got State
		switch st.op {
		case "claim":
			got, err = s.Claim(ctx, st.id, st.token, time.Minute)
		case "done":
			err = s.MarkDone(ctx, st.id, st.token, time.Hour)
		case "release":
			err = s.Release(ctx, st.id, st.token)
		}
		if err != nil {
			t.Fatalf("step %d %s: %v", i, st.op, err)
		}
		if st.op == "claim" && got != st.want {
			t.Fatalf("step %d claim %s: %s, want %s", i, st.id, got, st.want)
		}
	}
	// Exactly one of many concurrent claims wins.
	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if st, err := s.Claim(ctx, "evt_race", "r"+strconv.Itoa(i), time.Minute); err == nil && st == Claimed {
				wins.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent claims won", wins.Load())
	}
}

func TestMemoryStore(t *testing.T) { storeContract(t, NewMemoryStore(0, time.Minute)) }

func TestRedisStore(t *testing.T) {
	r := startRedis(t)
	s, err := NewRedisStore(r.url(), "test:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storeContract(t, s)
	// In-flight claims expire (a crashed replica does not block an event forever).
	ctx := context.Background()
	if st, _ := s.Claim(ctx, "evt_ttl", "x", 50*time.Millisecond); st != Claimed {
		t.Fatal("claim")
	}
	for i := 0; i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		if st, _ := s.Claim(ctx, "evt_ttl", "y", time.Minute); st == Claimed {
			return
		}
	}
	t.Fatal("in-flight claim never expired")
}

func TestMemoryStoreExpiryAndCapacity(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := NewMemoryStore(3, 10*time.Minute)
	s.now = func() time.Time { return now }
	ctx := context.Background()
	claimDone := func(id string) {
		if st, err := s.Claim(ctx, id, "t", time.Minute); err != nil || st != Claimed {
			t.Fatalf("claim %s: %v %v", id, st, err)
		}
		s.MarkDone(ctx, id, "t", time.Hour)
	}
	claimDone("evt_1")
	claimDone("evt_2")
	claimDone("evt_3")
	// Full, and everything is inside the safety window: fail closed.
	if _, err := s.Claim(ctx, "evt_4", "t", time.Minute); err != ErrStoreFull {
		t.Fatalf("full store: %v", err)
	}
	// Later, the oldest done entries may be forgotten to make room...
	now = now.Add(11 * time.Minute)
	claimDone("evt_4")
	if st, _ := s.Claim(ctx, "evt_2", "t", time.Minute); st != Done {
		t.Fatalf("evt_2 forgotten too early: %s", st)
	}
	// ...and after the retention everything expires.
	now = now.Add(2 * time.Hour)
	if st, _ := s.Claim(ctx, "evt_3", "t", time.Minute); st != Claimed {
		t.Fatalf("evt_3 not expired: %s", st)
	}
	if s.Len() > 3 {
		t.Fatalf("len %d", s.Len())
	}
}
