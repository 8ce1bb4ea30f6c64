// Package verify asks the Stripe API whether a found secret key still works
// (stripeguard scan --verify). Each distinct key costs one read-only request,
// GET /v1/balance, with a short timeout, no retries, no redirects and no
// connection reuse; the answer becomes a finding.Verification. The key is
// sent only in the Authorization header, only over HTTPS (plain HTTP is
// allowed to a loopback address, for stripe-mock), and the response body is
// never shown: an error message may echo the key.
package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// DefaultBase is the Stripe API.
const DefaultBase = "https://api.stripe.com"

// DefaultTimeout bounds each request.
const DefaultTimeout = 5 * time.Second

// Path is the read-only endpoint asked: every secret key may read the
// balance; a restricted key without that permission gets 403, which still
// proves the key is live.
const Path = "/v1/balance"

// Options configure verification.
type Options struct {
	// Base is the API base URL (--stripe-api-base); default DefaultBase.
	Base string
	// Timeout per request; default DefaultTimeout.
	Timeout time.Duration
	// Concurrency bounds requests in flight; default 4.
	Concurrency int
	// UserAgent names the client.
	UserAgent string
}

// CheckBase rejects a base URL the key must not be sent to.
func CheckBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("--stripe-api-base %q: want an absolute http(s) URL", base)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--stripe-api-base %q: no credentials, query or fragment", base)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return fmt.Errorf("--stripe-api-base %q: keys are only sent over https (plain http only to a loopback address)", base)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Verifiable reports whether the API can tell if a credential works:
// secret and restricted keys, live or test. Webhook signing secrets are
// never sent anywhere; publishable keys are public.
func Verifiable(key string) bool {
	for _, p := range []string{"sk_live_", "rk_live_", "sk_test_", "rk_test_"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// Verifier checks keys against one API base.
type Verifier struct {
	opt    Options
	client *http.Client
}

// New returns a verifier; the base URL must pass CheckBase.
func New(opt Options) (*Verifier, error) {
	if opt.Base == "" {
		opt.Base = DefaultBase
	}
	if err := CheckBase(opt.Base); err != nil {
		return nil, err
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "stripeguard"
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// One request per key and nothing else: no keep-alive means a request
	// is never replayed on a fresh connection after a broken reused one.
	tr.DisableKeepAlives = true
	c := &http.Client{
		Transport: tr,
		Timeout:   opt.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return &Verifier{opt: opt, client: c}, nil
}

// Check asks the API about one key.
func (v *Verifier) Check(ctx context.Context, key string) finding.Verification {
	endpoint := strings.TrimRight(v.opt.Base, "/") + Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return finding.Verification{State: finding.KeyUnknown, Detail: "request not built: " + err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("User-Agent", v.opt.UserAgent)
	resp, err := v.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return finding.Verification{State: finding.KeyUnknown, Detail: fmt.Sprintf("GET %s: no answer within %s", Path, v.opt.Timeout)}
		}
		return finding.Verification{State: finding.KeyUnknown, Detail: fmt.Sprintf("GET %s failed: %s", Path, cause(err))}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	status := fmt.Sprintf("GET %s: HTTP %d", Path, resp.StatusCode)
	if t := errorType(body); t != "" {
		status += " (" + t + ")"
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return finding.Verification{State: finding.KeyActive, Detail: status}
	case resp.StatusCode == http.StatusUnauthorized:
		return finding.Verification{State: finding.KeyInactive, Detail: status + ": the key is invalid, rolled or deleted"}
	case resp.StatusCode == http.StatusForbidden:
		return finding.Verification{State: finding.KeyActive, Detail: status + ": the key works but may not read the balance (a restricted key)"}
	case resp.StatusCode == http.StatusTooManyRequests:
		return finding.Verification{State: finding.KeyUnknown, Detail: status + ": rate limited"}
	}
	return finding.Verification{State: finding.KeyUnknown, Detail: status}
}

// errorType reads Stripe's error.type and error.code, never the message
// (which can quote the key).
func errorType(body []byte) string {
	var e struct {
		Error struct {
			Type string `json:"type"`
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	t := safeWord(e.Error.Type)
	if c := safeWord(e.Error.Code); c != "" {
		if t != "" {
			t += ", "
		}
		t += c
	}
	return t
}

// safeWord keeps an identifier-like string (error types and codes are
// snake_case) and drops anything else.
func safeWord(s string) string {
	if len(s) > 64 || strings.Contains(s, "k_live_") || strings.Contains(s, "k_test_") {
		return ""
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return s
}

// cause is the innermost error text, without the URL.
func cause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// Findings verifies every distinct verifiable secret among fs once and sets
// Verification on each finding holding it.
func (v *Verifier) Findings(ctx context.Context, fs []*finding.Finding) {
	by := map[string][]*finding.Finding{}
	var keys []string
	for _, f := range fs {
		if f == nil || !Verifiable(f.Secret) {
			continue
		}
		if by[f.Secret] == nil {
			keys = append(keys, f.Secret)
		}
		by[f.Secret] = append(by[f.Secret], f)
	}
	results := make([]finding.Verification, len(keys))
	sem := make(chan struct{}, v.opt.Concurrency)
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = v.Check(ctx, k)
		}()
	}
	wg.Wait()
	for i, k := range keys {
		for _, f := range by[k] {
			r := results[i]
			f.Verification = &r
		}
	}
}
