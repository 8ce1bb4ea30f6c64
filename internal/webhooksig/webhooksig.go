// Package webhooksig signs and verifies Stripe webhook signatures
// (Stripe-Signature: t=<unix>,v1=<hex>[,v1=...][,v0=...]).
//
// The verifier accepts exactly what stripe-python accepts for well-formed
// headers and is stricter than every Stripe SDK for malformed ones: exactly
// one Stripe-Signature header, exactly one t of 1-10 ASCII digits without a
// leading zero, every item key=value with a single '=', v1 values of exactly
// 64 lowercase hex digits, printable ASCII only, no empty items. Only v1 is
// ever checked (v0 and other schemes are ignored after syntax checks). Any
// configured secret may match any v1 (rotation). Stale events are rejected
// (default 300 s; an explicit zero tolerance rejects everything, it never
// disables the check) and so are events too far in the future (default 60 s
// skew, which no SDK checks).
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Defaults.
const (
	DefaultTolerance  = 300 * time.Second
	DefaultFutureSkew = 60 * time.Second
	// MaxHeaderLen bounds the work spent on one header.
	MaxHeaderLen = 4096
	// MaxSignatures bounds the number of v1 values considered.
	MaxSignatures = 8
	// MaxSecrets bounds the number of secrets (rotation plus a few endpoints).
	MaxSecrets = 16
)

// Sign returns lowercase hex HMAC-SHA256(key = secret bytes as written,
// including "whsec_", message = decimal t + "." + body).
func Sign(secret string, t int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	var tb [20]byte
	m.Write(strconv.AppendInt(tb[:0], t, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Header builds "t=<t>,v1=<sig>[,v1=...]", one v1 per secret, in order.
func Header(t int64, body []byte, secrets ...string) string {
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(t, 10))
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(Sign(s, t, body))
	}
	return b.String()
}

// Reason is a machine-readable rejection cause; it is used as a metric label
// and in the 400 response body.
type Reason string

const (
	MissingHeader     Reason = "missing-header"
	MultipleHeaders   Reason = "multiple-headers"
	MalformedHeader   Reason = "malformed-header"
	NoV1Signature     Reason = "no-v1-signature"
	SignatureMismatch Reason = "signature-mismatch"
	TimestampTooOld   Reason = "timestamp-too-old"
	TimestampInFuture Reason = "timestamp-in-future"
)

// Reasons lists every Reason (for pre-registering metric labels).
var Reasons = []Reason{MissingHeader, MultipleHeaders, MalformedHeader, NoV1Signature, SignatureMismatch, TimestampTooOld, TimestampInFuture}

// Error is the error Verify returns.
type Error struct {
	Reason Reason
	Msg    string
}

func (e *Error) Error() string { return "stripe-signature " + string(e.Reason) + ": " + e.Msg }

// ReasonOf returns the Reason of a verification error, or "" if err is not one.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func fail(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Msg: fmt.Sprintf(format, args...)}
}

// Options tunes a Verifier. The zero value gives the defaults.
type Options struct {
	// Tolerance is the maximum age of an event; 0 means DefaultTolerance.
	// Negative values are refused by New. To express "tolerance 0" (as a
	// user typing --tolerance 0 means it) set RejectAll: a zero tolerance
	// never disables the check.
	Tolerance time.Duration
	// RejectAll makes every otherwise valid event "timestamp-too-old"; it is
	// what a user-supplied tolerance of 0 maps to.
	RejectAll bool
	// FutureSkew is how far in the future t may be; 0 means
	// DefaultFutureSkew. Negative values are refused by New.
	FutureSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier verifies Stripe-Signature headers. It is safe for concurrent use
// and immutable: to rotate secrets, build a new one and swap it in.
type Verifier struct {
	keys      []key
	tolerance time.Duration
	rejectAll bool
	skew      time.Duration
	now       func() time.Time
}

type key struct {
	redacted string
	pool     *sync.Pool // of hash.Hash (HMAC keyed with the secret)
}

// CheckSecret refuses secrets that cannot be a Stripe webhook signing
// secret. An empty secret would let anyone forge events (stripe-python and
// stripe-go accept HMACs made with an empty key), and an API key used as a
// webhook secret is a leaked credential.
func CheckSecret(s string) error {
	if s == "" {
		return errors.New("webhook secret is empty: refusing to start (an empty HMAC key lets anyone forge events)")
	}
	if strings.TrimSpace(s) == "" {
		return errors.New("webhook secret is only whitespace: refusing to start")
	}
	for _, p := range []string{"sk_", "rk_", "pk_"} {
		if strings.HasPrefix(strings.TrimSpace(s), p) {
			return fmt.Errorf("!!! webhook secret %s LOOKS LIKE A STRIPE API KEY (%s...), NOT A WEBHOOK SIGNING SECRET (whsec_...). "+
				"Refusing to start. If this key was put in webhook configuration it may be exposed: roll it in the Stripe dashboard",
				finding.Redact(strings.TrimSpace(s)), p)
		}
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return fmt.Errorf("webhook secret %s contains whitespace (copy/paste error?): refusing to start", finding.Redact(strings.TrimSpace(s)))
	}
	if !strings.HasPrefix(s, "whsec_") || len(s) == len("whsec_") {
		return fmt.Errorf("webhook secret %s does not look like a Stripe webhook signing secret (want whsec_...): refusing to start", finding.Redact(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return fmt.Errorf("webhook secret %s contains non-printable or non-ASCII bytes: refusing to start", finding.Redact(s))
		}
	}
	return nil
}

// New builds a Verifier for one or more secrets (all are tried: rotation).
func New(secrets []string, opt Options) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("no webhook secret configured: refusing to start")
	}
	if len(secrets) > MaxSecrets {
		return nil, fmt.Errorf("%d webhook secrets configured, at most %d are supported", len(secrets), MaxSecrets)
	}
	if opt.Tolerance < 0 {
		return nil, fmt.Errorf("negative tolerance %s", opt.Tolerance)
	}
	if opt.FutureSkew < 0 {
		return nil, fmt.Errorf("negative future skew %s", opt.FutureSkew)
	}
	v := &Verifier{tolerance: opt.Tolerance, rejectAll: opt.RejectAll, skew: opt.FutureSkew, now: opt.Now}
	if v.tolerance == 0 {
		v.tolerance = DefaultTolerance
	}
	if v.skew == 0 {
		v.skew = DefaultFutureSkew
	}
	if v.now == nil {
		v.now = time.Now
	}
	seen := map[string]bool{}
	for _, s := range secrets {
		if err := CheckSecret(s); err != nil {
			return nil, err
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		kb := []byte(s)
		v.keys = append(v.keys, key{
			redacted: finding.Redact(s),
			pool:     &sync.Pool{New: func() any { return hmac.New(sha256.New, kb) }},
		})
	}
	return v, nil
}

// Secrets returns the configured secrets, redacted (prefix + last 4), for logs.
func (v *Verifier) Secrets() []string {
	out := make([]string, len(v.keys))
	for i, k := range v.keys {
		out[i] = k.redacted
	}
	return out
}

// Tolerance returns the effective tolerance (0 when RejectAll).
func (v *Verifier) Tolerance() time.Duration {
	if v.rejectAll {
		return 0
	}
	return v.tolerance
}

// FutureSkew returns the effective future skew.
func (v *Verifier) FutureSkew() time.Duration { return v.skew }

// parsed is the result of parsing one header value.
type parsed struct {
	t    int64
	sigs [MaxSignatures][sha256.Size]byte
	n    int
}

// parse applies the strict syntax. It never allocates on the success path.
func parse(h string, p *parsed) *Error {
	if len(h) > MaxHeaderLen {
		return fail(MalformedHeader, "header longer than %d bytes", MaxHeaderLen)
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c < 0x21 || c > 0x7e {
			return fail(MalformedHeader, "byte 0x%02x at offset %d (only printable ASCII without spaces is allowed)", c, i)
		}
	}
	haveT := false
	for rest := h; ; {
		item := rest
		more := false
		if i := strings.IndexByte(rest, ','); i >= 0 {
			item, rest, more = rest[:i], rest[i+1:], true
		}
		eq := strings.IndexByte(item, '=')
		if eq < 0 {
			if item == "" {
				return fail(MalformedHeader, "empty item (stray comma)")
			}
			return fail(MalformedHeader, "item without '='")
		}
		k, val := item[:eq], item[eq+1:]
		if k == "" || val == "" {
			return fail(MalformedHeader, "empty key or value")
		}
		if strings.IndexByte(val, '=') >= 0 {
			return fail(MalformedHeader, "more than one '=' in an item")
		}
		switch k {
		case "t":
			if haveT {
				return fail(MalformedHeader, "more than one t")
			}
			haveT = true
			if len(val) > 10 || (len(val) > 1 && val[0] == '0') {
				return fail(MalformedHeader, "t must be 1-10 decimal digits without leading zero")
			}
			var t int64
			for i := 0; i < len(val); i++ {
				c := val[i]
				if c < '0' || c > '9' {
					return fail(MalformedHeader, "t must be decimal digits")
				}
				t = t*10 + int64(c-'0')
			}
			p.t = t
		case "v1":
			if len(val) != 2*sha256.Size {
				return fail(MalformedHeader, "v1 must be 64 lowercase hex digits")
			}
			if p.n == MaxSignatures {
				return fail(MalformedHeader, "more than %d v1 signatures", MaxSignatures)
			}
			dst := &p.sigs[p.n]
			for i := 0; i < sha256.Size; i++ {
				hi, ok1 := unhex(val[2*i])
				lo, ok2 := unhex(val[2*i+1])
				if !ok1 || !ok2 {
					return fail(MalformedHeader, "v1 must be 64 lowercase hex digits")
				}
				dst[i] = hi<<4 | lo
			}
			p.n++
		default:
			// v0 and any other scheme: ignored (downgrade protection), but
			// the key must look like a scheme name.
			for i := 0; i < len(k); i++ {
				c := k[i]
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
					return fail(MalformedHeader, "unexpected key")
				}
			}
		}
		if !more {
			break
		}
	}
	if !haveT {
		return fail(MalformedHeader, "no t")
	}
	if p.n == 0 {
		return fail(NoV1Signature, "no v1 signature (v0 and other schemes are ignored)")
	}
	return nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Verify checks the values of the Stripe-Signature header (all of them, as
// http.Header.Values returns) against the raw body. It returns the signed
// timestamp. Errors are *Error.
func (v *Verifier) Verify(headerValues []string, body []byte) (int64, error) {
	switch {
	case len(headerValues) == 0 || (len(headerValues) == 1 && headerValues[0] == ""):
		return 0, fail(MissingHeader, "no Stripe-Signature header")
	case len(headerValues) > 1:
		return 0, fail(MultipleHeaders, "%d Stripe-Signature headers (Stripe sends exactly one)", len(headerValues))
	}
	var p parsed
	if err := parse(headerValues[0], &p); err != nil {
		return 0, err
	}
	if !v.match(p.t, p.sigs[:p.n], body) {
		return 0, fail(SignatureMismatch, "no v1 signature matches a configured secret")
	}
	now := v.now()
	ts := time.Unix(p.t, 0)
	// Same boundary as stripe-python: reject if t < now - tolerance with a
	// sub-second clock, so never more permissive.
	if v.rejectAll || ts.Before(now.Add(-v.tolerance)) {
		return p.t, fail(TimestampTooOld, "timestamp %d older than tolerance %s", p.t, v.Tolerance())
	}
	if ts.After(now.Add(v.skew)) {
		return p.t, fail(TimestampInFuture, "timestamp %d more than %s in the future", p.t, v.skew)
	}
	return p.t, nil
}

func (v *Verifier) match(t int64, sigs [][sha256.Size]byte, body []byte) bool {
	var tb [24]byte
	msg := append(strconv.AppendInt(tb[:0], t, 10), '.')
	ok := 0
	var sum [sha256.Size]byte
	for _, k := range v.keys {
		m := k.pool.Get().(hash.Hash)
		m.Reset()
		m.Write(msg)
		m.Write(body)
		got := m.Sum(sum[:0])
		k.pool.Put(m)
		for i := range sigs {
			ok |= subtle.ConstantTimeCompare(got, sigs[i][:])
		}
	}
	return ok == 1
}
