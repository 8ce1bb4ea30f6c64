// Command load is the load generator for `stripeguard guard` benchmarks.
//
// It speaks raw HTTP/1.1 over keep-alive connections (lean, like wrk) and
// sends 3 KB Stripe-like events, each with a unique evt_ id and a fresh
// Stripe-Signature, optionally mixed with forged requests of several kinds
// (wrong secret, tampered body, stale, future, v0-only, missing or garbage
// header, t swapped). Any 2xx answer to a forged request is counted as
// "forged_accepted" and makes the exit status 1.
//
//	load -url http://127.0.0.1:8787/webhook -secret whsec_x -mode max -conns 32 -duration 20s
//	load -url ... -mode rate -rate 1000 -duration 15s          # latency at a fixed rate
//	load -url ... -mode max -forged-ratio 0.9 -min-forged 1000000 -duration 150s
//
// Only loopback targets are accepted; every run stops by itself (-duration).
package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type config struct {
	target      *url.URL
	addr        string
	target2     *url.URL // -url2: paired measurement (rate mode)
	addr2       string
	label2      string
	secret      string
	mode        string
	conns       int
	rate        int
	duration    time.Duration
	forgedRatio float64
	minForged   int64
	bodySize    int
	label       string
}

func main() {
	var c config
	u := flag.String("url", "http://127.0.0.1:8787/webhook", "target URL (loopback only)")
	flag.StringVar(&c.secret, "secret", "whsec_bench_secret_0123456789abcdef", "webhook secret used to sign")
	flag.StringVar(&c.mode, "mode", "max", "max (N connections as fast as possible) or rate (fixed req/s, open loop)")
	flag.IntVar(&c.conns, "conns", 32, "connections")
	flag.IntVar(&c.rate, "rate", 1000, "requests per second in -mode rate")
	flag.DurationVar(&c.duration, "duration", 15*time.Second, "run time (hard limit)")
	flag.Float64Var(&c.forgedRatio, "forged-ratio", 0, "fraction of forged requests (0..1)")
	flag.Int64Var(&c.minForged, "min-forged", 0, "in -mode max, stop as soon as this many forged requests were answered (still bounded by -duration)")
	flag.IntVar(&c.bodySize, "body-size", 3072, "event size in bytes")
	flag.StringVar(&c.label, "label", "", "label printed with the result")
	u2 := flag.String("url2", "", "in -mode rate: a second target measured at the same time (requests alternate, -rate each), so both see the same machine noise")
	flag.StringVar(&c.label2, "label2", "", "label of -url2's result")
	flag.Parse()
	c.target, c.addr = loopback(*u)
	if *u2 != "" {
		if c.mode != "rate" {
			fail("-url2 needs -mode rate")
		}
		c.target2, c.addr2 = loopback(*u2)
	}
	if c.conns < 1 || c.conns > 4096 || c.duration <= 0 || c.duration > 10*time.Minute || c.forgedRatio < 0 || c.forgedRatio > 1 || c.bodySize < 256 {
		fail("bad flags")
	}
	r, r2 := run(&c)
	r.print(&c, c.label)
	if r2 != nil {
		r2.print(&c, c.label2)
		fmt.Printf("PAIRED %s-vs-%s p50_diff_ms=%.3f p99_diff_ms=%.3f\n", c.label, c.label2, pct(r.lat, .5)-pct(r2.lat, .5), pct(r.lat, .99)-pct(r2.lat, .99))
	}
	if r.forgedAccepted > 0 || (r2 != nil && r2.forgedAccepted > 0) {
		os.Exit(1)
	}
}

func loopback(raw string) (*url.URL, string) {
	t, err := url.Parse(raw)
	if err != nil || t.Scheme != "http" {
		fail("bad URL %q (http only)", raw)
	}
	host := t.Hostname()
	ip := net.ParseIP(host)
	if host == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	if ip == nil || !ip.IsLoopback() {
		fail("refusing non-loopback target %q", host)
	}
	port := t.Port()
	if port == "" {
		port = "80"
	}
	return t, net.JoinHostPort(ip.String(), port)
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "load: "+f+"\n", a...)
	os.Exit(2)
}

// ---- request generation ----

const idDigits = 12

type gen struct {
	c        *config
	nonce    string
	tmpl     []byte // body with a placeholder id
	idOff    int
	mac      hash.Hash
	wrongMac hash.Hash
	counter  uint64
	forgeAcc float64
	kind     int
	req      []byte
	body     []byte
	head     string
}

func newGen(c *config, target *url.URL, worker int, runNonce string) *gen {
	g := &gen{c: c, nonce: runNonce + strconv.Itoa(worker) + "_"}
	prefix := `{"id":"evt_` + g.nonce
	pad := c.bodySize - len(prefix) - idDigits - 200
	if pad < 0 {
		pad = 0
	}
	g.tmpl = []byte(prefix + strings.Repeat("0", idDigits) + `","object":"event","api_version":"2026-03-25.dahlia","type":"payment_intent.succeeded","livemode":false,` +
		`"data":{"object":{"id":"pi_3Bench","object":"payment_intent","amount":2000,"currency":"usd","description":"` + strings.Repeat("x", pad) + `"}}}`)
	g.idOff = len(prefix)
	g.mac = hmac.New(sha256.New, []byte(c.secret))
	g.wrongMac = hmac.New(sha256.New, []byte("whsec_forger_does_not_know_the_secret"))
	g.body = make([]byte, len(g.tmpl))
	path := target.RequestURI()
	g.head = "POST " + path + " HTTP/1.1\r\nHost: " + target.Host + "\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n" +
		"Content-Type: application/json; charset=utf-8\r\nAccept: */*; q=0.5, application/xml\r\n"
	return g
}

func (g *gen) sign(m hash.Hash, t int64, body []byte) string {
	m.Reset()
	var tb [20]byte
	m.Write(strconv.AppendInt(tb[:0], t, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	var sum [32]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}

// next builds the next request into g.req; it reports whether it is forged.
func (g *gen) next(now int64) bool {
	copy(g.body, g.tmpl)
	g.counter++
	id := strconv.FormatUint(g.counter, 36)
	copy(g.body[g.idOff+idDigits-len(id):], id)
	forged := false
	if g.c.forgedRatio > 0 {
		g.forgeAcc += g.c.forgedRatio
		if g.forgeAcc >= 1 {
			g.forgeAcc--
			forged = true
		}
	}
	sig := ""
	if !forged {
		sig = "t=" + strconv.FormatInt(now, 10) + ",v1=" + g.sign(g.mac, now, g.body)
	} else {
		g.kind = (g.kind + 1) % 8
		ts := strconv.FormatInt(now, 10)
		switch g.kind {
		case 0: // wrong secret
			sig = "t=" + ts + ",v1=" + g.sign(g.wrongMac, now, g.body)
		case 1: // tampered body after signing
			sig = "t=" + ts + ",v1=" + g.sign(g.mac, now, g.body)
			g.body[len(g.body)-10] ^= 1
		case 2: // stale but correctly signed (replay of an old delivery)
			sig = "t=" + strconv.FormatInt(now-600, 10) + ",v1=" + g.sign(g.mac, now-600, g.body)
		case 3: // far future, correctly signed
			sig = "t=" + strconv.FormatInt(now+600, 10) + ",v1=" + g.sign(g.mac, now+600, g.body)
		case 4: // v0 only (downgrade)
			sig = "t=" + ts + ",v0=" + g.sign(g.mac, now, g.body)
		case 5: // no header
		case 6: // garbage
			sig = "t=abc,v1=" + strings.Repeat("g", 64)
		case 7: // signature of another timestamp
			sig = "t=" + ts + ",v1=" + g.sign(g.mac, now-1, g.body)
		}
	}
	g.req = append(g.req[:0], g.head...)
	if sig != "" {
		g.req = append(g.req, "Stripe-Signature: "...)
		g.req = append(g.req, sig...)
		g.req = append(g.req, "\r\n"...)
	}
	g.req = append(g.req, "Content-Length: "...)
	g.req = strconv.AppendInt(g.req, int64(len(g.body)), 10)
	g.req = append(g.req, "\r\n\r\n"...)
	g.req = append(g.req, g.body...)
	return forged
}

// ---- raw HTTP/1.1 client ----

type conn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
}

func (c *conn) dial() error {
	nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
	if err != nil {
		return err
	}
	c.c, c.br = nc, bufio.NewReaderSize(nc, 16<<10)
	return nil
}

func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}

var errProto = errors.New("bad response")

// do sends req and reads the response; it returns the status.
func (c *conn) do(req []byte, deadline time.Time) (int, error) {
	for attempt := 0; attempt < 2; attempt++ {
		if c.c == nil {
			if err := c.dial(); err != nil {
				return 0, err
			}
		}
		c.c.SetDeadline(deadline)
		if _, err := c.c.Write(req); err != nil {
			c.close()
			continue // stale keep-alive connection: redial once
		}
		st, keep, err := readResponse(c.br)
		if err != nil {
			c.close()
			if attempt == 0 && errors.Is(err, io.EOF) {
				continue
			}
			return 0, err
		}
		if !keep {
			c.close()
		}
		return st, nil
	}
	return 0, errProto
}

func readResponse(br *bufio.Reader) (status int, keep bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, errProto
	}
	keep = line[7] == '1'
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errProto
	}
	cl, chunked := int64(-1), false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(h) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			cl, err = strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return 0, false, errProto
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			if bytes.EqualFold(v, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(v, []byte("keep-alive")) {
				keep = true
			}
		}
	}
	switch {
	case chunked:
		for {
			l, err := br.ReadSlice('\n')
			if err != nil {
				return 0, false, err
			}
			l, _, _ = bytes.Cut(bytes.TrimSpace(l), []byte(";"))
			n, err := strconv.ParseInt(string(l), 16, 64)
			if err != nil {
				return 0, false, errProto
			}
			if _, err := br.Discard(int(n) + 2); err != nil {
				return 0, false, err
			}
			if n == 0 {
				break
			}
		}
	case cl >= 0:
		if _, err := br.Discard(int(cl)); err != nil {
			return 0, false, err
		}
	default:
		io.Copy(io.Discard, br) // body until close
		keep = false
	}
	return status, keep, nil
}

// ---- running ----

type result struct {
	elapsed        time.Duration
	sent           int64
	verifiedSent   int64
	verifiedOK     int64
	forgedSent     int64
	forgedRejected int64
	forgedAccepted int64
	errors         int64
	statuses       map[int]int64
	lat            []time.Duration // verified requests only
	late           int64
}

type worker struct {
	g        *gen
	c        conn
	other    *worker // -url2 side
	statuses map[int]int64
	lat      []time.Duration
	vs, vok  int64
	fs, frej int64
	facc     int64
	errs     int64
}

func (w *worker) one(now time.Time, start time.Time, deadline time.Time) {
	forged := w.g.next(now.Unix())
	st, err := w.c.do(w.g.req, deadline)
	d := time.Since(start)
	if err != nil {
		w.errs++
		return
	}
	w.statuses[st]++
	ok := st >= 200 && st < 300
	if forged {
		w.fs++
		if ok {
			w.facc++
		} else {
			w.frej++
		}
		return
	}
	w.vs++
	if ok {
		w.vok++
	}
	w.lat = append(w.lat, d)
}

type slot struct {
	due    time.Time
	second bool
}

func run(c *config) (*result, *result) {
	var nb [6]byte
	rand.Read(nb[:])
	nonce := hex.EncodeToString(nb[:]) + "_"
	ws := make([]*worker, c.conns)
	for i := range ws {
		ws[i] = &worker{g: newGen(c, c.target, i, nonce), c: conn{addr: c.addr}, statuses: map[int]int64{}}
		if c.target2 != nil {
			ws[i].other = &worker{g: newGen(c, c.target2, i, nonce+"b"), c: conn{addr: c.addr2}, statuses: map[int]int64{}}
		}
	}
	var forgedTotal atomic.Int64
	var late atomic.Int64
	start := time.Now()
	end := start.Add(c.duration)
	var wg sync.WaitGroup
	switch c.mode {
	case "max":
		for _, w := range ws {
			wg.Add(1)
			go func(w *worker) {
				defer wg.Done()
				for i := 0; ; i++ {
					now := time.Now()
					if now.After(end) {
						return
					}
					if c.minForged > 0 && i%64 == 0 && forgedTotal.Load() >= c.minForged {
						return
					}
					before := w.fs
					w.one(now, now, end.Add(10*time.Second))
					if w.fs != before {
						forgedTotal.Add(1)
					}
				}
			}(w)
		}
	case "rate":
		// Open loop: request i is due at start + i/rate; latency counts from
		// the due time, so a stalled server cannot hide its queueing.
		rate := c.rate
		if c.target2 != nil {
			rate *= 2 // alternate: -rate for each target
		}
		total := int64(rate) * int64(c.duration/time.Millisecond) / 1000
		slots := make(chan slot, 1<<16)
		go func() {
			defer close(slots)
			interval := time.Second / time.Duration(rate)
			for i := int64(0); i < total; i++ {
				due := start.Add(time.Duration(i) * interval)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				select {
				case slots <- slot{due: due, second: c.target2 != nil && i%2 == 1}:
				default:
					late.Add(1) // every connection busy and the queue full: overload
				}
			}
		}()
		for _, w := range ws {
			wg.Add(1)
			go func(w *worker) {
				defer wg.Done()
				for s := range slots {
					t := w
					if s.second {
						t = w.other
					}
					t.one(time.Now(), s.due, time.Now().Add(30*time.Second))
				}
			}(w)
		}
	default:
		fail("unknown -mode %q", c.mode)
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := collect(ws, elapsed, late.Load())
	if c.target2 == nil {
		return r, nil
	}
	others := make([]*worker, len(ws))
	for i, w := range ws {
		others[i] = w.other
	}
	return r, collect(others, elapsed, 0)
}

func collect(ws []*worker, elapsed time.Duration, late int64) *result {
	r := &result{elapsed: elapsed, statuses: map[int]int64{}, late: late}
	for _, w := range ws {
		w.c.close()
		r.verifiedSent += w.vs
		r.verifiedOK += w.vok
		r.forgedSent += w.fs
		r.forgedRejected += w.frej
		r.forgedAccepted += w.facc
		r.errors += w.errs
		for k, v := range w.statuses {
			r.statuses[k] += v
		}
		r.lat = append(r.lat, w.lat...)
	}
	r.sent = r.verifiedSent + r.forgedSent + r.errors
	slices.Sort(r.lat)
	return r
}

func pct(l []time.Duration, p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	i := int(float64(len(l)-1) * p)
	return float64(l[i].Microseconds()) / 1000
}

func (r *result) print(c *config, label string) {
	secs := r.elapsed.Seconds()
	var st []string
	for k, v := range r.statuses {
		st = append(st, fmt.Sprintf("%d:%d", k, v))
	}
	slices.Sort(st)
	fmt.Printf("RESULT label=%s mode=%s conns=%d rate=%d elapsed_s=%.1f sent=%d req_per_s=%.0f verified_ok=%d verified_per_s=%.0f "+
		"p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f forged_sent=%d forged_rejected=%d forged_accepted=%d errors=%d late=%d statuses=%s\n",
		label, c.mode, c.conns, c.rate, secs, r.sent, float64(r.sent)/secs, r.verifiedOK, float64(r.verifiedOK)/secs,
		pct(r.lat, .5), pct(r.lat, .9), pct(r.lat, .99), pct(r.lat, 1), r.forgedSent, r.forgedRejected, r.forgedAccepted, r.errors, r.late,
		strings.Join(st, ","))
}
