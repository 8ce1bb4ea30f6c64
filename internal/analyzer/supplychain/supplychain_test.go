package supplychain

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/source"
)

// scan runs the analyzer over a fixture the way the engine does: the real
// walker (which finds the environments), File for every wanted file, then
// Finish.
func scan(t testing.TB, dir string, opt analyzer.Options, db *osv.DB) *finding.Collector {
	t.Helper()
	a := New(opt)
	a.DB = db
	a.NoDB = db == nil
	sink := &finding.Collector{}
	w, err := source.NewWalker(dir, source.WalkOptions{}, sink.Warning)
	if err != nil {
		t.Fatal(err)
	}
	w.Walk(context.Background(), func(e source.Entry) {
		b, err := os.ReadFile(e.Abs)
		if err != nil {
			t.Fatal(err)
		}
		f := &source.File{Rel: e.Rel, Abs: e.Abs, Data: b, Size: int64(len(b)), Mode: e.Info.Mode()}
		if a.Wants(f) {
			a.File(context.Background(), f, sink)
		}
	})
	a.Finish(context.Background(), w.Project(), sink)
	return sink
}

// got is "rule file:line severity" per finding, sorted.
func got(c *finding.Collector) []string {
	var out []string
	for _, f := range c.Findings {
		out = append(out, fmt.Sprintf("%s %s:%d %s", f.RuleID, f.File, f.Line, f.Severity))
	}
	sort.Strings(out)
	return out
}

func diff(t *testing.T, c *finding.Collector, want []string) {
	t.Helper()
	sort.Strings(want)
	g := got(c)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n got:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
		for _, f := range c.Findings {
			t.Logf("%s %s:%d %s: %s [%s]", f.RuleID, f.File, f.Line, f.Severity, f.Message, f.Evidence)
		}
	}
}

func obs(c *finding.Collector, id string) (finding.MitigationState, string) {
	for _, o := range c.Observations {
		if o.Mitigation == id {
			return o.State, o.Detail
		}
	}
	return "", ""
}

// finding1 returns the finding of a rule at file:line.
func finding1(t *testing.T, c *finding.Collector, rule, file string, line int) *finding.Finding {
	t.Helper()
	for _, f := range c.Findings {
		if f.RuleID == rule && f.File == file && f.Line == line {
			return f
		}
	}
	t.Fatalf("no %s finding at %s:%d", rule, file, line)
	return nil
}

func noWarnings(t *testing.T, c *finding.Collector) {
	t.Helper()
	for _, w := range c.Warnings {
		t.Errorf("unexpected warning: %+v", w)
	}
}

func TestTyposquats(t *testing.T) {
	c := scan(t, "testdata/app-squats", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, []string{
		"supplychain/typosquat requirements.txt:4 high", // stripe-python: adds a word
		"supplychain/typosquat requirements.txt:5 high", // reqeusts: transposition
		"supplychain/typosquat requirements.txt:7 high", // urllib4: version digit
		"supplychain/typosquat pyproject.toml:10 high",  // pystripe
		"supplychain/typosquat pyproject.toml:11 high",  // certifl: look-alike
		"supplychain/typosquat Dockerfile:5 high",       // stripe-sdk
		"supplychain/typosquat Dockerfile:5 high",       // idna-python
		"supplychain/missing-hashes requirements.txt:2 low",
		"supplychain/missing-hashes pyproject.toml:9 low", // an application without a lock file
		"supplychain/unlocked-install Dockerfile:5 low",
	})
	f := finding1(t, c, "supplychain/typosquat", "requirements.txt", 4)
	if !strings.Contains(f.Message, "stripe-python imitates stripe: adds 'python' to stripe") || f.Package == nil || f.Package.Name != "stripe-python" {
		t.Errorf("message/package: %s %+v", f.Message, f.Package)
	}
	if st, _ := obs(c, MitigationNoTyposquats); st != "" {
		t.Errorf("no-typosquats observed %s despite squats", st)
	}
}

func TestTyposquatsSafeTwin(t *testing.T) {
	c := scan(t, "testdata/app-squats-safe", analyzer.Options{}, nil)
	noWarnings(t, c)
	for _, f := range c.Findings {
		if f.RuleID == Typosquat.ID {
			t.Errorf("legitimate name flagged: %s:%d %s", f.File, f.Line, f.Message)
		}
	}
	if st, d := obs(c, MitigationNoTyposquats); st != finding.InPlace {
		t.Errorf("no-typosquats: %s %s", st, d)
	}
}

func TestTyposquatConfig(t *testing.T) {
	c := scan(t, "testdata/app-squats", analyzer.Options{TyposquatAllow: []string{"stripe-python", "PyStripe"}, TyposquatProtect: []string{"shop-admin"}}, nil)
	for _, f := range c.Findings {
		if f.RuleID == Typosquat.ID && (strings.HasPrefix(f.Message, "stripe-python ") || strings.HasPrefix(f.Message, "pystripe ")) {
			t.Errorf("allowlisted name flagged: %s", f.Message)
		}
	}
}

func TestIndexSettings(t *testing.T) {
	c := scan(t, "testdata/app-index", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, []string{
		"supplychain/extra-index requirements.txt:2 high",
		"supplychain/extra-index requirements/dev.txt:2 high", // remote find-links
		"supplychain/plain-http-index requirements/dev.txt:2 high",
		"supplychain/extra-index deploy/pip.conf:4 high",
		"supplychain/index-credentials deploy/pip.conf:4 high",
		"supplychain/plain-http-index Dockerfile:2 high", // PIP_INDEX_URL http://, its trusted host folded in
		"supplychain/extra-index docker-compose.yml:6 high",
		"supplychain/extra-index .github/workflows/ci.yml:4 high",
		"supplychain/extra-index .env:2 high",
		"supplychain/index-credentials .env:2 high",
		"supplychain/trusted-host Pipfile:8 medium",                       // verify_ssl = false on an https source
		"supplychain/extra-index services/billing/pyproject.toml:14 high", // Poetry supplemental
		"supplychain/extra-index services/worker/pyproject.toml:11 high",  // uv unsafe-best-match
		"supplychain/extra-index services/reports/pyproject.toml:8 high",  // PDM without respect-source-order
		"supplychain/plain-http-index services/reports/pyproject.toml:8 high",
		"supplychain/plain-http-index scripts/bootstrap.sh:4 low", // devpi on loopback
		"supplychain/extra-index scripts/bootstrap.sh:5 high",     // pip config set
		// pinning: the Dockerfile installs with --require-hashes, these do not
		"supplychain/missing-hashes requirements.txt:3 medium",
		"supplychain/missing-hashes requirements/dev.txt:4 medium",
		"supplychain/missing-hashes services/worker/pyproject.toml:4 medium",
		"supplychain/missing-hashes services/reports/pyproject.toml:4 medium",
		"supplychain/missing-hashes Pipfile:12 medium",                        // exact pins, but no Pipfile.lock
		"supplychain/missing-hashes services/billing/pyproject.toml:9 medium", // no poetry.lock
	})
	// Credentials never reach evidence or messages.
	for _, f := range c.Findings {
		for _, secret := range []string{"AKCp8nHq4ZTj2Lr7sWmX9vQe3uYb", "glpat-x8Rk2mQ7pVn4sT9wYz3L"} {
			if strings.Contains(f.Message, secret) || strings.Contains(f.Evidence, secret) {
				t.Errorf("%s leaks a credential: %s / %s", f.RuleID, f.Message, f.Evidence)
			}
		}
	}
	f := finding1(t, c, IndexCredentials.ID, "deploy/pip.conf", 4)
	if f.Secret != "AKCp8nHq4ZTj2Lr7sWmX9vQe3uYb" || f.Threat != finding.KeyExposure || !strings.Contains(f.Evidence, "ci-bot:…3uYb@artifactory.acme.example") {
		t.Errorf("credentials finding: secret %q threat %s evidence %q", f.Secret, f.Threat, f.Evidence)
	}
	f = finding1(t, c, PlainHTTPIndex.ID, "Dockerfile", 2)
	if len(f.Related) != 1 || !strings.Contains(f.Related[0].Message, "trusted host mirror.acme.internal") {
		t.Errorf("trusted host not folded into the http finding: %+v", f.Related)
	}
	for _, id := range []string{MitigationSingleIndex, MitigationIndexTLS, MitigationIndexCredentials} {
		if st, d := obs(c, id); st != "" {
			t.Errorf("%s observed %s (%s) despite findings", id, st, d)
		}
	}
}

// A manifest that declares stripe with a range and no lock file is
// deps/stripe-unpinned's (commit a lock file); the checklist still shows
// hash checking missing.
func TestUnlockedStripeRangeDefersToDeps(t *testing.T) {
	c := scan(t, "testdata/app-squats-safe", analyzer.Options{}, nil)
	for _, f := range c.Findings {
		if f.RuleID == MissingHashes.ID && f.File == "pyproject.toml" {
			t.Errorf("duplicate of deps/stripe-unpinned: %s", f.Message)
		}
	}
	if st, d := obs(c, MitigationHashPinned); st != finding.Missing || !strings.Contains(d, "deps/stripe-unpinned") {
		t.Errorf("hash-pinned: %s %s", st, d)
	}
}

// The safe twin of app-index: one index per install (a proxy, explicit or
// scoped sources, uv's first-index strategy, local wheels with --no-index),
// HTTPS everywhere, credentials from variables, hashes everywhere.
func TestIndexSettingsSafeTwin(t *testing.T) {
	c := scan(t, "testdata/app-index-safe", analyzer.Options{}, nil)
	noWarnings(t, c)
	diff(t, c, nil)
	for _, id := range []string{MitigationSingleIndex, MitigationIndexTLS, MitigationIndexCredentials, MitigationHashPinned, MitigationNoTyposquats} {
		if st, d := obs(c, id); st != finding.InPlace {
			t.Errorf("%s: %s %s", id, st, d)
		}
	}
	if _, d := obs(c, MitigationIndexCredentials); !strings.Contains(d, "variables") {
		t.Errorf("credentials observation: %s", d)
	}
}
