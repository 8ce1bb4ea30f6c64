package osv

import (
	"fmt"
	"math"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// DefaultSeverity is used when a record carries neither a CVSS v3 vector
// nor a GitHub severity label: a known vulnerability with unknown impact is
// treated as high rather than hidden.
const DefaultSeverity = finding.High

var cvssWeights = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"UI": {"N": 0.85, "R": 0.62},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

// CVSS3BaseScore computes the base score of a CVSS v3.0/v3.1 vector
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" -> 9.8) following the
// specification's formulas, including its Roundup.
func CVSS3BaseScore(vector string) (float64, error) {
	parts := strings.Split(strings.TrimSpace(vector), "/")
	if len(parts) == 0 || !strings.HasPrefix(parts[0], "CVSS:3.") {
		return 0, fmt.Errorf("not a CVSS v3 vector: %q", vector)
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			return 0, fmt.Errorf("malformed metric %q in %q", p, vector)
		}
		if _, dup := m[k]; dup {
			return 0, fmt.Errorf("metric %s repeated in %q", k, vector)
		}
		m[k] = v
	}
	w := map[string]float64{}
	for metric, vals := range cvssWeights {
		x, ok := vals[m[metric]]
		if !ok {
			return 0, fmt.Errorf("missing or invalid %s in %q", metric, vector)
		}
		w[metric] = x
	}
	scope := m["S"]
	if scope != "U" && scope != "C" {
		return 0, fmt.Errorf("missing or invalid S in %q", vector)
	}
	var pr float64
	switch m["PR"] {
	case "N":
		pr = 0.85
	case "L":
		pr = 0.62
		if scope == "C" {
			pr = 0.68
		}
	case "H":
		pr = 0.27
		if scope == "C" {
			pr = 0.5
		}
	default:
		return 0, fmt.Errorf("missing or invalid PR in %q", vector)
	}
	iss := 1 - (1-w["C"])*(1-w["I"])*(1-w["A"])
	var impact float64
	if scope == "U" {
		impact = 6.42 * iss
	} else {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	expl := 8.22 * w["AV"] * w["AC"] * pr * w["UI"]
	if impact <= 0 {
		return 0, nil
	}
	if scope == "U" {
		return roundup(math.Min(impact+expl, 10)), nil
	}
	return roundup(math.Min(1.08*(impact+expl), 10)), nil
}

// roundup is CVSS v3.1 Appendix A: the smallest number with one decimal
// that is >= x, computed on integers to avoid float artefacts.
func roundup(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// SeverityFromScore buckets a CVSS score the way NVD does.
func SeverityFromScore(s float64) finding.Severity {
	switch {
	case s >= 9:
		return finding.Critical
	case s >= 7:
		return finding.High
	case s >= 4:
		return finding.Medium
	case s > 0:
		return finding.Low
	}
	return finding.Info
}

// RecordSeverity is the severity of a record: the highest CVSS v3 base
// score among the record's and its affected entries' vectors; else GitHub's
// database_specific.severity label; else DefaultSeverity. score is the CVSS
// score used (0 when none); known is false when the default was used.
func RecordSeverity(r *Record) (sev finding.Severity, score float64, known bool) {
	found := false
	consider := func(ss []Severity) {
		for _, s := range ss {
			if s.Type != "CVSS_V3" {
				continue
			}
			if x, err := CVSS3BaseScore(s.Score); err == nil && (!found || x > score) {
				score, found = x, true
			}
		}
	}
	consider(r.Severity)
	for _, a := range r.Affected {
		consider(a.Severity)
	}
	if found {
		return SeverityFromScore(score), score, true
	}
	label, _ := r.DatabaseSpecific["severity"].(string)
	switch strings.ToUpper(label) {
	case "CRITICAL":
		return finding.Critical, 0, true
	case "HIGH":
		return finding.High, 0, true
	case "MODERATE", "MEDIUM":
		return finding.Medium, 0, true
	case "LOW":
		return finding.Low, 0, true
	}
	return DefaultSeverity, 0, false
}
