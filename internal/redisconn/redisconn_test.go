package redisconn

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url      string
		wantErr  bool
		addr     string
		db       int
		dialWant time.Duration
	}{
		{url: "redis://127.0.0.1:6379/2", addr: "127.0.0.1:6379", db: 2, dialWant: time.Second},
		{url: "redis://127.0.0.1:6379/0?dial_timeout=200ms", addr: "127.0.0.1:6379", dialWant: 200 * time.Millisecond},
		{url: "redis://127.0.0.1:6379/0?dial_timeout=30s", addr: "127.0.0.1:6379", dialWant: time.Second},
		{url: "http://127.0.0.1:6379", wantErr: true},
		{url: "redis://127.0.0.1:6379/notadb", wantErr: true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			c, err := New(tc.url)
			if tc.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), "--redis-url: ") {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			o := c.Options()
			if o.Addr != tc.addr || o.DB != tc.db || o.DialTimeout != tc.dialWant ||
				o.ReadTimeout != time.Second || o.WriteTimeout != time.Second || o.MaxRetries != 1 || o.PoolTimeout != 2*time.Second {
				t.Errorf("options: addr %s db %d dial %v read %v write %v retries %d pool %v",
					o.Addr, o.DB, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries, o.PoolTimeout)
			}
		})
	}
}

// An unreachable Redis fails fast (the proxies then answer 503).
func TestUnreachableFailsFast(t *testing.T) {
	c, err := New("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("ping to a closed port succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ping to a closed port took %v", d)
	}
}

func TestRouteLogs(t *testing.T) {
	var buf bytes.Buffer
	logger{slog.New(slog.NewTextHandler(&buf, nil))}.Printf(context.Background(), "redis: %s", "dial failed")
	if got := buf.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, `msg="dial failed"`) || !strings.Contains(got, "component=go-redis") {
		t.Errorf("log line: %q", got)
	}
}
