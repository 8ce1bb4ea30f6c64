// Package finding is the one data model of stripeguard: every source and
// analyzer produces Findings (problems), Observations (mitigations seen in
// place or missing) and Warnings (input it could not read), and every reporter
// consumes them. Nothing else crosses package boundaries.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Threat is one of the five threats of the stripeguard threat model.
type Threat string

const (
	KeyExposure             Threat = "key-exposure"
	WebhookForgery          Threat = "webhook-forgery"
	StripeVulnerability     Threat = "stripe-vulnerability"
	DependencyVulnerability Threat = "dependency-vulnerability"
	MaliciousPackage        Threat = "malicious-package"
)

// Threats lists the threats in the order reports present them.
var Threats = []Threat{KeyExposure, WebhookForgery, StripeVulnerability, DependencyVulnerability, MaliciousPackage}

// Title is the human name of a threat.
func (t Threat) Title() string {
	switch t {
	case KeyExposure:
		return "Stripe key exposure"
	case WebhookForgery:
		return "Webhook forgery"
	case StripeVulnerability:
		return "Vulnerable stripe library"
	case DependencyVulnerability:
		return "Vulnerable dependencies"
	case MaliciousPackage:
		return "Malicious or tampered packages"
	}
	return string(t)
}

// Valid reports whether t is one of the five threats.
func (t Threat) Valid() bool {
	for _, x := range Threats {
		if x == t {
			return true
		}
	}
	return false
}

// Severity orders findings; the zero value is invalid on purpose so that a
// rule that forgot to set one is caught by tests.
type Severity int

const (
	SeverityUnknown Severity = iota
	Info
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"unknown", "info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity accepts the lower-case names used on the command line, in
// configuration and in JSON.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if i > 0 && strings.EqualFold(strings.TrimSpace(s), n) {
			return Severity(i), nil
		}
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", s)
}

// MarshalText makes severities appear as their names in JSON and TOML.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText is the inverse of MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// SecuritySeverity is the CVSS-like score GitHub code scanning reads from
// SARIF rule properties to bucket alerts.
func (s Severity) SecuritySeverity() string {
	switch s {
	case Critical:
		return "9.5"
	case High:
		return "8.0"
	case Medium:
		return "5.5"
	case Low:
		return "3.0"
	}
	return "0.0"
}

// Finding is one problem at one place.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Threat   Threat   `json:"threat"`
	Severity Severity `json:"severity"`
	// File is relative to the scanned root and '/'-separated. A member of an
	// archive is written "outer.zip!inner/path".
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	EndColumn int    `json:"end_column,omitempty"`
	// Context says where in the file it is when a line is not enough, e.g.
	// "notebook cell 3 (output)" or "Dockerfile ENV".
	Context string `json:"context,omitempty"`
	// Commit and URL locate findings that are not in the working tree.
	Commit     string `json:"commit,omitempty"`
	URL        string `json:"url,omitempty"`
	Message    string `json:"message"`
	Evidence   string `json:"evidence,omitempty"`
	Mitigation string `json:"mitigation"`
	// Fingerprint identifies the finding across runs; see SetFingerprint.
	Fingerprint string `json:"fingerprint"`
	// Package is set by the dependency and supply-chain analyzers.
	Package *Package `json:"package,omitempty"`
	// Related points at other findings or places this one is linked to
	// (e.g. the raw key finding a code finding refers to).
	Related []Location `json:"related,omitempty"`
	// History is set on findings from git history (scan --history): one
	// finding per distinct secret, located where it was introduced.
	History *History `json:"history,omitempty"`
	// Verification is what the Stripe API said about the key (--verify).
	Verification *Verification `json:"verification,omitempty"`

	// Secret is the full credential. It never reaches a reporter unless the
	// user asked for it with --show-secrets (the engine copies it into
	// Evidence then); it keys the fingerprint so a key moved to another line
	// keeps its identity.
	Secret string `json:"-"`
	// Key is what makes this finding distinct within (rule, file) when there
	// is no secret, e.g. a function name or a package name. Line numbers must
	// not be used: they would break baselines when unrelated lines move.
	Key string `json:"-"`
}

// History describes a secret found in git history. The finding's File,
// Line, Column and Commit say where it was introduced: the oldest commit of
// the walk that holds it (preferring commits a ref reaches), the path it
// was written to and its line there.
type History struct {
	// AuthorDate of the introducing commit, ISO 8601 with the author's
	// offset ("2021-03-04T10:11:12+01:00"); empty for a dangling blob.
	AuthorDate string `json:"author_date,omitempty"`
	// Blob is the object id of the file version where it was introduced.
	Blob string `json:"blob,omitempty"`
	// InMessage: introduced in a commit message, not a file.
	InMessage bool `json:"in_message,omitempty"`
	// Commits counts the commits that wrote a file version holding the
	// secret or whose message holds it; Paths counts the distinct paths.
	Commits int `json:"commits"`
	Paths   int `json:"paths"`
	// PathList names up to ten of those paths, sorted.
	PathList []string `json:"path_list,omitempty"`
	// InWorkingTree: the secret is still in the scanned working tree.
	InWorkingTree bool `json:"in_working_tree"`
	// Reach is how the introducing object can be reached: "reachable"
	// (from a branch, tag or other ref), "reflog" (only a reflog remembers
	// the commit), "dangling-commit" or "dangling-blob" (nothing does;
	// it lasts until garbage collection).
	Reach string `json:"reach"`
	// Partial: the repository is a shallow clone and the secret was found
	// in a boundary commit, so it may be older than Commit.
	Partial bool `json:"partial,omitempty"`
	// DetectedBy is the rule of the detector that recognised the secret
	// in the file version (e.g. secrets/stripe-live-secret-key).
	DetectedBy string `json:"detected_by"`
	// LineText is the introducing line, for inline suppression comments
	// (the file may no longer exist). Never serialised.
	LineText string `json:"-"`
}

// Verification states.
const (
	KeyActive   = "active"
	KeyInactive = "inactive"
	KeyUnknown  = "unknown"
)

// Verification is the Stripe API's answer about one key (--verify).
type Verification struct {
	// State is "active" (the API accepted it), "inactive" (rejected: revoked
	// or rolled) or "unknown" (no clear answer: network error, timeout,
	// rate limit, server error).
	State string `json:"state"`
	// Detail says how it was decided, e.g. "GET /v1/balance: HTTP 401".
	Detail string `json:"detail"`
}

// Location is a place in the scanned tree.
type Location struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Commit  string `json:"commit,omitempty"`
	Message string `json:"message,omitempty"`
}

// Package describes the package a dependency/supply-chain finding is about.
type Package struct {
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
	Specifier string `json:"specifier,omitempty"`
	Ecosystem string `json:"ecosystem,omitempty"`
	// Source says where the version came from: "installed", "lockfile",
	// "manifest-range", ...
	Source string `json:"source,omitempty"`
	// URL is the direct reference (URL, VCS URL or local path, credentials
	// redacted) when the package is not installed from an index.
	URL           string     `json:"url,omitempty"`
	Advisories    []Advisory `json:"advisories,omitempty"`
	FixedVersions []string   `json:"fixed_versions,omitempty"`
	// FixedIn is the smallest version that fixes every advisory, if any.
	FixedIn string `json:"fixed_in,omitempty"`
}

// Advisory is one vulnerability record (aliases merged).
type Advisory struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	Severity Severity `json:"severity"`
	URL      string   `json:"url,omitempty"`
}

// SetFingerprint derives a stable identity from what the finding is about,
// not from where it sits: rule, file, the secret (hashed) or key, and the
// occurrence index among identical (rule, file, key) findings in the file.
func (f *Finding) SetFingerprint(occurrence int) {
	h := sha256.New()
	if f.History != nil && f.Secret != "" {
		// One history finding per distinct secret: its identity is the
		// secret alone, so new commits, --since, a rewritten history that
		// moves the introducing commit, or --verify finding it revoked keep
		// the fingerprint.
		fmt.Fprintf(h, "history\x00secret:%s", f.Secret)
		f.Fingerprint = hex.EncodeToString(h.Sum(nil))[:32]
		return
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", f.RuleID, f.File, f.Commit)
	switch {
	case f.Secret != "":
		fmt.Fprintf(h, "secret:%s", f.Secret)
	case f.Key != "":
		fmt.Fprintf(h, "key:%s", f.Key)
	case f.Package != nil:
		fmt.Fprintf(h, "pkg:%s@%s", f.Package.Name, f.Package.Version)
	default:
		fmt.Fprintf(h, "msg:%s", f.Message)
	}
	fmt.Fprintf(h, "\x00%d", occurrence)
	f.Fingerprint = hex.EncodeToString(h.Sum(nil))[:32]
}

// IdentityKey is what SetFingerprint hashes apart from the occurrence; the
// engine uses it to number identical findings.
func (f *Finding) IdentityKey() string {
	k := f.Key
	if f.Secret != "" {
		k = "secret:" + f.Secret
	} else if k == "" && f.Package != nil {
		k = "pkg:" + f.Package.Name + "@" + f.Package.Version
	} else if k == "" {
		k = "msg:" + f.Message
	}
	return f.RuleID + "\x00" + f.File + "\x00" + f.Commit + "\x00" + k
}

// Redact shows a credential as its kind prefix and last four characters,
// e.g. "sk_live_…4f2a". Short or prefix-less values are fully masked.
func Redact(secret string) string {
	prefix := ""
	for _, p := range []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_"} {
		if strings.HasPrefix(secret, p) {
			prefix = p
			break
		}
	}
	rest := secret[len(prefix):]
	if len(rest) <= 8 {
		return prefix + "…"
	}
	return prefix + "…" + rest[len(rest)-4:]
}

// Warning is input the scan could not (fully) read; the scan goes on.
type Warning struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Warning kinds shared by sources and analyzers.
const (
	WarnBinary     = "binary"
	WarnTooLarge   = "too-large"
	WarnUnreadable = "unreadable"
	WarnSymlink    = "symlink"
	WarnParse      = "parse-error"
	WarnTimeout    = "timeout"
	WarnConfig     = "config"
	WarnData       = "data"
)

// MitigationState is what a scan showed about one mitigation.
type MitigationState string

const (
	// InPlace: positive evidence that the control is there.
	InPlace MitigationState = "in-place"
	// Missing: a finding or observation shows it is not.
	Missing MitigationState = "missing"
	// NotChecked: no analyzer that decides it ran in this scan.
	NotChecked MitigationState = "not-checked"
	// NotApplicable: an analyzer that decides it ran and the scanned tree
	// holds nothing it applies to (no webhook handler, no stripe
	// dependency, no key value whose kind could be seen).
	NotApplicable MitigationState = "not-applicable"
	// NoData: the analyzer ran without the data it needs (advisory data
	// unreadable), so it could not decide.
	NoData MitigationState = "no-data"
)

// Observation is positive or negative evidence about a mitigation, e.g.
// "handler webhook() verifies with construct_event, default tolerance".
// Findings imply Missing for the mitigation their rule names; analyzers emit
// InPlace observations for what they saw done right.
type Observation struct {
	Mitigation string          `json:"mitigation"`
	State      MitigationState `json:"state"`
	Detail     string          `json:"detail"`
	File       string          `json:"file,omitempty"`
	Line       int             `json:"line,omitempty"`
}

// DataSource is data from outside the scanned tree that a scan's verdicts
// rest on (the advisory database), so that every report says which data it
// used and how current it is.
type DataSource struct {
	// Name is what the data is, e.g. "advisories".
	Name string `json:"name"`
	// Kind is where it was found: "embedded" (built into the binary),
	// "cache" (the user cache `stripeguard db update` writes) or "db"
	// (--db PATH).
	Kind string `json:"kind"`
	// Path is the file or directory read (absent for embedded data).
	Path string `json:"path,omitempty"`
	// Origin is where the records came from: a download URL, a path given
	// to `db update --from`, the upstream commit of a built-in snapshot.
	Origin  string `json:"origin,omitempty"`
	Records int    `json:"records"`
	// NewestRecord is the newest record's modification time (RFC 3339).
	NewestRecord string `json:"newest_record,omitempty"`
	// Fetched is when the data was obtained (RFC 3339): download or
	// install time, or a built-in snapshot's upstream date.
	Fetched string `json:"fetched,omitempty"`
	// AgeDays is how many whole days before the scan the newest record
	// was modified.
	AgeDays int `json:"age_days"`
	// Stale is true when the data is too old to trust for recent
	// advisories (the scan then also reports a finding).
	Stale bool `json:"stale"`
	// Summary is the one line human-readable reports print.
	Summary string `json:"summary"`
}

// DataSink is implemented by sinks that record the data sources a scan used;
// analyzers type-assert their Sink to it.
type DataSink interface {
	DataSource(*DataSource)
}

// PackageSink is implemented by sinks that keep an inventory of the packages
// an audit saw (for SBOM output); analyzers type-assert their Sink to it.
type PackageSink interface {
	Package(*Package)
}

// Sink receives an analyzer's results. Implementations must be safe for
// concurrent use: file analyzers run in parallel.
type Sink interface {
	Finding(*Finding)
	Observation(*Observation)
	Warning(*Warning)
}
