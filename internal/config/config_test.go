package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/rules"
)

func init() {
	rules.Register(&rules.Rule{ID: "configtest/rule", Threat: finding.KeyExposure, Severity: finding.High, Name: "n", Description: "d", Mitigation: "m"})
}

func TestLoad(t *testing.T) {
	cases := []struct {
		name, toml, wantErr string
		check               func(*testing.T, *Config)
	}{
		{name: "empty", toml: "", check: func(t *testing.T, c *Config) {
			if c.FailOnSev != finding.SeverityUnknown || len(c.Disabled) != 0 {
				t.Errorf("unexpected %+v", c)
			}
		}},
		{name: "full", toml: `
exclude = ["tests/fixtures/", "*.log"]
disable = ["configtest/rule"]
fail_on = "medium"
include_vendored = true
max_file_size = 2048
show_publishable = true
[severity]
"configtest/rule" = "low"
`, check: func(t *testing.T, c *Config) {
			if !c.Disabled["configtest/rule"] || c.Overrides["configtest/rule"] != finding.Low || c.FailOnSev != finding.Medium ||
				len(c.Exclude) != 2 || !c.IncludeVendored || c.MaxFileSize != 2048 || !c.ShowPublishable {
				t.Errorf("unexpected %+v", c)
			}
		}},
		{name: "unknown key", toml: "exclud = []\n", wantErr: "unknown key exclud"},
		{name: "unknown nested key", toml: "[severty]\nx = 1\n", wantErr: "unknown key severty"},
		{name: "unknown rule", toml: `disable = ["nope/rule"]`, wantErr: `unknown rule id "nope/rule"`},
		{name: "bad severity", toml: "[severity]\n\"configtest/rule\" = \"urgent\"\n", wantErr: "unknown severity"},
		{name: "bad fail_on", toml: `fail_on = "sometimes"`, wantErr: "fail_on"},
		{name: "syntax", toml: `exclude = [`, wantErr: ".stripeguard.toml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(c.toml), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(dir, "")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, cfg)
		})
	}
}

func TestMissingFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir, ""); err != nil {
		t.Errorf("missing default config must be fine: %v", err)
	}
	if _, err := Load(dir, filepath.Join(dir, "nope.toml")); err == nil {
		t.Error("missing explicit --config must be an error")
	}
}

func TestTyposquatTable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, []byte("[typosquat]\nallow = [\"stripe-python\"]\nprotect = [\"acme_billing\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Typosquat.Allow) != 1 || c.Typosquat.Protect[0] != "acme_billing" {
		t.Errorf("%+v", c.Typosquat)
	}
	for _, bad := range []string{"[typosquat]\nallow = [\"not a name\"]\n", "[typosquat]\nignore = [\"x\"]\n"} {
		if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir, ""); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
