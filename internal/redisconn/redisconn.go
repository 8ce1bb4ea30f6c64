// Package redisconn opens the Redis client the runtime proxies (the guard
// and the broker) share their state through, with the same fail-fast
// settings for both: a slow or unreachable Redis must turn into a quick
// 503 (fail closed), never a stalled webhook delivery or payment call.
package redisconn

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// New connects to url (redis://[user:pass@]host:port/db, rediss:// for
// TLS): dial at most 1 s, reads and writes 1 s, one retry, 2 s to get a
// pooled connection. It does not dial yet.
func New(url string) (*redis.Client, error) {
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
	return redis.NewClient(opt), nil
}

// RouteLogs sends go-redis's own log lines (reconnect attempts while
// Redis is down) to l at warn level instead of a bare stderr logger. It is
// process-wide (go-redis has one logger); the CLI calls it once.
func RouteLogs(l *slog.Logger) { redis.SetLogger(logger{l}) }

type logger struct{ l *slog.Logger }

func (r logger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "), "component", "go-redis")
}
