package guard

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stripeguard/stripeguard/internal/redisconn"
)

// RedisStore shares the dedupe state between replicas. Every decision is a
// single Lua script, so it is atomic across replicas. Values: "i:<token>"
// while in flight (PX = in-flight TTL), "d" once delivered (PX = retention).
//
// When Redis is unreachable every operation errors and the guard fails
// closed: 503 + Retry-After, nothing forwarded, so Stripe retries later.
// Nothing is accepted twice and nothing is lost, provided Redis keeps its data
// (use AOF persistence in production: a Redis that restarts empty forgets
// which events were delivered).
type RedisStore struct {
	c      *redis.Client
	prefix string
}

// claim returns "" when it set the key, else the current value.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ''
`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// NewRedisStore connects to url (redisconn.New: short timeouts, so a slow
// Redis turns into a quick 503).
func NewRedisStore(url, prefix string) (*RedisStore, error) {
	c, err := redisconn.New(url)
	if err != nil {
		return nil, err
	}
	return &RedisStore{c: c, prefix: prefix}, nil
}

func (s *RedisStore) key(id string) string { return s.prefix + id }

// Claim implements Store.
func (s *RedisStore) Claim(ctx context.Context, id, token string, ttl time.Duration) (State, error) {
	mine := "i:" + token
	v, err := claimScript.Run(ctx, s.c, []string{s.key(id)}, mine, ttl.Milliseconds()).Text()
	if err != nil {
		return InFlight, err
	}
	switch {
	case v == "" || v == mine: // v == mine: our own claim, seen on a retried call
		return Claimed, nil
	case v == "d":
		return Done, nil
	}
	return InFlight, nil
}

// MarkDone implements Store.
func (s *RedisStore) MarkDone(ctx context.Context, id, _ string, retention time.Duration) error {
	return s.c.Set(ctx, s.key(id), "d", retention).Err()
}

// Release implements Store.
func (s *RedisStore) Release(ctx context.Context, id, token string) error {
	err := releaseScript.Run(ctx, s.c, []string{s.key(id)}, "i:"+token).Err()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

// Ping implements Store.
func (s *RedisStore) Ping(ctx context.Context) error { return s.c.Ping(ctx).Err() }

// Close implements Store.
func (s *RedisStore) Close() error { return s.c.Close() }
