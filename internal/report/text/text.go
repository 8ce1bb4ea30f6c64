// Package text writes the threat-model view of a report for a terminal
// (format name "text", the default): the five threats in report order, each
// with its findings grouped by rule and its mitigation checklist, then
// warnings (routine skips counted by kind, the rest one by one), the data
// the verdicts rest on, what was scanned and a summary line. Lines are
// word-wrapped to the terminal width (80 when the output is not a
// terminal); paths, ids and other words are never cut, so a word longer
// than the line stands alone on its line. ANSI colour only with
// Options.Color. Options.Brief prints only the findings and the summary
// line (pre-commit hooks).
package text

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// DefaultWidth is the width used when the output is not a terminal.
const DefaultWidth = 80

// MinWidth bounds very narrow terminals: below it lines would hold a
// word or two.
const MinWidth = 40

// MaxEvidence is how many characters of a finding's evidence are shown
// (wrapped over several lines when needed). Evidence is a quote of code, not
// a path or an id; the full text is in the JSON report.
const MaxEvidence = 300

// MaxChecklistEvidence is how many evidence items a checklist entry lists
// before "(+N more)".
const MaxChecklistEvidence = 3

func init() {
	report.RegisterFormat("text", func(o report.Options) report.Format {
		return Format{Color: o.Color, Width: o.Width, Brief: o.Brief}
	})
}

// Format is the terminal format.
type Format struct {
	// Color enables ANSI colour.
	Color bool
	// Width is the line width (DefaultWidth when 0).
	Width int
	// Brief prints only the findings and the summary line.
	Brief bool
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
	width int
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

func stateStyle(s finding.MitigationState) string {
	switch s {
	case finding.InPlace:
		return green
	case finding.Missing:
		return red
	case finding.NoData:
		return bold + yellow
	case finding.NotApplicable:
		return dim
	}
	return yellow
}

// styleWords styles each word of s on its own, so that wrapping may break
// between them without leaving a style open at a line end.
func (p *writer) styleWords(s, code string) string {
	if !p.color {
		return s
	}
	ws := strings.Fields(s)
	for i, w := range ws {
		ws[i] = p.style(w, code)
	}
	return strings.Join(ws, " ")
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
	width := f.Width
	switch {
	case width <= 0:
		width = DefaultWidth
	case width < MinWidth:
		width = MinWidth
	}
	p := &writer{w: bufio.NewWriter(w), color: f.Color, show: r.ShowSecrets, width: width}
	byThreat, other := r.ByThreat()
	if f.Brief {
		p.brief(r, byThreat, other)
		return p.w.Flush()
	}
	p.header(r)
	for _, t := range finding.Threats {
		p.threat(t.Title()+" ("+string(t)+")", byThreat[t], r.Checklist[t], true)
	}
	if len(other) > 0 {
		p.threat("Other findings", other, nil, true)
	}
	p.warnings(r.Warnings)
	if len(r.Notes) > 0 {
		p.line()
		p.line(p.style("Notes", bold))
		for _, n := range r.Notes {
			p.wrapped("  - ", "    ", report.OneLine(n))
		}
	}
	p.footer(r)
	p.wrapped("", "  ", p.summary(r))
	return p.w.Flush()
}

// brief is the pre-commit view: threats that have findings, their
// findings, and one summary line.
func (p *writer) brief(r *report.Report, byThreat map[finding.Threat][]*finding.Finding, other []*finding.Finding) {
	for _, t := range finding.Threats {
		if len(byThreat[t]) > 0 {
			p.threat(t.Title()+" ("+string(t)+")", byThreat[t], nil, false)
		}
	}
	if len(other) > 0 {
		p.threat("Other findings", other, nil, false)
	}
	if len(r.Findings) > 0 {
		p.line()
	}
	s := p.summary(r)
	var extra []string
	if fl := report.FilesLine(r.Files); fl != "" {
		extra = append(extra, fl)
	}
	if n := len(r.Warnings); n > 0 {
		extra = append(extra, plural(n, "warning"))
	}
	if len(extra) > 0 {
		s += " · " + strings.Join(extra, ", ")
	}
	p.wrapped("", "  ", s)
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
	p.wrapped(p.style(name, bold)+" · ", "  ", cmd+" of "+r.Target)
	if r.ShowSecrets {
		p.wrappedStyle("", "  ", "! --show-secrets: evidence below holds full secrets; do not paste or store it", bold+red)
	}
}

func (p *writer) threat(title string, fs []*finding.Finding, checklist []mitigation.Status, blank bool) {
	if blank {
		p.line()
	}
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
	p.wrapped("", "  ", p.styleWords("■ "+title, bold)+" — "+state)

	for _, g := range group(fs) {
		head := g.rule
		if r := rules.Lookup(g.rule); r != nil {
			head += " · " + r.Name
		}
		p.wrapped("  "+p.tag(g.severity)+" ", "           ", head)
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
		box := p.style(report.StateSymbol(st.State), stateStyle(st.State))
		p.wrapped("    "+box+" ", "        ", st.Mitigation.Title)
		ev := st.Evidence
		if len(ev) == 0 {
			ev = []string{mitigation.NothingApplies}
		}
		p.wrapped("        "+p.style(report.StateWord(st.State)+":", stateStyle(st.State))+" ", "          ", p.evidenceList(ev))
	}
}

// evidenceList joins checklist evidence: the first item whole, then as many
// further whole items as keep the list on one line, then "(+N more)".
func (p *writer) evidenceList(items []string) string {
	room := p.width - 8 - 14
	var b strings.Builder
	n := 0
	for i, it := range items {
		it = report.OneLine(it)
		if i > 0 && (i >= MaxChecklistEvidence || utf8.RuneCountInString(b.String())+2+utf8.RuneCountInString(it) > room) {
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(it)
		n++
	}
	if more := len(items) - n; more > 0 {
		fmt.Fprintf(&b, " (+%d more)", more)
	}
	return b.String()
}

func (p *writer) finding(f *finding.Finding) {
	loc := report.Location(f)
	msg := report.OneLine(f.Message)
	if n := 4 + utf8.RuneCountInString(loc) + 2 + utf8.RuneCountInString(msg); n <= p.width {
		p.line("    ", loc, "  ", msg)
	} else {
		// The location is never cut: on a line of its own it may run past
		// the width rather than lose the part that says where.
		p.wrapped("    ", "      ", loc)
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
		p.wrapped("      "+p.style("package:", dim)+" ", "               ", s)
	}
	for _, rel := range f.Related {
		if report.SameLocation(f, rel) {
			// Nothing to go and see: say what it adds, without a
			// location pointing back at this finding.
			if rel.Message != "" {
				p.wrapped("      "+p.style("note:", dim)+" ", "            ", report.OneLine(rel.Message))
			}
			continue
		}
		s := rel.File
		if rel.Line > 0 {
			s += fmt.Sprintf(":%d", rel.Line)
		}
		if rel.Message != "" {
			s += " (" + report.OneLine(rel.Message) + ")"
		}
		p.wrapped("      "+p.style("see:", dim)+" ", "           ", s)
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

// warnings counts routine skips by kind on one line and lists every other
// warning (parse errors, unreadable files, data problems) on its own.
func (p *writer) warnings(ws []*finding.Warning) {
	routine, individual := report.SplitWarnings(ws)
	n := len(individual)
	for _, k := range routine {
		n += k.N
	}
	if n == 0 {
		return
	}
	p.line()
	p.line(p.style(fmt.Sprintf("Warnings (%d)", n), bold))
	if len(routine) > 0 {
		p.wrapped("  "+p.style("skipped:", yellow)+" ", "    ", report.RoutineLine(routine)+" (each listed in --format json)")
	}
	for _, w := range individual {
		kind := w.Kind
		if kind == "" {
			kind = "warning"
		}
		loc := report.WarningLocation(w)
		if loc != "" {
			loc += ": "
		}
		p.wrapped("  "+p.style(kind+":", yellow)+" ", "    ", loc+report.OneLine(w.Message))
	}
}

// footer says what data the verdicts rest on and what was scanned.
func (p *writer) footer(r *report.Report) {
	if len(r.DataSources) == 0 && r.Files == nil {
		p.line()
		return
	}
	p.line()
	for _, d := range r.DataSources {
		label := strings.ToUpper(d.Name[:1]) + d.Name[1:] + ":"
		if d.Name == "advisories" {
			label = "Advisory data:"
		}
		st := ""
		if d.Stale {
			st = yellow
		}
		p.wrappedStyle(p.style(label, bold)+" ", "  ", d.Summary, st)
	}
	if fl := report.FilesLine(r.Files); fl != "" {
		p.wrapped(p.style("Files:", bold)+" ", "  ", fl)
	}
}

func (p *writer) summary(r *report.Report) string {
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
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// wrapped writes s word-wrapped to the width, the first line after first
// and the others after indent (both may hold ANSI codes, which take no
// room). Words are never cut: a word wider than the room left is put on a
// line of its own, which then runs past the width.
func (p *writer) wrapped(first, indent, s string) {
	prefix := first
	room := p.width - visibleLen(prefix)
	var cur strings.Builder
	curLen := 0
	flush := func() {
		p.line(prefix, cur.String())
		prefix = indent
		cur.Reset()
		curLen = 0
		room = p.width - visibleLen(indent)
	}
	for _, w := range fields(s) {
		wl := visibleLen(w)
		if curLen > 0 && curLen+1+wl > room {
			flush()
		}
		if curLen == 0 && wl > room && prefix == first && strings.TrimSpace(first) != "" && p.width-visibleLen(indent) > room {
			// A long word (a path) after a label: leave the label alone
			// on its line, the word gets the most room below.
			p.line(strings.TrimRight(prefix, " "))
			prefix = indent
			room = p.width - visibleLen(indent)
		}
		if curLen > 0 {
			cur.WriteByte(' ')
			curLen++
		}
		cur.WriteString(w)
		curLen += wl
	}
	if curLen > 0 || prefix == first {
		flush()
	}
}

// wrappedStyle is wrapped with every line's text in one style, for long
// styled sentences (a style never stays open across a line break).
func (p *writer) wrappedStyle(first, indent, s, code string) {
	if !p.color || code == "" {
		p.wrapped(first, indent, s)
		return
	}
	words := strings.Fields(s)
	prefix := first
	room := p.width - visibleLen(prefix)
	for len(words) > 0 {
		n, l := 1, utf8.RuneCountInString(words[0])
		for n < len(words) && l+1+utf8.RuneCountInString(words[n]) <= room {
			l += 1 + utf8.RuneCountInString(words[n])
			n++
		}
		p.line(prefix, code, strings.Join(words[:n], " "), reset)
		words = words[n:]
		prefix = indent
		room = p.width - visibleLen(indent)
	}
}

// fields splits s on spaces, except inside a styled span (between an ANSI
// style and its reset): a short styled phrase such as "no findings" moves
// to the next line whole instead of leaving its style open at a line end.
func fields(s string) []string {
	var out []string
	var cur strings.Builder
	styled, esc := false, false
	var seq strings.Builder
	for _, c := range s {
		switch {
		case esc:
			cur.WriteRune(c)
			seq.WriteRune(c)
			if c == 'm' {
				esc = false
				styled = seq.String() != reset
			}
			continue
		case c == '\x1b':
			esc = true
			seq.Reset()
			seq.WriteRune(c)
			cur.WriteRune(c)
			continue
		case (c == ' ' || c == '\t' || c == '\n') && !styled:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(c)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// truncate shortens s to n runes, ending with "…". Used only for evidence,
// never for locations, rule ids or advisory ids.
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
