// Package mitigation is the checklist of each threat: the controls a Stripe
// integration should have. The report marks each one in place, missing or not
// checked from what the scan observed.
package mitigation

import (
	"sort"
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Mitigation is one control of a threat's checklist.
type Mitigation struct {
	ID     string
	Threat finding.Threat
	Title  string
	// CheckedBy names the analyzers that can decide this mitigation; when
	// none of them ran, the report says "not checked".
	CheckedBy []string
	// NeedsEvidence means silence proves nothing: the control is in place
	// only when an analyzer observed it (e.g. "keys come from the
	// environment"), not merely when no finding contradicts it.
	NeedsEvidence bool
}

var (
	mu  sync.RWMutex
	all []*Mitigation
	ids = map[string]*Mitigation{}
)

// Register adds mitigations to the catalogue; analyzer packages call it from
// init for the controls they can check.
func Register(ms ...*Mitigation) {
	mu.Lock()
	defer mu.Unlock()
	for _, m := range ms {
		if old, ok := ids[m.ID]; ok {
			// Two analyzers may check the same control (static code and
			// the runtime probe): merge who checks it.
			old.CheckedBy = append(old.CheckedBy, m.CheckedBy...)
			continue
		}
		c := *m
		ids[m.ID] = &c
		all = append(all, &c)
	}
}

// Lookup returns the mitigation with that id, or nil.
func Lookup(id string) *Mitigation {
	mu.RLock()
	defer mu.RUnlock()
	return ids[id]
}

// ForThreat returns a threat's checklist in registration order.
func ForThreat(t finding.Threat) []*Mitigation {
	mu.RLock()
	defer mu.RUnlock()
	var out []*Mitigation
	for _, m := range all {
		if m.Threat == t {
			out = append(out, m)
		}
	}
	return out
}

// Status is the verdict on one mitigation for a report.
type Status struct {
	Mitigation *Mitigation
	State      finding.MitigationState
	// Evidence is why: observations, for Missing the findings that show
	// it (as "rule_id at file:line"), for the undecided states the reason.
	Evidence []string
}

// Fallback evidence when an analyzer that decides a control ran but said
// nothing specific about it.
const (
	NoProblemFound = "checked; no problem found"
	NothingApplies = "checked; nothing in the scanned tree it applies to"
)

// Evaluate turns observations and findings into a checklist. ran is the set
// of analyzer names that ran in this scan. In order of precedence:
//
//   - Missing: a finding whose rule names the mitigation (missingFromFindings)
//     or a Missing observation;
//   - InPlace: an InPlace observation (positive evidence), or, for a control
//     that does not need evidence, an analyzer that checks it ran and found
//     nothing wrong;
//   - NoData: the analyzer ran without the data it needs;
//   - NotApplicable: the analyzer ran and the tree holds nothing the control
//     applies to (said by an observation, or a control that needs evidence
//     and got none);
//   - NotChecked: no analyzer that decides it ran (the report adds why).
func Evaluate(t finding.Threat, obs []*finding.Observation, missingFromFindings map[string][]string, ran map[string]bool) []Status {
	var out []Status
	for _, m := range ForThreat(t) {
		st := Status{Mitigation: m, State: finding.NotChecked}
		checked := false
		for _, a := range m.CheckedBy {
			if ran[a] {
				checked = true
			}
		}
		by := map[finding.MitigationState][]string{}
		for _, o := range obs {
			if o.Mitigation != m.ID {
				continue
			}
			d := o.Detail
			if o.File != "" {
				d += " (" + o.File
				if o.Line > 0 {
					d += ":" + itoa(o.Line)
				}
				d += ")"
			}
			by[o.State] = append(by[o.State], d)
		}
		missing := append(by[finding.Missing], missingFromFindings[m.ID]...)
		switch {
		case len(missing) > 0:
			st.State, st.Evidence = finding.Missing, dedupe(missing)
		case len(by[finding.InPlace]) > 0:
			st.State, st.Evidence = finding.InPlace, dedupe(by[finding.InPlace])
		case len(by[finding.NoData]) > 0:
			st.State, st.Evidence = finding.NoData, dedupe(by[finding.NoData])
		case len(by[finding.NotApplicable]) > 0:
			st.State, st.Evidence = finding.NotApplicable, dedupe(by[finding.NotApplicable])
		case checked && m.NeedsEvidence:
			st.State, st.Evidence = finding.NotApplicable, []string{NothingApplies}
		case checked:
			st.State, st.Evidence = finding.InPlace, []string{NoProblemFound}
		}
		out = append(out, st)
	}
	return out
}

var checkers = map[string]string{}

// DescribeChecker records how a checker that is not a scan analyzer is run
// (e.g. "probe": "`stripeguard probe URL` against a running endpoint"), so
// that a scan report can say how to check what it could not.
func DescribeChecker(name, how string) {
	mu.Lock()
	defer mu.Unlock()
	checkers[name] = how
}

// CheckerHow returns what DescribeChecker recorded, "" for scan analyzers.
func CheckerHow(name string) string {
	mu.RLock()
	defer mu.RUnlock()
	return checkers[name]
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
