// Package osv reads OSV vulnerability records (https://ossf.github.io/osv-schema/)
// for the PyPI ecosystem from an osv.dev ecosystem zip, a directory tree (the
// PyPA advisory-database layout) or single JSON/YAML files, indexes them by
// PEP 503 package name and answers "which advisories affect name@version" and
// "which vulnerable versions does this specifier admit". It also downloads
// the PyPI zip into the user cache (Update).
package osv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Record is one OSV entry. Only the fields stripeguard uses are decoded;
// timestamps stay strings because YAML files write them both quoted and as
// YAML timestamps.
type Record struct {
	ID               string         `json:"id" yaml:"id"`
	Modified         string         `json:"modified,omitempty" yaml:"modified"`
	Published        string         `json:"published,omitempty" yaml:"published"`
	Withdrawn        string         `json:"withdrawn,omitempty" yaml:"withdrawn"`
	Aliases          []string       `json:"aliases,omitempty" yaml:"aliases"`
	Summary          string         `json:"summary,omitempty" yaml:"summary"`
	Details          string         `json:"details,omitempty" yaml:"details"`
	Severity         []Severity     `json:"severity,omitempty" yaml:"severity"`
	Affected         []Affected     `json:"affected,omitempty" yaml:"affected"`
	References       []Reference    `json:"references,omitempty" yaml:"references"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty" yaml:"database_specific"`
}

// Severity is a scored severity, e.g. {CVSS_V3, "CVSS:3.1/AV:N/..."}.
type Severity struct {
	Type  string `json:"type,omitempty" yaml:"type"`
	Score string `json:"score,omitempty" yaml:"score"`
}

// Affected is one affected package with its ranges and enumerated versions.
type Affected struct {
	Package          Package        `json:"package,omitempty" yaml:"package"`
	Ranges           []Range        `json:"ranges,omitempty" yaml:"ranges"`
	Versions         []string       `json:"versions,omitempty" yaml:"versions"`
	Severity         []Severity     `json:"severity,omitempty" yaml:"severity"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty" yaml:"database_specific"`
}

// Package names the affected package.
type Package struct {
	Ecosystem string `json:"ecosystem,omitempty" yaml:"ecosystem"`
	Name      string `json:"name,omitempty" yaml:"name"`
	Purl      string `json:"purl,omitempty" yaml:"purl"`
}

// Range is a version range; only ECOSYSTEM ranges are evaluated for PyPI.
type Range struct {
	Type   string  `json:"type,omitempty" yaml:"type"`
	Repo   string  `json:"repo,omitempty" yaml:"repo"`
	Events []Event `json:"events,omitempty" yaml:"events"`
}

// Event is one of introduced, fixed, last_affected, limit.
type Event struct {
	Introduced   string `json:"introduced,omitempty" yaml:"introduced"`
	Fixed        string `json:"fixed,omitempty" yaml:"fixed"`
	LastAffected string `json:"last_affected,omitempty" yaml:"last_affected"`
	Limit        string `json:"limit,omitempty" yaml:"limit"`
}

// Reference is a link.
type Reference struct {
	Type string `json:"type,omitempty" yaml:"type"`
	URL  string `json:"url,omitempty" yaml:"url"`
}

// maxRecordSize bounds one record; real ones are under 1 MB.
const maxRecordSize = 16 << 20

// DecodeRecord decodes a JSON or YAML record. format is "json", "yaml" or ""
// to sniff ('{' first means JSON).
func DecodeRecord(data []byte, format string) (*Record, error) {
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("record too large (%d bytes)", len(data))
	}
	if format == "" {
		if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
			format = "json"
		} else {
			format = "yaml"
		}
	}
	var r Record
	switch format {
	case "json":
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, err
		}
	default:
		if err := yaml.Unmarshal(data, &r); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(r.ID) == "" {
		return nil, fmt.Errorf("record has no id")
	}
	return &r, nil
}

// URL is where a person reads the advisory.
func (r *Record) URL() string { return "https://osv.dev/vulnerability/" + r.ID }

// ShortSummary is the summary, or the first sentence of the details.
func (r *Record) ShortSummary() string {
	s := strings.TrimSpace(r.Summary)
	if s == "" {
		s = strings.TrimSpace(r.Details)
		if i := strings.IndexAny(s, "\n"); i > 0 {
			// TrimSpace again: the summary must read the same when
			// recomputed from itself (the advisory index stores it).
			s = strings.TrimSpace(s[:i])
		}
		// First sentence, but not a too-short one such as "Requests is
		// a HTTP library."
		if len(s) > 60 {
			if i := strings.Index(s[40:], ". "); i >= 0 {
				s = s[:40+i+1]
			}
		}
	}
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return s
}
