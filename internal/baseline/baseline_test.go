package baseline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
)

func TestRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "baseline.json")
	fs := []*finding.Finding{{RuleID: "a/b", File: "x.py", Fingerprint: "f2"}, {RuleID: "a/c", Fingerprint: "f1"}}
	if err := Write(p, fs); err != nil {
		t.Fatal(err)
	}
	m, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || !m["f1"] || !m["f2"] {
		t.Errorf("got %v", m)
	}
	for name, content := range map[string]string{"garbage": "{", "version": `{"version": 9, "findings": []}`} {
		bad := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(bad, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bad); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}
