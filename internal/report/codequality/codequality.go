// Package codequality writes findings as a GitLab Code Quality report
// (format name "codequality"): the subset of the Code Climate issue format
// that GitLab reads from `artifacts:reports:codequality` and shows in the
// merge request widget and diff, on every GitLab tier.
package codequality

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
)

func init() {
	report.RegisterFormat("codequality", func(report.Options) report.Format { return Format{} })
}

// Format is the Code Quality format; it has no options.
type Format struct{}

// Issue is one entry of the report.
type Issue struct {
	Type        string   `json:"type"`
	CheckName   string   `json:"check_name"`
	Description string   `json:"description"`
	Categories  []string `json:"categories"`
	// Fingerprint is stripeguard's: stable across runs, so GitLab tells
	// new issues from fixed ones between the target branch and the MR.
	Fingerprint string   `json:"fingerprint"`
	Severity    string   `json:"severity"`
	Location    Location `json:"location"`
	Content     *Content `json:"content,omitempty"`
}

// Location is where the issue is; GitLab requires a path and a line.
type Location struct {
	Path  string `json:"path"`
	Lines Lines  `json:"lines"`
}

// Lines is the line span.
type Lines struct {
	Begin int `json:"begin"`
	End   int `json:"end,omitempty"`
}

// Content holds the fix, shown when an issue is expanded.
type Content struct {
	Body string `json:"body"`
}

// Severity maps stripeguard's severities onto GitLab's five.
func Severity(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return "blocker"
	case finding.High:
		return "critical"
	case finding.Medium:
		return "major"
	case finding.Low:
		return "minor"
	}
	return "info"
}

// Build converts the report's findings.
func Build(r *report.Report) []Issue {
	out := []Issue{}
	for _, f := range r.Findings {
		if f == nil {
			continue
		}
		desc := f.Message
		if ev := report.SafeEvidence(f, r.ShowSecrets); ev != "" {
			desc += ": " + report.OneLine(ev)
		}
		desc = "[" + string(f.Threat) + "] " + desc
		is := Issue{
			Type: "issue", CheckName: f.RuleID, Description: desc, Categories: []string{"Security"},
			Fingerprint: f.Fingerprint, Severity: Severity(f.Severity),
			Location: location(f),
		}
		if f.Mitigation != "" {
			is.Content = &Content{Body: f.Mitigation}
		}
		out = append(out, is)
	}
	return out
}

// location: GitLab wants a repository path and a line; a finding about
// the project as a whole, or from a live probe, is put on line 1 of the
// best file there is ("." when none).
func location(f *finding.Finding) Location {
	path := f.File
	if i := strings.IndexByte(path, '!'); i >= 0 {
		path = path[:i] // archive member: the archive is the repository file
	}
	if path == "" {
		path = "."
	}
	l := Location{Path: path, Lines: Lines{Begin: max(1, f.Line)}}
	if f.EndLine > f.Line && f.Line > 0 && f.File == path {
		l.Lines.End = f.EndLine
	}
	if f.File != path || f.Commit != "" {
		l.Lines = Lines{Begin: 1}
	}
	return l
}

// Write writes the JSON array.
func (Format) Write(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(Build(r))
}
