// Package expect scores Python analyzers against fixtures that carry their
// own expectations: a trailing comment `# expect: rule/id [rule/id…]` on the
// line a finding must point at, and `# expect: clean` on a def line for a
// function that must produce no finding of the analyzer's rules;
// `# observe: mitigation.id` marks a line that must carry an in-place
// observation, `# missing: mitigation.id` one that must carry a missing
// observation.
package expect

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
)

// Want is one expected finding.
type Want struct {
	File string
	Line int
	Rule string
}

func (w Want) String() string { return fmt.Sprintf("%s:%d %s", w.File, w.Line, w.Rule) }

// Clean is a function range that must stay free of findings.
type Clean struct {
	File       string
	Start, End int
	Name       string
}

// Fixture is a parsed fixture project.
type Fixture struct {
	Project  *pyast.Project
	Wants    []Want
	Cleans   []Clean
	Observes []Want // Rule holds the mitigation id
	Missings []Want // Rule holds the mitigation id
}

var (
	expectRE  = regexp.MustCompile(`#\s*expect:\s*([a-z0-9/ ,-]+?)\s*(?:#.*)?$`)
	observeRE = regexp.MustCompile(`#\s*observe:\s*([a-z0-9. ,-]+?)\s*(?:#.*)?$`)
	missingRE = regexp.MustCompile(`#\s*missing:\s*([a-z0-9. ,-]+?)\s*(?:#.*)?$`)
)

// fakeRE marks key templates in fixtures: "sk_live_FAKEFAKEFAKE…0001". The
// repository holds no key-shaped literal (secret scanners, this one
// included, would rightly object); tests see a real-format key instead.
var fakeRE = regexp.MustCompile(`(sk|rk|pk)_(live|test)_FAKEFAKEFAKE0*([0-9]+)|whsec_FAKEFAKEFAKE0*([0-9]+)`)

// Materialize replaces every key template with a deterministic key of the
// real format (24 base62 characters, 32 for whsec_), same line.
func Materialize(src []byte) []byte {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return fakeRE.ReplaceAllFunc(src, func(m []byte) []byte {
		sub := fakeRE.FindSubmatch(m)
		prefix, n, seedText := "", 24, sub[3]
		if len(sub[1]) > 0 {
			prefix = string(sub[1]) + "_" + string(sub[2]) + "_"
		} else {
			prefix, n, seedText = "whsec_", 32, sub[4]
		}
		seed := uint32(2166136261)
		for _, c := range []byte(prefix + string(seedText)) {
			seed = (seed ^ uint32(c)) * 16777619
		}
		out := []byte(prefix)
		for i := 0; i < n; i++ {
			seed = seed*1664525 + 1013904223
			out = append(out, alnum[(seed>>16)%uint32(len(alnum))])
		}
		return out
	})
}

// Load parses every .py file under dir (paths relative to dir) and reads
// the expectations whose rule ids start with prefix.
func Load(dir, prefix string) (*Fixture, error) {
	fx := &Fixture{}
	var mods []*pyast.Module
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".py") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		src = Materialize(src)
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		m, err := pyast.ParseModule(rel, src, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		mods = append(mods, m)
		for i, line := range strings.Split(string(src), "\n") {
			if om := observeRE.FindStringSubmatch(line); om != nil {
				for _, id := range strings.Fields(strings.ReplaceAll(om[1], ",", " ")) {
					fx.Observes = append(fx.Observes, Want{File: rel, Line: i + 1, Rule: id})
				}
			}
			if om := missingRE.FindStringSubmatch(line); om != nil {
				for _, id := range strings.Fields(strings.ReplaceAll(om[1], ",", " ")) {
					fx.Missings = append(fx.Missings, Want{File: rel, Line: i + 1, Rule: id})
				}
			}
			mm := expectRE.FindStringSubmatch(line)
			if mm == nil {
				continue
			}
			for _, r := range strings.FieldsFunc(mm[1], func(c rune) bool { return c == ' ' || c == ',' }) {
				switch {
				case r == "clean":
					if f := funcAtLine(m, i+1); f != nil {
						fx.Cleans = append(fx.Cleans, Clean{File: rel, Start: f.Node.Line, End: endLine(m, f.Node), Name: f.Qual})
					} else {
						return fmt.Errorf("%s:%d: expect: clean is not on a def line", rel, i+1)
					}
				case strings.HasPrefix(r, prefix):
					fx.Wants = append(fx.Wants, Want{File: rel, Line: i + 1, Rule: r})
				}
			}
		}
		return nil
	})
	fx.Project = pyast.NewProject(mods)
	return fx, err
}

func funcAtLine(m *pyast.Module, line int) *pyast.Func {
	for _, f := range m.Funcs {
		if f.Node.Line == line {
			return f
		}
	}
	return nil
}

func endLine(m *pyast.Module, n *pyast.Node) int {
	return strings.Count(string(m.Src[:n.End]), "\n") + 1
}

// Score is per-rule precision and recall.
type Score struct {
	Rule          string
	TP, FP, FN    int
	Missed, Extra []string
}

func (s Score) Precision() float64 {
	if s.TP+s.FP == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FP)
}

func (s Score) Recall() float64 {
	if s.TP+s.FN == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FN)
}

// Compare matches findings (of rules with the prefix) against the wants;
// a finding inside a clean range is a false positive of its rule even if
// some want names it.
func Compare(fx *Fixture, got []*finding.Finding, prefix string) (map[string]*Score, []string) {
	scores := map[string]*Score{}
	sc := func(r string) *Score {
		if scores[r] == nil {
			scores[r] = &Score{Rule: r}
		}
		return scores[r]
	}
	want := map[Want]bool{}
	for _, w := range fx.Wants {
		want[w] = true
		sc(w.Rule)
	}
	seen := map[Want]bool{}
	var cleanViolations []string
	for _, f := range got {
		if !strings.HasPrefix(f.RuleID, prefix) {
			continue
		}
		k := Want{File: f.File, Line: f.Line, Rule: f.RuleID}
		if seen[k] {
			continue
		}
		seen[k] = true
		for _, c := range fx.Cleans {
			if c.File == f.File && f.Line >= c.Start && f.Line <= c.End {
				cleanViolations = append(cleanViolations, fmt.Sprintf("%s in clean %s: %s", k, c.Name, f.Message))
			}
		}
		s := sc(f.RuleID)
		if want[k] {
			s.TP++
		} else {
			s.FP++
			s.Extra = append(s.Extra, k.String()+" "+f.Message)
		}
	}
	for _, w := range fx.Wants {
		if !seen[w] {
			s := sc(w.Rule)
			s.FN++
			s.Missed = append(s.Missed, w.String())
		}
	}
	return scores, cleanViolations
}

// Table renders scores sorted by rule.
func Table(scores map[string]*Score) string {
	var rs []string
	for r := range scores {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	var b strings.Builder
	fmt.Fprintf(&b, "%-45s %4s %4s %4s %9s %7s\n", "rule", "TP", "FP", "FN", "precision", "recall")
	for _, r := range rs {
		s := scores[r]
		fmt.Fprintf(&b, "%-45s %4d %4d %4d %9.2f %7.2f\n", r, s.TP, s.FP, s.FN, s.Precision(), s.Recall())
	}
	return b.String()
}

// MissingObservations lists the `# observe:` marks with no matching
// in-place observation and the `# missing:` marks with no matching
// missing observation.
func MissingObservations(fx *Fixture, obs []*finding.Observation) []string {
	var out []string
	check := func(ws []Want, state finding.MitigationState) {
		for _, w := range ws {
			found := false
			for _, o := range obs {
				if o.File == w.File && o.Line == w.Line && o.Mitigation == w.Rule && o.State == state {
					found = true
				}
			}
			if !found {
				out = append(out, w.String()+" ("+string(state)+")")
			}
		}
	}
	check(fx.Observes, finding.InPlace)
	check(fx.Missings, finding.Missing)
	return out
}

// UnexpectedMissing lists missing observations of the given mitigation
// that no `# missing:` mark announces (the idempotency check must not
// claim a control is missing where the fixture shows it in place).
func UnexpectedMissing(fx *Fixture, obs []*finding.Observation, mitigation string) []string {
	var out []string
	for _, o := range obs {
		if o.Mitigation != mitigation || o.State != finding.Missing {
			continue
		}
		found := false
		for _, w := range fx.Missings {
			if o.File == w.File && o.Line == w.Line && o.Mitigation == w.Rule {
				found = true
			}
		}
		if !found {
			out = append(out, fmt.Sprintf("%s:%d %s: %s", o.File, o.Line, o.Mitigation, o.Detail))
		}
	}
	return out
}
