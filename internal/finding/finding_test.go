package finding

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"sk_live_" + "abcdefghijklmnopqrstWXYZ":       "sk_live_…WXYZ",
		"whsec_" + "0123456789abcdef0123456789abQRST": "whsec_…QRST",
		"rk_test_" + "short":                          "rk_test_…",
		"plainsecretvalue1234":                        "…1234",
		"tiny":                                        "…",
	}
	for in, want := range cases {
		got := Redact(in)
		if got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
		if len(in) > 12 && strings.Contains(got, in[len(in)-8:]) {
			t.Errorf("Redact(%q) shows more than 4 trailing characters", in)
		}
	}
}

func TestSeverity(t *testing.T) {
	for _, s := range []Severity{Info, Low, Medium, High, Critical} {
		got, err := ParseSeverity(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Errorf("round trip %v: %v %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Error("want error")
	}
	if !(Critical > High && High > Medium && Medium > Low && Low > Info) {
		t.Error("severities must be ordered")
	}
	b, _ := json.Marshal(struct{ S Severity }{High})
	if string(b) != `{"S":"high"}` {
		t.Errorf("json = %s", b)
	}
}

func TestFingerprint(t *testing.T) {
	a := &Finding{RuleID: "secrets/x", File: "a.py", Line: 3, Secret: "sk_live_1"}
	b := &Finding{RuleID: "secrets/x", File: "a.py", Line: 30, Secret: "sk_live_1"}
	a.SetFingerprint(0)
	b.SetFingerprint(0)
	if a.Fingerprint != b.Fingerprint {
		t.Error("line must not change the fingerprint")
	}
	b.SetFingerprint(1)
	if a.Fingerprint == b.Fingerprint {
		t.Error("occurrence must change the fingerprint")
	}
	c := &Finding{RuleID: "secrets/x", File: "b.py", Secret: "sk_live_1"}
	c.SetFingerprint(0)
	if c.Fingerprint == a.Fingerprint {
		t.Error("file must change the fingerprint")
	}
	if strings.Contains(a.Fingerprint, "sk_live") || len(a.Fingerprint) != 32 {
		t.Errorf("fingerprint %q", a.Fingerprint)
	}
}

func TestThreats(t *testing.T) {
	if len(Threats) != 5 {
		t.Fatal("the model has exactly five threats")
	}
	for _, th := range Threats {
		if !th.Valid() || th.Title() == string(th) {
			t.Errorf("%s: invalid or untitled", th)
		}
	}
	if Threat("x").Valid() {
		t.Error("unknown threat must be invalid")
	}
}
