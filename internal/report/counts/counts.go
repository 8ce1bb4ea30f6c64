// Package counts writes a report as name=value lines (format name
// "counts"): the number of findings in all, per severity and per threat,
// and how many were suppressed or baselined. It is meant for shell scripts
// and CI systems: the lines can be appended to $GITHUB_OUTPUT as they are,
// and read with `grep '^key-exposure=' | cut -d= -f2`.
package counts

import (
	"bufio"
	"fmt"
	"io"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
)

func init() {
	report.RegisterFormat("counts", func(report.Options) report.Format { return Format{} })
}

// Format is the counts format; it has no options.
type Format struct{}

// Severities in the order the lines use.
var severities = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

// Write writes the lines: findings, then each severity, then each threat
// (its slug), then suppressed and baselined. Every name is always present.
func (Format) Write(w io.Writer, r *report.Report) error {
	s := r.Summarize()
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "findings=%d\n", s.Total)
	for _, sev := range severities {
		fmt.Fprintf(b, "%s=%d\n", sev, s.BySeverity[sev.String()])
	}
	for _, t := range finding.Threats {
		n := 0
		for _, c := range s.ByThreat[t] {
			n += c
		}
		fmt.Fprintf(b, "%s=%d\n", t, n)
	}
	fmt.Fprintf(b, "suppressed=%d\nbaselined=%d\n", r.Suppressed, r.Baselined)
	return b.Flush()
}
