// Package rules is the registry of every rule stripeguard can report. Rules
// are data: each analyzer package declares its rules in its own rules.go and
// registers them from init. A rule id is "<package>/<name>", so the package
// that owns a rule is read from its id (e.g. "secrets/stripe-live-secret-key"
// lives in internal/analyzer/secrets).
package rules

import (
	"fmt"
	"regexp"
	"sort"
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Rule describes one kind of finding.
type Rule struct {
	ID       string
	Threat   finding.Threat
	Severity finding.Severity // default; a finding may raise or lower it
	// Name is a short title ("Live secret key").
	Name string
	// Description says what the rule means and why it matters.
	Description string
	// Mitigation is the fix, phrased as an instruction.
	Mitigation string
	// MitigationID names the entry of the threat's mitigation checklist
	// that a finding of this rule shows to be missing.
	MitigationID string
	// Contradicts names other checklist entries every finding of this rule
	// shows missing (a key hard-coded as an environment default is not
	// "read from the environment"), so that no checklist marks in place
	// what the report's own findings deny.
	Contradicts []string
	// Vulnerable and Fixed are short examples shown by `stripeguard rules`
	// and in docs/rules.md.
	Vulnerable string
	Fixed      string
	// HelpURI points at further reading.
	HelpURI string
}

var (
	mu  sync.RWMutex
	all = map[string]*Rule{}
)

var idRE = regexp.MustCompile(`^[a-z]+/[a-z0-9-]+$`)

// Register adds rules; it panics on a malformed or duplicate rule because
// that is a programming error caught by any test run.
func Register(rs ...*Rule) {
	mu.Lock()
	defer mu.Unlock()
	for _, r := range rs {
		if !idRE.MatchString(r.ID) {
			panic(fmt.Sprintf("rules: malformed rule id %q", r.ID))
		}
		if !r.Threat.Valid() {
			panic(fmt.Sprintf("rules: %s has invalid threat %q", r.ID, r.Threat))
		}
		if r.Severity == finding.SeverityUnknown {
			panic(fmt.Sprintf("rules: %s has no severity", r.ID))
		}
		if r.Name == "" || r.Description == "" || r.Mitigation == "" {
			panic(fmt.Sprintf("rules: %s needs a name, description and mitigation", r.ID))
		}
		if _, dup := all[r.ID]; dup {
			panic(fmt.Sprintf("rules: duplicate rule id %q", r.ID))
		}
		all[r.ID] = r
	}
}

// Lookup returns the rule with that id, or nil.
func Lookup(id string) *Rule {
	mu.RLock()
	defer mu.RUnlock()
	return all[id]
}

// All returns every registered rule ordered by threat (report order), then id.
func All() []*Rule {
	mu.RLock()
	out := make([]*Rule, 0, len(all))
	for _, r := range all {
		out = append(out, r)
	}
	mu.RUnlock()
	order := map[finding.Threat]int{}
	for i, t := range finding.Threats {
		order[t] = i
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Threat != out[j].Threat {
			return order[out[i].Threat] < order[out[j].Threat]
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// New fills a Finding's rule-derived fields (id, threat, default severity,
// mitigation) so analyzers only add location, message and evidence.
func (r *Rule) New() *finding.Finding {
	return &finding.Finding{RuleID: r.ID, Threat: r.Threat, Severity: r.Severity, Mitigation: r.Mitigation}
}
