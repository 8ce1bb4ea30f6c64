// Package broker is `stripeguard broker`: an egress proxy between an
// application and the Stripe API that holds the Stripe secret key, so the
// application never does. The application points its Stripe library at the
// broker (stripe.api_base, or StripeClient base_addresses) and uses an
// application token (sk_broker_…) as its API key. For every call the broker
//
//  1. authenticates the token (one Authorization header; the token's
//     SHA-256 names the application; a real Stripe key is refused);
//  2. checks the request against the application's policy, default deny:
//     method + path pattern on a strictly validated raw path, Stripe-Account
//     and Stripe-Version allow-lists, a required Idempotency-Key on POSTs,
//     amount and currency caps on every parameter (query, form and JSON
//     body), rate limits shared by replicas through the store;
//  3. forwards it to Stripe over verified TLS on a keep-alive pool, with
//     the application's real key in Authorization and only the headers the
//     Stripe API uses;
//  4. relays Stripe's answer with the real key scrubbed from it.
//
// Denials are Stripe-shaped JSON errors (see errors.go). The policy and keys
// are one immutable snapshot swapped atomically on reload: a call in flight
// finishes with the key it started with, the next one uses the new key.
package broker

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripeguard/stripeguard/internal/httppool"
	"github.com/stripeguard/stripeguard/internal/serve"
)

// Defaults.
const (
	DefaultMaxBody         = 1 << 20
	DefaultUpstreamTimeout = 70 * time.Second // below stripe-python's 80 s, so the app sees the broker's answer
	DefaultStoreTimeout    = time.Second
	// maxBufferedResponse: Stripe responses up to this size are read whole
	// (one write to the app, exact Content-Length); larger ones stream.
	maxBufferedResponse = 4 << 20
)

// Config configures a Broker.
type Config struct {
	// PolicyPath is re-read on every Reload.
	PolicyPath string
	// Env resolves key_env/token_env (default os.LookupEnv).
	Env Env
	// Upstream is the Stripe API base (default https://api.stripe.com).
	Upstream string
	// Transport reaches Stripe; default the lean pool (lean.go), or
	// NewTransport when an egress proxy (HTTPS_PROXY) applies.
	Transport   http.RoundTripper
	UpstreamTLS UpstreamOptions
	// Store holds rate limits and idempotency keys; default in memory.
	Store           Store
	MaxBody         int64
	UpstreamTimeout time.Duration
	StoreTimeout    time.Duration
	Logger          *slog.Logger
	Metrics         *Metrics
}

// Broker is the HTTP handler. Safe for concurrent use.
type Broker struct {
	cfg      Config
	upstream *url.URL
	rt       http.RoundTripper
	policy   atomic.Pointer[Policy]
	store    Store
	log      *slog.Logger
	m        *Metrics
	reloadMu sync.Mutex
	// lean is rt when it is the broker's own pool (lean.go): calls then
	// go out without building an http.Request (see forward).
	lean *leanTransport
	// localStore: the store is the in-process MemoryStore.
	localStore bool
}

// New loads the policy and builds a broker.
func New(cfg Config) (*Broker, error) {
	if cfg.Env == nil {
		cfg.Env = os.LookupEnv
	}
	p, err := LoadPolicy(cfg.PolicyPath, cfg.Env)
	if err != nil {
		return nil, err
	}
	return NewWithPolicy(cfg, p)
}

// NewWithPolicy builds a broker around an already loaded policy.
func NewWithPolicy(cfg Config, p *Policy) (*Broker, error) {
	if cfg.Env == nil {
		cfg.Env = os.LookupEnv
	}
	u, err := ParseUpstream(cfg.Upstream)
	if err != nil {
		return nil, err
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.UpstreamTimeout <= 0 {
		cfg.UpstreamTimeout = DefaultUpstreamTimeout
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(0, nil)
	}
	if cfg.Transport == nil {
		o := cfg.UpstreamTLS
		if o.Timeout <= 0 {
			o.Timeout = cfg.UpstreamTimeout
		}
		if cfg.Transport, err = newUpstreamTransport(u, o); err != nil {
			return nil, err
		}
	}
	b := &Broker{cfg: cfg, upstream: u, rt: cfg.Transport, store: cfg.Store, log: cfg.Logger, m: cfg.Metrics}
	b.lean, _ = cfg.Transport.(*leanTransport)
	_, b.localStore = cfg.Store.(*MemoryStore)
	b.SetPolicy(p)
	return b, nil
}

// SetPolicy swaps the policy snapshot in.
func (b *Broker) SetPolicy(p *Policy) {
	b.policy.Store(p)
	b.m.seedApps(p)
}

// Policy returns the snapshot in use.
func (b *Broker) Policy() *Policy { return b.policy.Load() }

// Metrics returns the broker's metrics.
func (b *Broker) Metrics() *Metrics { return b.m }

// Store returns the shared store.
func (b *Broker) Store() Store { return b.store }

// Upstream is the Stripe API base in use.
func (b *Broker) Upstream() *url.URL { return b.upstream }

// Reload re-reads the policy file and every key and token it names, and
// swaps them in. On error the current snapshot stays.
func (b *Broker) Reload() error {
	b.reloadMu.Lock()
	defer b.reloadMu.Unlock()
	p, err := LoadPolicy(b.cfg.PolicyPath, b.cfg.Env)
	if err != nil {
		b.m.reloads.WithLabelValues("error").Inc()
		b.log.Error("reload failed, keeping the current policy and keys", "err", err)
		return err
	}
	old := b.policy.Load()
	b.SetPolicy(p)
	b.m.reloads.WithLabelValues("ok").Inc()
	for _, w := range p.Warnings {
		b.log.Warn(w)
	}
	for _, a := range p.Apps {
		rotated := false
		if o := old.App(a.Name); o != nil && o.key != a.key {
			rotated = true
		}
		b.log.Info("policy reloaded", "app", a.Name, "key", a.KeyHint(), "key_rotated", rotated, "rules", len(a.Rules), "tokens", len(a.tokens))
	}
	return nil
}

// Headers forwarded to Stripe: what the Stripe libraries send and the API
// reads. Everything else (cookies, X-Forwarded-*, Accept-Encoding, tracing
// headers, hop-by-hop headers) stays here.
var forwardHeaders = []string{
	"Accept", "Content-Type", "User-Agent", "X-Stripe-Client-User-Agent", "X-Stripe-Client-Telemetry",
	"Stripe-Version", "Stripe-Account", "Stripe-Context", "Idempotency-Key",
}

// Response headers never relayed.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Proxy-Authenticate": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Set-Cookie": true, "Content-Length": true, "Alt-Svc": true}

// call is the state of one request, for its log line and metrics.
type call struct {
	start     time.Time
	app       string
	outcome   string
	code      string
	status    int
	requestID string
	upstream  time.Duration
	retry     bool
	account   string
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}
var respPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// ServeHTTP implements http.Handler.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := call{start: time.Now(), app: "-"}
	bufp := bodyPool.Get().(*[]byte)
	if d := b.serve(w, r, &c, bufp); d != nil {
		c.code, c.status = d.code, d.status
		if c.requestID == "" {
			c.requestID = newRequestID()
		}
		d.write(w, c.requestID)
		b.m.denied.WithLabelValues(c.app, d.code).Inc()
	}
	if cap(*bufp) <= 1<<20 {
		*bufp = (*bufp)[:0]
		bodyPool.Put(bufp)
	}
	total := time.Since(c.start)
	b.m.request(c.app, c.outcome)
	b.m.durByOut[c.outcome].Observe(total.Seconds())
	if c.outcome == OutForwarded {
		b.m.upstreamDur.Observe(c.upstream.Seconds())
		b.m.added.Observe((total - c.upstream).Seconds())
	}
	level := slog.LevelInfo
	if c.outcome != OutForwarded {
		level = slog.LevelWarn
	}
	if !b.log.Enabled(r.Context(), level) {
		return
	}
	var buf [11]slog.Attr
	attrs := append(buf[:0],
		slog.String("app", c.app), slog.String("method", r.Method), slog.String("path", logPath(r.RequestURI)),
		slog.Int("status", c.status), slog.String("outcome", c.outcome),
		slog.Float64("latency_ms", ms(total)), slog.String("request_id", c.requestID),
	)
	if c.code != "" {
		attrs = append(attrs, slog.String("code", c.code))
	}
	if c.outcome == OutForwarded {
		attrs = append(attrs, slog.Float64("upstream_ms", ms(c.upstream)))
	}
	if c.retry {
		attrs = append(attrs, slog.Bool("idempotent_retry", true))
	}
	if c.account != "" {
		attrs = append(attrs, slog.String("stripe_account", logPath(c.account)))
	}
	b.log.LogAttrs(r.Context(), level, "call", attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// logPath is the request path without its query (which may hold search
// terms or e-mail addresses), bounded.
func logPath(uri string) string {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if len(uri) > 200 {
		uri = uri[:200] + "…"
	}
	return uri
}

// serve decides and forwards; a non-nil denial is written by the caller.
func (b *Broker) serve(w http.ResponseWriter, r *http.Request, c *call, bufp *[]byte) *denial {
	p := b.policy.Load()

	// The request target must be origin-form ("/v1/…"): an absolute-form
	// target ("https://evil/…") or "*" could route somewhere else.
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' || r.Method == http.MethodConnect {
		c.outcome = OutRejected
		return deny(400, CodeBadTarget, "the request target must be a path such as /v1/customers (point the Stripe library's api_base at the broker; do not use it as an HTTP proxy)")
	}
	rawPath, rawQuery, _ := strings.Cut(uri, "?")
	if strings.ContainsAny(rawQuery, "# \t\r\n") {
		c.outcome = OutRejected
		return deny(400, CodeBadTarget, "malformed query string")
	}

	// Authenticate.
	tok, err := credential(r.Header.Values("Authorization"))
	if err != nil {
		c.outcome = OutUnauth
		if errors.Is(err, errNoAuth) {
			return deny(401, CodeNoToken, "no application token: set the Stripe library's api_key to this application's sk_broker_ token")
		}
		return deny(401, CodeBadToken, err.Error())
	}
	if looksLikeStripeKey(tok) {
		c.outcome = OutUnauth
		b.m.realKeys.Inc()
		return deny(401, CodeRealKey, "a real Stripe key was sent to the broker: the application must hold only its sk_broker_ token (roll this key: it is in the application)")
	}
	app := p.lookup(tok)
	if app == nil {
		c.outcome = OutUnauth
		return deny(401, CodeBadToken, "unknown application token")
	}
	c.app = app.Name

	// Route.
	segs, err := SplitPath(rawPath)
	if err != nil {
		c.outcome = OutRejected
		msg := err.Error()
		if strings.HasPrefix(rawPath, "//") {
			msg += ": remove the trailing / from the api_base the application gives its Stripe library"
		}
		return deny(400, CodeBadPath, msg)
	}
	rule := app.match(r.Method, segs)
	if rule == nil {
		c.outcome = OutDenied
		return deny(403, CodeRouteDenied, fmt.Sprintf("%s %s is not allowed for application %q by the broker policy", r.Method, logPath(rawPath), app.Name))
	}

	// Headers: each forwarded header at most once (a second copy could be
	// the one Stripe reads), then the allow-lists.
	for _, h := range forwardHeaders {
		if len(r.Header[h]) > 1 {
			c.outcome = OutRejected
			return deny(400, CodeRepeatedHeader, h+" appears more than once")
		}
	}
	for _, h := range []string{"Stripe-Account", "Stripe-Context"} {
		if v := r.Header.Get(h); v != "" {
			c.account = v
			if !app.anyAccount && !app.accounts[v] {
				c.outcome = OutDenied
				d := deny(403, CodeAccountDenied, fmt.Sprintf("%s %s is not allowed for application %q", h, quoteShort(v), app.Name))
				d.param = h
				return d
			}
		}
	}
	if app.versions != nil {
		if v := r.Header.Get("Stripe-Version"); !app.versions[v] {
			c.outcome = OutDenied
			msg := "Stripe-Version " + quoteShort(v) + " is not allowed"
			if v == "" {
				msg = "the policy pins the API version: set stripe.api_version (Stripe-Version) to an allowed one"
			}
			return deny(403, CodeVersionDenied, msg)
		}
	}
	idem := r.Header.Get("Idempotency-Key")
	if idem != "" && !validIdemKey(idem) {
		c.outcome = OutRejected
		return deny(400, CodeBadIdemKey, "Idempotency-Key must be 1-255 printable characters")
	}
	if r.Method == http.MethodPost && rule.RequireIdem && idem == "" {
		c.outcome = OutDenied
		return deny(403, CodeIdemRequired, "the policy requires an Idempotency-Key on this POST (pass idempotency_key=…)")
	}

	// Body.
	body, d := readBody(w, r, b.cfg.MaxBody, bufp)
	if d != nil {
		c.outcome = OutRejected
		return d
	}
	if rule.Limits.active() {
		if d := checkLimits(rule.Limits, rawQuery, body, r.Header.Get("Content-Type")); d != nil {
			c.outcome = OutDenied
			if d.status != 403 {
				c.outcome = OutRejected
			}
			return d
		}
	}

	// Shared state: rate limits and idempotency keys.
	var adm Admission
	var buckets [2]Bucket
	adm.Buckets = buckets[:0]
	if app.rate != nil {
		adm.Buckets = append(adm.Buckets, Bucket{Key: app.rateKey, Interval: app.rate.Interval(), Burst: app.rate.Burst})
	}
	if rule.Rate != nil {
		adm.Buckets = append(adm.Buckets, Bucket{Key: rule.rateKey, Interval: rule.Rate.Interval(), Burst: rule.Rate.Burst})
	}
	if idem != "" && r.Method == http.MethodPost {
		adm.IdemKey = app.idemPrefix + hashHex(c.account, idem)
		adm.Fingerprint = fingerprint(r.Method, uri, c.account, body)
		adm.IdemTTL = IdempotencyWindow
	}
	if len(adm.Buckets) > 0 || adm.IdemKey != "" {
		var dec Decision
		var err error
		if b.localStore {
			// The memory store answers at once and never waits on ctx:
			// no timer to arm and stop per call.
			dec, err = b.store.Admit(r.Context(), adm)
		} else {
			ctx, cancel := context.WithTimeout(r.Context(), b.cfg.StoreTimeout)
			dec, err = b.store.Admit(ctx, adm)
			cancel()
		}
		if err != nil {
			c.outcome = OutStoreErr
			b.m.storeErrs.Inc()
			b.log.Error("store unavailable, failing closed", "app", app.Name, "err", err)
			return &denial{status: 503, typ: typeAPI, code: CodeStoreUnavailable, msg: "the broker's shared store is unavailable; nothing was sent to Stripe", retry: true, retryAfter: time.Second}
		}
		switch dec.Verdict {
		case Retry:
			c.retry = true
			b.m.retries.WithLabelValues(app.Name).Inc()
		case Conflict:
			c.outcome = OutRejected
			return &denial{status: 400, typ: typeIdempotency, code: CodeIdemConflict,
				msg: "this Idempotency-Key was already used for a different request"}
		case Limited:
			c.outcome = OutLimited
			which := "application " + app.Name + " (" + app.rate.String() + ")"
			if adm.Buckets[dec.Bucket].Key != app.rateKey {
				which = rule.Route.Text + " (" + rule.Rate.String() + ")"
			}
			return &denial{status: 429, typ: typeInvalidRequest, code: CodeRateLimited,
				msg: "rate limit of " + which + " reached", retry: true, retryAfter: dec.RetryAfter}
		}
	}

	return b.forward(w, r, c, app, rawPath, rawQuery, body)
}

func (r *Rate) String() string {
	if r == nil {
		return ""
	}
	return r.Text
}

func validIdemKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] == 0x7f {
			return false
		}
	}
	return true
}

func hashHex(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		io.WriteString(h, p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// fingerprint identifies a request for idempotency: a retry of the same
// call has the same method, target, account and body bytes.
func fingerprint(method, uri, account string, body []byte) string {
	h := sha256.New()
	io.WriteString(h, method)
	h.Write([]byte{0})
	io.WriteString(h, uri)
	h.Write([]byte{0})
	io.WriteString(h, account)
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// readBody reads the whole body into buf, up to max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64, bufp *[]byte) ([]byte, *denial) {
	if r.ContentLength > max {
		return nil, &denial{status: 413, typ: typeInvalidRequest, code: CodeBodyTooLarge, msg: "request body larger than " + strconv.FormatInt(max, 10) + " bytes"}
	}
	rd := http.MaxBytesReader(w, r.Body, max)
	buf := (*bufp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*bufp = buf
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, &denial{status: 413, typ: typeInvalidRequest, code: CodeBodyTooLarge, msg: "request body larger than " + strconv.FormatInt(max, 10) + " bytes"}
			}
			return nil, deny(400, CodeBadBody, "could not read the request body")
		}
	}
	*bufp = buf
	return buf, nil
}

// checkLimits applies a rule's limits to every reading of the parameters.
func checkLimits(l Limits, rawQuery string, body []byte, contentType string) *denial {
	var v *violation
	visit := func(p *Param) error {
		if v == nil {
			v = l.check(p)
		}
		if v != nil {
			return errStop
		}
		return nil
	}
	bad := func(what string, err error) *denial {
		return deny(400, CodeBadBody, what+" could not be read: "+err.Error())
	}
	if err := FormParams([]byte(rawQuery), visit); err != nil && v == nil {
		return bad("the query string", err)
	}
	mt := ""
	if contentType != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return deny(400, CodeBadBody, "malformed Content-Type")
		}
	}
	switch mt {
	case "", "application/x-www-form-urlencoded", "application/json":
	default:
		return deny(403, CodeContentType, "Content-Type "+quoteShort(mt)+" cannot be checked against this endpoint's amount/currency limits")
	}
	if v == nil && len(body) > 0 {
		// Always as a form: that is how a v1 endpoint may read it whatever
		// the Content-Type says.
		if err := FormParams(body, visit); err != nil && v == nil {
			return bad("the body", err)
		}
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); v == nil && (mt == "application/json" || len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')) {
		if err := JSONParams(body, visit); err != nil && v == nil && mt == "application/json" {
			return bad("the JSON body", err)
		}
	}
	if v == nil {
		return nil
	}
	d := deny(403, v.code, v.msg)
	d.param = v.param
	return d
}

var errStop = errors.New("stop")

// forward sends the request to Stripe with the app's key and relays the
// answer, key scrubbed.
func (b *Broker) forward(w http.ResponseWriter, r *http.Request, c *call, app *App, rawPath, rawQuery string, body []byte) *denial {
	t0 := time.Now()
	resp, err := b.send(r, app, rawPath, rawQuery, body)
	if err != nil {
		c.outcome = OutUpstreamErr
		b.log.Error("Stripe unreachable", "app", app.Name, "err", scrubErr(err, app.key))
		// Retrying is safe when the call is idempotent: a GET/DELETE, or a
		// POST with an Idempotency-Key (Stripe deduplicates it).
		safe := r.Method != http.MethodPost || r.Header.Get("Idempotency-Key") != ""
		return &denial{status: 502, typ: typeAPI, code: CodeUpstreamUnavailable, msg: "Stripe could not be reached", retry: safe}
	}
	defer resp.Body.Close()
	c.outcome = OutForwarded
	c.status = resp.StatusCode
	c.requestID = resp.Header.Get("Request-Id")
	b.m.upstream.WithLabelValues(app.Name, statusClass(resp.StatusCode)).Inc()

	h := w.Header()
	for k, vv := range resp.Header {
		if hopHeaders[k] {
			continue
		}
		// The answer's own header map and slices are handed over (keys
		// are canonical already): no copy per header.
		for i, v := range vv {
			if strings.Contains(v, app.key) {
				vv[i] = strings.ReplaceAll(v, app.key, scrubMark)
			}
		}
		if old := h[k]; old != nil {
			vv = append(old, vv...)
		}
		h[k] = vv
	}
	if resp.ContentLength >= 0 && resp.ContentLength <= maxBufferedResponse {
		rbp := respPool.Get().(*[]byte)
		defer func() {
			if cap(*rbp) <= 256<<10 {
				respPool.Put(rbp)
			}
		}()
		if int64(cap(*rbp)) < resp.ContentLength {
			*rbp = make([]byte, resp.ContentLength)
		}
		rb := (*rbp)[:resp.ContentLength]
		n, err := io.ReadFull(resp.Body, rb)
		c.upstream = time.Since(t0)
		if err != nil {
			// Headers not sent yet: answer a clean error instead of a
			// truncated body.
			c.outcome = OutUpstreamErr
			for k := range h {
				delete(h, k)
			}
			return &denial{status: 502, typ: typeAPI, code: CodeUpstreamUnavailable, msg: "Stripe's response was cut short"}
		}
		rb = scrubBytes(rb[:n], app.key)
		h.Set("Content-Length", strconv.Itoa(len(rb)))
		w.WriteHeader(resp.StatusCode)
		w.Write(rb)
		return nil
	}
	c.upstream = time.Since(t0)
	w.WriteHeader(resp.StatusCode)
	sw := &scrubWriter{w: w, key: []byte(app.key)}
	if _, err := io.Copy(sw, resp.Body); err == nil {
		sw.Flush()
	}
	return nil
}

// send makes the upstream call. With the broker's own pool it writes the
// request straight from the incoming one (the allowed headers, the app's
// Authorization, the body already in memory): no http.Request, header map,
// URL or body copy per call, and no context timer, since the pool bounds
// every exchange by its own timeout. Any other transport (an egress proxy,
// tests) gets a regular http.Request.
func (b *Broker) send(r *http.Request, app *App, rawPath, rawQuery string, body []byte) (*http.Response, error) {
	target := b.upstream.Path + rawPath
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	if l := b.lean; l != nil && l.timeout <= b.cfg.UpstreamTimeout {
		return l.send(r.Context(), r, target, func(w *bufio.Writer) {
			for _, h := range forwardHeaders {
				if v := r.Header[h]; len(v) == 1 {
					httppool.WriteField(w, h, v[0])
				}
			}
			httppool.WriteField(w, "Authorization", app.bearer)
		}, body)
	}
	ctx, cancel := context.WithTimeout(r.Context(), b.cfg.UpstreamTimeout)
	u := &url.URL{Scheme: b.upstream.Scheme, Host: b.upstream.Host, Opaque: b.upstream.Path + rawPath, RawQuery: rawQuery}
	out := &http.Request{
		Method: r.Method, URL: u, Host: b.upstream.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, len(forwardHeaders)+2), ContentLength: int64(len(body)),
	}
	for _, h := range forwardHeaders {
		if v := r.Header[h]; len(v) == 1 {
			out.Header[h] = v
		}
	}
	out.Header["Authorization"] = []string{app.bearer}
	if len(body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	} else if r.Method == http.MethodPost {
		out.Body = http.NoBody
	}
	resp, err := b.rt.RoundTrip(out.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelBody{resp.Body, cancel}
	return resp, nil
}

// cancelBody releases the call's context when the answer is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelBody) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// scrubErr renders an error without the key (a URL error never holds it,
// but the rule is absolute).
func scrubErr(err error, key string) string {
	return strings.ReplaceAll(err.Error(), key, scrubMark)
}

// AdminHandler serves /metrics and /healthz (store reachable).
func (b *Broker) AdminHandler() http.Handler {
	return serve.Admin(b.m.Handler(), b.store.Ping, b.cfg.StoreTimeout,
		func() string { return fmt.Sprintf("ok: %d apps", len(b.policy.Load().Apps)) })
}
