package broker

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// The store holds the state replicas must share: rate-limit buckets and
// the idempotency keys already admitted. One Admit call decides a request
// atomically (a single Lua script in Redis):
//
//   - an Idempotency-Key already admitted with the same request
//     fingerprint is a retry (the library retrying a timed-out call): it is
//     forwarded without charging the rate limits again, and Stripe answers
//     it from its own idempotency cache, so it cannot act twice;
//   - the same key with a different request is refused before it reaches
//     Stripe (idempotency_error), so a key cannot be reused to smuggle a
//     second, uncharged call;
//   - otherwise every bucket (the app's, the rule's) must have room; all
//     are charged or none, and the key is remembered for 24 hours (Stripe's
//     own idempotency window).
//
// A store that cannot answer makes the broker fail closed (503, nothing
// forwarded).

// Verdict is the outcome of Admit.
type Verdict int

const (
	Admitted Verdict = iota // charged, forward
	Retry                   // same idempotency key and request: forward, not charged
	Conflict                // idempotency key reused for a different request
	Limited                 // a bucket is empty
)

func (v Verdict) String() string {
	return [...]string{"admitted", "retry", "conflict", "limited"}[v]
}

// Bucket is one rate limit to charge.
type Bucket struct {
	Key      string
	Interval time.Duration // time per request (Per/N)
	Burst    int
}

// Admission is what Admit decides on.
type Admission struct {
	IdemKey     string // store key of the Idempotency-Key, "" when none
	Fingerprint string // hash of the request the key belongs to
	IdemTTL     time.Duration
	Buckets     []Bucket
}

// Decision is Admit's answer.
type Decision struct {
	Verdict    Verdict
	RetryAfter time.Duration // Limited: when the bucket has room again
	Bucket     int           // Limited: index of the empty bucket
}

// Store is the shared state.
type Store interface {
	Admit(ctx context.Context, a Admission) (Decision, error)
	Ping(ctx context.Context) error
	Close() error
}

// IdempotencyWindow is how long an admitted Idempotency-Key is remembered
// (Stripe keeps keys for at least 24 hours).
const IdempotencyWindow = 24 * time.Hour

// MemoryStore is the single-replica store. Idempotency keys are kept for
// their TTL, at most MaxKeys of them (the oldest are forgotten first: a
// forgotten key's retry is charged again, which is stricter, never looser).
type MemoryStore struct {
	MaxKeys int
	now     func() time.Time

	mu    sync.Mutex
	tat   map[string]int64 // bucket → theoretical arrival time (unix ns)
	idem  map[digest]memIdem
	order []memOrder
	head  int
	buf   []byte // scratch for digests, under mu
}

// Idempotency keys and fingerprints are kept as fixed-size digests, not
// strings: up to MaxKeys (a million) entries then hold no pointer, so the
// garbage collector never scans them. As strings they were most of the
// broker's live heap (32 MB for 165k keys), and marking it took 20-50 ms
// of CPU every few seconds at 1,000 calls/s, the calls it overlapped
// waiting on it: the p99.
type digest [16]byte

type memIdem struct {
	fp      digest
	expires int64
}

type memOrder struct {
	key     digest
	expires int64
}

// digestOf is a collision-resistant digest of s (SHA-256, 128 bits): a
// collision would let one request pass for another's retry.
func (s *MemoryStore) digestOf(v string) digest {
	s.buf = append(s.buf[:0], v...)
	sum := sha256.Sum256(s.buf)
	return digest(sum[:16])
}

// NewMemoryStore returns an empty store; now may be nil (time.Now).
func NewMemoryStore(maxKeys int, now func() time.Time) *MemoryStore {
	if maxKeys <= 0 {
		maxKeys = 1_000_000
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{MaxKeys: maxKeys, now: now, tat: map[string]int64{}, idem: map[digest]memIdem{}}
}

// Admit implements Store.
func (s *MemoryStore) Admit(_ context.Context, a Admission) (Decision, error) {
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	var key, fp digest
	if a.IdemKey != "" {
		key, fp = s.digestOf(a.IdemKey), s.digestOf(a.Fingerprint)
		if e, ok := s.idem[key]; ok && e.expires > now {
			if e.fp == fp {
				return Decision{Verdict: Retry}, nil
			}
			return Decision{Verdict: Conflict}, nil
		}
	}
	var stack [4]int64
	next := stack[:0]
	for i, b := range a.Buckets {
		tat, iv := s.tat[b.Key], int64(b.Interval)
		if tat < now {
			tat = now
		}
		n := tat + iv
		if allowAt := n - int64(b.Burst)*iv; allowAt > now {
			return Decision{Verdict: Limited, RetryAfter: time.Duration(allowAt - now), Bucket: i}, nil
		}
		next = append(next, n)
	}
	for i, b := range a.Buckets {
		s.tat[b.Key] = next[i]
	}
	if a.IdemKey != "" {
		exp := now + int64(a.IdemTTL)
		s.idem[key] = memIdem{fp: fp, expires: exp}
		s.order = append(s.order, memOrder{key, exp})
		for len(s.idem) > s.MaxKeys && s.head < len(s.order) {
			s.forgetOldest()
		}
	}
	return Decision{Verdict: Admitted}, nil
}

// expire forgets keys past their TTL, a bounded amount of work per call.
// All keys share one TTL, so the append order is the expiry order.
func (s *MemoryStore) expire(now int64) {
	for n := 0; n < 64 && s.head < len(s.order) && s.order[s.head].expires <= now; n++ {
		s.forgetOldest()
	}
	// Buckets full again (TAT in the past) carry no information.
	if len(s.tat) > 4096 {
		for k, t := range s.tat {
			if t < now {
				delete(s.tat, k)
			}
		}
	}
}

func (s *MemoryStore) forgetOldest() {
	o := s.order[s.head]
	if e, ok := s.idem[o.key]; ok && e.expires == o.expires {
		delete(s.idem, o.key)
	}
	s.order[s.head] = memOrder{}
	s.head++
	if s.head > 4096 && s.head*2 > len(s.order) {
		s.order = append(s.order[:0], s.order[s.head:]...)
		s.head = 0
	}
}

// Keys returns the number of remembered idempotency keys.
func (s *MemoryStore) Keys() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.idem)
}

// Ping implements Store.
func (s *MemoryStore) Ping(context.Context) error { return nil }

// Close implements Store.
func (s *MemoryStore) Close() error { return nil }
