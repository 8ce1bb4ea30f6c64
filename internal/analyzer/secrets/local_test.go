package secrets

import (
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// TestTestFixtures: values in test code are reported low with the context
// "test fixture"; live keys stay critical there; the same values outside
// test code (twins whose path only contains "test") keep their severity;
// throwaway values are placeholders.
func TestTestFixtures(t *testing.T) {
	wh := whsec + secretstest.Body(32, 200)
	test := secretstest.Key(skTest, 99, 201)
	rtest := secretstest.Key(rkTest, 24, 202)
	live := secretstest.Key(skLive, 24, 203)
	tests := []struct {
		rel, data string
		rule      string // "" = no finding
		sev       finding.Severity
		fixture   bool
	}{
		{"tests/test_webhooks.py", "SECRET = \"" + wh + "\"\n", "secrets/stripe-webhook-secret", finding.Low, true},
		{"tests/conftest.py", "stripe.api_key = '" + test + "'\n", "secrets/stripe-test-secret-key", finding.Low, true},
		{"billing/tests.py", "KEY = '" + rtest + "'\n", "secrets/stripe-test-restricted-key", finding.Low, true},
		{"test_signing.py", "sig = sign(payload, '" + wh + "')\n", "secrets/stripe-webhook-secret", finding.Low, true},
		{"billing/signing_test.py", "W = '" + wh + "'\n", "secrets/stripe-webhook-secret", finding.Low, true},
		{"tests/fixtures/event.json", "{\"secret\": \"" + wh + "\"}\n", "secrets/stripe-webhook-secret", finding.Low, true},
		{"tests/settings.py", "STRIPE_WEBHOOK_SECRET = '" + wh + "'\n", "secrets/stripe-webhook-secret", finding.Low, true},
		// A live key is never a fixture.
		{"tests/test_charges.py", "stripe.api_key = '" + live + "'\n", "secrets/stripe-live-secret-key", finding.Critical, false},
		// Twins outside test code.
		{"billing/latest.py", "SECRET = \"" + wh + "\"\n", "secrets/stripe-webhook-secret", finding.High, false},
		{"contest/settings.py", "KEY = '" + test + "'\n", "secrets/stripe-test-secret-key", finding.Medium, false},
		{"app/testimonials.py", "W = '" + wh + "'\n", "secrets/stripe-webhook-secret", finding.High, false},
		// Throwaway values are placeholders, in tests or not.
		{"tests/test_webhooks.py", "sign(payload, \"" + whsec + "WRONGSECRETWRONGSECRETWRONG000000\")\n", "", 0, false},
		{"tests/test_webhooks.py", "BAD = '" + whsec + "invalidSignatureSecretFor401Tests'\n", "", 0, false},
		{"app/config.py", "W = '" + whsec + "Q7hBnQ7hBnQ7hBnZ4kLmQ7hBn2Xc9Vw1'\n", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.rel+"/"+tt.rule, func(t *testing.T) {
			c := run(&source.File{Rel: tt.rel, Data: []byte(tt.data), Tracked: true}, analyzer.Options{})
			if tt.rule == "" {
				if len(c.Findings) != 0 {
					t.Fatalf("placeholder reported: %+v", c.Findings[0])
				}
				return
			}
			if len(c.Findings) != 1 {
				t.Fatalf("%d findings, want 1", len(c.Findings))
			}
			f := c.Findings[0]
			checkFinding(t, f)
			if f.RuleID != tt.rule || f.Severity != tt.sev || f.Line != 1 {
				t.Errorf("got %s %s line %d, want %s %s line 1", f.RuleID, f.Severity, f.Line, tt.rule, tt.sev)
			}
			if (f.Context == TestFixtureContext) != tt.fixture || tt.fixture != strings.Contains(f.Message, "test fixture") {
				t.Errorf("context %q message %q: fixture=%v", f.Context, f.Message, tt.fixture)
			}
		})
	}
}

// TestPermissionsOfLocalFiles: the world-readable check applies to the
// local files where keys are meant to live (dotenv, local settings,
// secrets and credentials files) and to logs, when git does not track
// them; never to a tracked file (0644 is git's default, and there the key
// is the finding) or to source files; and it names the credential, never
// calling a test value live.
func TestPermissionsOfLocalFiles(t *testing.T) {
	live := secretstest.Key(skLive, 24, 210)
	test := secretstest.Key(skTest, 24, 211)
	wh := whsec + secretstest.Body(32, 212)
	tests := []struct {
		name string
		file source.File
		// world-readable severity; SeverityUnknown = no such finding
		sev     finding.Severity
		what    string // the credential the message names
		inPlace bool   // keys.file-permissions observed in place
	}{
		{"tracked settings.py", source.File{Rel: "shop/settings.py", Mode: 0o644, Tracked: true, Data: []byte("K='" + live + "'\n")}, 0, "", false},
		{"tracked .env", source.File{Rel: ".env", Mode: 0o644, Tracked: true, Data: []byte("K=" + live + "\n")}, 0, "", false},
		{"tracked local_settings.py", source.File{Rel: "shop/local_settings.py", Mode: 0o644, Tracked: true, Data: []byte("K='" + live + "'\n")}, 0, "", false},
		{"untracked source file (no git)", source.File{Rel: "shop/settings.py", Mode: 0o644, Data: []byte("K='" + live + "'\n")}, 0, "", false},
		{"untracked local_settings.py", source.File{Rel: "shop/local_settings.py", Mode: 0o644, Data: []byte("K='" + live + "'\n")}, finding.Medium, "live secret key", false},
		{"ignored local_settings.py", source.File{Rel: "shop/local_settings.py", Mode: 0o644, Ignored: true, Data: []byte("K='" + live + "'\n")}, finding.Medium, "live secret key", false},
		{"ignored .env with a webhook secret", source.File{Rel: ".env", Mode: 0o640, Ignored: true, Data: []byte("W=" + wh + "\n")}, 0, "", false},
		{"ignored .env readable by all, webhook secret", source.File{Rel: ".env", Mode: 0o644, Ignored: true, Data: []byte("W=" + wh + "\n")}, finding.Medium, "webhook signing secret", false},
		{"ignored .env, test key only", source.File{Rel: ".env.local", Mode: 0o644, Ignored: true, Data: []byte("K=" + test + "\n")}, finding.Low, "test secret key", false},
		{"secrets.json owner-only", source.File{Rel: "config/secrets.json", Mode: 0o600, Ignored: true, Data: []byte(`{"k": "` + live + `"}`)}, 0, "", true},
		{"credentials file", source.File{Rel: ".credentials", Mode: 0o604, Data: []byte(live + "\n")}, finding.Medium, "live secret key", false},
		{"config.local.yaml", source.File{Rel: "config/app.local.yaml", Mode: 0o644, Data: []byte("key: " + live + "\n")}, finding.Medium, "live secret key", false},
		{"log file", source.File{Rel: "logs/app.log", Mode: 0o644, Data: []byte("auth " + live + "\n")}, finding.Medium, "live secret key", false},
		{"tracked log", source.File{Rel: "logs/app.log", Mode: 0o644, Tracked: true, Data: []byte("auth " + live + "\n")}, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.file
			f.Abs = "/srv/app/" + f.Rel
			c := run(&f, analyzer.Options{})
			var got *finding.Finding
			for _, x := range c.Findings {
				checkFinding(t, x)
				if x.RuleID == WorldReadableKeyFile.ID {
					got = x
				}
				if f.Ignored && !f.Tracked && source.IsLocalSecretFile(f.Base()) && x.RuleID != WorldReadableKeyFile.ID {
					t.Errorf("key in an ignored local file reported: %s", x.RuleID)
				}
			}
			switch {
			case tt.sev == 0 && got != nil:
				t.Fatalf("unexpected %s: %s", got.RuleID, got.Message)
			case tt.sev != 0 && got == nil:
				t.Fatalf("no world-readable finding")
			case got != nil:
				if got.Severity != tt.sev || !strings.Contains(got.Message, tt.what) {
					t.Errorf("severity %s message %q, want %s naming %q", got.Severity, got.Message, tt.sev, tt.what)
				}
				if tt.what != "live secret key" && strings.Contains(got.Message, "live") {
					t.Errorf("message calls a %s live: %q", tt.what, got.Message)
				}
			}
			if tt.inPlace != hasObservation(c, f.Rel, 0, MitigationPermissions, "in-place") {
				t.Errorf("keys.file-permissions in place = %v, want %v", !tt.inPlace, tt.inPlace)
			}
		})
	}
	for _, n := range []string{".env", "local_settings.py", "settings_local.py", "secrets.toml", ".secrets.toml", "credentials.json", "app.local.json", "config.local"} {
		if !source.IsLocalSecretFile(n) {
			t.Errorf("IsLocalSecretFile(%q) = false", n)
		}
	}
	for _, n := range []string{"settings.py", "secret_handler.py", "locale.py", "views.py", "credentials_helper.py", "secrets_manager.py", "localization.py"} {
		if source.IsLocalSecretFile(n) {
			t.Errorf("IsLocalSecretFile(%q) = true", n)
		}
	}
}
