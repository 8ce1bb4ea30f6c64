// Package reporttest builds realistic reports for the tests and benchmarks of
// the output formats (jsonfmt, sarif, text, markdown). It registers the real
// webhook rules (by importing internal/analyzer/webhook, which brings the
// secrets rules with it) and a few test-only
// rules and mitigations under the "testrules" prefix for the threats whose
// analyzers live elsewhere. Only tests may import it.
package reporttest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Mitigation ids of the test-only checklists.
const (
	MitigationNoHardcodedKeys = "testrules.no-hardcoded-keys"
	MitigationKeysFromEnv     = "testrules.keys-from-env"
	MitigationRestrictedKeys  = "testrules.restricted-keys"
	MitigationStripeCurrent   = "testrules.stripe-current"
	MitigationDepsAudited     = "testrules.deps-audited"
	MitigationHashesPinned    = "testrules.hashes-pinned"
	MitigationPinnedStripe    = "testrules.stripe-pinned"
	MitigationDataCurrent     = "testrules.data-current"
)

// Test-only rules, one or more per threat that has no real rules here.
var (
	LiveSecretKey = &rules.Rule{
		ID: "testrules/live-secret-key", Threat: finding.KeyExposure, Severity: finding.Critical,
		Name:         "Live secret key in source",
		Description:  "A live Stripe secret key (sk_live_) is committed to the repository; anyone with read access can move money.",
		Mitigation:   "Roll the key in the Stripe dashboard, then read it from the environment (os.environ['STRIPE_SECRET_KEY']).",
		MitigationID: MitigationNoHardcodedKeys,
		Vulnerable:   "stripe.api_key = 'sk_live_...'",
		Fixed:        "stripe.api_key = os.environ['STRIPE_SECRET_KEY']",
		HelpURI:      "https://docs.stripe.com/keys-best-practices",
	}
	KeyInHistory = &rules.Rule{
		ID: "testrules/key-in-history", Threat: finding.KeyExposure, Severity: finding.High,
		Name:         "Secret key in git history",
		Description:  "A Stripe secret key was committed in the past; deleting the line does not remove it from history.",
		Mitigation:   "Roll the key; rewriting history does not help once it was pushed.",
		MitigationID: MitigationNoHardcodedKeys,
	}
	PublishableKey = &rules.Rule{
		ID: "testrules/publishable-key", Threat: finding.KeyExposure, Severity: finding.Info,
		Name:        "Publishable key in source",
		Description: "A publishable key (pk_) is meant for browsers; it is listed so that test/live mix-ups are visible.",
		Mitigation:  "Nothing to do unless the key is a live key used in a test build.",
	}
	VulnerableStripe = &rules.Rule{
		ID: "testrules/vulnerable-stripe", Threat: finding.StripeVulnerability, Severity: finding.High,
		Name:         "Vulnerable stripe-python version",
		Description:  "The pinned stripe library has a published advisory.",
		Mitigation:   "Upgrade stripe to a fixed version.",
		MitigationID: MitigationStripeCurrent,
		Vulnerable:   "stripe==2.55.0",
		Fixed:        "stripe>=8.0.0",
	}
	VulnerableDependency = &rules.Rule{
		ID: "testrules/vulnerable-dependency", Threat: finding.DependencyVulnerability, Severity: finding.Medium,
		Name:         "Dependency with a known vulnerability",
		Description:  "A package in the payment path has a published advisory.",
		Mitigation:   "Upgrade the package to the fixed version.",
		MitigationID: MitigationDepsAudited,
	}
	Typosquat = &rules.Rule{
		ID: "testrules/typosquat", Threat: finding.MaliciousPackage, Severity: finding.High,
		Name:         "Package name close to stripe",
		Description:  "A dependency's name is one edit away from a popular package.",
		Mitigation:   "Check the package is the one you meant; remove it otherwise.",
		MitigationID: MitigationHashesPinned,
	}
)

func init() {
	rules.Register(LiveSecretKey, KeyInHistory, PublishableKey, VulnerableStripe, VulnerableDependency, Typosquat)
	mitigation.Register(
		&mitigation.Mitigation{ID: MitigationNoHardcodedKeys, Threat: finding.KeyExposure, Title: "No secret or restricted key is hard-coded in the tree or its history", CheckedBy: []string{"testrules"}},
		&mitigation.Mitigation{ID: MitigationKeysFromEnv, Threat: finding.KeyExposure, Title: "Keys are read from the environment or a secret manager", CheckedBy: []string{"testrules"}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationRestrictedKeys, Threat: finding.KeyExposure, Title: "Restricted keys (rk_) with least privilege are used instead of the secret key", CheckedBy: []string{"keyaudit"}},
		&mitigation.Mitigation{ID: MitigationStripeCurrent, Threat: finding.StripeVulnerability, Title: "The stripe library is a version without known advisories", CheckedBy: []string{"testrules"}},
		&mitigation.Mitigation{ID: MitigationPinnedStripe, Threat: finding.StripeVulnerability, Title: "stripe is pinned", CheckedBy: []string{"testrules"}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationDataCurrent, Threat: finding.DependencyVulnerability, Title: "The audit used current advisory data", CheckedBy: []string{"testrules"}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationDepsAudited, Threat: finding.DependencyVulnerability, Title: "Dependencies are audited against the advisory database", CheckedBy: []string{"testrules"}},
		&mitigation.Mitigation{ID: MitigationHashesPinned, Threat: finding.MaliciousPackage, Title: "Dependencies are pinned with hashes (pip --require-hashes)", CheckedBy: []string{"supplychain"}},
	)
}

// A syntactically valid but fake live key; only its redaction may appear in
// any output unless ShowSecrets.
const (
	// Split so that no key-shaped literal sits in the source (secret
	// scanners, including this one, would rightly flag it).
	FakeLiveKey = "sk_" + "live_51HxTESTnotArealKEY00000000000000000000004f2a"
	// FakeRestrictedKey is a restricted key of the same shape.
	FakeRestrictedKey = "rk_" + "live_51HxTESTnotArealKEY0000000000000000000009c1d"
	FakeWhsec         = "whsec" + "_TESTnotArealSECRET000000000000009c1d"
)

func newFinding(r *rules.Rule, file string, line, col, endLine int, msg, evidence string) *finding.Finding {
	f := r.New()
	f.File, f.Line, f.Column, f.EndLine = file, line, col, endLine
	f.Message, f.Evidence = msg, evidence
	return f
}

// Sample is a finalized report of a "scan" with findings of four threats
// (malicious-package has none), every severity, a secret, an archive member,
// a notebook context, a git-history finding, evidence with '|', backticks and
// a newline, observations, warnings of several kinds, notes and
// suppression counts.
func Sample() *report.Report {
	var fs []*finding.Finding

	f := newFinding(LiveSecretKey, "app/settings.py", 12, 18, 12, "Live secret key assigned to stripe.api_key", finding.Redact(FakeLiveKey))
	f.Secret = FakeLiveKey
	fs = append(fs, f)

	f = newFinding(LiveSecretKey, "dist/shop-1.0-py3-none-any.whl!shop/settings.py", 3, 11, 3, "Live secret key in a built wheel", finding.Redact(FakeLiveKey))
	f.Secret = FakeLiveKey
	fs = append(fs, f)

	f = newFinding(KeyInHistory, "config/old.env", 2, 1, 2, "Secret key committed in 3f9c2a1 (removed since)", finding.Redact(FakeLiveKey))
	f.Secret, f.Commit = FakeLiveKey, "3f9c2a1d5e7b9c0a1b2c3d4e5f60718293a4b5c6"
	fs = append(fs, f)

	f = newFinding(PublishableKey, "notebooks/explore payments.ipynb", 7, 5, 7, "Publishable test key in a notebook output", "pk_test_…b00c")
	f.Context = "notebook cell 3 (output)"
	f.Key = "pk_test_b00c"
	fs = append(fs, f)

	f = newFinding(webhook.UnverifiedPayload, "app/webhooks.py", 41, 13, 44, "stripe_webhook() acts on json.loads(request.data) without verifying the Stripe-Signature header", "event = json.loads(request.data)")
	f.Key = "stripe_webhook"
	f.Related = []finding.Location{{File: "app/webhooks.py", Line: 38, Column: 1, Message: "route /webhooks/stripe"}}
	fs = append(fs, f)

	f = newFinding(webhook.ReplayWindowDisabled, "app/webhooks.py", 58, 17, 59, "construct_event(..., tolerance=None) disables the timestamp check", "stripe.Webhook.construct_event(payload, sig, secret,\n    tolerance=None)  # `tolerance` | replay ok")
	f.Key = "billing_webhook"
	fs = append(fs, f)

	f = newFinding(webhook.HeaderNoDefault, "app/webhooks.py", 55, 11, 55, "request.headers['Stripe-Signature'] raises KeyError when the header is missing", "sig = request.headers['Stripe-Signature']")
	f.Key = "billing_webhook"
	fs = append(fs, f)

	// A path longer than any terminal line: formats must never cut it.
	f = newFinding(webhook.BodyNotRaw, "services/payments/integrations/stripe/webhooks/handlers/v2/checkout_session_completed_handler.py", 88, 21, 88, "construct_event verifies json.dumps(request.json) instead of the raw request body", "stripe.Webhook.construct_event(json.dumps(request.json), sig, secret)")
	f.Key = "checkout_session_completed"
	f.Related = []finding.Location{
		{File: "services/payments/integrations/stripe/webhooks/handlers/v2/checkout_session_completed_handler.py", Line: 88, Column: 5, Message: "also reported as testrules/raw-body: same call"},
		{File: "services/payments/integrations/stripe/webhooks/routes.py", Line: 12, Message: "route /stripe/v2/webhooks"},
	}
	fs = append(fs, f)

	f = newFinding(VulnerableStripe, "requirements.txt", 4, 1, 4, "stripe 2.55.0 is affected by GHSA-xxxx-stripe-0001 (fixed in 8.0.0)", "stripe==2.55.0")
	f.Package = &finding.Package{Name: "stripe", Version: "2.55.0", Specifier: "==2.55.0", Ecosystem: "PyPI", Source: "manifest-pinned",
		Advisories:    []finding.Advisory{{ID: "GHSA-xxxx-stripe-0001", Aliases: []string{"CVE-2099-0001"}, Summary: "Test advisory for stripe-python", Severity: finding.High, URL: "https://example.invalid/GHSA-xxxx-stripe-0001"}},
		FixedVersions: []string{"8.0.0"}, FixedIn: "8.0.0"}
	fs = append(fs, f)

	f = newFinding(VulnerableDependency, "poetry.lock", 210, 1, 212, "requests 2.19.0 is affected by 2 advisories", "name = \"requests\"\nversion = \"2.19.0\"")
	f.Package = &finding.Package{Name: "requests", Version: "2.19.0", Ecosystem: "PyPI", Source: "lockfile",
		Advisories: []finding.Advisory{
			{ID: "GHSA-test-0002", Summary: "Credentials leak on redirect", Severity: finding.Medium},
			{ID: "GHSA-test-0003", Summary: "Proxy-Authorization header leak", Severity: finding.Medium},
		}, FixedVersions: []string{"2.20.0", "2.31.0"}, FixedIn: "2.31.0"}
	f.Severity = finding.Medium
	fs = append(fs, f)

	for _, f := range fs {
		f.SetFingerprint(0)
	}

	r := &report.Report{
		Tool:     report.Tool{Name: "stripeguard", Version: "1.2.3-test"},
		Command:  "scan",
		Target:   "./shop",
		Findings: fs,
		Observations: []*finding.Observation{
			{Mitigation: webhook.MitigationRawBody, State: finding.InPlace, Detail: "stripe_webhook() verifies request.get_data()", File: "app/webhooks.py", Line: 47},
			{Mitigation: webhook.MitigationVerified, State: finding.InPlace, Detail: "billing_webhook() verifies with construct_event", File: "app/webhooks.py", Line: 57},
			{Mitigation: webhook.MitigationSecret, State: finding.InPlace, Detail: "signing secret passed to stripe.Webhook.construct_event comes from configuration", File: "app/webhooks.py", Line: 57},
			{Mitigation: MitigationKeysFromEnv, State: finding.Missing, Detail: "no key is read from os.environ", File: ""},
			{Mitigation: MitigationDepsAudited, State: finding.InPlace, Detail: "42 packages checked against the advisory database"},
			{Mitigation: MitigationDataCurrent, State: finding.NoData, Detail: "the advisory data could not be read (see warnings)"},
			{Mitigation: MitigationPinnedStripe, State: finding.NotApplicable, Detail: "no stripe requirement, lock entry or installation in the scanned tree"},
		},
		Warnings: []*finding.Warning{
			{File: "static/img/logo.png", Kind: finding.WarnBinary, Message: "binary file skipped"},
			{File: "static/img/card.png", Kind: finding.WarnBinary, Message: "binary file skipped"},
			{File: "static/fonts/a.woff2", Kind: finding.WarnBinary, Message: "binary file skipped"},
			{File: "static/fonts/b.woff2", Kind: finding.WarnBinary, Message: "binary file skipped"},
			{File: "vendor/blob.bin", Kind: finding.WarnBinary, Message: "binary file skipped"},
			{File: "app/legacy.py", Line: 3, Kind: finding.WarnParse, Message: "Python 2 print statement; file analysed partially"},
			{File: "data/dump.sql", Kind: finding.WarnTooLarge, Message: "file larger than 10 MiB skipped"},
			{File: "services/payments/integrations/stripe/webhooks/handlers/v2/legacy_payment_intent_succeeded.py", Kind: finding.WarnUnreadable, Message: "permission denied"},
		},
		DataSources: []*finding.DataSource{{
			Name: "advisories", Kind: "cache", Path: "/home/dev/.cache/stripeguard/osv/PyPI/index.sgidx",
			Origin: "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip", Records: 18234,
			NewestRecord: "2026-11-28T21:04:11Z", Fetched: "2026-11-29T06:00:00Z", AgeDays: 1,
			Summary: "cache /home/dev/.cache/stripeguard/osv/PyPI/index.sgidx of https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip (18234 records, 9120 packages; newest record 2026-11-28, 27 h old; fetched 6 h ago)",
		}},
		Files:      &report.FileCounts{Scanned: 1204, Skipped: 7, Expanded: 1, Members: 14},
		Analyzers:  []string{"webhook", "testrules"},
		Suppressed: 2,
		Baselined:  1,
		Notes:      []string{"advisory database built 2026-11-20 (9 days old)"},
	}
	finalize(r)
	return r
}

// History is a finalized report of `scan --history --verify`: keys found in
// git history (removed and verified active, still in the working tree and
// verified revoked, in a commit message, in a dangling blob, in a shallow
// clone's boundary commit), with the working-tree finding of the present one.
// It uses the test rules, not the history package's, so that the rule
// lists of the other reports stay as they are.
func History() *report.Report {
	var fs []*finding.Finding
	hist := func(file string, line int, commit, date, detected string) *finding.Finding {
		f := KeyInHistory.New()
		f.File, f.Line, f.Column, f.EndLine = file, line, 19, line
		f.Commit = commit
		f.History = &finding.History{AuthorDate: date, Blob: "7c9d3dbcd4ec638596d8eeed4e55e5ab37ca8283", Commits: 1, Paths: 1,
			Reach: "reachable", DetectedBy: detected, LineText: "stripe.api_key = \"" + FakeLiveKey + "\""}
		if file != "" {
			f.History.PathList = []string{file}
		}
		return f
	}

	f := hist("shop/settings.py", 3, "1697f559d63ef19fac7d0dcf43c0099c00c6834a", "2021-03-04T11:00:00+01:00", "testrules/live-secret-key")
	f.Secret, f.Severity = FakeLiveKey, finding.Critical
	f.Message = "Stripe live secret key hardcoded in Python source; committed on 2021-03-04 and removed since, but still in git history (3 commits, 2 paths); the Stripe API accepts it: it is live now"
	f.Evidence = "stripe.api_key = \"" + finding.Redact(FakeLiveKey) + "\""
	f.History.Commits, f.History.Paths, f.History.PathList = 3, 2, []string{"shop/old_settings.py", "shop/settings.py"}
	f.Verification = &finding.Verification{State: finding.KeyActive, Detail: "GET /v1/balance: HTTP 200"}
	fs = append(fs, f)

	f = hist("config/dev.env", 1, "2146b9482e3e5c6f5becdbf69b94a8670012df9b", "2021-03-05T09:30:00-05:00", "testrules/live-secret-key")
	f.Secret, f.Severity = FakeRestrictedKey, finding.Info
	f.Message = "Stripe live restricted key in env file dev.env; in git history since 2021-03-05 and still in the working tree (1 commit, 1 path); the Stripe API rejects it, so it has been rotated"
	f.Mitigation = "Nothing is required: the key no longer works."
	f.Evidence = "STRIPE_KEY=" + finding.Redact(FakeRestrictedKey)
	f.History.InWorkingTree = true
	f.Verification = &finding.Verification{State: finding.KeyInactive, Detail: "GET /v1/balance: HTTP 401 (invalid_request_error): the key is invalid, rolled or deleted"}
	fs = append(fs, f)

	w := LiveSecretKey.New()
	w.File, w.Line, w.Column, w.EndLine, w.Secret = "config/dev.env", 1, 12, 1, FakeRestrictedKey
	w.Message, w.Evidence = "Stripe live restricted key in env file dev.env", "STRIPE_KEY="+finding.Redact(FakeRestrictedKey)
	fs = append(fs, w)

	f = hist("", 0, "937f7b76d72cf9d34914e1ae4f47d224bf3acd66", "2021-04-01T00:00:00Z", "testrules/live-secret-key")
	f.Column, f.EndLine = 0, 0
	f.Secret, f.Severity, f.Context = FakeWhsec, finding.High, "commit message"
	f.Message = "Stripe webhook signing secret in the message of commit 937f7b76d72c; committed on 2021-04-01 and removed since, but still in git history (1 commit)"
	f.History.InMessage, f.History.Blob, f.History.Paths = true, "", 0
	f.Verification = nil
	fs = append(fs, f)

	f = hist("", 0, "", "", "testrules/live-secret-key")
	f.Column, f.EndLine = 0, 0
	f.Secret, f.Severity, f.Context = FakeLiveKey+"x", finding.Critical, "dangling blob 5af33d13c7b0"
	f.Message = "Stripe live secret key, only in blob 5af33d13c7b0: a file version that was staged but never committed, kept in the object store until garbage collection"
	f.History.Reach, f.History.Blob, f.History.Commits, f.History.Paths = "dangling-blob", "5af33d13c7b0bab8162d3d85aae07db5645842af", 0, 0
	fs = append(fs, f)

	f = hist("app.py", 7, "cd3db639aef05c15e515f6e877aeb9bfa99e4ccf", "2020-12-31T23:59:59+14:00", "testrules/live-secret-key")
	f.Secret, f.Severity = FakeLiveKey+"y", finding.Critical
	f.Message = "Stripe live secret key hardcoded in Python source; committed on 2020-12-31 and removed since, but still in git history (1 commit, 1 path); shallow clone: it may be older than this boundary commit"
	f.History.Partial = true
	fs = append(fs, f)

	for _, f := range fs {
		f.SetFingerprint(0)
	}
	r := &report.Report{
		Tool:     report.Tool{Name: "stripeguard", Version: "1.2.3-test"},
		Command:  "scan",
		Target:   "./shop",
		Findings: fs,
		Observations: []*finding.Observation{
			{Mitigation: "keys.rotated-after-exposure", State: finding.InPlace, Detail: "Stripe live restricted key " + finding.Redact(FakeRestrictedKey) + " from git history is revoked (GET /v1/balance: HTTP 401)", File: "config/dev.env", Line: 1},
		},
		Analyzers: []string{"history", "testrules"},
		Notes: []string{
			"git history: 1234 commits (every ref), 5678 file versions (12.3 MiB) and every commit message scanned; objects no ref reaches: 1 reflog-only commit, 0 dangling commits, 1 dangling blob",
			"git history is partial: this is a shallow clone (1 boundary commit); keys committed before the boundary are not seen and keys found there may be older than reported (git fetch --unshallow for the full history)",
		},
	}
	finalize(r)
	return r
}

// Probe is a finalized report of a "probe" of a live webhook endpoint: its
// findings have a URL and no file.
func Probe() *report.Report {
	const url = "https://shop.example.com/webhooks/stripe"
	mk := func(rule *rules.Rule, msg, ev string) *finding.Finding {
		f := rule.New()
		f.URL, f.Message, f.Evidence = url, msg, ev
		f.SetFingerprint(0)
		return f
	}
	r := &report.Report{
		Tool:    report.Tool{Name: "stripeguard", Version: "1.2.3-test"},
		Command: "probe",
		Target:  url,
		Findings: []*finding.Finding{
			mk(webhook.UnverifiedPayload, "An unsigned checkout.session.completed event was accepted", "POST (no Stripe-Signature) → 200 OK"),
			mk(webhook.ReplayWindowDisabled, "An event signed 2 hours ago was accepted", "t=now-7200 → 200 OK"),
			mk(webhook.FailureAnswered2xx, "A bad signature was answered 200", "v1=deadbeef → 200 OK"),
		},
		Observations: []*finding.Observation{
			{Mitigation: webhook.MitigationSecret, State: finding.InPlace, Detail: "endpoint rejects events signed with an empty secret"},
		},
		Analyzers: []string{"probe"},
	}
	finalize(r)
	return r
}

// Leaky is a finalized report whose one finding carries the full webhook
// secret in its evidence, as a careless analyzer might: formats must redact
// it unless showSecrets.
func Leaky(showSecrets bool) *report.Report {
	f := webhook.WrongSecretKind.New()
	f.File, f.Line, f.Column = "app/hooks.py", 9, 5
	f.Message = "construct_event is given a hard-coded signing secret"
	f.Evidence = "stripe.Webhook.construct_event(payload, sig, '" + FakeWhsec + "')"
	f.Secret = FakeWhsec
	f.SetFingerprint(0)
	r := &report.Report{
		Tool:        report.Tool{Name: "stripeguard", Version: "1.2.3-test"},
		Command:     "scan",
		Target:      ".",
		Findings:    []*finding.Finding{f},
		Analyzers:   []string{"webhook"},
		ShowSecrets: showSecrets,
	}
	finalize(r)
	return r
}

// Empty is a finalized report of a scan that found nothing.
func Empty() *report.Report {
	r := &report.Report{
		Tool:      report.Tool{Name: "stripeguard", Version: "1.2.3-test"},
		Command:   "scan",
		Target:    ".",
		Analyzers: []string{"webhook"},
	}
	finalize(r)
	return r
}

// Large is a finalized report with n findings spread over every rule of the
// sample and many files, for benchmarks.
func Large(n int) *report.Report {
	rs := []*rules.Rule{LiveSecretKey, KeyInHistory, PublishableKey, VulnerableStripe, VulnerableDependency, Typosquat,
		webhook.UnverifiedPayload, webhook.ReplayWindowDisabled, webhook.HeaderNoDefault, webhook.BodyNotRaw}
	r := Sample()
	r.Findings = r.Findings[:0]
	for i := 0; i < n; i++ {
		rule := rs[i%len(rs)]
		f := newFinding(rule, fmt.Sprintf("pkg%02d/module_%03d.py", i%37, i), 10+i%400, 1+i%60, 10+i%400,
			fmt.Sprintf("%s occurrence %d in a generated file", rule.Name, i), fmt.Sprintf("value_%d = 'x' | `y`", i))
		f.Key = fmt.Sprint(i)
		f.SetFingerprint(0)
		r.Findings = append(r.Findings, f)
	}
	finalize(r)
	return r
}

// finalize is r.Finalize() with the checklists cut down to the webhook and
// testrules mitigations, so that golden files do not change each time
// another package registers a mitigation in the shared catalogue.
func finalize(r *report.Report) {
	r.Finalize()
	for t, sts := range r.Checklist {
		var keep []mitigation.Status
		for _, st := range sts {
			if strings.HasPrefix(st.Mitigation.ID, "webhook.") || strings.HasPrefix(st.Mitigation.ID, "testrules.") {
				keep = append(keep, st)
			}
		}
		r.Checklist[t] = keep
	}
}

// Golden compares got with testdata/<name>; with update it rewrites the file
// instead. Each format's test defines its own -update flag and passes it.
func Golden(t testing.TB, name string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking the diff):\n%s", name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %q\ngot:  %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}

// NoSecret fails the test when out holds a full fake secret.
func NoSecret(t testing.TB, out []byte) {
	t.Helper()
	for _, s := range []string{FakeLiveKey, FakeWhsec, FakeRestrictedKey} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output contains the full secret %s", finding.Redact(s))
		}
	}
}

// FailingWriter fails every write, to check that formats report I/O errors.
type FailingWriter struct{}

// ErrWrite is what FailingWriter returns.
var ErrWrite = errors.New("disk full")

func (FailingWriter) Write([]byte) (int, error) { return 0, ErrWrite }

// Render writes r with the registered format name, failing the test on
// any error.
func Render(t testing.TB, name string, o report.Options, r *report.Report) []byte {
	t.Helper()
	f, err := report.Lookup(name, o)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
