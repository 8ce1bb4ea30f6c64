package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

// recorded is one delivery as the server saw it.
type recorded struct {
	body, header string
}

// endpoint is a Go webhook handler on 127.0.0.1 with a pluggable decision.
type endpoint struct {
	mu   sync.Mutex
	seen []recorded
	ids  map[string]bool
}

func eventID(body []byte) string {
	var e struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &e)
	return e.ID
}

// serve starts a handler whose decide returns the status for a delivery.
func serve(t *testing.T, decide func(ep *endpoint, r *http.Request, body []byte) int, respBody string) (*httptest.Server, *endpoint) {
	t.Helper()
	ep := &endpoint{ids: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ep.mu.Lock()
		ep.seen = append(ep.seen, recorded{string(body), r.Header.Get("Stripe-Signature")})
		status := decide(ep, r, body)
		ep.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprint(w, respBody)
	}))
	t.Cleanup(srv.Close)
	return srv, ep
}

// strict verifies with webhooksig (which also bounds future timestamps) and
// answers 409 to an event id it already processed.
func strict(t *testing.T, anyScheme bool) func(*endpoint, *http.Request, []byte) int {
	v, err := webhooksig.New([]string{testSecret}, webhooksig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return func(ep *endpoint, r *http.Request, body []byte) int {
		hdr := r.Header.Values("Stripe-Signature")
		if anyScheme && len(hdr) == 1 {
			// A hand-rolled verifier that takes v0 as well as v1.
			hdr = []string{strings.Replace(hdr[0], ",v0=", ",v1=", 1)}
		}
		if _, err := v.Verify(hdr, body); err != nil {
			return http.StatusBadRequest
		}
		id := eventID(body)
		if ep.ids[id] {
			return http.StatusConflict
		}
		ep.ids[id] = true
		return http.StatusOK
	}
}

func TestRun(t *testing.T) {
	acceptAll := func(*endpoint, *http.Request, []byte) int { return http.StatusOK }
	notFound := func(*endpoint, *http.Request, []byte) int { return http.StatusNotFound }
	redirect := func(*endpoint, *http.Request, []byte) int { return http.StatusPermanentRedirect }
	fail500 := func(*endpoint, *http.Request, []byte) int { return http.StatusInternalServerError }
	allMitigations := []string{webhook.MitigationVerified, webhook.MitigationSecret, webhook.MitigationReplayWindow, webhook.MitigationFailsClosed, MitigationIdempotent}
	slices.Sort(allMitigations)
	tests := []struct {
		name     string
		decide   func(*endpoint, *http.Request, []byte) int
		respBody string
		secret   string
		rules    []string
		inPlace  []string
		warn     bool
		note     string // substring of a note
	}{
		{name: "strict with secret", decide: strict(t, false), secret: testSecret, inPlace: allMitigations},
		{name: "strict without secret", decide: strict(t, false),
			inPlace: []string{webhook.MitigationFailsClosed, webhook.MitigationSecret, webhook.MitigationVerified}, note: "without --secret"},
		{name: "strict, wrong secret", decide: strict(t, false), secret: "whsec_not_the_endpoints_secret_0000",
			warn: true, note: "valid control was rejected"},
		{name: "any scheme", decide: strict(t, true), secret: testSecret, rules: []string{DowngradeV0.ID},
			inPlace: []string{MitigationIdempotent, webhook.MitigationReplayWindow, webhook.MitigationSecret}},
		{name: "accept all, echoes secret", decide: acceptAll, respBody: `{"received": true, "secret": "` + testSecret + `"}`, secret: testSecret,
			rules: []string{unverified}, note: "implied"},
		{name: "not found", decide: notFound, secret: testSecret, warn: true, note: "inconclusive"},
		{name: "redirects", decide: redirect, warn: true, note: "inconclusive"},
		{name: "500 on everything", decide: fail500, secret: testSecret, warn: true, note: "inconclusive",
			rules: []string{serverErr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ep := serve(t, tt.decide, tt.respBody)
			res, err := Run(context.Background(), srv.URL+"/webhooks/stripe", Options{Secret: tt.secret})
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedIDs(res); !slices.Equal(got, tt.rules) {
				t.Errorf("rules %v, want %v\n%s", got, tt.rules, dump(res))
			}
			if got := inPlace(res); !slices.Equal(got, tt.inPlace) {
				t.Errorf("in place %v, want %v\n%s", got, tt.inPlace, dump(res))
			}
			gotWarn := slices.ContainsFunc(res.Warnings, func(w *finding.Warning) bool { return w.Kind == WarnInconclusive })
			if gotWarn != tt.warn {
				t.Errorf("inconclusive warning = %v, want %v: %+v", gotWarn, tt.warn, res.Warnings)
			}
			if tt.note != "" && !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, tt.note) }) {
				t.Errorf("no note containing %q in %q", tt.note, res.Notes)
			}
			checkFindings(t, res, srv.URL+"/webhooks/stripe")
			checkDeliveries(t, ep, res)
		})
	}
}

// checkDeliveries: one request per case that ran, a fresh event id each
// except the replay, which repeats the control byte for byte.
func checkDeliveries(t *testing.T, ep *endpoint, res *Result) {
	t.Helper()
	var ran []*CaseResult
	for _, c := range res.Cases {
		if !c.Skipped {
			ran = append(ran, c)
		}
	}
	if len(ep.seen) != len(ran) {
		t.Fatalf("%d requests for %d cases", len(ep.seen), len(ran))
	}
	ids := map[string]string{}
	for i, c := range ran {
		d := ep.seen[i]
		id := eventID([]byte(d.body))
		if !strings.HasPrefix(id, "evt_stripeguard_probe_") {
			t.Errorf("%s: event id %q", c.Case.Name, id)
		}
		if c.Case.Name == "replay" {
			valid := ep.seen[i-1]
			if ran[i-1].Case.Name != "valid" || d != valid {
				t.Errorf("replay is not the valid delivery again")
			}
			continue
		}
		if prev, dup := ids[id]; dup {
			t.Errorf("%s reuses the event id of %s", c.Case.Name, prev)
		}
		ids[id] = c.Case.Name
		if strings.Contains(d.header, testSecret) || strings.Contains(d.body, testSecret) {
			t.Errorf("%s: secret sent in the clear", c.Case.Name)
		}
	}
}

func TestRunUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/webhooks/stripe"
	srv.Close() // the port is now closed
	_, err := Run(context.Background(), url, Options{Timeout: 2 * time.Second})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8000/webhooks/stripe", true},
		{"https://staging.example.com/stripe", true},
		{"127.0.0.1:8000/webhooks/stripe", false},
		{"ftp://127.0.0.1/x", false},
		{"http:///webhooks", false},
		{"", false},
		{"http://[::1", false},
	}
	for _, tt := range tests {
		_, err := CheckURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) err = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

// TestBattery checks the table itself: names unique, rules registered, the
// replay right after the control, and the static rule ids reused.
func TestBattery(t *testing.T) {
	seen := map[string]bool{}
	for i, c := range Battery {
		if seen[c.Name] || c.Name == "" || c.Title == "" || c.Build == nil || c.Role == 0 {
			t.Errorf("bad case %d %+v", i, c)
		}
		seen[c.Name] = true
		if (c.Role == Control) != (c.Rule == nil) {
			t.Errorf("%s: role %d with rule %v", c.Name, c.Role, c.Rule)
		}
		if c.Rule != nil && rules.Lookup(c.Rule.ID) != c.Rule {
			t.Errorf("%s: rule %s not registered", c.Name, c.Rule.ID)
		}
		if c.Name == "replay" && (i == 0 || Battery[i-1].Name != "valid") {
			t.Errorf("replay must follow valid")
		}
	}
	want := map[string]string{
		"unsigned": unverified, "garbage-header": unverified, "wrong-secret": unverified, "v0-only": unverified,
		"tampered-body": unverified, "non-ascii-signature": unverified, "empty-key": emptySec,
		"stale-10m": noWindow, "stale-1d": noWindow, "future-1d": future, "replay": replayed,
		"v0-downgrade": DowngradeV0.ID,
	}
	for _, c := range Battery {
		if c.Rule != nil && want[c.Name] != c.Rule.ID {
			t.Errorf("%s maps to %s, want %s", c.Name, c.Rule.ID, want[c.Name])
		}
	}
	for _, id := range []string{webhook.MitigationVerified, webhook.MitigationSecret, webhook.MitigationReplayWindow, webhook.MitigationFailsClosed} {
		m := mitigation.Lookup(id)
		if m == nil {
			t.Fatalf("%s not registered", id)
		}
		n := 0
		for _, a := range m.CheckedBy {
			if a == Name {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: CheckedBy %v, want %q exactly once", id, m.CheckedBy, Name)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("x", 70) + testSecret + strings.Repeat("y", 100)
	tests := []struct {
		name, body, secret, want string
	}{
		{"short", `{"received": true}`, "", `{"received": true}`},
		{"whitespace collapsed", "<html>\n  <h1>500</h1>\r\n</html>\n", "", "<html> <h1>500</h1> </html>"},
		{"cut at 80 bytes", strings.Repeat("a", 200), "", strings.Repeat("a", 80)},
		{"cut on a rune boundary", strings.Repeat("a", 79) + "é", "", strings.Repeat("a", 79)},
		{"invalid UTF-8", "ok\xff", "", "ok\uFFFD"},
		{"secret across the cut", long, testSecret, (strings.Repeat("x", 70) + finding.Redact(testSecret) + strings.Repeat("y", 100))[:80]},
	}
	for _, tt := range tests {
		got := snippet([]byte(tt.body), tt.secret)
		if got != tt.want {
			t.Errorf("%s: snippet = %q, want %q", tt.name, got, tt.want)
		}
		if tt.secret != "" && strings.Contains(got, tt.secret[:12]) {
			t.Errorf("%s: secret prefix leaked in %q", tt.name, got)
		}
	}
}
