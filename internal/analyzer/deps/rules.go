package deps

import (
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Mitigation ids decided by the dependency audit. All need evidence: with no
// advisory data, or no stripe in the tree, silence proves nothing.
const (
	MitigationStripePatched = "deps.stripe-patched"
	MitigationStripePinned  = "deps.stripe-pinned"
	MitigationNoKnownVulns  = "deps.no-known-vulnerabilities"
	MitigationDataFresh     = "deps.advisory-data-fresh"
)

func init() {
	mitigation.Register(
		&mitigation.Mitigation{ID: MitigationStripePatched, Threat: finding.StripeVulnerability, Title: "The stripe version installed or locked has no known advisories", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationStripePinned, Threat: finding.StripeVulnerability, Title: "stripe is pinned (lock file or ==) and comes from PyPI", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationNoKnownVulns, Threat: finding.DependencyVulnerability, Title: "No dependency, direct or transitive, has a known vulnerability", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationDataFresh, Threat: finding.DependencyVulnerability, Title: "The audit used current advisory data (stripeguard db update within the last week)", CheckedBy: []string{Name}, NeedsEvidence: true},
	)
	rules.Register(Rules...)
}

// Rules of the dependency audit.
var Rules = []*rules.Rule{
	VulnerableStripe, StripeRangeAdmitsVulnerable, StripeUnpinned, StripeUnexpectedSource,
	VulnerablePackage, RangeAdmitsVulnerable, AdvisoryDataStale,
}

var (
	VulnerableStripe = &rules.Rule{
		ID: "deps/vulnerable-stripe", Threat: finding.StripeVulnerability, Severity: finding.High,
		Name:         "stripe version with a known vulnerability",
		Description:  "The stripe package installed, locked or pinned is affected by a published advisory (OSV: PYSEC/GHSA/CVE). The finding lists the advisories, their severity (CVSS v3 base score when the record has one, else high) and the fixed versions.",
		Mitigation:   "Upgrade stripe to the fixed version named in the finding (the smallest one that fixes every advisory) and re-lock.",
		MitigationID: MitigationStripePatched,
		Vulnerable:   "stripe==2.0.0  # version listed by an advisory",
		Fixed:        "stripe==<fixed version from the finding>",
	}
	StripeRangeAdmitsVulnerable = &rules.Rule{
		ID: "deps/stripe-range-admits-vulnerable", Threat: finding.StripeVulnerability, Severity: finding.Medium,
		Name:         "stripe requirement allows a vulnerable version",
		Description:  "No installed or locked stripe version was found, and the version range declared for stripe admits a version affected by an advisory, so a fresh install may get it. Reported one severity level below the advisory.",
		Mitigation:   "Raise the lower bound of the stripe requirement to the fixed version, and lock the resolved version.",
		MitigationID: MitigationStripePatched,
		Vulnerable:   "stripe>=2.0",
		Fixed:        "stripe>=<fixed version>,<next major",
	}
	StripeUnpinned = &rules.Rule{
		ID: "deps/stripe-unpinned", Threat: finding.StripeVulnerability, Severity: finding.Low,
		Name:         "stripe not pinned in an application",
		Description:  "The application declares stripe without an exact pin and no lock file pins it, so every deploy may install a different version: a new major with breaking API changes, or (with no lower bound) a very old one. Medium when the range has no lower bound or admits versions older than the oldest supported major. Libraries (setup.py/setup.cfg, pyproject without a lock file) are expected to use ranges and are not reported.",
		Mitigation:   "Pin stripe with == in requirements.txt or commit a lock file (uv.lock, poetry.lock, Pipfile.lock, pylock.toml), and upgrade deliberately.",
		MitigationID: MitigationStripePinned,
		Vulnerable:   "stripe",
		Fixed:        "stripe==<version you tested>  # or a committed lock file",
	}
	StripeUnexpectedSource = &rules.Rule{
		ID: "deps/stripe-unexpected-source", Threat: finding.StripeVulnerability, Severity: finding.High,
		Name:         "stripe installed from somewhere other than PyPI",
		Description:  "stripe comes from a direct URL, a VCS checkout, a local path or a package index other than pypi.org. Such a copy gets no PyPI provenance and may be modified; an index that is not PyPI can serve any code under the name stripe.",
		Mitigation:   "Install stripe from https://pypi.org/simple (or a mirror that proxies it unchanged) and pin it with hashes.",
		MitigationID: MitigationStripePinned,
		Vulnerable:   "stripe @ git+https://github.com/someone/stripe-python@main",
		Fixed:        "stripe==<version> --hash=sha256:…  # from https://pypi.org/simple",
	}
	VulnerablePackage = &rules.Rule{
		ID: "deps/vulnerable-package", Threat: finding.DependencyVulnerability, Severity: finding.High,
		Name:         "Dependency with a known vulnerability",
		Description:  "A package the application installs (directly or transitively) is, at the installed, locked or pinned version, affected by a published advisory. Severity comes from the advisory's CVSS v3 vector when present, else its GitHub severity label, else high.",
		Mitigation:   "Upgrade the package to the fixed version named in the finding (the smallest one that fixes every advisory); for a transitive dependency, add a constraint or upgrade the package that requires it, and re-lock.",
		MitigationID: MitigationNoKnownVulns,
		Vulnerable:   "requests==2.30.0",
		Fixed:        "requests==2.31.0",
	}
	RangeAdmitsVulnerable = &rules.Rule{
		ID: "deps/range-admits-vulnerable", Threat: finding.DependencyVulnerability, Severity: finding.Low,
		Name:         "Requirement range allows a vulnerable version",
		Description:  "No installed or locked version of the package was found, and its declared range admits a version affected by an advisory. Reported one severity level below the advisory because the version actually installed may be a fixed one.",
		Mitigation:   "Raise the lower bound to the fixed version and lock dependencies.",
		MitigationID: MitigationNoKnownVulns,
		Vulnerable:   "requests>=2.0",
		Fixed:        "requests>=2.31.0",
	}
	AdvisoryDataStale = &rules.Rule{
		ID: "deps/advisory-data-stale", Threat: finding.DependencyVulnerability, Severity: finding.Info,
		Name:         "Advisory data is old",
		Description:  "The advisory data used for the audit (the cache `stripeguard db update` writes, --db, or, when neither exists, the snapshot built into stripeguard) was obtained more than 7 days ago, or its newest record is more than 30 days old, so recently published vulnerabilities are missed.",
		Mitigation:   "Run `stripeguard db update` (for example daily in CI, caching ~/.cache/stripeguard), `stripeguard db update --from all.zip` on a machine without network access, or pass --db with current data.",
		MitigationID: MitigationDataFresh,
		Vulnerable:   "advisory data newest record 2024-10-10",
		Fixed:        "stripeguard db update",
	}
)
