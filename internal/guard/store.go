package guard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// State is what Claim found.
type State int

const (
	// Claimed: the caller now owns the event (in-flight) and must forward it,
	// then call Done (upstream 2xx) or Release (anything else).
	Claimed State = iota
	// Done: the event was delivered successfully within the retention window.
	Done
	// InFlight: another request (this replica or another) is delivering it.
	InFlight
)

func (s State) String() string {
	switch s {
	case Claimed:
		return "claimed"
	case Done:
		return "done"
	case InFlight:
		return "in-flight"
	}
	return "unknown"
}

// ErrStoreFull is returned by the memory store when it holds MaxEntries
// events none of which may be forgotten yet.
var ErrStoreFull = errors.New("dedupe store full")

// Store is the replay/dedupe store. Claim must be atomic: of any number of
// concurrent Claims of one id (on any replica sharing the store) at most one
// returns Claimed until the claim is released or its TTL expires.
type Store interface {
	Claim(ctx context.Context, id, token string, ttl time.Duration) (State, error)
	// MarkDone records a successful delivery for retention.
	MarkDone(ctx context.Context, id, token string, retention time.Duration) error
	// Release drops the caller's claim (if still its own) so a retry is
	// forwarded again.
	Release(ctx context.Context, id, token string) error
	Ping(ctx context.Context) error
	Close() error
}

// tokens makes claim tokens unique across processes and restarts.
type tokens struct {
	prefix string
	n      atomic.Uint64
}

func newTokens() *tokens {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &tokens{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (t *tokens) next() string {
	return t.prefix + strconv.FormatUint(t.n.Add(1), 36)
}

// MemoryStore is the in-process store (one replica). Done entries are kept
// for the retention window in a FIFO; when MaxEntries is reached the oldest
// done entries older than SafetyWindow (tolerance + skew: a replayed signed
// request older than that is refused by the verifier anyway) are forgotten
// first; if none can be, Claim fails closed with ErrStoreFull.
type MemoryStore struct {
	MaxEntries   int
	SafetyWindow time.Duration
	now          func() time.Time

	mu    sync.Mutex
	m     map[memKey]memEntry
	queue []queued // done entries in order of completion
	head  int
}

// memKey is a 128-bit keyed hash of the event id: the map and queue then
// hold no pointers, so the garbage collector never scans them (measured: a
// million remembered ids take ~145 MB and a full GC stays ~6 ms). Two
// independent random seeds;
// a collision (which would drop an event as a duplicate) is ~n²/2¹²⁹.
// Ids come from verified bodies only, so they are not attacker-chosen.
type memKey [2]uint64

var seed1, seed2 = maphash.MakeSeed(), maphash.MakeSeed()

func keyOf(id string) memKey { return memKey{maphash.String(seed1, id), maphash.String(seed2, id)} }

type memEntry struct {
	done    bool
	token   uint64 // hash of the claim token
	expires int64  // unix nanoseconds
	doneAt  int64
}

type queued struct {
	id     memKey
	doneAt int64
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(maxEntries int, safetyWindow time.Duration) *MemoryStore {
	if maxEntries <= 0 {
		maxEntries = 1_000_000
	}
	return &MemoryStore{MaxEntries: maxEntries, SafetyWindow: safetyWindow, now: time.Now, m: map[memKey]memEntry{}}
}

// Len returns the number of entries (in-flight and done).
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Claim implements Store.
func (s *MemoryStore) Claim(_ context.Context, idStr, token string, ttl time.Duration) (State, error) {
	id := keyOf(idStr)
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if e, ok := s.m[id]; ok && e.expires > now {
		if e.done {
			return Done, nil
		}
		return InFlight, nil
	}
	if len(s.m) >= s.MaxEntries {
		s.evict(now)
		if len(s.m) >= s.MaxEntries {
			return InFlight, ErrStoreFull
		}
	}
	s.m[id] = memEntry{token: maphash.String(seed1, token), expires: now + int64(ttl)}
	return Claimed, nil
}

// MarkDone implements Store.
func (s *MemoryStore) MarkDone(_ context.Context, idStr, _ string, retention time.Duration) error {
	id := keyOf(idStr)
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = memEntry{done: true, expires: now + int64(retention), doneAt: now}
	s.queue = append(s.queue, queued{id: id, doneAt: now})
	return nil
}

// Release implements Store.
func (s *MemoryStore) Release(_ context.Context, idStr, token string) error {
	id := keyOf(idStr)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[id]; ok && !e.done && e.token == maphash.String(seed1, token) {
		delete(s.m, id)
	}
	return nil
}

// Ping implements Store.
func (s *MemoryStore) Ping(context.Context) error { return nil }

// Close implements Store.
func (s *MemoryStore) Close() error { return nil }

// expire drops done entries whose retention ended, oldest first (done
// entries all share one retention, so the FIFO is in expiry order). Bounded
// work per call keeps latency flat.
func (s *MemoryStore) expire(now int64) {
	for n := 0; n < 64 && s.head < len(s.queue); n++ {
		q := s.queue[s.head]
		e, ok := s.m[q.id]
		if ok && e.done && e.doneAt == q.doneAt {
			if e.expires > now {
				break
			}
			delete(s.m, q.id)
		}
		s.pop()
	}
}

// evict forgets the oldest done entries that are outside the safety window.
func (s *MemoryStore) evict(now int64) {
	limit := now - int64(s.SafetyWindow)
	for n := 0; n < 1024 && s.head < len(s.queue) && len(s.m) >= s.MaxEntries; n++ {
		q := s.queue[s.head]
		if q.doneAt > limit {
			return
		}
		if e, ok := s.m[q.id]; ok && e.done && e.doneAt == q.doneAt {
			delete(s.m, q.id)
		}
		s.pop()
	}
}

func (s *MemoryStore) pop() {
	s.queue[s.head] = queued{}
	s.head++
	if s.head > 4096 && s.head*2 > len(s.queue) {
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
}
