// Package cyclonedx writes the packages and vulnerabilities of a report as a
// CycloneDX 1.5 JSON SBOM/VEX document (format name "cyclonedx"), for tools
// such as Dependency-Track. Only findings that carry a finding.Package
// contribute; the output is deterministic (no timestamp, serial number
// derived from the content).
package cyclonedx

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
)

func init() {
	report.RegisterFormat("cyclonedx", func(report.Options) report.Format { return Format{} })
}

// Format is the CycloneDX JSON format.
type Format struct{}

// BOM is the subset of CycloneDX 1.5 that stripeguard fills.
type BOM struct {
	BOMFormat       string          `json:"bomFormat"`
	SpecVersion     string          `json:"specVersion"`
	SerialNumber    string          `json:"serialNumber"`
	Version         int             `json:"version"`
	Metadata        Metadata        `json:"metadata"`
	Components      []Component     `json:"components"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
}

type Metadata struct {
	Tools     Tools      `json:"tools"`
	Component *Component `json:"component,omitempty"`
}

type Tools struct {
	Components []Component `json:"components"`
}

type Component struct {
	Type       string     `json:"type"`
	BOMRef     string     `json:"bom-ref,omitempty"`
	Name       string     `json:"name"`
	Version    string     `json:"version,omitempty"`
	Purl       string     `json:"purl,omitempty"`
	Properties []Property `json:"properties,omitempty"`
}

type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type Source struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type Reference struct {
	ID     string `json:"id"`
	Source Source `json:"source"`
}

type Rating struct {
	Source   *Source `json:"source,omitempty"`
	Severity string  `json:"severity"`
	Method   string  `json:"method,omitempty"`
}

type Affect struct {
	Ref      string          `json:"ref"`
	Versions []AffectVersion `json:"versions,omitempty"`
}

type AffectVersion struct {
	Version string `json:"version,omitempty"`
	Range   string `json:"range,omitempty"`
	Status  string `json:"status"`
}

type Vulnerability struct {
	BOMRef         string      `json:"bom-ref"`
	ID             string      `json:"id"`
	Source         Source      `json:"source"`
	References     []Reference `json:"references,omitempty"`
	Ratings        []Rating    `json:"ratings"`
	Description    string      `json:"description,omitempty"`
	Recommendation string      `json:"recommendation,omitempty"`
	Affects        []Affect    `json:"affects"`
}

// Purl is the package URL of a PyPI package (name already PEP 503
// normalised by the analyzers; version "" for a range).
func Purl(name, version string) string {
	p := "pkg:pypi/" + purlEscape(strings.ToLower(name))
	if version != "" {
		p += "@" + purlEscape(version)
	}
	return p
}

// purlEscape percent-encodes everything but unreserved characters; notably
// '+' of local versions becomes %2B as the purl spec requires.
func purlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// vers converts a PEP 440 specifier to a vers range when every clause has a
// vers equivalent (~= and wildcards do not); "" otherwise.
func vers(spec string) string {
	if spec == "" {
		return "vers:pypi/*"
	}
	var parts []string
	for _, c := range strings.Split(spec, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if strings.Contains(c, "*") || strings.HasPrefix(c, "~=") || strings.HasPrefix(c, "===") {
			return ""
		}
		switch {
		case strings.HasPrefix(c, "=="):
			c = strings.TrimSpace(c[2:])
		case strings.HasPrefix(c, ">="), strings.HasPrefix(c, "<="), strings.HasPrefix(c, "!="):
			c = c[:2] + strings.TrimSpace(c[2:])
		case strings.HasPrefix(c, ">"), strings.HasPrefix(c, "<"):
			c = c[:1] + strings.TrimSpace(c[1:])
		default:
			return ""
		}
		parts = append(parts, c)
	}
	return "vers:pypi/" + strings.Join(parts, "|")
}

func aliasSource(id string) Source {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case strings.HasPrefix(id, "GHSA-"):
		return Source{Name: "GitHub", URL: "https://github.com/advisories/" + id}
	}
	return Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + id}
}

func severityName(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info:
		return s.String()
	}
	return "unknown"
}

// Build turns a report into a BOM.
func Build(r *report.Report) *BOM {
	bom := &BOM{BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1,
		Components: []Component{}, Vulnerabilities: []Vulnerability{}}
	bom.Metadata.Tools.Components = []Component{{Type: "application", Name: r.Tool.Name, Version: r.Tool.Version}}
	if r.Target != "" {
		bom.Metadata.Component = &Component{Type: "application", Name: r.Target, BOMRef: "target"}
	}
	comps := map[string]*Component{}
	vulns := map[string]*Vulnerability{}
	// The inventory lists every package the audit saw; findings then add
	// locations and vulnerabilities.
	for _, p := range r.Packages {
		if (p.Name == "" && p.URL == "") || (p.Ecosystem != "" && p.Ecosystem != "PyPI") {
			continue
		}
		ref := Purl(p.Name, p.Version)
		c := &Component{Type: "library", BOMRef: ref, Name: p.Name, Version: p.Version, Purl: ref}
		if p.Name == "" {
			// A direct reference whose project name is not written
			// anywhere (a local directory, a VCS URL without #egg=):
			// no purl can be made, the URL identifies it.
			ref = "direct:" + p.URL
			c = &Component{Type: "library", BOMRef: ref, Name: directName(p.URL)}
		}
		if comps[ref] != nil {
			continue
		}
		if p.Source != "" {
			c.Properties = append(c.Properties, Property{Name: "stripeguard:source", Value: p.Source})
		}
		if p.URL != "" {
			c.Properties = append(c.Properties, Property{Name: "stripeguard:direct-reference", Value: p.URL})
		}
		if p.Version == "" && p.Specifier != "" {
			c.Properties = append(c.Properties, Property{Name: "stripeguard:specifier", Value: p.Specifier})
		}
		comps[ref] = c
	}
	for _, f := range r.Findings {
		p := f.Package
		if p == nil || p.Name == "" || (p.Ecosystem != "" && p.Ecosystem != "PyPI") {
			continue
		}
		ref := Purl(p.Name, p.Version)
		c := comps[ref]
		if c == nil {
			c = &Component{Type: "library", BOMRef: ref, Name: p.Name, Version: p.Version, Purl: ref}
			if p.Source != "" {
				c.Properties = append(c.Properties, Property{Name: "stripeguard:source", Value: p.Source})
			}
			if p.Version == "" && p.Specifier != "" {
				c.Properties = append(c.Properties, Property{Name: "stripeguard:specifier", Value: p.Specifier})
			}
			comps[ref] = c
		}
		if f.File != "" {
			loc := f.File
			if f.Line > 0 {
				loc = fmt.Sprintf("%s:%d", f.File, f.Line)
			}
			prop := Property{Name: "stripeguard:location", Value: loc}
			if !hasProp(c.Properties, prop) {
				c.Properties = append(c.Properties, prop)
			}
		}
		for _, a := range p.Advisories {
			v := vulns[a.ID]
			if v == nil {
				url := a.URL
				if url == "" {
					url = aliasSource(a.ID).URL
				}
				v = &Vulnerability{BOMRef: "vuln:" + a.ID, ID: a.ID, Source: Source{Name: "OSV", URL: url},
					Ratings:     []Rating{{Source: &Source{Name: "stripeguard"}, Severity: severityName(a.Severity), Method: "other"}},
					Description: a.Summary}
				for _, al := range a.Aliases {
					v.References = append(v.References, Reference{ID: al, Source: aliasSource(al)})
				}
				vulns[a.ID] = v
			}
			af := Affect{Ref: ref}
			if p.Version != "" {
				af.Versions = []AffectVersion{{Version: p.Version, Status: "affected"}}
			} else if rg := vers(p.Specifier); rg != "" {
				af.Versions = []AffectVersion{{Range: rg, Status: "affected"}}
			}
			if !hasAffect(v.Affects, af) {
				v.Affects = append(v.Affects, af)
			}
			if p.FixedIn != "" {
				rec := fmt.Sprintf("Upgrade %s to %s or later.", p.Name, p.FixedIn)
				if !strings.Contains(v.Recommendation, rec) {
					v.Recommendation = strings.TrimSpace(v.Recommendation + " " + rec)
				}
			}
		}
	}
	for _, c := range comps {
		bom.Components = append(bom.Components, *c)
	}
	sort.Slice(bom.Components, func(i, j int) bool { return bom.Components[i].BOMRef < bom.Components[j].BOMRef })
	for _, v := range vulns {
		sort.Slice(v.Affects, func(i, j int) bool { return v.Affects[i].Ref < v.Affects[j].Ref })
		bom.Vulnerabilities = append(bom.Vulnerabilities, *v)
	}
	sort.Slice(bom.Vulnerabilities, func(i, j int) bool { return bom.Vulnerabilities[i].ID < bom.Vulnerabilities[j].ID })
	// A content-derived serial keeps output reproducible for identical scans.
	body, _ := json.Marshal(struct {
		C []Component
		V []Vulnerability
		T string
	}{bom.Components, bom.Vulnerabilities, r.Target})
	sum := sha256.Sum256(body)
	sum[6] = sum[6]&0x0f | 0x50 // version 5 (name-based, SHA)
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	bom.SerialNumber = fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	return bom
}

// directName is a display name for an unnamed direct reference: the last
// path segment of its URL or path.
func directName(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	u = strings.TrimRight(u, "/")
	if i := strings.LastIndexAny(u, `/\`); i >= 0 && i+1 < len(u) {
		u = u[i+1:]
	}
	return strings.TrimSuffix(u, ".git")
}

func hasProp(ps []Property, p Property) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func hasAffect(as []Affect, a Affect) bool {
	for _, x := range as {
		if x.Ref == a.Ref {
			return true
		}
	}
	return false
}

// Write implements report.Format.
func (Format) Write(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(Build(r))
}
