package mitigation

import "github.com/stripeguard/stripeguard/internal/finding"

// Controls whose analyzers do not exist yet are still listed, so the report
// says "not checked" instead of pretending the threat is covered.
func init() {
	// The probe decides webhook controls against a live endpoint, outside
	// scans: a scan report says how to run it.
	DescribeChecker("probe", "`stripeguard probe URL` against a running endpoint")
	Register(
		&Mitigation{ID: "keys.rotated-after-exposure", Threat: finding.KeyExposure, Title: "Keys that ever reached git history were rotated", CheckedBy: []string{"history"}},
	)
}
