package broker

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// The policy file (TOML). One [app.NAME] table per application:
//
//	version = 1
//
//	[app.shop]
//	token_sha256 = ["<sha256 of the app's sk_broker_ token>"]  # or token_file / token_env
//	key_file = "/run/secrets/stripe-shop"                      # or key_env
//	require_idempotency_key = true     # every POST must carry Idempotency-Key
//	api_versions = ["2024-06-20"]      # Stripe-Version must be one of these
//	stripe_accounts = ["acct_1Abc"]    # Stripe-Account allow-list ("*" = any); none by default
//	rate = "50/s"                      # whole app; burst defaults to the count
//	max_amount = 100000                # ceiling for every rule
//	currencies = ["usd", "eur"]
//
//	[[app.shop.allow]]
//	route = "POST /v1/checkout/sessions"
//	max_amount = 50000
//	rate = "5/s"
//	burst = 10
//
//	[[app.shop.allow]]
//	route = "GET /v1/events/*"
//
// Anything not allowed is denied. Unknown keys are errors.

type policyFile struct {
	Version int                `toml:"version"`
	App     map[string]appFile `toml:"app"`
}

type appFile struct {
	TokenSHA256           []string   `toml:"token_sha256"`
	TokenFile             string     `toml:"token_file"`
	TokenEnv              string     `toml:"token_env"`
	KeyFile               string     `toml:"key_file"`
	KeyEnv                string     `toml:"key_env"`
	RequireIdempotencyKey bool       `toml:"require_idempotency_key"`
	APIVersions           []string   `toml:"api_versions"`
	StripeAccounts        []string   `toml:"stripe_accounts"`
	Rate                  string     `toml:"rate"`
	Burst                 int        `toml:"burst"`
	MaxAmount             int64      `toml:"max_amount"`
	Currencies            []string   `toml:"currencies"`
	Allow                 []ruleFile `toml:"allow"`
}

type ruleFile struct {
	Route                 string   `toml:"route"`
	RequireIdempotencyKey bool     `toml:"require_idempotency_key"`
	Rate                  string   `toml:"rate"`
	Burst                 int      `toml:"burst"`
	MaxAmount             int64    `toml:"max_amount"`
	Currencies            []string `toml:"currencies"`
}

// Policy is a loaded, validated policy with the keys and tokens it names.
// It is immutable: a reload builds a new one.
type Policy struct {
	Apps    []*App
	byToken map[TokenHash]*App
	// Warnings are non-fatal remarks (a key file others can read, …).
	Warnings []string
	// Files are the key and token files the policy names (watched by
	// --watch besides the policy file itself).
	Files []string
}

// App is one application.
type App struct {
	Name string
	// key is the real Stripe key the broker sends for this app.
	key            string
	tokens         []TokenHash
	requireIdem    bool
	versions       map[string]bool
	accounts       map[string]bool
	anyAccount     bool
	rate           *Rate
	Rules          []*Rule
	keyFingerprint string
	// Made once per policy load, not per call: the Authorization value
	// sent to Stripe, and the store keys of the app's rate bucket and of
	// its idempotency keys.
	bearer, rateKey, idemPrefix string
}

// KeyHint is the key's mode and last four characters, for logs.
func (a *App) KeyHint() string { return a.keyFingerprint }

// Rule is one allowed route with its constraints (already narrowed by the
// app's own limits).
type Rule struct {
	Route       *Route
	Limits      Limits
	RequireIdem bool
	Rate        *Rate
	rateKey     string // store key of the rule's bucket
}

// Rate is a GCRA limit: on average N per Per, with bursts of Burst.
type Rate struct {
	N     int
	Per   time.Duration
	Burst int
	Text  string
}

// Interval is the emission interval (time per request).
func (r *Rate) Interval() time.Duration { return r.Per / time.Duration(r.N) }

var rateRE = regexp.MustCompile(`^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$`)

// ParseRate reads "50/s", "1000/min", "10/h", "100/d", "5/10s".
func ParseRate(s string, burst int) (*Rate, error) {
	m := rateRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("rate %q: want N/s, N/min, N/h or N/d", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 || n > 1_000_000 {
		return nil, fmt.Errorf("rate %q: count must be 1..1000000", s)
	}
	mult := 1
	if m[2] != "" {
		if mult, err = strconv.Atoi(m[2]); err != nil || mult <= 0 || mult > 1000 {
			return nil, fmt.Errorf("rate %q: bad period", s)
		}
	}
	unit := map[string]time.Duration{"s": time.Second, "sec": time.Second, "second": time.Second,
		"m": time.Minute, "min": time.Minute, "minute": time.Minute, "h": time.Hour, "hour": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour}[m[3]]
	if burst < 0 {
		return nil, fmt.Errorf("burst %d: must be positive", burst)
	}
	if burst == 0 {
		burst = n
	}
	return &Rate{N: n, Per: time.Duration(mult) * unit, Burst: burst, Text: strings.TrimSpace(s)}, nil
}

// Env reads environment variables (os.LookupEnv; tests inject theirs).
type Env func(string) (string, bool)

// LoadPolicy reads and validates a policy file and everything it names.
func LoadPolicy(path string, env Env) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p, err := ParsePolicy(data, env)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy validates policy text; key and token files are read.
func ParsePolicy(data []byte, env Env) (*Policy, error) {
	if env == nil {
		env = os.LookupEnv
	}
	var f policyFile
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil {
		return nil, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		var keys []string
		for _, k := range und {
			keys = append(keys, k.String())
		}
		return nil, fmt.Errorf("unknown keys: %s", strings.Join(keys, ", "))
	}
	if f.Version > 1 {
		return nil, fmt.Errorf("version %d: this broker reads version 1", f.Version)
	}
	if len(f.App) == 0 {
		return nil, errors.New("no [app.NAME] table: nothing would be allowed")
	}
	p := &Policy{byToken: map[TokenHash]*App{}}
	names := make([]string, 0, len(f.App))
	for n := range f.App {
		names = append(names, n)
	}
	sort.Strings(names)
	keys := map[string]string{}
	for _, name := range names {
		a, err := p.compileApp(name, f.App[name], env)
		if err != nil {
			return nil, fmt.Errorf("app %q: %w", name, err)
		}
		for _, t := range a.tokens {
			if other, ok := p.byToken[t]; ok {
				return nil, fmt.Errorf("apps %q and %q share a token", other.Name, name)
			}
			p.byToken[t] = a
		}
		if other, ok := keys[a.key]; ok {
			p.Warnings = append(p.Warnings, fmt.Sprintf("apps %q and %q use the same Stripe key; give each its own restricted key so a leak of one policy's scope stays contained", other, name))
		}
		keys[a.key] = name
		p.Apps = append(p.Apps, a)
	}
	for _, name := range names {
		f := f.App[name]
		for _, path := range []string{f.KeyFile, f.TokenFile} {
			if path != "" {
				p.Files = append(p.Files, path)
			}
		}
	}
	for _, a := range p.Apps {
		if _, ok := p.byToken[HashToken(a.key)]; ok {
			return nil, fmt.Errorf("app %q: its Stripe key is also a token", a.Name)
		}
	}
	return p, nil
}

var appNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

func (p *Policy) compileApp(name string, f appFile, env Env) (*App, error) {
	if !appNameRE.MatchString(name) {
		return nil, errors.New("name: letters, digits, _ . - (up to 63)")
	}
	a := &App{Name: name, requireIdem: f.RequireIdempotencyKey}
	var err error
	if a.key, err = loadKey(f, env, &p.Warnings, name); err != nil {
		return nil, err
	}
	a.keyFingerprint = keyHint(a.key)
	if a.tokens, err = loadTokens(f, env, &p.Warnings, name); err != nil {
		return nil, err
	}
	if len(f.APIVersions) > 0 {
		a.versions = map[string]bool{}
		for _, v := range f.APIVersions {
			if strings.TrimSpace(v) != v || v == "" {
				return nil, fmt.Errorf("api_versions: bad version %q", v)
			}
			a.versions[v] = true
		}
	}
	a.accounts = map[string]bool{}
	for _, acct := range f.StripeAccounts {
		switch {
		case acct == "*":
			a.anyAccount = true
		case strings.HasPrefix(acct, "acct_") && tokenChars(acct):
			a.accounts[acct] = true
		default:
			return nil, fmt.Errorf("stripe_accounts: %q is not an acct_ id or \"*\"", acct)
		}
	}
	if f.Rate != "" {
		if a.rate, err = ParseRate(f.Rate, f.Burst); err != nil {
			return nil, err
		}
	} else if f.Burst != 0 {
		return nil, errors.New("burst without rate")
	}
	appLimits, err := limitsOf(f.MaxAmount, f.Currencies)
	if err != nil {
		return nil, err
	}
	if len(f.Allow) == 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("app %q allows no route: every call is denied", name))
	}
	seen := map[string]bool{}
	for i, rf := range f.Allow {
		r, err := ParseRoute(rf.Route)
		if err != nil {
			return nil, fmt.Errorf("allow[%d]: %w", i, err)
		}
		if seen[r.Text] {
			return nil, fmt.Errorf("allow[%d]: route %q listed twice", i, r.Text)
		}
		seen[r.Text] = true
		rule := &Rule{Route: r, RequireIdem: rf.RequireIdempotencyKey || a.requireIdem}
		rl, err := limitsOf(rf.MaxAmount, rf.Currencies)
		if err != nil {
			return nil, fmt.Errorf("allow[%d] %s: %w", i, r.Text, err)
		}
		rule.Limits = appLimits.narrow(rl)
		if rf.Rate != "" {
			if rule.Rate, err = ParseRate(rf.Rate, rf.Burst); err != nil {
				return nil, fmt.Errorf("allow[%d] %s: %w", i, r.Text, err)
			}
		} else if rf.Burst != 0 {
			return nil, fmt.Errorf("allow[%d] %s: burst without rate", i, r.Text)
		}
		a.Rules = append(a.Rules, rule)
	}
	a.bearer = "Bearer " + a.key
	a.rateKey = "{" + a.Name + "}:rl:app"
	a.idemPrefix = "{" + a.Name + "}:idem:"
	for _, r := range a.Rules {
		r.rateKey = "{" + a.Name + "}:rl:" + r.Route.Text
	}
	return a, nil
}

var currencyRE = regexp.MustCompile(`^[a-z]{3}$`)

func limitsOf(max int64, currencies []string) (Limits, error) {
	var l Limits
	if max < 0 {
		return l, fmt.Errorf("max_amount %d: must be positive", max)
	}
	l.MaxAmount = max
	if currencies != nil {
		if len(currencies) == 0 {
			return l, errors.New("currencies = []: would deny every currency; leave it out to allow any")
		}
		l.Currencies = map[string]bool{}
		for _, c := range currencies {
			c = strings.ToLower(c)
			if !currencyRE.MatchString(c) {
				return l, fmt.Errorf("currencies: %q is not a three-letter ISO code", c)
			}
			l.Currencies[c] = true
		}
	}
	return l, nil
}

// match returns the most specific rule allowing method and path segments.
func (a *App) match(method string, segs []string) *Rule {
	var best *Rule
	for _, r := range a.Rules {
		if r.Route.Method != method || !r.Route.Match(segs) {
			continue
		}
		if best == nil || moreSpecific(r.Route, best.Route) {
			best = r
		}
	}
	return best
}

// lookup finds the app of a presented token.
func (p *Policy) lookup(tok string) *App { return p.byToken[HashToken(tok)] }

// App returns the app named name, or nil.
func (p *Policy) App(name string) *App {
	for _, a := range p.Apps {
		if a.Name == name {
			return a
		}
	}
	return nil
}
