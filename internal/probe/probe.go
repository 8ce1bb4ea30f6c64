// Package probe sends a battery of Stripe webhook deliveries (forged,
// malformed, stale, replayed and one valid control) to a running endpoint
// and turns what it accepted into webhook-forgery findings and mitigation
// observations. It is meant for loopback and staging endpoints: a vulnerable
// endpoint acts on the forged test-mode events it receives.
//
// Only a 2xx answer counts as accepted. Findings reuse the static webhook
// rule ids where a live answer means the same (webhook/unverified-payload,
// webhook/empty-secret, webhook/replay-window-disabled) and use probe/...
// rules (rules.go) for what only a live endpoint shows.
package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Options tune a run.
type Options struct {
	// Secret is the endpoint's test-mode signing secret (whsec_...). Cases
	// that need it are skipped when it is empty.
	Secret string
	// Timeout bounds each request (default 5 s).
	Timeout time.Duration
	// UserAgent is sent with every delivery (default "stripeguard-probe").
	UserAgent string
	// Client overrides the HTTP client (tests); redirects are never followed.
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// CaseResult is what the endpoint answered to one case.
type CaseResult struct {
	Case *Case
	// Skipped: the case needs --secret and none was given.
	Skipped bool
	Status  int
	// StatusLine is "HTTP 400 Bad Request"; Snippet the first 80 bytes of
	// the response body (secret removed).
	StatusLine string
	Snippet    string
}

// Accepted reports a 2xx answer.
func (r *CaseResult) Accepted() bool { return !r.Skipped && r.Status >= 200 && r.Status < 300 }

// Result is everything one run produced.
type Result struct {
	// Target is the probed URL as shown in reports (password redacted).
	Target       string
	Findings     []*finding.Finding
	Observations []*finding.Observation
	Warnings     []*finding.Warning
	Notes        []string
	Cases        []*CaseResult
}

// RuleIDs returns the distinct rule ids of the findings, in order of first
// appearance.
func (r *Result) RuleIDs() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.RuleID] {
			seen[f.RuleID] = true
			out = append(out, f.RuleID)
		}
	}
	return out
}

// ErrUnreachable wraps transport errors (connection refused, timeout...).
var ErrUnreachable = errors.New("endpoint unreachable")

// CheckURL accepts absolute http(s) URLs with a host.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q: want an http or https URL with a host", raw)
	}
	return u, nil
}

// Run sends the battery to target and interprets the answers. It returns an
// error (wrapping ErrUnreachable for transport failures) when a delivery
// gets no HTTP answer at all; then there are no results.
func Run(ctx context.Context, target string, opt Options) (*Result, error) {
	u, err := CheckURL(target)
	if err != nil {
		return nil, err
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "stripeguard-probe"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	client := opt.Client
	if client == nil {
		client = &http.Client{}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	st := &state{
		secret:      opt.Secret,
		wrongSecret: "whsec_stripeguard_probe_" + randomHex(16),
		now:         opt.Now().Unix(),
		newID:       func() string { return randomHex(12) },
		sent:        map[string]Delivery{},
	}
	res := &Result{}
	for i := range Battery {
		tc := &Battery[i]
		cr := &CaseResult{Case: tc}
		res.Cases = append(res.Cases, cr)
		if tc.NeedsSecret && opt.Secret == "" {
			cr.Skipped = true
			continue
		}
		d := tc.Build(st)
		st.sent[tc.Name] = d
		if err := send(ctx, &c, target, d, opt, cr); err != nil {
			return nil, fmt.Errorf("%w: case %s: %v", ErrUnreachable, tc.Name, err)
		}
	}
	// Findings and messages show the URL without a password.
	res.Target = u.Redacted()
	interpret(res, res.Target, opt)
	return res, nil
}

func send(ctx context.Context, c *http.Client, target string, d Delivery, opt Options, cr *CaseResult) error {
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(d.Body))
	if err != nil {
		return err
	}
	// A fresh connection per case: servers may close the connection after
	// a 5xx (uvicorn does), and a POST is not retried on a reused one.
	req.Close = true
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", opt.UserAgent)
	if d.Header != "" {
		req.Header.Set("Stripe-Signature", d.Header)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Read more than is kept so that a secret echoed across the cut is
	// redacted whole before the snippet is cut to snippetLen bytes.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, int64(2*snippetLen+len(opt.Secret))))
	cr.Status = resp.StatusCode
	cr.StatusLine = "HTTP " + resp.Status
	cr.Snippet = snippet(b, opt.Secret)
	return nil
}

const snippetLen = 80

// snippet is the first snippetLen bytes of a response body with the secret
// redacted, as valid UTF-8 with whitespace runs collapsed.
func snippet(b []byte, secret string) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if secret != "" {
		s = strings.ReplaceAll(s, secret, finding.Redact(secret))
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > snippetLen {
		cut := snippetLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// interpret turns the answers into findings, observations and warnings.
func interpret(res *Result, target string, opt Options) {
	byName := map[string]*CaseResult{}
	var ran []*CaseResult
	for _, cr := range res.Cases {
		byName[cr.Case.Name] = cr
		if !cr.Skipped {
			ran = append(ran, cr)
		}
	}
	control := byName["valid"]
	controlOK := control != nil && control.Accepted()
	withSecret := opt.Secret != ""

	var forged []string
	for _, cr := range ran {
		if cr.Case.Role == Forgery && cr.Accepted() {
			forged = append(forged, cr.Case.Name)
		}
	}
	forgeable := len(forged) > 0

	// No answer was a 2xx or a 4xx other than 404/405: the URL is not the
	// webhook endpoint (wrong path, http->https redirect) or it is broken,
	// so its rejections mean nothing.
	notFound := len(ran) > 0
	for _, cr := range ran {
		if cr.Accepted() || rejected4xx(cr) {
			notFound = false
		}
	}
	if notFound {
		res.Warnings = append(res.Warnings, &finding.Warning{Kind: WarnInconclusive,
			Message: fmt.Sprintf("no delivery was answered 2xx or 4xx (first answer: %s): is %s the webhook endpoint, and is it up? The probe is inconclusive", ran[0].StatusLine, target)})
		res.Notes = append(res.Notes, "probe inconclusive: every delivery got a redirect, 404, 405 or 5xx")
	}
	if withSecret && !controlOK && !notFound {
		res.Warnings = append(res.Warnings, &finding.Warning{Kind: WarnInconclusive,
			Message: fmt.Sprintf("the valid control delivery signed with --secret was answered %s: the secret is not this endpoint's, the endpoint verifies a re-serialised body instead of the raw bytes, or it fails on valid events; the cases that need --secret are inconclusive", control.StatusLine)})
		res.Notes = append(res.Notes, "probe partly inconclusive: the valid control was rejected (wrong --secret or broken endpoint)")
	}

	// One cause, one finding: the deliveries that show it are listed in
	// it (five forged deliveries accepted is one missing verification,
	// ten 5xx answers one unhandled exception).
	var implied []string
	causes := map[string][]*CaseResult{}
	var order []*rules.Rule
	add := func(r *rules.Rule, cr *CaseResult) {
		if causes[r.ID] == nil {
			order = append(order, r)
		}
		causes[r.ID] = append(causes[r.ID], cr)
	}
	for _, cr := range ran {
		tc := cr.Case
		switch {
		case cr.Accepted() && tc.Rule != nil:
			if forgeable && tc.Role == Weakness {
				implied = append(implied, tc.Name)
				continue
			}
			add(tc.Rule, cr)
		case cr.Status >= 500 && tc.Role != Control:
			add(ServerError, cr)
		}
	}
	for _, r := range order {
		res.Findings = append(res.Findings, causeFinding(r, target, causes[r.ID]))
	}
	if len(implied) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("the endpoint accepts forged deliveries (%s); accepted weaker cases (%s) are implied and not reported separately",
			strings.Join(forged, ", "), strings.Join(implied, ", ")))
	}
	if !withSecret {
		res.Notes = append(res.Notes, "probe ran without --secret: the valid control, replay, tampered-body, v0-downgrade, stale and future cases were skipped")
	}
	res.Notes = append(res.Notes, ObservableNote)

	// Nothing is shown to be in place by an endpoint that rejects
	// everything, including the valid control.
	if notFound || (withSecret && !controlOK) {
		return
	}
	// A finding marks its mitigation missing; do not also claim it in place.
	missing := map[string]bool{}
	for _, f := range res.Findings {
		if r := rules.Lookup(f.RuleID); r != nil && r.MitigationID != "" {
			missing[r.MitigationID] = true
		}
	}
	obs := func(m, detail string) {
		if missing[m] {
			return
		}
		res.Observations = append(res.Observations, &finding.Observation{Mitigation: m, State: finding.InPlace, Detail: detail})
	}
	suffix := ""
	if !withSecret {
		suffix = " (no --secret: acceptance of a valid delivery was not tested)"
	}
	if !forgeable {
		var names []string
		for _, cr := range ran {
			if cr.Case.Role == Forgery && rejected4xx(cr) {
				names = append(names, cr.Case.Name)
			}
		}
		if len(names) > 0 {
			obs(webhook.MitigationVerified, fmt.Sprintf("rejected %d forged deliveries (%s)%s", len(names), strings.Join(names, ", "), suffix))
		}
	}
	if cr := byName["empty-key"]; cr != nil && rejected4xx(cr) {
		obs(webhook.MitigationSecret, "rejected a delivery signed with an empty secret")
	}
	stale10, stale1d := byName["stale-10m"], byName["stale-1d"]
	if stale10 != nil && stale1d != nil && rejected4xx(stale10) && rejected4xx(stale1d) {
		obs(webhook.MitigationReplayWindow, "accepted a fresh delivery, rejected ones signed 10 minutes and 1 day ago")
	}
	n, all4xx := 0, true
	for _, cr := range ran {
		if !cr.Case.MustReject {
			continue
		}
		n++
		if !rejected4xx(cr) {
			all4xx = false
		}
	}
	if n > 0 && all4xx {
		obs(webhook.MitigationFailsClosed, fmt.Sprintf("answered 4xx to all %d deliveries that must fail verification%s", n, suffix))
	}
	// A byte-identical replay of the accepted control can only be told
	// apart by remembering it: rejecting it shows the app keeps processed
	// event ids. (Accepting it shows nothing either way.)
	if rp := byName["replay"]; rp != nil && controlOK && rejected4xx(rp) && !forgeable {
		obs(MitigationIdempotent, fmt.Sprintf("answered %s to a byte-identical replay of the accepted control delivery, so it remembers processed events (Stripe retries non-2xx answers: answering 2xx to a duplicate without processing it again avoids redeliveries)", rp.StatusLine))
	}
}

// ObservableNote says in every probe report what a live probe can and
// cannot observe.
const ObservableNote = "what the probe observes: only the HTTP status (and the first bytes of the body) of each delivery. It cannot see what the app did with an accepted delivery: whether it acted on a forged event, or processed the replayed one a second time (answering 2xx to a duplicate is what Stripe asks for when the app de-duplicates by event id). Static analysis (stripeguard scan) and the app's own logs answer those"

// causeFinding is the one finding of a cause, listing the deliveries that
// show it with their answers.
func causeFinding(r *rules.Rule, target string, crs []*CaseResult) *finding.Finding {
	f := r.New()
	f.URL = target
	_, f.Key, _ = strings.Cut(r.ID, "/")
	f.Context = f.Key
	var list []string
	for _, cr := range crs {
		list = append(list, fmt.Sprintf("%s (%s): %s", cr.Case.Name, cr.Case.Title, cr.StatusLine))
	}
	n := len(crs)
	deliveries := fmt.Sprintf("%d deliveries", n)
	if n == 1 {
		deliveries = "1 delivery"
	}
	switch r {
	case ServerError:
		f.Message = fmt.Sprintf("The endpoint answered %s with a server error (%s): %s", deliveries, f.Context, strings.Join(list, "; "))
	case FutureTimestamp:
		f.Message = fmt.Sprintf("The endpoint accepted a correctly signed delivery dated a day in the future (%s): %s. No Stripe SDK bounds future timestamps; this matters only if the signing secret leaked", f.Context, strings.Join(list, "; "))
	case ReplayAccepted:
		f.Message = fmt.Sprintf("The endpoint answered 2xx to a byte-identical replay of the valid delivery (%s): %s. The probe cannot see whether the app processed the event again; if it records processed event ids and skips duplicates, this 2xx is what Stripe asks for", f.Context, strings.Join(list, "; "))
	default:
		f.Message = fmt.Sprintf("The endpoint accepted %s it must reject (%s): %s", deliveries, f.Context, strings.Join(list, "; "))
	}
	f.Evidence = crs[0].StatusLine
	if crs[0].Snippet != "" {
		f.Evidence += " " + crs[0].Snippet
	}
	if n > 1 {
		f.Evidence = fmt.Sprintf("%s (%s; %d deliveries)", f.Evidence, crs[0].Case.Name, n)
	}
	if !utf8.ValidString(f.Evidence) {
		f.Evidence = strings.ToValidUTF8(f.Evidence, "\uFFFD")
	}
	f.SetFingerprint(0)
	return f
}

// rejected4xx: the case ran and was answered with a 4xx that is not 404/405
// (those say the URL is wrong, not that the signature was checked).
func rejected4xx(cr *CaseResult) bool {
	return !cr.Skipped && cr.Status >= 400 && cr.Status < 500 &&
		cr.Status != http.StatusNotFound && cr.Status != http.StatusMethodNotAllowed
}
