// Package htmlfmt writes the threat-model report as one self-contained HTML
// file (format name "html"): inline CSS and JavaScript, no fonts, images or
// scripts fetched from anywhere (a Content-Security-Policy with the hashes
// of the inline style and script enforces it), so it opens offline, from a
// CI artifact or an e-mail attachment.
//
// The page has a summary chart of findings by threat and severity (inline
// SVG), each threat's findings with redacted code context and links to
// related findings, each threat's mitigation checklist, and filters by
// threat, severity and file plus a free-text search. Everything is in the
// HTML without the script; the script only filters.
package htmlfmt

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Limits keep the page usable on a large scan.
const (
	// ContextRadius is how many lines of code are shown around a finding.
	ContextRadius = 3
	// MaxEvidence is how many characters of evidence are shown.
	MaxEvidence = 400
	// MaxChecklistEvidence is how many evidence items a checklist entry
	// lists before "… N more".
	MaxChecklistEvidence = 10
	// MaxWarnings is how many warnings the page lists.
	MaxWarnings = 500
	// MaxLinks is how many "same key / same package" links a finding gets.
	MaxLinks = 20
)

func init() {
	report.RegisterFormat("html", func(report.Options) report.Format { return Format{} })
}

// Format is the HTML format; it has no options.
type Format struct{}

//go:embed report.css
var css string

//go:embed report.js
var js string

//go:embed report.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(pageTemplate))

// csp allows nothing but the inline style and script, by hash: the file
// can fetch nothing, and injected markup could not run script even if the
// template's escaping failed.
var csp = fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; img-src data:; base-uri 'none'; form-action 'none'",
	hash(css), hash(js))

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

// Severities lists the severity names, highest first.
var severities = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

type dataView struct {
	Label, Summary string
	Stale          bool
}

type page struct {
	Title       string
	CSP         string
	CSS         template.CSS
	JS          template.JS
	Target      string
	Tool        string
	Command     string
	Summary     string
	ShowSecrets bool
	Total       int
	Chart       chart
	Severities  []count
	Files       []count
	Threats     []*threatView
	Other       *threatView
	Warnings    []*finding.Warning
	MoreWarn    int
	Notes       []string
	// Data is the advisory data the verdicts rest on; Scanned what was
	// read.
	Data       []dataView
	Scanned    string
	Suppressed int
	Baselined  int
	Analyzers  string
	HasContext bool
}

type count struct {
	Name  string
	Label string
	N     int
}

type threatView struct {
	Slug      string
	Title     string
	Highest   string
	Findings  []*findingView
	Checklist []checkView
	States    []count
}

type findingView struct {
	ID         string
	Rule       string
	RuleName   string
	HelpURI    string
	Threat     string
	Severity   string
	File       string
	Location   string
	Message    string
	Evidence   string
	Mitigation string
	Context    []report.Line
	Package    *finding.Package
	History    string // git history summary (scan --history)
	Verified   string // the Stripe API's verdict (--verify)
	Related    []link
	// Notes are related entries at the finding's own place: what they
	// add, never a "see" pointing back at the finding.
	Notes      []string
	SameSecret []link
	SamePkg    []link
	SameLine   []link
}

type link struct {
	Href string // "#f-…" when it points at a finding of this report
	Text string
	Note string
}

type checkView struct {
	ID       string
	State    string
	Label    string
	Icon     string
	Title    string
	Evidence []string
	More     int
}

// Write writes the report.
func (Format) Write(w io.Writer, r *report.Report) error {
	p := build(r)
	b := bufio.NewWriter(w)
	if err := tmpl.Execute(b, p); err != nil {
		return err
	}
	return b.Flush()
}

func build(r *report.Report) *page {
	target := r.Target
	if target == "" {
		target = "."
	}
	tool := r.Tool.Name
	if tool == "" {
		tool = "stripeguard"
	}
	if r.Tool.Version != "" {
		tool += " " + r.Tool.Version
	}
	cmd := r.Command
	if cmd == "" {
		cmd = "scan"
	}
	p := &page{
		Title: "Stripe threat model — " + target, CSP: csp, CSS: template.CSS(css), JS: template.JS(js),
		Target: target, Tool: tool, Command: cmd, ShowSecrets: r.ShowSecrets,
		Suppressed: r.Suppressed, Baselined: r.Baselined, Notes: r.Notes,
		Analyzers: report.AndList(r.Analyzers), Scanned: report.FilesLine(r.Files),
	}
	for _, d := range r.DataSources {
		label := d.Name
		if d.Name == "advisories" {
			label = "Advisory data"
		}
		p.Data = append(p.Data, dataView{Label: label, Summary: d.Summary, Stale: d.Stale})
	}
	ctx := report.NewContextReader(r)
	p.HasContext = ctx != nil

	var all []*finding.Finding
	for _, f := range r.Findings {
		if f != nil {
			all = append(all, f)
		}
	}
	p.Total = len(all)
	views := make(map[*finding.Finding]*findingView, len(all))
	used := map[string]bool{}
	for i, f := range all {
		views[f] = newFindingView(f, i, used, ctx, r.ShowSecrets)
	}
	linkRelated(all, views)

	byThreat, other := r.ByThreat()
	ran := r.Ran()
	for _, t := range finding.Threats {
		tv := &threatView{Slug: string(t), Title: t.Title()}
		for _, f := range byThreat[t] {
			tv.Findings = append(tv.Findings, views[f])
		}
		tv.Highest = highest(byThreat[t])
		tv.Checklist, tv.States = checklist(r.Checklist[t], ran)
		p.Threats = append(p.Threats, tv)
	}
	if len(other) > 0 {
		tv := &threatView{Slug: "other", Title: "Other findings", Highest: highest(other)}
		for _, f := range other {
			tv.Findings = append(tv.Findings, views[f])
		}
		p.Other = tv
	}
	p.Chart = newChart(p.Threats, p.Other)

	sevCount := map[string]int{}
	fileCount := map[string]int{}
	for _, f := range all {
		sevCount[f.Severity.String()]++
		fileCount[views[f].File]++
	}
	for _, s := range severities {
		p.Severities = append(p.Severities, count{Name: s.String(), Label: s.String(), N: sevCount[s.String()]})
	}
	if n := sevCount[finding.SeverityUnknown.String()]; n > 0 {
		p.Severities = append(p.Severities, count{Name: "unknown", Label: "unknown", N: n})
	}
	for name, n := range fileCount {
		label := name
		if label == "" {
			label = "(no file)"
		}
		p.Files = append(p.Files, count{Name: name, Label: label, N: n})
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Name < p.Files[j].Name })
	p.Summary = summaryLine(sevCount, len(all), r.Suppressed, r.Baselined)

	for _, w := range r.Warnings {
		if w == nil {
			continue
		}
		if len(p.Warnings) == MaxWarnings {
			p.MoreWarn++
			continue
		}
		p.Warnings = append(p.Warnings, w)
	}
	return p
}

func newFindingView(f *finding.Finding, i int, used map[string]bool, ctx *report.ContextReader, show bool) *findingView {
	id := "f-" + f.Fingerprint
	if f.Fingerprint == "" || used[id] {
		id = fmt.Sprintf("f-n%d", i)
	}
	used[id] = true
	v := &findingView{
		ID: id, Rule: f.RuleID, Threat: string(f.Threat), Severity: f.Severity.String(),
		File: f.File, Location: report.Location(f), Message: f.Message, Mitigation: f.Mitigation,
		Package: f.Package,
	}
	if v.File == "" && f.URL != "" {
		v.File = f.URL
	}
	if !f.Threat.Valid() {
		v.Threat = "other"
	}
	if rule := rules.Lookup(f.RuleID); rule != nil {
		v.RuleName, v.HelpURI = rule.Name, rule.HelpURI
	}
	v.History, v.Verified = report.HistorySummary(f), report.VerificationSummary(f)
	v.Context = ctx.Lines(f, ContextRadius)
	if ev := report.SafeEvidence(f, show); ev != "" {
		v.Evidence = truncate(ev, MaxEvidence)
	}
	return v
}

// linkRelated turns the findings' Related locations into links when
// another finding sits there, and links findings about the same key (a key
// copied to several files), the same package and the same line.
func linkRelated(all []*finding.Finding, views map[*finding.Finding]*findingView) {
	at := map[string][]*finding.Finding{}
	bySecret := map[string][]*finding.Finding{}
	byPkg := map[string][]*finding.Finding{}
	for _, f := range all {
		if f.File != "" && f.Line > 0 && f.Commit == "" {
			k := fmt.Sprintf("%s:%d", f.File, f.Line)
			at[k] = append(at[k], f)
		}
		if f.Secret != "" {
			// Grouped in memory only; the secret is never written.
			bySecret[f.Secret] = append(bySecret[f.Secret], f)
		}
		if f.Package != nil && f.Package.Name != "" {
			k := strings.ToLower(f.Package.Name) + "@" + f.Package.Version
			byPkg[k] = append(byPkg[k], f)
		}
	}
	to := func(f *finding.Finding) link {
		v := views[f]
		return link{Href: "#" + v.ID, Text: v.Location, Note: f.RuleID}
	}
	others := func(self *finding.Finding, group []*finding.Finding) []link {
		var out []link
		for _, g := range group {
			if g != self && len(out) < MaxLinks {
				out = append(out, to(g))
			}
		}
		return out
	}
	for _, f := range all {
		v := views[f]
		for _, rel := range f.Related {
			if report.SameLocation(f, rel) {
				if rel.Message != "" {
					v.Notes = append(v.Notes, report.OneLine(rel.Message))
				}
				continue
			}
			text := rel.File
			if rel.Line > 0 {
				text += fmt.Sprintf(":%d", rel.Line)
			}
			l := link{Text: text, Note: report.OneLine(rel.Message)}
			if rel.Commit == "" {
				for _, g := range at[fmt.Sprintf("%s:%d", rel.File, rel.Line)] {
					if g != f {
						l.Href = "#" + views[g].ID
						break
					}
				}
			}
			v.Related = append(v.Related, l)
		}
		if f.Secret != "" {
			v.SameSecret = others(f, bySecret[f.Secret])
		}
		if f.Package != nil && f.Package.Name != "" {
			v.SamePkg = others(f, byPkg[strings.ToLower(f.Package.Name)+"@"+f.Package.Version])
		}
		if f.File != "" && f.Line > 0 && f.Commit == "" {
			v.SameLine = others(f, at[fmt.Sprintf("%s:%d", f.File, f.Line)])
		}
	}
}

// stateLooks gives the states this version knows an icon and wording; any
// other state (a newer catalogue) is shown by its own name, so the page
// never hides a verdict it does not know.
var stateLooks = map[finding.MitigationState][2]string{
	finding.InPlace:       {"✔", report.StateWord(finding.InPlace)},
	finding.Missing:       {"✘", report.StateWord(finding.Missing)},
	finding.NotApplicable: {"–", report.StateWord(finding.NotApplicable)},
	finding.NotChecked:    {"?", report.StateWord(finding.NotChecked)},
	finding.NoData:        {"!", report.StateWord(finding.NoData)},
}

// stateOrder is the order of the per-threat state counts; unknown states
// follow in alphabetical order.
var stateOrder = []finding.MitigationState{finding.Missing, finding.InPlace, finding.NoData, finding.NotApplicable, finding.NotChecked}

func stateLook(s finding.MitigationState) (icon, label string) {
	if l, ok := stateLooks[s]; ok {
		return l[0], l[1]
	}
	return "•", strings.ReplaceAll(string(s), "-", " ")
}

func checklist(sts []mitigation.Status, ran map[string]bool) ([]checkView, []count) {
	var out []checkView
	n := map[finding.MitigationState]int{}
	for _, st := range sts {
		if st.Mitigation == nil {
			continue
		}
		icon, label := stateLook(st.State)
		ev := st.Evidence
		if len(ev) == 0 && st.State != finding.InPlace && st.State != finding.Missing {
			ev = []string{report.NotCheckedReason(st.Mitigation, ran)}
		}
		cv := checkView{ID: st.Mitigation.ID, State: string(st.State), Icon: icon, Label: label, Title: st.Mitigation.Title}
		for i, e := range ev {
			if i == MaxChecklistEvidence {
				cv.More = len(ev) - i
				break
			}
			cv.Evidence = append(cv.Evidence, e)
		}
		out = append(out, cv)
		n[st.State]++
	}
	var states []count
	seen := map[finding.MitigationState]bool{}
	add := func(s finding.MitigationState) {
		if n[s] > 0 && !seen[s] {
			seen[s] = true
			_, label := stateLook(s)
			states = append(states, count{Name: string(s), Label: label, N: n[s]})
		}
	}
	for _, s := range stateOrder {
		add(s)
	}
	var rest []string
	for s := range n {
		if !seen[s] {
			rest = append(rest, string(s))
		}
	}
	sort.Strings(rest)
	for _, s := range rest {
		add(finding.MitigationState(s))
	}
	return out, states
}

func highest(fs []*finding.Finding) string {
	var h finding.Severity
	for _, f := range fs {
		if f.Severity > h {
			h = f.Severity
		}
	}
	if h == finding.SeverityUnknown {
		return ""
	}
	return h.String()
}

func summaryLine(sev map[string]int, total, suppressed, baselined int) string {
	var s string
	switch total {
	case 0:
		s = "No findings"
	case 1:
		s = "1 finding"
	default:
		s = fmt.Sprintf("%d findings", total)
	}
	var parts []string
	for _, x := range append(severities, finding.SeverityUnknown) {
		if n := sev[x.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, x))
		}
	}
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	var extra []string
	if suppressed > 0 {
		extra = append(extra, fmt.Sprintf("%d suppressed", suppressed))
	}
	if baselined > 0 {
		extra = append(extra, fmt.Sprintf("%d baselined", baselined))
	}
	if len(extra) > 0 {
		s += "; " + strings.Join(extra, ", ")
	}
	return s + "."
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// The chart: one horizontal bar per threat, one segment per severity,
// drawn as inline SVG (no library, nothing fetched).
const (
	chartWidth = 760
	chartLabel = 230 // width of the threat titles column
	chartBar   = 440 // width of the longest bar
	chartRowH  = 30
)

type chart struct {
	Width, Height int
	Rows          []chartRow
}

type chartRow struct {
	Slug, Title string
	Y, TextY, N int
	CountX      int
	Segments    []segment
}

type segment struct {
	Severity   string
	X, Y, W, N int
}

func newChart(threats []*threatView, other *threatView) chart {
	rows := threats
	if other != nil {
		rows = append(append([]*threatView{}, threats...), other)
	}
	maxN := 1
	for _, t := range rows {
		maxN = max(maxN, len(t.Findings))
	}
	c := chart{Width: chartWidth, Height: len(rows)*chartRowH + 10}
	for i, t := range rows {
		row := chartRow{Slug: t.Slug, Title: t.Title, Y: 5 + i*chartRowH, N: len(t.Findings)}
		row.TextY = row.Y + 18
		by := map[string]int{}
		for _, f := range t.Findings {
			by[f.Severity]++
		}
		x := chartLabel
		order := append(append([]finding.Severity{}, severities...), finding.SeverityUnknown)
		for _, s := range order {
			n := by[s.String()]
			if n == 0 {
				continue
			}
			w := max(3, n*chartBar/maxN)
			row.Segments = append(row.Segments, segment{Severity: s.String(), X: x, Y: row.Y + 4, W: w, N: n})
			x += w
		}
		row.CountX = x + 8
		c.Rows = append(c.Rows, row)
	}
	return c
}
