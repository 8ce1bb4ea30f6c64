package broker

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
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

// NewRedisStore connects to url (redis://[user:pass@]host:port/db,
// rediss:// for TLS). Timeouts are short: a slow Redis must become a quick
// 503, not a stalled payment call.
func NewRedisStore(url, prefix string) (*RedisStore, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	if opt.DialTimeout == 0 || opt.DialTimeout > time.Second {
		opt.DialTimeout = time.Second
	}
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.MaxRetries = 1
	opt.PoolTimeout = 2 * time.Second
	return &RedisStore{c: redis.NewClient(opt), prefix: prefix}, nil
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

// RouteRedisLogs sends go-redis's own log lines (reconnect attempts while
// Redis is down) to l at warn level instead of a bare stderr logger. It is
// process-wide (go-redis has one logger); the CLI calls it once.
func RouteRedisLogs(l *slog.Logger) { redis.SetLogger(redisLogger{l}) }

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "), "component", "go-redis")
}
