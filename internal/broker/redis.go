package broker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stripeguard/stripeguard/internal/redisconn"
)

// RedisStore shares rate limits and idempotency keys between replicas.
// Admit is one Lua script, atomic across replicas, timed by Redis' own
// clock (TIME) so replicas with skewed clocks agree. Keys of one app share
// a hash tag ({app}), so the script also runs on Redis Cluster.
//
// Any error (Redis down, slow, full) makes the broker fail closed: 503,
// nothing forwarded. Run Redis with persistence if a restart must not
// reset the rate limits and the remembered idempotency keys.
type RedisStore struct {
	c      *redis.Client
	prefix string
}

// KEYS[1] idempotency key or "" (KEYS[1] is always passed so the bucket
// keys start at 2); ARGV[1] fingerprint, ARGV[2] idempotency TTL in ms,
// then per bucket: interval in µs, burst.
// Returns {verdict, retry_after_us, bucket_index(1-based)}.
var admitScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if KEYS[1] ~= '' then
  local v = redis.call('GET', KEYS[1])
  if v then
    if v == ARGV[1] then return {1, 0, 0} end
    return {2, 0, 0}
  end
end
local n = #KEYS - 1
local nxt = {}
for i = 1, n do
  local iv = tonumber(ARGV[1 + 2*i])
  local burst = tonumber(ARGV[2 + 2*i])
  local tat = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  if tat < now then tat = now end
  local new = tat + iv
  local allow_at = new - burst * iv
  if allow_at > now then return {3, allow_at - now, i} end
  nxt[i] = new
end
for i = 1, n do
  local ttl = math.floor((nxt[i] - now) / 1000) + 1000
  redis.call('SET', KEYS[i + 1], string.format('%.0f', nxt[i]), 'PX', ttl)
end
if KEYS[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return {0, 0, 0}
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

// Admit implements Store.
func (s *RedisStore) Admit(ctx context.Context, a Admission) (Decision, error) {
	keys := make([]string, 1, 1+len(a.Buckets))
	if a.IdemKey != "" {
		keys[0] = s.prefix + a.IdemKey
	}
	args := make([]any, 2, 2+2*len(a.Buckets))
	args[0], args[1] = a.Fingerprint, a.IdemTTL.Milliseconds()
	for _, b := range a.Buckets {
		keys = append(keys, s.prefix+b.Key)
		iv := b.Interval.Microseconds()
		if iv < 1 {
			iv = 1
		}
		args = append(args, iv, b.Burst)
	}
	res, err := admitScript.Run(ctx, s.c, keys, args...).Int64Slice()
	if err != nil {
		return Decision{}, err
	}
	if len(res) != 3 || res[0] < 0 || res[0] > 3 {
		return Decision{}, fmt.Errorf("redis admit script: unexpected reply %v", res)
	}
	d := Decision{Verdict: Verdict(res[0])}
	if d.Verdict == Limited {
		d.RetryAfter = time.Duration(res[1]) * time.Microsecond
		d.Bucket = int(res[2]) - 1
	}
	return d, nil
}

// Ping implements Store.
func (s *RedisStore) Ping(ctx context.Context) error { return s.c.Ping(ctx).Err() }

// Close implements Store.
func (s *RedisStore) Close() error { return s.c.Close() }

// String describes the store for logs (no password).
func (s *RedisStore) String() string {
	o := s.c.Options()
	return "redis " + o.Addr + "/" + strconv.Itoa(o.DB)
}
