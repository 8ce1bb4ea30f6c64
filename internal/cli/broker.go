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
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/stripeguard/stripeguard/internal/atomicfile"
	"github.com/stripeguard/stripeguard/internal/broker"
	"github.com/stripeguard/stripeguard/internal/broker/suggest"
	"github.com/stripeguard/stripeguard/internal/redisconn"
)

func init() {
	Register(&Command{Name: "broker", Summary: "Stripe API proxy that holds the secret key so the application never does", Run: runBroker})
}

const brokerUsage = `Usage:
  stripeguard broker --policy broker.toml [flags]      serve
  stripeguard broker policy suggest PATH [--app NAME] [--output FILE] [--include-tests]
  stripeguard broker policy check broker.toml
  stripeguard broker token                             a new application token and its SHA-256
  stripeguard broker pin HOST:PORT                     the --stripe-pin of a TLS server (trust on first use)

The application points stripe-python at the broker and uses an application
token as its key:

  stripe.api_base = "http://127.0.0.1:8790"          # or StripeClient(token, base_addresses={"api": ...})
  stripe.api_key = os.environ["STRIPE_BROKER_TOKEN"] # sk_broker_..., worthless outside the broker

For each call the broker authenticates the token, checks the app's policy
(default deny: routes, amounts, currencies, Idempotency-Key, rate limits,
Stripe-Account, API versions), puts the app's real key in Authorization and
forwards it to Stripe over verified TLS; Stripe's answer comes back with
the key scrubbed. Denials are Stripe-shaped JSON errors (401/400/403/429),
so the library raises its usual exception. With --redis-url, replicas share
rate limits and idempotency keys; if Redis is down, calls that need it
fail closed (503). SIGHUP re-reads the policy, keys and tokens without
dropping a call; SIGTERM drains in-flight calls. /metrics and /healthz are
served on --admin-listen only. See docs/broker.md.

Flags:
`

type brokerListFlag []string

func (m *brokerListFlag) String() string { return strings.Join(*m, ",") }
func (m *brokerListFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

func runBroker(args []string, std Stdio) int {
	if len(args) > 0 {
		switch args[0] {
		case "policy":
			return runBrokerPolicy(args[1:], std)
		case "token":
			return runBrokerToken(args[1:], std)
		case "pin":
			return runBrokerPin(args[1:], std)
		}
	}
	fs := newFlagSet("broker", "broker --policy broker.toml [flags]", std.Err)
	fs.Usage = func() {}
	var pins brokerListFlag
	policy := fs.String("policy", "", "policy file (TOML); required")
	listen := fs.String("listen", "127.0.0.1:8790", "address applications connect to")
	tlsCert := fs.String("tls-cert", "", "serve applications over HTTPS with this certificate (PEM; with --tls-key; re-read on SIGHUP)")
	tlsKey := fs.String("tls-key", "", "private key of --tls-cert (PEM)")
	admin := fs.String("admin-listen", "127.0.0.1:8791", "address for /metrics and /healthz (\"off\" to disable)")
	apiBase := fs.String("stripe-api-base", broker.DefaultAPIBase, "Stripe API base URL (https; http only to a loopback host, e.g. a local stripe-mock)")
	ca := fs.String("stripe-ca", "", "PEM file of CA certificates to trust instead of the system roots")
	fs.Var(&pins, "stripe-pin", "sha256/<base64> pin of the upstream's public key (repeatable), checked on top of the certificate chain")
	pinOnly := fs.Bool("stripe-pin-only", false, "trust the pinned key alone, without chain or name checks (a self-signed test upstream such as stripe-mock)")
	redisURL := fs.String("redis-url", "", "share rate limits and idempotency keys between replicas: redis://host:port/db (default: in memory)")
	redisPrefix := fs.String("redis-prefix", "stripeguard:broker:", "Redis key prefix")
	maxBody := fs.Int64("max-body", broker.DefaultMaxBody, "maximum request body bytes (413 above)")
	upTimeout := fs.Duration("upstream-timeout", broker.DefaultUpstreamTimeout, "how long to wait for Stripe's response headers (502 after)")
	readTimeout := fs.Duration("read-timeout", 30*time.Second, "time to read a whole request (slow clients are cut off)")
	readHeaderTimeout := fs.Duration("read-header-timeout", 5*time.Second, "time to read request headers")
	shutdownTimeout := fs.Duration("shutdown-timeout", 0, "drain limit on SIGTERM (default upstream-timeout+5s)")
	watch := fs.Duration("watch", 0, "also reload when the policy, key or token files change, checked at this interval (e.g. 10s for a mounted Kubernetes Secret); 0: SIGHUP only")
	logFormat := fs.String("log-format", "text", "text or json")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	usageWriters.Store(fs, func() {
		fmt.Fprint(std.Err, brokerUsage)
		fs.SetOutput(std.Err)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	})
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		return Fail(std, err)
	}
	if len(pos) > 0 {
		return Fail(std, fmt.Errorf("broker: unexpected argument %q (subcommands: policy, token, pin)", pos[0]))
	}
	if *policy == "" {
		return Fail(std, errors.New("broker: --policy is required (start from `stripeguard broker policy suggest PATH`)"))
	}
	logger, err := brokerLogger(std, *logFormat, *logLevel)
	if err != nil {
		return Fail(std, err)
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return Fail(std, errors.New("broker: --tls-cert and --tls-key go together"))
	}
	if *pinOnly && len(pins) == 0 {
		return Fail(std, errors.New("broker: --stripe-pin-only needs --stripe-pin"))
	}
	cfg := broker.Config{
		PolicyPath: *policy, Upstream: *apiBase, MaxBody: *maxBody, UpstreamTimeout: *upTimeout, Logger: logger,
		UpstreamTLS: broker.UpstreamOptions{CAFile: *ca, Pins: pins, PinOnly: *pinOnly, Timeout: *upTimeout},
	}
	if *redisURL != "" {
		redisconn.RouteLogs(logger)
		rs, err := broker.NewRedisStore(*redisURL, *redisPrefix)
		if err != nil {
			return Fail(std, err)
		}
		defer rs.Close()
		cfg.Store = rs
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := rs.Ping(ctx); err != nil {
			logger.Warn("Redis unreachable at start; calls that need it fail closed (503) until it answers", "err", err)
		}
		cancel()
	}
	b, err := broker.New(cfg)
	if err != nil {
		return Fail(std, err)
	}
	if *pinOnly {
		logger.Warn("--stripe-pin-only: the upstream is trusted by its pinned key alone (meant for a self-signed test upstream such as stripe-mock)")
	}
	if b.Upstream().Host != "api.stripe.com" {
		logger.Warn("the Stripe API base is not api.stripe.com", "stripe_api_base", b.Upstream().String())
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	sc := broker.ServerConfig{Listen: *listen, AdminListen: *admin, ReadTimeout: *readTimeout, ReadHeaderTimeout: *readHeaderTimeout, ShutdownTimeout: *shutdownTimeout, Watch: *watch,
		TLSCert: *tlsCert, TLSKey: *tlsKey}
	if err := b.Serve(ctx, sc, hup, nil); err != nil {
		return Fail(std, err)
	}
	return ExitOK
}

func brokerLogger(std Stdio, format, levelName string) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelName)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(std.Err, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(std.Err, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func runBrokerPolicy(args []string, std Stdio) int {
	if len(args) == 0 {
		return Fail(std, errors.New("broker policy: want `suggest PATH` or `check FILE`"))
	}
	switch args[0] {
	case "suggest":
		fs := newFlagSet("broker policy suggest", "broker policy suggest PATH [--app NAME] [--output FILE]", std.Err)
		app := fs.String("app", "", "application name in the policy (default: the directory's name)")
		output := fs.String("output", "", "write the policy to FILE instead of stdout")
		tests := fs.Bool("include-tests", false, "also read test code (tests/, test_*.py, conftest.py), left out by default")
		pos, err := parseArgs(fs, args[1:])
		if errors.Is(err, errHelp) {
			return ExitOK
		}
		if err != nil {
			return Fail(std, err)
		}
		if len(pos) != 1 {
			return Fail(std, errors.New("broker policy suggest: want one PATH"))
		}
		root := pos[0]
		name := *app
		if name == "" {
			abs, _ := filepath.Abs(root)
			name = sanitizeAppName(filepath.Base(abs))
		}
		res, err := suggest.Scan(context.Background(), root, suggest.Options{IncludeTests: *tests})
		if err != nil {
			return Fail(std, err)
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(std.Err, "stripeguard: warning: %s\n", w)
		}
		for _, u := range res.Unmapped {
			fmt.Fprintf(std.Err, "stripeguard: warning: %s:%d: %s: not a known Stripe API call; not allowed\n", u.File, u.Line, u.Text)
		}
		text := res.Policy(name, root)
		if *output != "" {
			if err := atomicfile.Write(*output, 0o644, func(w io.Writer) error {
				_, err := io.WriteString(w, text)
				return err
			}); err != nil {
				return Fail(std, err)
			}
			fmt.Fprintf(std.Err, "stripeguard: wrote %s: %d route(s) for app %q\n", *output, len(res.Routes), name)
			return ExitOK
		}
		fmt.Fprint(std.Out, text)
		return ExitOK
	case "check":
		if len(args) != 2 {
			return Fail(std, errors.New("broker policy check: want one FILE"))
		}
		p, err := broker.LoadPolicy(args[1], nil)
		if err != nil {
			return Fail(std, err)
		}
		for _, w := range p.Warnings {
			fmt.Fprintf(std.Err, "stripeguard: warning: %s\n", w)
		}
		for _, a := range p.Apps {
			fmt.Fprintf(std.Out, "app %s: key %s, %d route(s)\n", a.Name, a.KeyHint(), len(a.Rules))
			for _, r := range a.Rules {
				var c []string
				if r.Limits.MaxAmount > 0 {
					c = append(c, fmt.Sprintf("max_amount %d", r.Limits.MaxAmount))
				}
				if r.Limits.Currencies != nil {
					c = append(c, fmt.Sprintf("%d currencies", len(r.Limits.Currencies)))
				}
				if r.Rate != nil {
					c = append(c, "rate "+r.Rate.Text)
				}
				if r.RequireIdem && r.Route.Method == "POST" {
					c = append(c, "Idempotency-Key required")
				}
				extra := ""
				if len(c) > 0 {
					extra = " (" + strings.Join(c, ", ") + ")"
				}
				fmt.Fprintf(std.Out, "  allow %s%s\n", r.Route.Text, extra)
			}
		}
		return ExitOK
	}
	return Fail(std, fmt.Errorf("broker policy: unknown subcommand %q (suggest, check)", args[0]))
}

func sanitizeAppName(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-.")
	if out == "" {
		return "app"
	}
	if len(out) > 63 {
		out = out[:63]
	}
	return out
}

func runBrokerToken(args []string, std Stdio) int {
	fs := flag.NewFlagSet("broker token", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	tok := broker.NewToken()
	fmt.Fprintf(std.Out, "%s\n", tok)
	fmt.Fprintf(std.Err, "Give the token to the application (STRIPE_BROKER_TOKEN) and put its hash in the policy:\n  token_sha256 = [%q]\n", broker.HashToken(tok).String())
	return ExitOK
}

func runBrokerPin(args []string, std Stdio) int {
	if len(args) != 1 {
		return Fail(std, errors.New("broker pin: want HOST:PORT"))
	}
	pin, err := broker.FetchPin(args[0], 10*time.Second)
	if err != nil {
		return Fail(std, err)
	}
	fmt.Fprintln(std.Out, pin)
	fmt.Fprintln(std.Err, "Trust on first use: check this pin out of band before relying on it.")
	return ExitOK
}
