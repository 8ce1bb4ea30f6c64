// Package guard is `stripeguard guard`: a reverse proxy placed in front of a
// Stripe webhook endpoint. It verifies Stripe-Signature (internal/webhooksig)
// before anything reaches the app, answers replays of delivered events
// itself, and forwards verified requests unchanged (exact body bytes,
// original headers including Stripe-Signature, so the app verifies again),
// adding X-Forwarded-For/-Proto/-Host and Forwarded (forwarded.go). It can
// terminate TLS itself (tls.go).
//
// Status codes, from the client's (Stripe's) point of view:
//
//	405/403/413/400  rejected, never forwarded (method, --allow-cidr, --max-body,
//	                 signature/timestamp/malformed/invalid-event); body "rejected: <reason>"
//	200 {"duplicate":true}  event already delivered within --dedupe-retention
//	409 + Retry-After       the same event is being delivered right now (a concurrent
//	                        duplicate is never forwarded twice; Stripe retries later)
//	503 + Retry-After       the dedupe store (Redis) is unavailable: fail closed
//	502                     upstream unreachable or timed out (claim released: the
//	                        retry is forwarded again)
//	anything else           the upstream's own status and body
package guard

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripeguard/stripeguard/internal/httppool"
	"github.com/stripeguard/stripeguard/internal/serve"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

// Defaults.
const (
	DefaultMaxBody         = 4 << 20
	DefaultRetention       = 72 * time.Hour // Stripe retries live events for up to 3 days
	DefaultUpstreamTimeout = 20 * time.Second
	DefaultStoreTimeout    = 2 * time.Second
)

// Config configures a Guard.
type Config struct {
	// Upstream is the app's base URL (http://127.0.0.1:8000); the request
	// path and query are appended.
	Upstream string
	// MaxBody caps the request body (413 above it). Default DefaultMaxBody.
	MaxBody int64
	// AllowCIDRs, if not empty, restricts source addresses (RemoteAddr; no
	// forwarding header is trusted). An extra layer, never a replacement for
	// the signature.
	AllowCIDRs []netip.Prefix
	// TrustedProxies are the peers (a load balancer in front of the guard)
	// whose X-Forwarded-For/Forwarded chain is kept and appended to; from
	// any other peer those headers are replaced (see forwarded.go).
	TrustedProxies []netip.Prefix
	// Store is the dedupe store; default an in-memory one.
	Store Store
	// Retention is how long a delivered event id is remembered.
	Retention time.Duration
	// InFlightTTL bounds a claim; default UpstreamTimeout + 10 s, so a claim
	// never expires while its delivery can still be running.
	InFlightTTL     time.Duration
	UpstreamTimeout time.Duration
	StoreTimeout    time.Duration
	// VerifierOptions are used for the initial verifier and every reload.
	VerifierOptions webhooksig.Options
	Logger          *slog.Logger
	Metrics         *Metrics
	// Transport talks to the upstream; default a tuned http.Transport.
	Transport http.RoundTripper
}

// Guard is the webhook proxy handler. Safe for concurrent use.
type Guard struct {
	cfg      Config
	upstream *url.URL
	verifier atomic.Pointer[webhooksig.Verifier]
	rt       http.RoundTripper
	lean     *httppool.Pool // plain-http upstream without a custom Transport
	tokens   *tokens
	log      *slog.Logger
	m        *Metrics
	logLimit limiter
}

// New builds a Guard for secrets (see webhooksig.New for what is refused).
func New(cfg Config, secrets []string) (*Guard, error) {
	u, err := url.Parse(cfg.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--upstream %q: want http(s)://host:port", cfg.Upstream)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.UpstreamTimeout <= 0 {
		cfg.UpstreamTimeout = DefaultUpstreamTimeout
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	if cfg.InFlightTTL <= 0 {
		cfg.InFlightTTL = cfg.UpstreamTimeout + 10*time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	var lean *httppool.Pool
	if cfg.Transport == nil {
		if u.Scheme == "http" {
			hp := u.Host
			if u.Port() == "" {
				hp = net.JoinHostPort(u.Hostname(), "80")
			}
			lean = newLeanClient(hp, cfg.UpstreamTimeout)
		}
		cfg.Transport = NewTransport(cfg.UpstreamTimeout)
	}
	g := &Guard{lean: lean, cfg: cfg, upstream: u, rt: cfg.Transport, tokens: newTokens(), log: cfg.Logger, m: cfg.Metrics, logLimit: limiter{max: 20}}
	if err := g.SetSecrets(secrets); err != nil {
		return nil, err
	}
	if g.cfg.Store == nil {
		v := g.verifier.Load()
		g.cfg.Store = NewMemoryStore(0, v.Tolerance()+v.FutureSkew()+time.Minute)
	}
	g.m.watchStore(g.cfg.Store.Ping, g.cfg.StoreTimeout)
	return g, nil
}

// NewTransport is the upstream transport: many idle keep-alive connections,
// no compression (the body is relayed as is), no proxy from the environment.
func NewTransport(timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     false,
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        16 << 10,
	}
}

// SetSecrets builds a new verifier and swaps it in atomically; requests in
// progress finish with the verifier they started with. On error the current
// verifier stays.
func (g *Guard) SetSecrets(secrets []string) error {
	v, err := webhooksig.New(secrets, g.cfg.VerifierOptions)
	if err != nil {
		return err
	}
	g.verifier.Store(v)
	g.m.secretsGauge.Set(float64(len(v.Secrets())))
	return nil
}

// Verifier returns the verifier in use.
func (g *Guard) Verifier() *webhooksig.Verifier { return g.verifier.Load() }

// Metrics returns the guard's metrics.
func (g *Guard) Metrics() *Metrics { return g.m }

// Store returns the dedupe store.
func (g *Guard) Store() Store { return g.cfg.Store }

// AdminHandler serves /metrics and /healthz (store reachable).
func (g *Guard) AdminHandler() http.Handler {
	return serve.Admin(g.m.Handler(), func(ctx context.Context) error { return g.cfg.Store.Ping(ctx) }, g.cfg.StoreTimeout,
		func() string { return "ok" })
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}
var copyPool = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// ServeHTTP implements http.Handler.
func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	out := g.handle(w, r)
	g.m.reqByOutcome[out].Inc()
	g.m.durByOutcome[out].Observe(time.Since(start).Seconds())
}

func (g *Guard) reject(w http.ResponseWriter, r *http.Request, code int, reason, detail string) string {
	g.m.reject(reason)
	if g.logLimit.allow() {
		g.log.Info("rejected", "reason", reason, "detail", detail, "remote", r.RemoteAddr, "path", r.URL.Path)
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, "rejected: "+reason+"\n")
	return OutRejected
}

func (g *Guard) allowed(remote string) bool {
	if len(g.cfg.AllowCIDRs) == 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	for _, p := range g.cfg.AllowCIDRs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (g *Guard) handle(w http.ResponseWriter, r *http.Request) string {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		return g.reject(w, r, http.StatusMethodNotAllowed, ReasonMethod, r.Method)
	}
	if !g.allowed(r.RemoteAddr) {
		return g.reject(w, r, http.StatusForbidden, ReasonSource, "source address not in --allow-cidr")
	}
	sig := r.Header.Values("Stripe-Signature")
	if len(sig) == 0 {
		// Cheap early exit: do not even read the body.
		return g.reject(w, r, http.StatusBadRequest, string(webhooksig.MissingHeader), "no Stripe-Signature header")
	}
	if r.ContentLength > g.cfg.MaxBody {
		return g.reject(w, r, http.StatusRequestEntityTooLarge, ReasonBodyTooLarge, fmt.Sprintf("Content-Length %d", r.ContentLength))
	}
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 { // do not keep huge buffers alive
			bufPool.Put(bp)
		}
	}()
	body, err := readBody(r.Body, (*bp)[:0], r.ContentLength, g.cfg.MaxBody)
	*bp = body[:0]
	if err == errTooLarge {
		return g.reject(w, r, http.StatusRequestEntityTooLarge, ReasonBodyTooLarge, fmt.Sprintf("more than %d bytes", g.cfg.MaxBody))
	}
	if err != nil {
		return g.reject(w, r, http.StatusBadRequest, ReasonBodyRead, err.Error())
	}
	v := g.verifier.Load()
	if _, err := v.Verify(sig, body); err != nil {
		reason := string(webhooksig.ReasonOf(err))
		if reason == "" {
			reason = string(webhooksig.MalformedHeader)
		}
		return g.reject(w, r, http.StatusBadRequest, reason, err.Error())
	}
	id, err := EventID(body)
	if err != nil {
		return g.reject(w, r, http.StatusBadRequest, ReasonNotEvent, err.Error())
	}
	return g.deliver(w, r, id, body)
}

func (g *Guard) storeCtx() (context.Context, context.CancelFunc) {
	if _, mem := g.cfg.Store.(*MemoryStore); mem {
		return context.Background(), func() {} // no I/O: skip the timer
	}
	return context.WithTimeout(context.Background(), g.cfg.StoreTimeout)
}

func (g *Guard) deliver(w http.ResponseWriter, r *http.Request, id string, body []byte) string {
	token := g.tokens.next()
	ctx, cancel := g.storeCtx()
	st, err := g.cfg.Store.Claim(ctx, id, token, g.cfg.InFlightTTL)
	cancel()
	if err != nil {
		g.m.storeErrs.Inc()
		if g.logLimit.allow() {
			g.log.Error("dedupe store unavailable, failing closed (503)", "event", id, "err", err)
		}
		w.Header().Set("Retry-After", "30")
		http.Error(w, "dedupe store unavailable, retry later", http.StatusServiceUnavailable)
		return OutStoreErr
	}
	switch st {
	case Done:
		g.m.duplicates.Inc()
		if g.log.Enabled(context.Background(), slog.LevelDebug) {
			g.log.Debug("duplicate event answered without forwarding", "event", id)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"received":true,"duplicate":true}`+"\n")
		return OutDuplicate
	case InFlight:
		g.log.Debug("concurrent duplicate while in flight", "event", id)
		w.Header().Set("Retry-After", "10")
		http.Error(w, "the same event is being delivered, retry later", http.StatusConflict)
		return OutInFlight
	}

	// Claimed: we own the event until MarkDone or Release.
	resolved := false
	defer func() {
		if !resolved { // panic or early return: never leave a stuck claim
			ctx, cancel := g.storeCtx()
			_ = g.cfg.Store.Release(ctx, id, token)
			cancel()
		}
	}()
	t0 := time.Now()
	resp, err := g.forward(r, body)
	g.m.upstreamDur.Observe(time.Since(t0).Seconds())
	if err != nil {
		g.m.upErrTranspor.Inc()
		if g.logLimit.allow() {
			g.log.Warn("upstream unreachable", "event", id, "err", err)
		}
		http.Error(w, "upstream unavailable", http.StatusBadGateway)
		return OutUpstreamErr // deferred Release: the retry is forwarded again
	}
	defer resp.Body.Close()
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok2xx {
		ctx, cancel := g.storeCtx()
		err := g.cfg.Store.MarkDone(ctx, id, token, g.cfg.Retention)
		cancel()
		if err != nil {
			// The app has processed it; answer its 2xx anyway. The claim
			// expires after InFlightTTL; a later redelivery might then be
			// forwarded again (the app must stay idempotent).
			g.m.storeErrs.Inc()
			g.log.Error("could not record delivered event", "event", id, "err", err)
		}
		resolved = true
	} else {
		g.m.upErrStatus.Inc()
		if g.logLimit.allow() {
			g.log.Warn("upstream refused event, claim released", "event", id, "status", resp.StatusCode)
		}
	}
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	cp := copyPool.Get().(*[]byte)
	_, _ = io.CopyBuffer(w, resp.Body, *cp)
	copyPool.Put(cp)
	if ok2xx && g.log.Enabled(context.Background(), slog.LevelDebug) {
		g.log.Debug("forwarded", "event", id, "status", resp.StatusCode)
	}
	return OutForwarded
}

// hop-by-hop headers are not forwarded (RFC 9110 7.6.1).
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// Close releases idle upstream connections.
func (g *Guard) Close() {
	if g.lean != nil {
		g.lean.CloseIdle()
	}
	if t, ok := g.rt.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

func isHop(k string) bool {
	for _, h := range hopHeaders {
		if k == h {
			return true
		}
	}
	return false
}

func copyHeader(dst, src http.Header) {
	var conn []string
	if c := src["Connection"]; len(c) > 0 {
		conn = c
	}
	for k, vv := range src {
		if isHop(k) || listed(conn, k) {
			continue
		}
		dst[k] = vv
	}
}

func listed(conn []string, k string) bool {
	for _, c := range conn {
		for _, f := range strings.Split(c, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(f)) == k {
				return true
			}
		}
	}
	return false
}

func (g *Guard) target(r *http.Request) *url.URL {
	u := *g.upstream
	if u.Path == "" || u.Path == "/" {
		u.Path, u.RawPath = r.URL.Path, r.URL.RawPath
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strings.TrimPrefix(r.URL.Path, "/")
		u.RawPath = ""
	}
	u.RawQuery = r.URL.RawQuery
	return &u
}

// forward sends the exact body with the original headers (minus hop-by-hop)
// and Host. The client going away does not cancel the delivery: once the app
// may have seen the event, its outcome must be recorded.
func (g *Guard) forward(r *http.Request, body []byte) (*http.Response, error) {
	host := r.Host
	if host == "" {
		host = g.upstream.Host
	}
	fwd := g.forwardedFor(r)
	if g.lean != nil {
		uri := g.target(r).RequestURI()
		return g.lean.Do(context.Background(), r, false, func(w *bufio.Writer) { writeRequest(w, r, uri, host, &fwd, body) })
	}
	// http.Transport may still read the request body after RoundTrip
	// returns (an early answer); never hand it the pooled buffer.
	own := bytes.Clone(body)
	h := make(http.Header, len(r.Header)+4)
	copyHeader(h, r.Header)
	fwd.set(h)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), g.cfg.UpstreamTimeout)
	out := (&http.Request{
		Method:        r.Method,
		URL:           g.target(r),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(own)),
		GetBody:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(own)), nil },
		ContentLength: int64(len(own)),
		Host:          host,
	}).WithContext(ctx)
	resp, err := g.rt.RoundTrip(out)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

var errTooLarge = errors.New("body too large")

// readBody reads r into buf (reused), failing once more than max bytes arrive.
func readBody(r io.Reader, buf []byte, contentLength, max int64) ([]byte, error) {
	if contentLength > 0 && int64(cap(buf)) < contentLength+1 {
		buf = make([]byte, 0, contentLength+1)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// limiter allows max log lines per second (metrics count everything).
type limiter struct {
	sec atomic.Int64
	n   atomic.Int64
	max int64
}

func (l *limiter) allow() bool {
	s := time.Now().Unix()
	if l.sec.Load() != s {
		l.sec.Store(s)
		l.n.Store(0)
	}
	return l.n.Add(1) <= l.max
}
