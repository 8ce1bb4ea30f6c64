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
// it answers 500), accepts future timestamps and does not dedupe, which is
// why the verifying apps show server-error, future and replay findings.
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
	}{
		{"flask", "verifying", []string{serverErr}, []string{future, serverErr, replayed},
			[]string{webhook.MitigationVerified, webhook.MitigationReplayWindow, webhook.MitigationSecret}, false},
		{"fastapi", "verifying", []string{serverErr}, []string{future, serverErr, replayed},
			[]string{webhook.MitigationVerified, webhook.MitigationReplayWindow, webhook.MitigationSecret}, false},
		{"flask", "non-verifying", []string{unverified}, []string{unverified}, nil, false},
		{"fastapi", "non-verifying", []string{unverified}, []string{unverified}, nil, false},
		{"flask", "fail-open", []string{unverified}, []string{unverified}, nil, false},
		{"flask", "header-optional", []string{serverErr, unverified}, []string{serverErr, unverified},
			[]string{webhook.MitigationSecret, webhook.MitigationReplayWindow}, false},
		{"flask", "swallowing", []string{serverErr, unverified}, []string{serverErr, unverified}, nil, false},
		{"flask", "no-tolerance", []string{serverErr}, []string{future, serverErr, replayed, noWindow},
			[]string{webhook.MitigationVerified, webhook.MitigationSecret}, false},
		{"flask", "tolerance-none", []string{serverErr}, []string{future, serverErr, replayed, noWindow},
			[]string{webhook.MitigationVerified, webhook.MitigationSecret}, false},
		{"flask", "empty-secret", []string{emptySec, serverErr}, []string{emptySec, serverErr}, nil, true},
		// 500 for everything: inconclusive, but the 5xx are reported
		{"flask", "secret-none", []string{serverErr}, []string{serverErr}, nil, true},
		// valid deliveries fail too: the control is rejected
		{"flask", "body-not-raw", []string{serverErr}, []string{serverErr}, nil, true},
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
			if len(plain.Warnings) != 0 {
				t.Errorf("without --secret: unexpected warnings %+v", plain.Warnings)
			}
			for _, r := range []*Result{plain, signed} {
				checkFindings(t, r, url)
			}
		})
	}
}

// checkFindings checks the fields every probe finding must have.
func checkFindings(t *testing.T, r *Result, url string) {
	t.Helper()
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
