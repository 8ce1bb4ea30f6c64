// Package text writes the threat-model view of a report for a terminal
// (format name "text", the default on a TTY): the five threats in report
// order, each with its findings grouped by rule and its mitigation
// checklist, then warnings collapsed by kind, notes and a summary line.
// Lines fit a 100-column terminal; ANSI colour only with Options.Color.
package text

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Width is the terminal width the output is laid out for.
const Width = 100

// MaxEvidence is how many characters of a finding's evidence are shown
// (wrapped over several lines when needed).
const MaxEvidence = 300

// WarningFiles is how many files of one warning kind are listed before
// "… N more".
const WarningFiles = 3

func init() {
	report.RegisterFormat("text", func(o report.Options) report.Format { return Format{Color: o.Color} })
}

// Format is the terminal format.
type Format struct {
	// Color enables ANSI colour.
	Color bool
}

// ANSI styles.
const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	blue   = "\x1b[34m"
	cyan   = "\x1b[36m"
)

type writer struct {
	w     *bufio.Writer
	color bool
	show  bool
}

func (p *writer) style(s, code string) string {
	if !p.color || s == "" {
		return s
	}
	return code + s + reset
}

func severityStyle(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return bold + red
	case finding.High:
		return red
	case finding.Medium:
		return yellow
	case finding.Low:
		return cyan
	}
	return blue
}

// tag is the severity in upper case padded to 8 columns, coloured.
func (p *writer) tag(s finding.Severity) string {
	name := strings.ToUpper(s.String())
	return p.style(name, severityStyle(s)) + strings.Repeat(" ", 8-len(name))
}

func (p *writer) line(parts ...string) {
	for _, s := range parts {
		p.w.WriteString(s)
	}
	p.w.WriteByte('\n')
}

// Write writes the report.
func (f Format) Write(w io.Writer, r *report.Report) error {
	p := &writer{w: bufio.NewWriter(w), color: f.Color, show: r.ShowSecrets}
	p.header(r)
	byThreat, other := r.ByThreat()
	ran := r.Ran()
	for _, t := range finding.Threats {
		p.threat(t.Title()+" ("+string(t)+")", byThreat[t], r.Checklist[t], ran)
	}
	if len(other) > 0 {
		p.threat("Other findings", other, nil, nil)
	}
	p.warnings(r.Warnings)
	if len(r.Notes) > 0 {
		p.line()
		p.line(p.style("Notes", bold))
		for _, n := range r.Notes {
			p.wrapped("  - ", "    ", report.OneLine(n))
		}
	}
	p.line()
	p.summary(r)
	return p.w.Flush()
}

func (p *writer) header(r *report.Report) {
	name := r.Tool.Name
	if name == "" {
		name = "stripeguard"
	}
	if r.Tool.Version != "" {
		name += " " + r.Tool.Version
	}
	cmd := r.Command
	if cmd == "" {
		cmd = "scan"
	}
	p.line(p.style(name, bold), " · ", cmd, " of ", r.Target)
	if r.ShowSecrets {
		p.line(p.style("! --show-secrets: evidence below holds full secrets; do not paste or store it", bold+red))
	}
}

func (p *writer) threat(title string, fs []*finding.Finding, checklist []mitigation.Status, ran map[string]bool) {
	p.line()
	var highest finding.Severity
	for _, f := range fs {
		if f.Severity > highest {
			highest = f.Severity
		}
	}
	state := p.style("no findings", green)
	if len(fs) > 0 {
		state = p.style(strings.ToUpper(highest.String()), severityStyle(highest)) + ", " + plural(len(fs), "finding")
	}
	p.line(p.style("■ "+title, bold), " — ", state)

	for _, g := range group(fs) {
		head := "  " + p.tag(g.severity) + " " + p.style(g.rule, bold)
		if r := rules.Lookup(g.rule); r != nil {
			head += " · " + r.Name
		}
		p.line(truncateStyled(head, Width))
		for _, f := range g.findings {
			p.finding(f)
		}
		if g.mitigation != "" {
			p.wrapped("    "+p.style("fix:", green)+" ", "         ", report.OneLine(g.mitigation))
		}
	}

	if len(checklist) == 0 {
		return
	}
	p.line("  ", p.style("Mitigations", bold))
	for _, st := range checklist {
		if st.Mitigation == nil {
			continue
		}
		var box string
		switch st.State {
		case finding.InPlace:
			box = p.style("[x]", green)
		case finding.Missing:
			box = p.style("[ ]", red)
		default:
			box = p.style("[?]", yellow)
		}
		p.wrapped("    "+box+" ", "        ", st.Mitigation.Title)
		ev := st.Evidence
		if st.State == finding.NotChecked && len(ev) == 0 {
			ev = []string{"not checked: " + report.NotCheckedReason(st.Mitigation, ran)}
		}
		if len(ev) > 0 {
			p.line("        ", p.style(joinFit(ev, Width-8), dim))
		}
	}
}

func (p *writer) finding(f *finding.Finding) {
	loc := report.Location(f)
	msg := report.OneLine(f.Message)
	if n := 4 + utf8.RuneCountInString(loc) + 2 + utf8.RuneCountInString(msg); n <= Width {
		p.line("    ", loc, "  ", msg)
	} else {
		p.line("    ", truncate(loc, Width-4))
		p.wrapped("      ", "      ", msg)
	}
	if ev := report.SafeEvidence(f, p.show); ev != "" {
		p.wrapped("      "+p.style("evidence:", dim)+" ", "                ", truncate(report.OneLine(ev), MaxEvidence))
	}
	if h := report.HistorySummary(f); h != "" {
		p.wrapped("      "+p.style("history:", dim)+" ", "               ", h)
	}
	if v := report.VerificationSummary(f); v != "" {
		p.wrapped("      "+p.style("verified:", dim)+" ", "                ", v)
	}
	if pk := f.Package; pk != nil {
		s := pk.Name
		if pk.Version != "" {
			s += " " + pk.Version
		}
		if pk.Source != "" {
			s += " (" + pk.Source + ")"
		}
		var ids []string
		for _, a := range pk.Advisories {
			ids = append(ids, a.ID)
		}
		if len(ids) > 0 {
			s += " · " + strings.Join(ids, ", ")
		}
		if pk.FixedIn != "" {
			s += " · fixed in " + pk.FixedIn
		}
		p.line("      ", p.style("package:", dim), " ", truncate(s, Width-15))
	}
	for _, rel := range f.Related {
		s := rel.File
		if rel.Line > 0 {
			s += fmt.Sprintf(":%d", rel.Line)
		}
		if rel.Message != "" {
			s += " (" + report.OneLine(rel.Message) + ")"
		}
		p.line("      ", p.style("see:", dim), " ", truncate(s, Width-11))
	}
}

type ruleGroup struct {
	rule       string
	severity   finding.Severity
	mitigation string
	findings   []*finding.Finding
}

// group gathers findings of the same rule, severity and mitigation, in the
// order of their first finding (so highest severity first).
func group(fs []*finding.Finding) []*ruleGroup {
	var out []*ruleGroup
	idx := map[string]*ruleGroup{}
	for _, f := range fs {
		k := f.RuleID + "\x00" + f.Severity.String() + "\x00" + f.Mitigation
		g := idx[k]
		if g == nil {
			g = &ruleGroup{rule: f.RuleID, severity: f.Severity, mitigation: f.Mitigation}
			idx[k] = g
			out = append(out, g)
		}
		g.findings = append(g.findings, f)
	}
	return out
}

func (p *writer) warnings(ws []*finding.Warning) {
	type kind struct {
		name string
		ws   []*finding.Warning
	}
	var kinds []*kind
	idx := map[string]*kind{}
	n := 0
	for _, w := range ws {
		if w == nil {
			continue
		}
		n++
		k := idx[w.Kind]
		if k == nil {
			k = &kind{name: w.Kind}
			idx[w.Kind] = k
			kinds = append(kinds, k)
		}
		k.ws = append(k.ws, w)
	}
	if n == 0 {
		return
	}
	sort.SliceStable(kinds, func(i, j int) bool {
		if len(kinds[i].ws) != len(kinds[j].ws) {
			return len(kinds[i].ws) > len(kinds[j].ws)
		}
		return kinds[i].name < kinds[j].name
	})
	p.line()
	p.line(p.style(fmt.Sprintf("Warnings (%d)", n), bold))
	for _, k := range kinds {
		name := k.name
		if name == "" {
			name = "warning"
		}
		same := true
		for _, w := range k.ws {
			if w.Message != k.ws[0].Message {
				same = false
			}
		}
		shown := k.ws
		if len(shown) > WarningFiles {
			shown = shown[:WarningFiles]
		}
		switch {
		case len(k.ws) == 1:
			p.line(truncateStyled("  "+p.style(name, yellow)+": "+warnLoc(k.ws[0])+report.OneLine(k.ws[0].Message), Width))
		case same:
			p.line(truncateStyled(fmt.Sprintf("  %s ×%d: %s", p.style(name, yellow), len(k.ws), report.OneLine(k.ws[0].Message)), Width))
			var locs []string
			for _, w := range shown {
				locs = append(locs, strings.TrimSuffix(warnLoc(w), ": "))
			}
			p.line("    ", truncate(strings.Join(locs, ", "), Width-4))
		default:
			p.line(fmt.Sprintf("  %s ×%d", p.style(name, yellow), len(k.ws)))
			for _, w := range shown {
				p.line("    ", truncate(warnLoc(w)+report.OneLine(w.Message), Width-4))
			}
		}
		if more := len(k.ws) - len(shown); more > 0 {
			p.line("    ", p.style(fmt.Sprintf("… %d more", more), dim))
		}
	}
}

func warnLoc(w *finding.Warning) string {
	if w.File == "" {
		return ""
	}
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: ", w.File, w.Line)
	}
	return w.File + ": "
}

func (p *writer) summary(r *report.Report) {
	counts := map[finding.Severity]int{}
	total := 0
	for _, f := range r.Findings {
		if f != nil {
			counts[f.Severity]++
			total++
		}
	}
	var s string
	if total == 0 {
		s = p.style("No findings", bold+green)
	} else {
		var parts []string
		for sev := finding.Critical; sev >= finding.SeverityUnknown; sev-- {
			if counts[sev] > 0 {
				parts = append(parts, p.style(fmt.Sprintf("%d %s", counts[sev], sev), severityStyle(sev)))
			}
		}
		s = p.style(plural(total, "finding"), bold) + ": " + strings.Join(parts, ", ")
	}
	var extra []string
	if r.Suppressed > 0 {
		extra = append(extra, fmt.Sprintf("%d suppressed", r.Suppressed))
	}
	if r.Baselined > 0 {
		extra = append(extra, fmt.Sprintf("%d baselined", r.Baselined))
	}
	if len(extra) > 0 {
		s += "; " + strings.Join(extra, ", ")
	}
	if r.Duration > 0 {
		s += fmt.Sprintf(" (%s)", r.Duration.Round(1e7))
	}
	p.line(s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// wrapped writes s word-wrapped to Width, the first line after first and
// the others after indent (both may hold ANSI codes, which take no room).
func (p *writer) wrapped(first, indent, s string) {
	prefix := first
	room := Width - visibleLen(prefix)
	words := strings.Fields(s)
	var cur []string
	curLen := 0
	flush := func() {
		p.line(prefix, strings.Join(cur, " "))
		prefix, cur, curLen = indent, nil, 0
		room = Width - visibleLen(indent)
	}
	for _, w := range words {
		wl := utf8.RuneCountInString(w)
		if len(cur) > 0 && curLen+1+wl > room {
			flush()
		}
		if wl > room {
			w = truncate(w, room)
			wl = room
		}
		if len(cur) > 0 {
			curLen++
		}
		cur = append(cur, w)
		curLen += wl
	}
	if len(cur) > 0 || prefix == first {
		flush()
	}
}

// joinFit joins items with "; " within width runes, ending with
// "(+N more)" when items were left out and truncating a first item that
// does not fit alone.
func joinFit(items []string, width int) string {
	var b strings.Builder
	for i, it := range items {
		it = report.OneLine(it)
		sep := ""
		if i > 0 {
			sep = "; "
		}
		rest := len(items) - i - 1
		suffix := ""
		if rest > 0 {
			suffix = fmt.Sprintf(" (+%d more)", rest)
		}
		if utf8.RuneCountInString(b.String()+sep+it+suffix) <= width {
			b.WriteString(sep + it)
			continue
		}
		more := fmt.Sprintf(" (+%d more)", len(items)-i)
		if i == 0 {
			return truncate(it, width-utf8.RuneCountInString(suffix)) + suffix
		}
		return b.String() + more
	}
	return b.String()
}

// truncate shortens s to n runes, ending with "…".
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// visibleLen is the rune count of s without ANSI escape sequences.
func visibleLen(s string) int {
	n, esc := 0, false
	for _, c := range s {
		switch {
		case esc:
			if c == 'm' {
				esc = false
			}
		case c == '\x1b':
			esc = true
		default:
			n++
		}
	}
	return n
}

// truncateStyled is truncate for text holding ANSI codes: it cuts the
// visible text and closes any open style.
func truncateStyled(s string, n int) string {
	if visibleLen(s) <= n {
		return s
	}
	var b strings.Builder
	vis, esc, styled := 0, false, false
	for _, c := range s {
		switch {
		case esc:
			b.WriteRune(c)
			if c == 'm' {
				esc = false
			}
			continue
		case c == '\x1b':
			esc, styled = true, true
			b.WriteRune(c)
			continue
		}
		if vis == n-1 {
			b.WriteString("…")
			break
		}
		b.WriteRune(c)
		vis++
	}
	if styled {
		b.WriteString(reset)
	}
	return b.String()
}
