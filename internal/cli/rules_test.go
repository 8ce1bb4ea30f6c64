package cli

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md")

// docs/rules.md is generated; this keeps it in step with the registered rules.
func TestRulesDocIsCurrent(t *testing.T) {
	var buf bytes.Buffer
	WriteRulesMarkdown(&buf, rules.All())
	const path = "../../docs/rules.md"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/cli -run TestRulesDocIsCurrent -update)", err)
	}
	if !bytes.Equal(have, buf.Bytes()) {
		t.Fatal("docs/rules.md is stale: go test ./internal/cli -run TestRulesDocIsCurrent -update")
	}
}

// Every rule must be documented well enough for `stripeguard rules`.
func TestEveryRuleHasExamples(t *testing.T) {
	for _, r := range rules.All() {
		if r.Vulnerable == "" || r.Fixed == "" {
			t.Errorf("%s: needs Vulnerable and Fixed examples", r.ID)
		}
		// Info rules record facts without a control to mark missing.
		if r.MitigationID == "" && r.Severity > finding.Info {
			t.Errorf("%s: needs a MitigationID so findings mark the checklist", r.ID)
		}
	}
}

// The checklist entries a rule marks missing exist, in the rule's threat.
func TestRuleMitigationsExist(t *testing.T) {
	for _, r := range rules.All() {
		ids := append([]string(nil), r.Contradicts...)
		if r.MitigationID != "" {
			ids = append(ids, r.MitigationID)
		}
		for _, id := range ids {
			m := mitigation.Lookup(id)
			if m == nil {
				t.Errorf("%s names unknown mitigation %q", r.ID, id)
			} else if m.Threat != r.Threat {
				t.Errorf("%s (%s) names %s of another threat (%s)", r.ID, r.Threat, id, m.Threat)
			}
		}
	}
}
