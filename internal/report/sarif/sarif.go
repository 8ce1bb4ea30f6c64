// Package sarif writes a report as SARIF 2.1.0 for GitHub code scanning and
// other SARIF viewers (format name "sarif").
//
// One run; the driver lists every registered rule (so viewers can show help
// for any alert) plus any rule id that appears in the findings without being
// registered. Results carry the finding's fingerprint both as GitHub's
// primaryLocationLineHash and as "stripeguard/v1", so alerts keep their
// identity when unrelated lines move.
//
// Columns: stripeguard columns are 1-based byte offsets in the line. The
// writer cannot see file contents, so it declares columnKind
// "utf16CodeUnits" (what GitHub assumes) and passes the byte columns through:
// exact for ASCII lines, approximate after non-ASCII characters.
package sarif

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// InformationURI is the driver's informationUri.
const InformationURI = "https://github.com/stripeguard/stripeguard"

// SrcRoot is the uriBaseId of every file location.
const SrcRoot = "%SRCROOT%"

// Fingerprint keys of results.
const (
	GitHubFingerprint = "primaryLocationLineHash"
	OwnFingerprint    = "stripeguard/v1"
)

func init() {
	report.RegisterFormat("sarif", func(report.Options) report.Format { return Format{} })
}

// Format is the SARIF format; it has no options.
type Format struct{}

// Level maps a severity to a SARIF level: critical and high are errors,
// medium a warning, low and info notes.
func Level(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

// Build turns a report into a SARIF log. It does not modify r.
func Build(r *report.Report) (*gosarif.Report, error) {
	log, err := gosarif.New(gosarif.Version210)
	if err != nil {
		return nil, err
	}
	name := r.Tool.Name
	if name == "" {
		name = "stripeguard"
	}
	driver := gosarif.NewDriver(name).WithInformationURI(InformationURI)
	if r.Tool.Version != "" {
		driver.WithVersion(r.Tool.Version)
		if sv := semver(r.Tool.Version); sv != "" {
			driver.WithSemanticVersion(sv)
		}
	}
	run := gosarif.NewRun(*gosarif.NewTool(driver))
	run.WithColumnKind("utf16CodeUnits")

	index := map[string]int{}
	addRule := func(d *gosarif.ReportingDescriptor) {
		index[d.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, d)
	}
	for _, rule := range rules.All() {
		addRule(descriptor(rule))
	}
	for _, f := range r.Findings {
		if f == nil {
			continue
		}
		if _, ok := index[f.RuleID]; !ok {
			addRule(unknownDescriptor(f))
		}
	}

	for _, f := range r.Findings {
		if f == nil {
			continue
		}
		run.AddResult(result(f, index[f.RuleID], r.ShowSecrets))
	}
	// Which advisory data the verdicts rest on, and what was scanned: the
	// same facts as the JSON report's data_sources and summary.files.
	props := gosarif.Properties{}
	if len(r.DataSources) > 0 {
		props["stripeguard/dataSources"] = r.DataSources
	}
	if r.Files != nil {
		props["stripeguard/files"] = r.Files
	}
	if len(props) > 0 {
		run.Properties = props
	}
	log.AddRun(run)
	return log, nil
}

// Write writes the SARIF log as indented JSON followed by a newline.
func (Format) Write(w io.Writer, r *report.Report) error {
	log, err := Build(r)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func descriptor(r *rules.Rule) *gosarif.ReportingDescriptor {
	d := gosarif.NewRule(r.ID).
		WithName(ruleName(r.ID)).
		WithShortDescription(gosarif.NewMultiformatMessageString(r.Name)).
		WithFullDescription(gosarif.NewMultiformatMessageString(r.Description)).
		WithTextHelp(helpText(r)).
		WithMarkdownHelp(helpMarkdown(r)).
		WithDefaultConfiguration(gosarif.NewReportingConfiguration().WithLevel(Level(r.Severity))).
		WithProperties(gosarif.Properties{
			"security-severity": r.Severity.SecuritySeverity(),
			"tags":              []string{"security", string(r.Threat)},
			"precision":         "high",
			"threat":            string(r.Threat),
			"severity":          r.Severity.String(),
		})
	if r.HelpURI != "" {
		d.WithHelpURI(r.HelpURI)
	}
	return d
}

// unknownDescriptor describes a rule id that is not registered, from the
// first finding that uses it.
func unknownDescriptor(f *finding.Finding) *gosarif.ReportingDescriptor {
	threat := string(f.Threat)
	d := gosarif.NewRule(f.RuleID).
		WithName(ruleName(f.RuleID)).
		WithShortDescription(gosarif.NewMultiformatMessageString(f.RuleID)).
		WithDefaultConfiguration(gosarif.NewReportingConfiguration().WithLevel(Level(f.Severity))).
		WithProperties(gosarif.Properties{
			"security-severity": f.Severity.SecuritySeverity(),
			"tags":              []string{"security", threat},
			"threat":            threat,
			"severity":          f.Severity.String(),
		})
	if f.Mitigation != "" {
		d.WithTextHelp(f.Mitigation).WithMarkdownHelp(f.Mitigation)
	}
	return d
}

// ruleName turns "webhook/unverified-payload" into the PascalCase
// "WebhookUnverifiedPayload" SARIF recommends for reportingDescriptor.name.
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, c := range id {
		if c == '/' || c == '-' || c == '_' || c == '.' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteRune(c)
	}
	return b.String()
}

func helpText(r *rules.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\nMitigation: %s", r.Name, r.Description, r.Mitigation)
	if r.Vulnerable != "" {
		fmt.Fprintf(&b, "\n\nVulnerable:\n%s", r.Vulnerable)
	}
	if r.Fixed != "" {
		fmt.Fprintf(&b, "\n\nFixed:\n%s", r.Fixed)
	}
	if r.HelpURI != "" {
		fmt.Fprintf(&b, "\n\nMore: %s", r.HelpURI)
	}
	return b.String()
}

func helpMarkdown(r *rules.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (threat: `%s`, default severity: %s)\n\n%s\n\n**Mitigation:** %s", r.Name, r.Threat, r.Severity, r.Description, r.Mitigation)
	if r.Vulnerable != "" {
		fmt.Fprintf(&b, "\n\n**Vulnerable**\n\n%s", fence(r.Vulnerable))
	}
	if r.Fixed != "" {
		fmt.Fprintf(&b, "\n\n**Fixed**\n\n%s", fence(r.Fixed))
	}
	if r.HelpURI != "" {
		fmt.Fprintf(&b, "\n\n[More information](%s)", r.HelpURI)
	}
	return b.String()
}

// fence wraps code in a fenced block longer than any backtick run inside.
func fence(code string) string {
	n, run := 3, 0
	for _, c := range code {
		if c == '`' {
			run++
			if run >= n {
				n = run + 1
			}
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", n)
	return f + "python\n" + code + "\n" + f
}

func result(f *finding.Finding, ruleIndex int, show bool) *gosarif.Result {
	msg := f.Message
	if f.Mitigation != "" {
		msg += "\nMitigation: " + f.Mitigation
	}
	res := gosarif.NewRuleResult(f.RuleID).
		WithRuleIndex(ruleIndex).
		WithLevel(Level(f.Severity)).
		WithMessage(gosarif.NewTextMessage(msg))
	if loc := location(f); loc != nil {
		res.AddLocation(loc)
	}
	for _, rel := range f.Related {
		if l := relatedLocation(rel); l != nil {
			res.AddRelatedLocation(l)
		}
	}
	if f.Fingerprint != "" {
		res.WithPartialFingerPrints(map[string]any{GitHubFingerprint: f.Fingerprint, OwnFingerprint: f.Fingerprint})
	}
	props := gosarif.Properties{
		"threat":   string(f.Threat),
		"severity": f.Severity.String(),
	}
	if ev := report.SafeEvidence(f, show); ev != "" {
		props["evidence"] = ev
	}
	if f.Context != "" {
		props["context"] = f.Context
	}
	if f.Commit != "" {
		props["commit"] = f.Commit
	}
	if f.URL != "" {
		props["url"] = f.URL
	}
	if f.Package != nil {
		props["package"] = f.Package
	}
	if f.History != nil {
		props["history"] = f.History
	}
	if f.Verification != nil {
		props["verification"] = f.Verification
	}
	res.Properties = props
	return res
}

// location is the finding's primary location: a file relative to
// %SRCROOT% with a region, the outer archive for an archive member (the
// member path and line go in the location message), or the probed URL.
// It is nil when there is nothing to point at.
func location(f *finding.Finding) *gosarif.Location {
	if f.File != "" {
		file, member := f.File, ""
		if i := strings.IndexByte(file, '!'); i > 0 {
			file, member = file[:i], file[i+1:]
		}
		uri := fileURI(file)
		if uri == "" {
			return nil
		}
		pl := gosarif.NewPhysicalLocation().WithArtifactLocation(
			gosarif.NewSimpleArtifactLocation(uri).WithUriBaseId(SrcRoot))
		loc := gosarif.NewLocationWithPhysicalLocation(pl)
		var notes []string
		if member != "" {
			m := "in archive member " + member
			if f.Line > 0 {
				m += fmt.Sprintf(":%d", f.Line)
			}
			notes = append(notes, m)
		} else if reg := region(f.Line, f.Column, f.EndLine, f.EndColumn); reg != nil {
			pl.WithRegion(reg)
		}
		if f.Context != "" {
			notes = append(notes, f.Context)
		}
		if f.Commit != "" {
			notes = append(notes, "in commit "+short(f.Commit))
		}
		if len(notes) > 0 {
			loc.WithMessage(gosarif.NewTextMessage(strings.Join(notes, "; ")))
		}
		return loc
	}
	if f.URL != "" {
		u, err := url.Parse(f.URL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil
		}
		return gosarif.NewLocationWithPhysicalLocation(gosarif.NewPhysicalLocation().
			WithArtifactLocation(gosarif.NewSimpleArtifactLocation(u.String())))
	}
	return nil
}

func relatedLocation(l finding.Location) *gosarif.Location {
	if l.File == "" || strings.Contains(l.File, "!") {
		return nil
	}
	uri := fileURI(l.File)
	if uri == "" {
		return nil
	}
	pl := gosarif.NewPhysicalLocation().WithArtifactLocation(
		gosarif.NewSimpleArtifactLocation(uri).WithUriBaseId(SrcRoot))
	if reg := region(l.Line, l.Column, 0, 0); reg != nil {
		pl.WithRegion(reg)
	}
	loc := gosarif.NewLocationWithPhysicalLocation(pl)
	if l.Message != "" {
		loc.WithMessage(gosarif.NewTextMessage(l.Message))
	}
	return loc
}

// fileURI is a relative path as a relative URI reference: '/'-separated,
// percent-encoded, never absolute. "" for paths that cannot be relative.
func fileURI(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	if p == "" || strings.HasPrefix(p, "/") || (len(p) > 1 && p[1] == ':') {
		return ""
	}
	p = path.Clean(p)
	if p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return ""
	}
	u := url.URL{Path: p}
	s := u.EscapedPath()
	// A first segment with a colon would read as a scheme.
	if i := strings.IndexByte(s, ':'); i >= 0 && !strings.Contains(s[:i], "/") {
		s = "./" + s
	}
	return s
}

func region(line, col, endLine, endCol int) *gosarif.Region {
	if line <= 0 {
		return nil
	}
	reg := gosarif.NewRegion().WithStartLine(line)
	if col > 0 {
		reg.WithStartColumn(col)
	}
	if endLine >= line {
		reg.WithEndLine(endLine)
		if endCol > 0 && (endLine > line || endCol > col) {
			reg.WithEndColumn(endCol)
		}
	}
	return reg
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// semver is the version without a leading "v" when it looks semantic.
func semver(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v == "" || v[0] < '0' || v[0] > '9' || strings.Count(v, ".") < 2 {
		return ""
	}
	return v
}
