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
		&Mitigation{ID: "supply.hash-pinned", Threat: finding.MaliciousPackage, Title: "Dependencies are installed with hash checking (--require-hashes, hashes in the lock file)", CheckedBy: []string{"supplychain"}},
		&Mitigation{ID: "supply.single-index", Threat: finding.MaliciousPackage, Title: "Packages come from one trusted index (no --extra-index-url dependency confusion)", CheckedBy: []string{"supplychain"}},
		&Mitigation{ID: "supply.no-typosquats", Threat: finding.MaliciousPackage, Title: "No typosquats of stripe or its dependencies, no known-malicious packages", CheckedBy: []string{"supplychain"}},
		&Mitigation{ID: "supply.record-intact", Threat: finding.MaliciousPackage, Title: "Installed files match their RECORD hashes", CheckedBy: []string{"supplychain"}},
	)
}
