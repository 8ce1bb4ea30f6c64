package probe

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/probe/probetest"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

const testSecret = probetest.Secret

func sortedIDs(r *Result) []string {
	ids := r.RuleIDs()
	slices.Sort(ids)
	return ids
}

func inPlace(r *Result) []string {
	var out []string
	for _, o := range r.Observations {
		if o.State == finding.InPlace && !slices.Contains(out, o.Mitigation) {
			out = append(out, o.Mitigation)
		}
	}
	slices.Sort(out)
	return out
}

const (
	unverified = "webhook/unverified-payload"
	emptySec   = "webhook/empty-secret"
	noWindow   = "webhook/replay-window-disabled"
	serverErr  = "probe/server-error"
	replayed   = "probe/replay-accepted"
	future     = "probe/future-timestamp-accepted"
)

// TestApps probes real Flask and FastAPI apps built on stripe-python 5.0.0.
// stripe-python raises TypeError on a non-ASCII v1 (so every app that calls
// it as the docs show answers 500: a low finding), accepts future
// timestamps (info), and the replay answered 2xx is info (the probe cannot
// see whether the app processed it twice), so a handler written as
// Stripe's docs show gets nothing above low. Each cause is one finding
// listing its deliveries.
func TestApps(t *testing.T) {
	py := testutil.NeedPython(t, "stripe", "flask", "fastapi", "uvicorn")
	tests := []struct {
		framework, app string
		// rule ids without and with --secret
		plain, signed []string
		// in-place mitigations with --secret
		signedInPlace []string
		// a warning that the valid control was rejected (with --secret)
		inconclusive bool
		// highest severity allowed with --secret (0: no bound)
		max finding.Severity
		// deliveries listed in one finding, by rule, without and with --secret
		plainCount, signedCount map[string]int
	}{
		{"flask", "verifying", []string{serverErr}, []string{future, serverErr, replayed},
			[]string{webhook.MitigationVerified, webhook.MitigationReplayWindow, webhook.MitigationSecret}, false, finding.Low,
			map[string]int{serverErr: 1}, map[string]int{serverErr: 1, replayed: 1, future: 1}},
		{"fastapi", "verifying", []string{serverErr}, []string{future, serverErr, replayed},
			[]string{webhook.MitigationVerified, webhook.MitigationReplayWindow, webhook.MitigationSecret}, false, finding.Low, nil, nil},
		// Dedupes by event id and answers 2xx to the duplicate: the probe
		// cannot tell it from a verifying app that does not (info).
		{"flask", "dedupe", []string{serverErr}, []string{future, serverErr, replayed},
			[]string{webhook.MitigationVerified, webhook.MitigationReplayWindow, webhook.MitigationSecret}, false, finding.Low, nil, nil},
		// Answers 409 to the duplicate: that shows it remembers events.
		{"flask", "dedupe-conflict", []string{serverErr}, []string{future, serverErr},
			[]string{webhook.MitigationVerified, webhook.MitigationReplayWindow, webhook.MitigationSecret, MitigationIdempotent}, false, finding.Low, nil, nil},
		// The fix the probe suggests (catch every verification error):
		// information only.
		{"flask", "catch-all", nil, []string{future, replayed},
			[]string{webhook.MitigationVerified, webhook.MitigationReplayWindow, webhook.MitigationSecret, webhook.MitigationFailsClosed}, false, finding.Info, nil, nil},
		// Stripe's sample-server shape: without a secret it accepts every
		// forgery, one critical finding listing them; with one, every
		// rejection is a 500 from the returned exception, one low finding
		// listing them.
		{"flask", "sample-no-secret", []string{unverified}, []string{unverified}, nil, false, 0,
			map[string]int{unverified: 5}, map[string]int{unverified: 6}},
		// (Without --secret every answer is a 500: inconclusive, and no
		// mitigation is shown in place by 5xx rejections.)
		{"flask", "sample-with-secret", []string{serverErr}, []string{future, serverErr, replayed},
			nil, false, finding.Low,
			map[string]int{serverErr: 6}, map[string]int{serverErr: 10, replayed: 1, future: 1}},
		{"flask", "non-verifying", []string{unverified}, []string{unverified}, nil, false, 0, map[string]int{unverified: 5}, map[string]int{unverified: 6}},
		{"fastapi", "non-verifying", []string{unverified}, []string{unverified}, nil, false, 0, nil, nil},
		{"flask", "fail-open", []string{unverified}, []string{unverified}, nil, false, 0, nil, nil},
		{"flask", "header-optional", []string{serverErr, unverified}, []string{serverErr, unverified},
			[]string{webhook.MitigationSecret, webhook.MitigationReplayWindow}, false, 0, nil, nil},
		{"flask", "swallowing", []string{serverErr, unverified}, []string{serverErr, unverified}, nil, false, 0, nil, nil},
		{"flask", "no-tolerance", []string{serverErr}, []string{future, serverErr, replayed, noWindow},
			[]string{webhook.MitigationVerified, webhook.MitigationSecret}, false, 0, nil, map[string]int{noWindow: 2}},
		{"flask", "tolerance-none", []string{serverErr}, []string{future, serverErr, replayed, noWindow},
			[]string{webhook.MitigationVerified, webhook.MitigationSecret}, false, 0, nil, nil},
		{"flask", "empty-secret", []string{emptySec, serverErr}, []string{emptySec, serverErr}, nil, true, 0, nil, nil},
		// 500 for everything: inconclusive, but the 5xx are reported
		{"flask", "secret-none", []string{serverErr}, []string{serverErr}, nil, true, 0, map[string]int{serverErr: 3}, map[string]int{serverErr: 8}},
		// valid deliveries fail too: the control is rejected
		{"flask", "body-not-raw", []string{serverErr}, []string{serverErr}, nil, true, 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.framework+"/"+tt.app, func(t *testing.T) {
			url := probetest.StartApp(t, py, tt.framework, tt.app)
			ctx := context.Background()

			plain, err := Run(ctx, url, Options{Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(tt.plain)
			slices.Sort(tt.signed)
			if got := sortedIDs(plain); !slices.Equal(got, tt.plain) {
				t.Errorf("without --secret: rules %v, want %v\n%s", got, tt.plain, dump(plain))
			}
			signed, err := Run(ctx, url, Options{Secret: testSecret, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedIDs(signed); !slices.Equal(got, tt.signed) {
				t.Errorf("with --secret: rules %v, want %v\n%s", got, tt.signed, dump(signed))
			}
			want := slices.Clone(tt.signedInPlace)
			slices.Sort(want)
			if got := inPlace(signed); !slices.Equal(got, want) {
				t.Errorf("with --secret: in-place mitigations %v, want %v\n%s", got, want, dump(signed))
			}
			gotWarn := slices.ContainsFunc(signed.Warnings, func(w *finding.Warning) bool { return w.Kind == WarnInconclusive })
			if gotWarn != tt.inconclusive {
				t.Errorf("inconclusive warning = %v, want %v: %+v", gotWarn, tt.inconclusive, signed.Warnings)
			}
			if len(plain.Warnings) != 0 && tt.app != "sample-with-secret" {
				t.Errorf("without --secret: unexpected warnings %+v", plain.Warnings)
			}
			for _, r := range []*Result{plain, signed} {
				checkFindings(t, r, url)
			}
			if tt.max != 0 {
				for _, f := range signed.Findings {
					if f.Severity > tt.max {
						t.Errorf("with --secret: %s at %s, above %s", f.RuleID, f.Severity, tt.max)
					}
				}
			}
			checkCounts(t, "without --secret", plain, tt.plainCount)
			checkCounts(t, "with --secret", signed, tt.signedCount)
			for _, r := range []*Result{plain, signed} {
				if !slices.Contains(r.Notes, ObservableNote) {
					t.Errorf("the report does not say what the probe can observe: %q", r.Notes)
				}
			}
		})
	}
}

// checkCounts: the finding of each rule lists that many deliveries.
func checkCounts(t *testing.T, what string, r *Result, want map[string]int) {
	t.Helper()
	for rule, n := range want {
		var f *finding.Finding
		for _, x := range r.Findings {
			if x.RuleID == rule {
				f = x
			}
		}
		if f == nil {
			t.Errorf("%s: no %s finding", what, rule)
			continue
		}
		got := strings.Count(f.Message, ": HTTP ")
		if got != n {
			t.Errorf("%s: %s lists %d deliveries, want %d: %s", what, rule, got, n, f.Message)
		}
	}
}

// checkFindings checks the fields every probe finding must have, and that
// each cause (rule) is one finding.
func checkFindings(t *testing.T, r *Result, url string) {
	t.Helper()
	if len(r.Findings) != len(r.RuleIDs()) {
		t.Errorf("%d findings for %d causes: one cause, one finding", len(r.Findings), len(r.RuleIDs()))
	}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if f.URL != url || f.File != "" || f.Context == "" || f.Key != f.Context || f.Fingerprint == "" {
			t.Errorf("bad location/identity: %+v", f)
		}
		if !strings.Contains(f.Message, f.Context) || !strings.Contains(f.Message, "HTTP ") {
			t.Errorf("message lacks case or status: %q", f.Message)
		}
		if !strings.HasPrefix(f.Evidence, "HTTP ") || len(f.Evidence) > 200 {
			t.Errorf("evidence %q", f.Evidence)
		}
		for _, s := range []string{f.Message, f.Evidence} {
			if strings.Contains(s, testSecret) {
				t.Errorf("secret leaked: %q", s)
			}
		}
		if seen[f.Fingerprint] {
			t.Errorf("duplicate fingerprint %s", f.Fingerprint)
		}
		seen[f.Fingerprint] = true
	}
}

func dump(r *Result) string {
	var b strings.Builder
	for _, c := range r.Cases {
		if c.Skipped {
			continue
		}
		fmt.Fprintf(&b, "  %-20s %d %s\n", c.Case.Name, c.Status, c.Snippet)
	}
	for _, o := range r.Observations {
		fmt.Fprintf(&b, "  obs %s %s: %s\n", o.Mitigation, o.State, o.Detail)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	return b.String()
}
