package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/stripeguard/stripeguard/internal/guard"
	"github.com/stripeguard/stripeguard/internal/redisconn"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

func init() {
	Register(&Command{Name: "guard", Summary: "verifying, replay-proof proxy to put in front of your Stripe webhook endpoint", Run: runGuard})
}

const guardUsage = `Usage: stripeguard guard --upstream URL --secret whsec_... [flags]

Put it in front of your webhook endpoint: Stripe posts to the guard, the guard
checks Stripe-Signature (strictly: one header, one t, 64-hex v1, any configured
secret, not older than --tolerance, not more than --future-skew ahead), drops
replays of events already delivered, and forwards the exact request (body
bytes and headers, Stripe-Signature included, so the app verifies again) to
--upstream, with X-Forwarded-For/-Proto/-Host and Forwarded (RFC 7239) set
from what the guard saw; those headers from a client are dropped unless it
is a --trusted-proxy, whose chain is kept and extended. Rejections get 400/403/405/413 with a short reason and never reach
the app. A concurrent duplicate of an event being delivered gets 409 +
Retry-After; if the dedupe store (--redis-url) is down, requests fail closed
with 503 + Retry-After so Stripe retries later. Upstream down: 502.

Secrets: --secret (repeatable; visible in ps, prefer the others),
--secret-file (one per line), STRIPE_WEBHOOK_SECRET (comma-separated). All
given are accepted (rotation); SIGHUP re-reads them without dropping requests.
SIGTERM/SIGINT drain in-flight requests, then exit.
/metrics and /healthz are served on --admin-listen only (never on --listen).

TLS: --tls-cert and --tls-key (PEM) make the webhook listener speak HTTPS
(TLS 1.2+); SIGHUP re-reads them too, so a renewed certificate is picked up
without a restart. The admin listener stays plain HTTP for probes/scrapes.
--allow-cidr is an extra layer, never instead of the signature.

Flags:
`

type guardListFlag []string

func (m *guardListFlag) String() string { return strings.Join(*m, ",") }
func (m *guardListFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// guardSecondsFlag accepts a Go duration or plain seconds. 0 means "reject
// every event", never "disabled".
type guardSecondsFlag struct {
	d   time.Duration
	set bool
}

func (t *guardSecondsFlag) String() string { return t.d.String() }
func (t *guardSecondsFlag) Set(v string) error {
	d, err := guard.ParseSeconds(v)
	if err != nil {
		return err
	}
	t.d, t.set = d, true
	return nil
}

func runGuard(args []string, std Stdio) int {
	fs := flag.NewFlagSet("guard", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// Usage only on -h; a bad flag gets the usual one-line error.
	fs.Usage = func() {}
	printUsage := func() {
		fmt.Fprint(std.Err, guardUsage)
		fs.SetOutput(std.Err)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	var (
		secrets, cidrs, proxies guardListFlag
		tol                     = guardSecondsFlag{d: webhooksig.DefaultTolerance}
		skew                    = guardSecondsFlag{d: webhooksig.DefaultFutureSkew}
	)
	listen := fs.String("listen", "127.0.0.1:8787", "webhook listen address")
	upstream := fs.String("upstream", "", "app base URL, e.g. http://127.0.0.1:8000 (request path and query are appended)")
	fs.Var(&secrets, "secret", "webhook signing secret whsec_... (repeatable)")
	secretFile := fs.String("secret-file", "", "file with one whsec_ secret per line ('#' comments)")
	fs.Var(&tol, "tolerance", "maximum event age (seconds or duration); 0 rejects every event")
	fs.Var(&skew, "future-skew", "how far in the future t may be (seconds or duration)")
	maxBody := fs.Int64("max-body", guard.DefaultMaxBody, "maximum body bytes (413 above)")
	fs.Var(&cidrs, "allow-cidr", "allowed source range, e.g. 3.18.12.63/32 (repeatable or comma-separated; default: any)")
	fs.Var(&proxies, "trusted-proxy", "peer range whose X-Forwarded-For/Forwarded are kept and appended to (a load balancer in front of the guard; repeatable or comma-separated)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate `FILE` (chain included); re-read on SIGHUP")
	tlsKey := fs.String("tls-key", "", "PEM private key `FILE` of --tls-cert")
	redisURL := fs.String("redis-url", "", "share the dedupe store between replicas: redis://host:port/db (default: in memory)")
	redisPrefix := fs.String("redis-prefix", "stripeguard:evt:", "Redis key prefix")
	retention := fs.Duration("dedupe-retention", guard.DefaultRetention, "how long delivered event ids are remembered")
	maxEvents := fs.Int("max-events", 1_000_000, "in-memory store capacity, ~150 MB per million (when full, ids older than tolerance+skew are forgotten first; 503 if none can be)")
	upTimeout := fs.Duration("upstream-timeout", guard.DefaultUpstreamTimeout, "upstream response timeout (502 after)")
	readTimeout := fs.Duration("read-timeout", 15*time.Second, "time to read a whole request (slow clients)")
	readHeaderTimeout := fs.Duration("read-header-timeout", 5*time.Second, "time to read request headers")
	shutdownTimeout := fs.Duration("shutdown-timeout", 0, "drain limit on SIGTERM (default upstream-timeout+5s)")
	admin := fs.String("admin-listen", "127.0.0.1:8788", "address for /metrics and /healthz (\"off\" to disable)")
	logFormat := fs.String("log-format", "text", "text or json")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage()
			return ExitOK
		}
		return Fail(std, err)
	}
	if fs.NArg() > 0 {
		return Fail(std, fmt.Errorf("guard: unexpected argument %q", fs.Arg(0)))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return Fail(std, fmt.Errorf("--log-level: %w", err))
	}
	hopts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch *logFormat {
	case "json":
		logger = slog.New(slog.NewJSONHandler(std.Err, hopts))
	case "text":
		logger = slog.New(slog.NewTextHandler(std.Err, hopts))
	default:
		return Fail(std, fmt.Errorf("--log-format %q: want text or json", *logFormat))
	}
	if *upstream == "" {
		return Fail(std, errors.New("guard: --upstream is required"))
	}
	prefixes, err := guard.ParseCIDRs(cidrs)
	if err != nil {
		return Fail(std, fmt.Errorf("--allow-cidr: %w", err))
	}
	trusted, err := guard.ParseCIDRs(proxies)
	if err != nil {
		return Fail(std, fmt.Errorf("--trusted-proxy: %w", err))
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return Fail(std, errors.New("guard: --tls-cert and --tls-key go together"))
	}
	src := guard.SecretSource{Flags: secrets, File: *secretFile, Env: "STRIPE_WEBHOOK_SECRET"}
	list, err := src.Load()
	if err != nil {
		return Fail(std, err)
	}
	if len(secrets) > 0 {
		logger.Warn("secrets given with --secret are visible in the process list; prefer --secret-file or STRIPE_WEBHOOK_SECRET")
	}
	vopt := webhooksig.Options{Tolerance: tol.d, FutureSkew: skew.d}
	if tol.set && tol.d == 0 {
		vopt.RejectAll = true
		logger.Warn("!!! --tolerance 0: EVERY event will be rejected as too old (0 never disables the check) !!!")
	}
	if skew.set && skew.d == 0 {
		vopt.FutureSkew = time.Nanosecond // 0 means "no future timestamps", not the default
	}
	cfg := guard.Config{
		Upstream: *upstream, MaxBody: *maxBody, AllowCIDRs: prefixes, TrustedProxies: trusted, Retention: *retention,
		UpstreamTimeout: *upTimeout, VerifierOptions: vopt, Logger: logger,
	}
	var store guard.Store
	if *redisURL != "" {
		redisconn.RouteLogs(logger)
		rs, err := guard.NewRedisStore(*redisURL, *redisPrefix)
		if err != nil {
			return Fail(std, err)
		}
		store = rs
	} else {
		safety := tol.d + skew.d + time.Minute
		store = guard.NewMemoryStore(*maxEvents, safety)
	}
	defer store.Close()
	cfg.Store = store
	g, err := guard.New(cfg, list)
	if err != nil {
		return Fail(std, err)
	}
	if *redisURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := store.Ping(ctx); err != nil {
			logger.Warn("Redis unreachable at start; requests fail closed (503) until it answers", "err", err)
		}
		cancel()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	sc := guard.ServerConfig{
		Listen: *listen, AdminListen: *admin, ReadTimeout: *readTimeout, ReadHeaderTimeout: *readHeaderTimeout,
		ShutdownTimeout: *shutdownTimeout, TLSCert: *tlsCert, TLSKey: *tlsKey,
	}
	if err := guard.Run(ctx, g, sc, src, hup, nil); err != nil {
		return Fail(std, err)
	}
	return ExitOK
}
