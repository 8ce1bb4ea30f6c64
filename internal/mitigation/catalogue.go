package mitigation

import "github.com/stripeguard/stripeguard/internal/finding"

// Controls whose analyzers do not exist yet are still listed, so the report
// says "not checked" instead of pretending the threat is covered.
func init() {
	Register(
		&Mitigation{ID: "keys.rotated-after-exposure", Threat: finding.KeyExposure, Title: "Keys that ever reached git history were rotated", CheckedBy: []string{"history"}},
	)
}
