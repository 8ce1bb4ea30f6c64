// Package jsonfmt writes a report as the versioned JSON document described in
// docs/json-schema.md (format name "json"). The output is deterministic: no
// timestamps or durations, arrays never null, threats and severities always
// present and in report order.
package jsonfmt

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
)

func init() {
	report.RegisterFormat("json", func(report.Options) report.Format { return Format{} })
}

// Schema is the JSON Schema (draft-07) of the document, for consumers that
// validate reports; docs/json-schema.md explains every field.
//
//go:embed schema.json
var Schema []byte

// Format is the JSON format; it has no options.
type Format struct{}

// Severities lists the severity names in the order the document uses.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// Document is the top-level JSON object (schema_version 1.x).
type Document struct {
	SchemaVersion string                 `json:"schema_version"`
	Tool          report.Tool            `json:"tool"`
	Command       string                 `json:"command"`
	Target        string                 `json:"target"`
	Findings      []*finding.Finding     `json:"findings"`
	Summary       Summary                `json:"summary"`
	Checklist     Checklist              `json:"checklist"`
	Observations  []*finding.Observation `json:"observations"`
	Warnings      []*finding.Warning     `json:"warnings"`
	Analyzers     []string               `json:"analyzers"`
	Suppressed    int                    `json:"suppressed"`
	Baselined     int                    `json:"baselined"`
	Notes         []string               `json:"notes"`
	DataSources   []*finding.DataSource  `json:"data_sources"`
	ShowSecrets   bool                   `json:"show_secrets"`
}

// Summary counts findings; every threat and severity is present.
type Summary struct {
	Total      int      `json:"total"`
	ByThreat   ByThreat `json:"by_threat"`
	BySeverity Counts   `json:"by_severity"`
	// Files is what a scan read (absent for probe reports).
	Files *report.FileCounts `json:"files,omitempty"`
}

// Counts maps severity names to counts, written in Severities order.
type Counts map[string]int

// MarshalJSON writes every severity, highest first.
func (c Counts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, s := range Severities {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(s)
		v, _ := json.Marshal(c[s])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ByThreat maps each threat to its severity counts, written in
// finding.Threats order.
type ByThreat map[finding.Threat]Counts

// MarshalJSON writes the five threats in report order.
func (m ByThreat) MarshalJSON() ([]byte, error) {
	return marshalThreatMap(func(t finding.Threat) any { return m[t] })
}

// Item is one mitigation of a threat's checklist.
type Item struct {
	ID       string                  `json:"id"`
	Title    string                  `json:"title"`
	State    finding.MitigationState `json:"state"`
	Evidence []string                `json:"evidence"`
}

// Checklist maps each threat to its mitigation checklist, written in
// finding.Threats order.
type Checklist map[finding.Threat][]Item

// MarshalJSON writes the five threats in report order.
func (c Checklist) MarshalJSON() ([]byte, error) {
	return marshalThreatMap(func(t finding.Threat) any {
		if c[t] == nil {
			return []Item{}
		}
		return c[t]
	})
}

func marshalThreatMap(get func(finding.Threat) any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, t := range finding.Threats {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(string(t))
		v, err := marshal(get(t))
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so that evidence such as
// "a < b && c" stays readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Build turns a report into the JSON document. It does not modify r.
func Build(r *report.Report) *Document {
	d := &Document{
		SchemaVersion: report.SchemaVersion,
		Tool:          r.Tool,
		Command:       r.Command,
		Target:        r.Target,
		Findings:      make([]*finding.Finding, 0, len(r.Findings)),
		Summary:       Summary{ByThreat: ByThreat{}, BySeverity: Counts{}, Files: r.Files},
		Checklist:     Checklist{},
		Observations:  nonNil(r.Observations),
		Warnings:      nonNil(r.Warnings),
		Analyzers:     nonNil(r.Analyzers),
		Suppressed:    r.Suppressed,
		Baselined:     r.Baselined,
		Notes:         nonNil(r.Notes),
		DataSources:   nonNil(r.DataSources),
		ShowSecrets:   r.ShowSecrets,
	}
	for _, t := range finding.Threats {
		d.Summary.ByThreat[t] = Counts{}
	}
	for _, f := range r.Findings {
		if f == nil {
			continue
		}
		c := *f
		c.Evidence = report.SafeEvidence(f, r.ShowSecrets)
		d.Findings = append(d.Findings, &c)
		d.Summary.Total++
		sev := f.Severity.String()
		d.Summary.BySeverity[sev]++
		if m, ok := d.Summary.ByThreat[f.Threat]; ok {
			m[sev]++
		}
	}
	for _, t := range finding.Threats {
		items := []Item{}
		for _, st := range r.Checklist[t] {
			if st.Mitigation == nil {
				continue
			}
			items = append(items, Item{ID: st.Mitigation.ID, Title: st.Mitigation.Title, State: st.State, Evidence: nonNil(st.Evidence)})
		}
		d.Checklist[t] = items
	}
	return d
}

// Write writes the report as indented JSON followed by a newline.
func (Format) Write(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(Build(r))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
