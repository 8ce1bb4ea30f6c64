// Package report assembles a scan's stream of results into a Report and
// hands it to an output format. Formats live in subpackages (jsonfmt, sarif,
// text, markdown, ...) and register themselves; adding a format never touches
// analysis.
package report

import (
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// SchemaVersion is the version of the JSON report schema (docs/json-schema.md).
// Bump the minor for additions, the major for anything else.
const SchemaVersion = "1.1"

// Tool identifies the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Report is everything one run produced, ready for a format.
type Report struct {
	Tool Tool
	// Command is "scan" or "probe".
	Command string
	// Target is what was scanned: a directory (as given) or a URL.
	Target       string
	Findings     []*finding.Finding
	Warnings     []*finding.Warning
	Observations []*finding.Observation
	// Packages is the dependency inventory (name, best-known version and
	// where it came from), for SBOM formats; sorted by Finalize.
	Packages []*finding.Package
	// Analyzers lists the analyzers that ran, for "not checked" states.
	Analyzers []string
	// Available lists every analyzer linked into this build (whether it
	// ran or not), so that "not checked" can say whether an analyzer was
	// left out of this scan or does not exist yet. Empty when unknown.
	Available []string
	// Checklist is each threat's mitigation checklist, in finding.Threats
	// order (filled by Finalize).
	Checklist map[finding.Threat][]mitigation.Status
	// Suppressed counts findings hidden by inline comments, configuration
	// or the baseline.
	Suppressed int
	Baselined  int
	// Notes are facts about the run worth showing (staged mode, ...).
	Notes []string
	// DataSources is the data from outside the scanned tree the verdicts
	// rest on (the advisory database: which one, how old).
	DataSources []*finding.DataSource
	// Files counts what the scan read (nil when not a file scan).
	Files *FileCounts
	// Duration of the run; zero in golden tests.
	Duration time.Duration
	// ShowSecrets is true when evidence holds full secrets.
	ShowSecrets bool
	// Source is the scanned tree, for formats that show the code around a
	// finding (CodeContext); nil when there is none (probe, staged scans).
	Source fs.FS
}

// FileCounts says how much of the tree a scan covered.
type FileCounts struct {
	// Scanned: files on disk whose text the analyzers read.
	Scanned int `json:"scanned"`
	// Skipped: files on disk (or archive members) not scanned: binary,
	// over --max-file-size, unreadable, symlinks not followed. Each is a
	// warning.
	Skipped int `json:"skipped"`
	// Expanded: archives, wheels and .pyc files opened; Members: the text
	// members read from them.
	Expanded int `json:"expanded"`
	Members  int `json:"members"`
}

// Summary counts findings by threat and severity.
type Summary struct {
	Total      int                                 `json:"total"`
	ByThreat   map[finding.Threat]map[string]int   `json:"by_threat"`
	BySeverity map[string]int                      `json:"by_severity"`
	Highest    map[finding.Threat]finding.Severity `json:"-"`
}

// Finalize sorts findings (severity desc, then file, line, rule), warnings,
// and computes the checklists. Reporters call nothing else.
func (r *Report) Finalize() {
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Fingerprint < b.Fingerprint
	})
	sort.SliceStable(r.Warnings, func(i, j int) bool {
		a, b := r.Warnings[i], r.Warnings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
	// Analyzers that read the same file (the dependency audit and the
	// supply-chain analyzer both parse manifests) report its problems once.
	ws := r.Warnings[:0]
	for i, w := range r.Warnings {
		if i > 0 && *w == *r.Warnings[i-1] {
			continue
		}
		ws = append(ws, w)
	}
	r.Warnings = ws
	sort.SliceStable(r.Observations, func(i, j int) bool {
		a, b := r.Observations[i], r.Observations[j]
		if a.Mitigation != b.Mitigation {
			return a.Mitigation < b.Mitigation
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Detail < b.Detail
	})
	sort.Strings(r.Analyzers)
	sort.SliceStable(r.Packages, func(i, j int) bool {
		a, b := r.Packages[i], r.Packages[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Version < b.Version
	})
	ran := r.Ran()
	missing := map[string][]string{}
	for _, f := range r.Findings {
		rule := rules.Lookup(f.RuleID)
		if rule == nil || rule.MitigationID == "" {
			continue
		}
		where := f.File
		if f.URL != "" {
			where = f.URL
		}
		if f.Line > 0 {
			where = fmt.Sprintf("%s:%d", where, f.Line)
		}
		entry := f.RuleID
		if where != "" {
			entry += " at " + where
		} else if f.Context != "" {
			entry += " (" + f.Context + ")"
		}
		missing[rule.MitigationID] = append(missing[rule.MitigationID], entry)
		for _, id := range rule.Contradicts {
			missing[id] = append(missing[id], entry)
		}
	}
	r.Checklist = map[finding.Threat][]mitigation.Status{}
	for _, t := range finding.Threats {
		sts := mitigation.Evaluate(t, r.Observations, missing, ran)
		for i := range sts {
			if sts[i].State == finding.NotChecked && len(sts[i].Evidence) == 0 {
				sts[i].Evidence = []string{r.notCheckedReason(sts[i].Mitigation, ran)}
			}
		}
		r.Checklist[t] = sts
	}
}

// notCheckedReason says why no analyzer decided m: each checker that can
// decide it was left out of this scan, runs outside scans (the probe), or
// is not in this build yet.
func (r *Report) notCheckedReason(m *mitigation.Mitigation, ran map[string]bool) string {
	if len(m.CheckedBy) == 0 {
		return "no analyzer checks this"
	}
	if len(r.Available) == 0 {
		return NotCheckedReason(m, ran)
	}
	avail := map[string]bool{}
	for _, a := range r.Available {
		avail[a] = true
	}
	var skipped, planned, how []string
	for _, a := range m.CheckedBy {
		switch {
		case ran[a]:
		case avail[a]:
			skipped = append(skipped, a)
		case mitigation.CheckerHow(a) != "":
			how = append(how, mitigation.CheckerHow(a))
		default:
			planned = append(planned, a)
		}
	}
	var parts []string
	if len(skipped) > 0 {
		parts = append(parts, "the "+AndList(skipped)+" analyzer did not run in this scan")
	}
	for _, h := range how {
		parts = append(parts, "checked by "+h)
	}
	if len(planned) > 0 {
		parts = append(parts, "no analyzer in this build checks it yet (planned: "+AndList(planned)+")")
	}
	return strings.Join(parts, "; ")
}

// Summarize counts the findings.
func (r *Report) Summarize() Summary {
	s := Summary{
		ByThreat:   map[finding.Threat]map[string]int{},
		BySeverity: map[string]int{},
		Highest:    map[finding.Threat]finding.Severity{},
	}
	for _, t := range finding.Threats {
		s.ByThreat[t] = map[string]int{}
	}
	for _, f := range r.Findings {
		s.Total++
		s.ByThreat[f.Threat][f.Severity.String()]++
		s.BySeverity[f.Severity.String()]++
		if f.Severity > s.Highest[f.Threat] {
			s.Highest[f.Threat] = f.Severity
		}
	}
	return s
}

// Options tune a format.
type Options struct {
	// Color enables ANSI colour (text format, only on a TTY).
	Color bool
	// Width is the terminal width the text format wraps to; 0 means 80
	// (output that is not a terminal).
	Width int
	// Brief leaves the threat-model checklist out: the findings and one
	// summary line, as a pre-commit hook prints (scan --staged without
	// --checklist). Machine formats ignore it.
	Brief bool
}

// Format writes a report.
type Format interface {
	Write(w io.Writer, r *Report) error
}

var (
	mu      sync.RWMutex
	formats = map[string]func(Options) Format{}
)

// RegisterFormat is called from each format package's init.
func RegisterFormat(name string, mk func(Options) Format) {
	mu.Lock()
	defer mu.Unlock()
	formats[name] = mk
}

// Lookup returns the format of that name.
func Lookup(name string, o Options) (Format, error) {
	mu.RLock()
	defer mu.RUnlock()
	mk, ok := formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want one of %v)", name, formatNamesLocked())
	}
	return mk(o), nil
}

// FormatNames lists the registered formats.
func FormatNames() []string {
	mu.RLock()
	defer mu.RUnlock()
	return formatNamesLocked()
}

func formatNamesLocked() []string {
	var n []string
	for k := range formats {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
