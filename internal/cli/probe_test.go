package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/probe/probetest"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// probeClosedURL is a 127.0.0.1 URL nothing listens on.
func probeClosedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/webhooks/stripe"
}

// TestProbeCommand runs `stripeguard probe` end to end against real
// stripe-python apps and checks the exit codes and the report.
func TestProbeCommand(t *testing.T) {
	py := testutil.NeedPython(t, "stripe", "flask")
	verifying := probetest.StartApp(t, py, "flask", "verifying")
	open := probetest.StartApp(t, py, "flask", "non-verifying")
	dir := t.TempDir()
	jsonOut := filepath.Join(dir, "report.json")
	t.Setenv("PROBE_TEST_SECRET", probetest.Secret)

	tests := []struct {
		name string
		args []string
		code int
		// substrings of stdout / stderr
		out, err string
	}{
		// verifying: only low/medium/info findings, below the default high
		{"verifying, default fail-on", []string{"probe", verifying}, ExitOK, "probe/server-error", ""},
		{"verifying with secret", []string{"probe", verifying, "--secret", probetest.Secret, "--format", "markdown"}, ExitOK, "probe/replay-accepted", ""},
		// Verifying as Stripe's docs show: nothing above low (the replay
		// answered 2xx is information), and the report says what the
		// probe cannot observe.
		{"verifying, fail-on medium", []string{"probe", "--secret-env", "PROBE_TEST_SECRET", "--fail-on", "medium", verifying}, ExitOK, "probe/replay-accepted", ""},
		{"verifying, fail-on info", []string{"probe", "--secret-env", "PROBE_TEST_SECRET", "--fail-on", "info", verifying}, ExitFindings, "cannot see what the app did", ""},
		{"verifying, fail-on low, no secret", []string{"probe", "--fail-on", "low", verifying}, ExitFindings, "probe/server-error", ""},
		{"non-verifying", []string{"probe", open, "--format", "sarif"}, ExitFindings, "webhook/unverified-payload", ""},
		{"non-verifying to file", []string{"probe", open, "--format", "json", "--output", jsonOut}, ExitFindings, "", ""},
		{"wrong secret is inconclusive", []string{"probe", verifying, "--secret", "whsec_not_this_endpoints_secret_1234"}, ExitOK, "", "valid control"},
		{"unreachable", []string{"probe", probeClosedURL(t)}, ExitError, "", "unreachable"},
		{"no URL", []string{"probe"}, ExitError, "", "one URL"},
		{"two URLs", []string{"probe", verifying, open}, ExitError, "", "one URL"},
		{"not http", []string{"probe", "ftp://127.0.0.1/x"}, ExitError, "", "invalid URL"},
		{"bad format", []string{"probe", verifying, "--format", "yaml"}, ExitError, "", "unknown format"},
		{"bad fail-on", []string{"probe", verifying, "--fail-on", "severe"}, ExitError, "", "--fail-on"},
		{"api key as secret", []string{"probe", verifying, "--secret", "sk_test_0123456789abcdef"}, ExitError, "", "--secret"},
		{"unset secret env", []string{"probe", verifying, "--secret-env", "PROBE_TEST_UNSET_VARIABLE"}, ExitError, "", "not set"},
		{"bad timeout", []string{"probe", verifying, "--timeout", "-1s"}, ExitError, "", "--timeout"},
		{"help", []string{"probe", "-h"}, ExitOK, "", "never at production"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := tt.args
			if tt.code != ExitError {
				// generous: the apps share two loaded CPUs
				args = append(slices.Clone(args), "--timeout", "30s")
			}
			code := Main(args, strings.NewReader(""), &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("stdout lacks %q:\n%s", tt.out, out.String())
			}
			if !strings.Contains(errb.String(), tt.err) {
				t.Errorf("stderr lacks %q:\n%s", tt.err, errb.String())
			}
			for _, s := range []string{out.String(), errb.String()} {
				if strings.Contains(s, probetest.Secret) {
					t.Errorf("secret printed")
				}
			}
		})
	}

	b, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(probetest.Secret)) {
		t.Error("secret in the JSON report")
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("--output is not JSON: %v\n%s", err, b)
	}
	for _, want := range []string{`"probe"`, open, "webhook/unverified-payload", "non-ascii-signature"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON report lacks %s", want)
		}
	}
}
