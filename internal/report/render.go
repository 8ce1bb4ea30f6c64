package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
)

// Helpers every human-readable format shares, so that a location or a
// "not checked" reason reads the same in the terminal and in a PR.

// SafeEvidence is the last line of defence against printing a secret: the
// engine already redacts, but a format must not rely on every producer.
func SafeEvidence(f *finding.Finding, show bool) string {
	if show || f.Secret == "" || !strings.Contains(f.Evidence, f.Secret) {
		return f.Evidence
	}
	return strings.ReplaceAll(f.Evidence, f.Secret, finding.Redact(f.Secret))
}

// OneLine folds whitespace and joins lines with " ↵ ".
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") && !strings.Contains(s, "  ") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, " ↵ ")
}

// AndList joins names as "a, b and c".
func AndList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Location is file:line:col (with context and commit), the probed URL, or
// "(project)" for findings about the project as a whole.
func Location(f *finding.Finding) string {
	var s string
	switch {
	case f.File != "":
		s = f.File
		if f.Line > 0 {
			s += fmt.Sprintf(":%d", f.Line)
			if f.Column > 0 {
				s += fmt.Sprintf(":%d", f.Column)
			}
		}
	case f.URL != "":
		s = f.URL
	case f.History != nil && (f.Context != "" || f.Commit != ""):
		// A commit message or a dangling blob: the context says which.
	case f.Context != "":
		// Not in the tree (the advisory data): the context says where.
		return "(" + OneLine(f.Context) + ")"
	default:
		s = "(project)"
	}
	if f.Context != "" {
		if s == "" {
			s = OneLine(f.Context)
		} else {
			s += " (" + OneLine(f.Context) + ")"
		}
	}
	if f.Commit != "" {
		c := f.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " in commit " + c
	}
	return s
}

// StateWord is the word every human-readable format prints for a checklist
// state, and StateSymbol the text format's box; each state has its own.
func StateWord(s finding.MitigationState) string {
	switch s {
	case finding.InPlace:
		return "in place"
	case finding.Missing:
		return "missing"
	case finding.NotApplicable:
		return "n/a"
	case finding.NoData:
		return "no data"
	}
	return "not checked"
}

// StateSymbol is the checkbox of a state in the text format.
func StateSymbol(s finding.MitigationState) string {
	switch s {
	case finding.InPlace:
		return "[x]"
	case finding.Missing:
		return "[ ]"
	case finding.NotApplicable:
		return "[-]"
	case finding.NoData:
		return "[!]"
	}
	return "[?]"
}

// States lists the checklist states in the order summaries count them.
var States = []finding.MitigationState{finding.InPlace, finding.Missing, finding.NotApplicable, finding.NotChecked, finding.NoData}

// HistorySummary is one line about a secret found in git history: when and
// where it was introduced, how far it spread, whether the working tree still
// holds it and how its objects can be reached.
func HistorySummary(f *finding.Finding) string {
	h := f.History
	if h == nil {
		return ""
	}
	var parts []string
	if h.Reach == "dangling-blob" {
		b := h.Blob
		if len(b) > 12 {
			b = b[:12]
		}
		parts = append(parts, "blob "+b+", never committed")
	} else {
		intro := "introduced"
		if h.AuthorDate != "" {
			intro += " " + h.AuthorDate
		}
		if f.Commit != "" {
			c := f.Commit
			if len(c) > 12 {
				c = c[:12]
			}
			intro += " in " + c
		}
		parts = append(parts, intro)
		spread := fmt.Sprintf("%d commit%s", h.Commits, pluralS(h.Commits))
		if h.Paths > 0 {
			spread += fmt.Sprintf(", %d path%s", h.Paths, pluralS(h.Paths))
		}
		if h.Paths > 1 && len(h.PathList) > 0 {
			spread += " (" + strings.Join(h.PathList, ", ")
			if h.Paths > len(h.PathList) {
				spread += fmt.Sprintf(", +%d more", h.Paths-len(h.PathList))
			}
			spread += ")"
		}
		parts = append(parts, spread)
	}
	if h.InWorkingTree {
		parts = append(parts, "still in the working tree")
	} else {
		parts = append(parts, "not in the working tree")
	}
	switch h.Reach {
	case "reflog":
		parts = append(parts, "only the reflog reaches it")
	case "dangling-commit", "dangling-blob":
		parts = append(parts, "no ref reaches it ("+h.Reach+")")
	}
	if h.Partial {
		parts = append(parts, "shallow clone: may be older")
	}
	return strings.Join(parts, " · ")
}

// VerificationSummary is the Stripe API's verdict on a key, for humans.
func VerificationSummary(f *finding.Finding) string {
	v := f.Verification
	if v == nil {
		return ""
	}
	return v.State + " (" + v.Detail + ")"
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// NotCheckedReason says why a mitigation stayed "not checked": which of
// the analyzers that decide it did not run.
func NotCheckedReason(m *mitigation.Mitigation, ran map[string]bool) string {
	if len(m.CheckedBy) == 0 {
		return "no analyzer checks this"
	}
	var missing []string
	for _, a := range m.CheckedBy {
		if !ran[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) == len(m.CheckedBy) {
		return AndList(missing) + " did not run"
	}
	return "nothing decided it"
}

// ByThreat groups the findings in report order; findings whose threat is
// not one of the five (a producer bug) come back in other so formats can
// still show them.
func (r *Report) ByThreat() (by map[finding.Threat][]*finding.Finding, other []*finding.Finding) {
	by = map[finding.Threat][]*finding.Finding{}
	for _, f := range r.Findings {
		if f == nil {
			continue
		}
		if f.Threat.Valid() {
			by[f.Threat] = append(by[f.Threat], f)
		} else {
			other = append(other, f)
		}
	}
	return by, other
}

// Ran is the set of analyzers that ran, for "not checked" reasons.
func (r *Report) Ran() map[string]bool {
	m := map[string]bool{}
	for _, a := range r.Analyzers {
		m[a] = true
	}
	return m
}

// Routine warning kinds: a file skipped for a reason that needs no action
// (a binary image, a file over the size limit, a symlink not followed,
// Python past the analysis budget). Human formats count them by kind;
// parse errors, unreadable files and everything else stay listed one by
// one. JSON lists them all.
var routineKinds = map[string]string{
	finding.WarnBinary:   "binary",
	finding.WarnTooLarge: "over --max-file-size",
	finding.WarnSymlink:  "symlinks not followed",
	"budget":             "Python files past --python-budget",
}

// KindCount is how many routine warnings of one kind a report holds.
type KindCount struct {
	Kind, Label string
	N           int
}

// SplitWarnings separates routine skips (counted by kind, most frequent
// first) from the warnings a reader must see one by one (in report order).
func SplitWarnings(ws []*finding.Warning) (routine []KindCount, individual []*finding.Warning) {
	idx := map[string]int{}
	for _, w := range ws {
		if w == nil {
			continue
		}
		label, ok := routineKinds[w.Kind]
		if !ok {
			individual = append(individual, w)
			continue
		}
		i, seen := idx[w.Kind]
		if !seen {
			i = len(routine)
			idx[w.Kind] = i
			routine = append(routine, KindCount{Kind: w.Kind, Label: label})
		}
		routine[i].N++
	}
	sort.SliceStable(routine, func(i, j int) bool { return routine[i].N > routine[j].N })
	return routine, individual
}

// RoutineLine is "151 binary, 3 over --max-file-size" for routine counts.
func RoutineLine(routine []KindCount) string {
	var parts []string
	for _, k := range routine {
		parts = append(parts, fmt.Sprintf("%d %s", k.N, k.Label))
	}
	return strings.Join(parts, ", ")
}

// WarningLocation is "file:line" or "file" ("" without a file).
func WarningLocation(w *finding.Warning) string {
	if w.File == "" {
		return ""
	}
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d", w.File, w.Line)
	}
	return w.File
}

// FilesLine is "12 files scanned, 2 skipped, 1 archive expanded (5 members)".
func FilesLine(c *FileCounts) string {
	if c == nil {
		return ""
	}
	s := plural(c.Scanned, "file", "files") + " scanned, " + fmt.Sprint(c.Skipped) + " skipped"
	if c.Expanded > 0 {
		s += ", " + plural(c.Expanded, "archive", "archives") + " expanded (" + plural(c.Members, "member", "members") + " scanned)"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// SameLocation reports whether a related location names no file or points
// at the finding's own place (same file and line): formats print its
// message, never a "see:" back at the finding itself.
func SameLocation(f *finding.Finding, l finding.Location) bool {
	return l.File == "" || l.File == f.File && (l.Line == 0 || l.Line == f.Line) && l.Commit == f.Commit
}
