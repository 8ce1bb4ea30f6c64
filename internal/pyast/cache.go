package pyast

import (
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"
)

// Cache lets several analyzers share one parse per file. Entries hold weak
// pointers: a module stays cached while some analyzer keeps it for its
// Finish step and is collected once none does, so the cache never pins a
// whole scan in memory and needs no per-scan reset.
type Cache struct {
	mu sync.Mutex
	m  map[cacheKey]*cacheEntry
	// recent holds the last modules parsed strongly: the engine hands a
	// file to the Python analyzers one after the other, and the second
	// must find the first one's parse even if a GC ran in between.
	recent [16]*Module
	next   int
	parses atomic.Int64
}

// Parses counts the parses this cache performed (tests).
func (c *Cache) Parses() int64 { return c.parses.Load() }

type cacheKey struct {
	rel  string
	hash uint64
	size int
}

type cacheEntry struct {
	ready chan struct{}
	mod   weak.Pointer[Module]
	err   error
	at    time.Time
}

// errTTL: a failed parse (timeout under load, too large, binary) is not
// retried by the next analyzer asking in the same scan, but a later scan
// in a long-lived process tries again.
const errTTL = time.Minute

var seed = maphash.MakeSeed()

type cleanupArg struct {
	key cacheKey
	e   *cacheEntry
}

func (c *Cache) forget(a cleanupArg) {
	c.mu.Lock()
	if c.m[a.key] == a.e {
		delete(c.m, a.key)
	}
	c.mu.Unlock()
}

// Shared is the process-wide cache the Python analyzers use (tests that
// count warnings install a fresh one).
var Shared = NewCache()

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{m: map[cacheKey]*cacheEntry{}} }

// Peek returns the module for (rel, data) if it is cached and alive.
func (c *Cache) Peek(rel string, data []byte) *Module {
	key := cacheKey{rel, maphash.Bytes(seed, data), len(data)}
	c.mu.Lock()
	e := c.m[key]
	c.mu.Unlock()
	if e == nil {
		return nil
	}
	select {
	case <-e.ready:
	default:
		return nil
	}
	if e.err != nil {
		return nil
	}
	return e.mod.Value()
}

// Get returns the module for (rel, data), parsing it at most once while
// any holder keeps the result. data is copied; the caller may reuse it.
func (c *Cache) Get(rel string, data []byte, deadline time.Duration) (*Module, error) {
	key := cacheKey{rel, maphash.Bytes(seed, data), len(data)}
	for {
		c.mu.Lock()
		e := c.m[key]
		if e != nil && e.err != nil && time.Since(e.at) > errTTL {
			delete(c.m, key)
			e = nil
		}
		if e == nil {
			e = &cacheEntry{ready: make(chan struct{})}
			c.m[key] = e
			c.mu.Unlock()
			c.parses.Add(1)
			mod, err := ParseModule(rel, append([]byte(nil), data...), deadline)
			e.err, e.at = err, time.Now()
			if mod != nil {
				e.mod = weak.Make(mod)
				c.mu.Lock()
				c.recent[c.next] = mod
				c.next = (c.next + 1) % len(c.recent)
				c.mu.Unlock()
				// Drop the entry with the module, so a long scan does
				// not accumulate entries of collected modules.
				runtime.AddCleanup(mod, c.forget, cleanupArg{key, e})
			}
			close(e.ready)
			return mod, err
		}
		c.mu.Unlock()
		<-e.ready
		if e.err != nil {
			return nil, e.err
		}
		if mod := e.mod.Value(); mod != nil {
			return mod, nil
		}
		// Collected: drop the stale entry and parse again.
		c.mu.Lock()
		if c.m[key] == e {
			delete(c.m, key)
		}
		c.mu.Unlock()
	}
}
