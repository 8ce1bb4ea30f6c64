package expect

import (
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
)

func TestLoadAndCompare(t *testing.T) {
	dir := t.TempDir()
	src := "def ok():  # expect: clean  # observe: m.one\n    pass\n\n\ndef bad():\n    x = 1  # expect: r/one r/two\n    y = 2  # expect: other/rule\n"
	if err := os.WriteFile(filepath.Join(dir, "a.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	fx, err := Load(dir, "r/")
	if err != nil {
		t.Fatal(err)
	}
	if len(fx.Wants) != 2 || len(fx.Cleans) != 1 || len(fx.Observes) != 1 {
		t.Fatalf("wants=%v cleans=%v observes=%v", fx.Wants, fx.Cleans, fx.Observes)
	}
	if c := fx.Cleans[0]; c.Start != 1 || c.End != 2 || c.Name != "ok" {
		t.Errorf("clean = %+v", c)
	}
	got := []*finding.Finding{
		{RuleID: "r/one", File: "a.py", Line: 6},
		{RuleID: "r/one", File: "a.py", Line: 2}, // in the clean function
		{RuleID: "other/x", File: "a.py", Line: 1},
	}
	scores, clean := Compare(fx, got, "r/")
	if s := scores["r/one"]; s.TP != 1 || s.FP != 1 || s.FN != 0 || s.Precision() != 0.5 {
		t.Errorf("r/one = %+v", s)
	}
	if s := scores["r/two"]; s.TP != 0 || s.FN != 1 || s.Recall() != 0 {
		t.Errorf("r/two = %+v", s)
	}
	if len(clean) != 1 {
		t.Errorf("clean violations = %v", clean)
	}
	if m := MissingObservations(fx, nil); len(m) != 1 {
		t.Errorf("missing observations = %v", m)
	}
	obs := []*finding.Observation{{Mitigation: "m.one", State: finding.InPlace, File: "a.py", Line: 1}}
	if m := MissingObservations(fx, obs); len(m) != 0 {
		t.Errorf("missing observations = %v", m)
	}
}

func TestMaterialize(t *testing.T) {
	src := []byte("a = \"sk_live_FAKEFAKEFAKE0000000000000001\"\nb = 'whsec_FAKEFAKEFAKE00000000000002'\nc = 'sk_live_FAKEFAKEFAKE0000000000000001'\n")
	out := strings.Split(string(Materialize(src)), "\n")
	if len(out) != 4 {
		t.Fatalf("lines changed: %q", out)
	}
	a, b, c := out[0][5:5+8+24], out[1][5:5+6+32], out[2][5:5+8+24]
	if !secrets.IsRealKey(a) || !secrets.IsRealKey(b) {
		t.Errorf("templates must become real-format keys: %q %q", a, b)
	}
	if a != c {
		t.Error("the same template must give the same key")
	}
}
