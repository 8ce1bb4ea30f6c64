// Command load is the load generator of the broker benchmark. It speaks raw
// HTTP/1.1 over keep-alive connections (TLS for https targets) and sends the
// call a payments app makes most: POST /v1/payment_intents with a form body
// and a unique Idempotency-Key, like stripe-python.
//
//	load -target broker=http://127.0.0.1:8790 -mode max -conns 32 -duration 15s
//	load -target direct=https://127.0.0.1:9443 -target broker=http://127.0.0.1:8790 \
//	     -target ref=http://127.0.0.1:8792 -mode rate -rate 1000 -duration 15s
//
// In -mode rate every target gets -rate calls per second at the same time,
// interleaved (open loop: latency counts from the scheduled send time, so a
// stall shows up instead of slowing the load). The first target is the
// baseline: PAIRED lines give each other target's p50/p99 minus the
// baseline's. https targets get -key in Authorization (an app calling
// Stripe directly); http targets get -token (an app calling a proxy).
// Only loopback targets are accepted; every run stops by itself.
package main

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type target struct {
	label, addr, host, auth string
	tlsConf                 *tls.Config
	jobs                    chan time.Time
	mu                      sync.Mutex
	lat                     []time.Duration
	ok, errs, non2xx        atomic.Int64
	dropped                 atomic.Int64
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

var nonce = func() string { b := make([]byte, 6); rand.Read(b); return hex.EncodeToString(b) }()
var seq atomic.Int64

const body = "amount=1000&currency=usd&customer=cus_123&description=bench&payment_method_types[0]=card"

func (t *target) request() []byte {
	return []byte("POST /v1/payment_intents HTTP/1.1\r\nHost: " + t.host + "\r\nAuthorization: Bearer " + t.auth +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nUser-Agent: Stripe/v1 PythonBindings/bench\r\nIdempotency-Key: " +
		nonce + "-" + strconv.FormatInt(seq.Add(1), 36) + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

type conn struct {
	t  *target
	c  net.Conn
	br *bufio.Reader
}

func (c *conn) do() (int, error) {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.t.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		if c.t.tlsConf != nil {
			tc := tls.Client(nc, c.t.tlsConf)
			if err := tc.Handshake(); err != nil {
				nc.Close()
				return 0, err
			}
			nc = tc
		}
		c.c, c.br = nc, bufio.NewReaderSize(nc, 16<<10)
	}
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.c.Write(c.t.request()); err != nil {
		c.reset()
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.reset()
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.reset()
	}
	return resp.StatusCode, err
}

func (c *conn) reset() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}

func (t *target) record(status int, err error, d time.Duration, lat *[]time.Duration) {
	switch {
	case err != nil:
		t.errs.Add(1)
	case status/100 != 2:
		t.non2xx.Add(1)
	default:
		t.ok.Add(1)
		*lat = append(*lat, d)
	}
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "load: "+f+"\n", a...)
	os.Exit(2)
}

func main() {
	var targets listFlag
	flag.Var(&targets, "target", "label=URL (repeatable; loopback http or https)")
	mode := flag.String("mode", "max", "max (closed loop, one target) or rate (open loop, every target at -rate)")
	conns := flag.Int("conns", 32, "connections per target")
	rate := flag.Int("rate", 1000, "calls per second per target in -mode rate")
	duration := flag.Duration("duration", 15*time.Second, "run time")
	token := flag.String("token", "", "Authorization bearer for http targets (the app's broker token)")
	key := flag.String("key", "", "Authorization bearer for https targets (the real key)")
	ca := flag.String("ca", "", "PEM to verify https targets")
	flag.Parse()
	var ts []*target
	for _, spec := range targets {
		label, raw, ok := strings.Cut(spec, "=")
		u, err := url.Parse(raw)
		if !ok || err != nil || u.Host == "" {
			fail("bad -target %q", spec)
		}
		if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
			fail("-target %q: loopback only", spec)
		}
		t := &target{label: label, addr: u.Host, host: u.Host, auth: *token, jobs: make(chan time.Time, 1<<16)}
		if u.Scheme == "https" {
			pool := x509.NewCertPool()
			pem, err := os.ReadFile(*ca)
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				fail("https target needs -ca")
			}
			t.tlsConf = &tls.Config{ServerName: u.Hostname(), RootCAs: pool, NextProtos: []string{"http/1.1"}, ClientSessionCache: tls.NewLRUClientSessionCache(256)}
			t.auth = *key
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 || (*mode == "max" && len(ts) != 1) || *duration <= 0 || *duration > 10*time.Minute {
		fail("bad flags")
	}
	start := time.Now()
	var wg sync.WaitGroup
	switch *mode {
	case "max":
		t := ts[0]
		deadline := start.Add(*duration)
		for i := 0; i < *conns; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &conn{t: t}
				var lat []time.Duration
				for time.Now().Before(deadline) {
					t0 := time.Now()
					st, err := c.do()
					t.record(st, err, time.Since(t0), &lat)
				}
				c.reset()
				t.mu.Lock()
				t.lat = append(t.lat, lat...)
				t.mu.Unlock()
			}()
		}
		wg.Wait()
	case "rate":
		for _, t := range ts {
			for i := 0; i < *conns; i++ {
				wg.Add(1)
				go func(t *target) {
					defer wg.Done()
					c := &conn{t: t}
					var lat []time.Duration
					for sched := range t.jobs {
						st, err := c.do()
						t.record(st, err, time.Since(sched), &lat)
					}
					c.reset()
					t.mu.Lock()
					t.lat = append(t.lat, lat...)
					t.mu.Unlock()
				}(t)
			}
		}
		// Warm the pools so connection set-up is not in the figures.
		for _, t := range ts {
			c := &conn{t: t}
			c.do()
			c.reset()
		}
		interval := time.Second / time.Duration(*rate*len(ts))
		t0 := time.Now()
		start = t0
		for i := 0; ; i++ {
			at := t0.Add(time.Duration(i) * interval)
			if at.Sub(t0) >= *duration {
				break
			}
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			t := ts[i%len(ts)]
			select {
			case t.jobs <- at:
			default:
				t.dropped.Add(1)
			}
		}
		for _, t := range ts {
			close(t.jobs)
		}
		wg.Wait()
	default:
		fail("-mode %q", *mode)
	}
	elapsed := time.Since(start)
	p := map[string][2]float64{}
	for _, t := range ts {
		slices.Sort(t.lat)
		q := func(f float64) float64 {
			if len(t.lat) == 0 {
				return 0
			}
			i := int(f * float64(len(t.lat)-1))
			return float64(t.lat[i].Microseconds()) / 1000
		}
		p[t.label] = [2]float64{q(.50), q(.99)}
		fmt.Printf("RESULT label=%s mode=%s ok_per_s=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f ok=%d errors=%d non2xx=%d dropped=%d\n",
			t.label, *mode, float64(t.ok.Load())/elapsed.Seconds(), q(.50), q(.90), q(.99), q(.999), q(1), t.ok.Load(), t.errs.Load(), t.non2xx.Load(), t.dropped.Load())
	}
	if *mode == "rate" {
		base := ts[0].label
		for _, t := range ts[1:] {
			fmt.Printf("PAIRED %s-vs-%s dp50_ms=%.3f dp99_ms=%.3f\n", t.label, base, p[t.label][0]-p[base][0], p[t.label][1]-p[base][1])
		}
	}
	for _, t := range ts {
		if t.errs.Load() > 0 || t.non2xx.Load() > 0 {
			os.Exit(1)
		}
	}
}
