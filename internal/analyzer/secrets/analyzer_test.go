package secrets

import (
	"context"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/source"
)

func run(f *source.File, opts analyzer.Options) *finding.Collector {
	c := &finding.Collector{}
	New(opts).File(context.Background(), f, c)
	return c
}

// TestFileContexts: one key in every kind of file; the rule comes from
// the key, the message, context and severity from where it sits.
func TestFileContexts(t *testing.T) {
	live := secretstest.Key(skLive, 99, 60)
	test := secretstest.Key(skTest, 24, 61)
	wh := whsec + secretstest.Body(32, 62)
	tests := []struct {
		name     string
		rel      string
		data     string
		rule     string
		severity finding.Severity
		line     int
		context  string
		msg      string // substring of the message
	}{
		{"python", "app/settings.py", "import os\nKEY = '" + live + "'\n", "secrets/stripe-live-secret-key", finding.Critical, 2, "", "hardcoded in Python source"},
		{"env tracked", ".env", "STRIPE_SECRET_KEY=" + live + "\n", "secrets/stripe-live-secret-key", finding.Critical, 1, "", "in env file .env"},
		{"yaml", "config/app.yaml", "stripe:\n  key: " + test + "\n", "secrets/stripe-test-secret-key", finding.Medium, 2, "", "YAML configuration"},
		{"json", "config.json", `{"stripe": {"secret": "` + wh + `"}}`, "secrets/stripe-webhook-secret", finding.High, 1, "", "JSON file"},
		{"toml", "pyproject.toml", "[tool.app]\nstripe_key = \"" + live + "\"\n", "secrets/stripe-live-secret-key", finding.Critical, 2, "", "TOML configuration"},
		{"ini", "setup.cfg", "[stripe]\nkey = " + live + "\n", "secrets/stripe-live-secret-key", finding.Critical, 2, "", "INI/cfg"},
		{"dockerfile env", "Dockerfile", "FROM x\nENV A=1 \\\n  STRIPE_KEY=" + live + "\n", "secrets/stripe-live-secret-key", finding.Critical, 3, "Dockerfile ENV", "baked into the image layers"},
		{"dockerfile arg", "docker/Dockerfile.prod", "ARG STRIPE_KEY=" + test + "\n", "secrets/stripe-test-secret-key", finding.Medium, 1, "Dockerfile ARG", "baked into the image layers"},
		{"dockerfile run", "Dockerfile", "RUN curl -u " + live + ": https://api.stripe.com\n", "secrets/stripe-live-secret-key", finding.Critical, 1, "Dockerfile RUN", "build history"},
		{"compose", "docker-compose.yml", "services:\n  web:\n    environment:\n      - STRIPE_KEY=" + live + "\n", "secrets/stripe-live-secret-key", finding.Critical, 4, "", "Docker Compose"},
		{"ci", ".gitlab-ci.yml", "test:\n  script: STRIPE_KEY=" + test + " pytest\n", "secrets/stripe-test-secret-key", finding.Medium, 2, "CI workflow", "CI workflow"},
		{"shell", "deploy.sh", "export STRIPE_KEY=\"" + live + "\"\n", "secrets/stripe-live-secret-key", finding.Critical, 1, "", "shell script"},
		{"log", "logs/app.log", "INFO key=" + live + " used\n", "secrets/stripe-live-secret-key", finding.Critical, 1, "", "the key was logged"},
		{"docs live", "README.md", "Use `" + live + "`\n", "secrets/stripe-live-secret-key", finding.Critical, 1, "", "documentation"},
		{"docs test lowered", "docs/guide.rst", "key: " + test + "\n", "secrets/stripe-test-secret-key", finding.Low, 1, "", "documentation"},
		{"csv", "export.csv", "a,b\n1," + live + "\n", "secrets/stripe-live-secret-key", finding.Critical, 2, "", "CSV"},
		{"other", "Makefile", "KEY=" + live + "\n", "secrets/stripe-live-secret-key", finding.Critical, 1, "", "in Makefile"},
		{"k8s", "k8s/s.yaml", "kind: Secret\ndata:\n  k: " + b64(live) + "\n", "secrets/stripe-live-secret-key", finding.Critical, 3, "Kubernetes Secret data (base64)", "encoding, not encryption"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := run(&source.File{Rel: tt.rel, Data: []byte(tt.data), Tracked: true}, analyzer.Options{})
			var got *finding.Finding
			for _, f := range c.Findings {
				if f.Secret != "" {
					if got != nil {
						t.Fatalf("more than one key finding")
					}
					got = f
				}
				checkFinding(t, f)
			}
			if got == nil {
				t.Fatalf("no key finding")
			}
			if got.RuleID != tt.rule || got.Severity != tt.severity || got.Line != tt.line || got.Context != tt.context {
				t.Fatalf("got %s %s line %d context %q", got.RuleID, got.Severity, got.Line, got.Context)
			}
			if !strings.Contains(got.Message, tt.msg) {
				t.Fatalf("message %q lacks %q", got.Message, tt.msg)
			}
		})
	}
}

func TestColumns(t *testing.T) {
	key := secretstest.Key(skLive, 24, 63)
	data := "line one\n  x = '" + key + "'\n"
	c := run(&source.File{Rel: "a.py", Data: []byte(data)}, analyzer.Options{})
	if len(c.Findings) != 1 {
		t.Fatalf("got %d findings", len(c.Findings))
	}
	f := c.Findings[0]
	if f.Line != 2 || f.Column != 8 || f.EndLine != 2 || f.EndColumn != 8+len(key) {
		t.Fatalf("span %d:%d-%d:%d", f.Line, f.Column, f.EndLine, f.EndColumn)
	}
}

func TestEnvAndPermissionRules(t *testing.T) {
	live := secretstest.Key(skLive, 24, 70)
	test := secretstest.Key(skTest, 24, 71)
	tests := []struct {
		name      string
		file      source.File
		wantRules []string
		wantObs   []string // mitigation:state
	}{
		{"ignored env keeps keys quiet, perms still checked",
			source.File{Rel: ".env", Abs: "/x/.env", Mode: 0o644, Ignored: true, Data: []byte("K=" + live + "\n")},
			[]string{"secrets/world-readable-key-file"},
			[]string{"keys.env-files-ignored:in-place", "keys.restricted-keys:missing"}},
		{"ignored env owner-only",
			source.File{Rel: ".env", Abs: "/x/.env", Mode: 0o600, Ignored: true, Data: []byte("K=" + live + "\n")},
			nil,
			[]string{"keys.env-files-ignored:in-place", "keys.file-permissions:in-place"}},
		{"tracked env",
			source.File{Rel: ".env", Abs: "/x/.env", Mode: 0o600, Tracked: true, Ignored: true, Data: []byte("K=" + test + "\n")},
			[]string{"secrets/env-file-not-ignored", "secrets/stripe-test-secret-key"}, nil},
		{"unignored env",
			source.File{Rel: "svc/prod.env", Abs: "/x/svc/prod.env", Mode: 0o640, Data: []byte("K=" + live + "\n")},
			[]string{"secrets/env-file-not-ignored", "secrets/stripe-live-secret-key"}, nil},
		{"test key does not make a file world-readable finding",
			source.File{Rel: "a.py", Abs: "/x/a.py", Mode: 0o644, Data: []byte("K='" + test + "'\n")},
			[]string{"secrets/stripe-test-secret-key"}, nil},
		{"no abs path, no permission check",
			source.File{Rel: "a.whl!pkg/conf.py", Mode: 0o644, Container: "zip member", Data: []byte("K='" + live + "'\n")},
			[]string{"secrets/stripe-live-secret-key"}, nil},
		{"env in archive is just a file",
			source.File{Rel: "dist/app.tar.gz!app/.env", Container: "tar member", Ignored: true, Data: []byte("K=" + live + "\n")},
			[]string{"secrets/stripe-live-secret-key"}, nil},
		{"placeholder env",
			source.File{Rel: ".env", Abs: "/x/.env", Mode: 0o644, Tracked: true, Data: []byte("K=sk_live_...\nW=whsec_xxx\n")},
			nil, nil},
		{"restricted key in use",
			source.File{Rel: ".env", Abs: "/x/.env", Mode: 0o600, Ignored: true, Data: []byte("K=" + secretstest.Key(rkLive, 24, 72) + "\n")},
			nil, []string{"keys.restricted-keys:in-place"}},
		{"log marks not-logged missing",
			source.File{Rel: "app.log", Data: []byte("Bearer " + test + "\n")},
			[]string{"secrets/stripe-test-secret-key"}, []string{"keys.not-logged:missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.file
			c := run(&f, analyzer.Options{})
			var got []string
			for _, x := range c.Findings {
				got = append(got, x.RuleID)
				checkFinding(t, x)
			}
			if strings.Join(sorted(got), ",") != strings.Join(sorted(tt.wantRules), ",") {
				t.Fatalf("rules %v, want %v", got, tt.wantRules)
			}
			for _, w := range tt.wantObs {
				mit, state, _ := strings.Cut(w, ":")
				if !hasObservation(c, f.Rel, 0, mit, state) {
					t.Errorf("missing observation %s", w)
				}
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestPublishableAndDocKeys(t *testing.T) {
	pk := secretstest.Key(pkLive, 99, 80)
	doc := "sk_" + "test_" + "4eC39HqLyjWDarjtT1zdp7dc"
	docPK := "pk_" + "test_" + "TYooMQauvdEDq54NiTphI7jx"
	data := []byte("PK = '" + pk + "'\nSK = '" + doc + "'\nDPK = '" + docPK + "'\n")
	for _, show := range []bool{false, true} {
		c := run(&source.File{Rel: "a.py", Data: data}, analyzer.Options{ShowPublishable: show})
		var rules []string
		for _, f := range c.Findings {
			rules = append(rules, f.RuleID+":"+f.Severity.String())
			if f.RuleID == DocumentationKey.ID && !strings.Contains(f.Message, "documentation example key") {
				t.Errorf("doc key message does not name it: %q", f.Message)
			}
		}
		want := "secrets/stripe-documentation-key:info"
		if show {
			want = "secrets/stripe-publishable-key:info," + want + "," + want
		}
		if strings.Join(rules, ",") != want {
			t.Errorf("show=%v: got %v, want %s", show, rules, want)
		}
	}
}

// A key read from the environment says nothing about whether it is
// restricted: no data, unless the variable names a restricted key; webhook
// secrets and publishable keys are not API keys at all.
func TestRestrictedFromEnvironment(t *testing.T) {
	for _, tt := range []struct {
		data string
		want finding.MitigationState // "" = no observation
	}{
		{"KEY = os.environ['STRIPE_SECRET_KEY']\n", finding.NoData},
		{"KEY = os.getenv('STRIPE_API_KEY')\n", finding.NoData},
		{"KEY = os.getenv('STRIPE_RESTRICTED_KEY')\n", finding.InPlace},
		{"S = os.environ['STRIPE_WEBHOOK_SECRET']\n", ""},
		{"S = os.environ['STRIPE_ENDPOINT_SECRET_KEY']\n", ""},
		{"P = os.environ['STRIPE_PUBLISHABLE_KEY']\n", ""},
	} {
		c := run(&source.File{Rel: "settings.py", Data: []byte(tt.data)}, analyzer.Options{})
		var got finding.MitigationState
		for _, o := range c.Observations {
			if o.Mitigation == MitigationRestricted {
				got = o.State
			}
		}
		if got != tt.want {
			t.Errorf("%q: restricted-keys %q, want %q", tt.data, got, tt.want)
		}
	}
}

func TestEnvReference(t *testing.T) {
	tests := []struct {
		rel, data string
		line      int
	}{
		{"docker-compose.yml", "x:\n  STRIPE_SECRET_KEY: ${STRIPE_SECRET_KEY}\n", 2},
		{".github/workflows/a.yml", "env:\n  K: ${{ secrets.STRIPE_API_KEY }}\n", 2},
		{"run.sh", "curl -u \"$STRIPE_SECRET_KEY:\"\n", 1},
		{".env.example", "STRIPE_WEBHOOK_SECRET=\n", 1},
		{"settings.py", "KEY = os.environ['STRIPE_SECRET_KEY']\n", 1},
		{"settings.py", "KEY = os.getenv(\"STRIPE_RESTRICTED_KEY\")\n", 1},
		{"settings.py", "STRIPE_SECRET_KEY = 'x'\n", 0},
		{"docker-compose.yml", "STRIPE_PUBLISHABLE_KEY: ${STRIPE_PUBLISHABLE_KEY}\n", 0},
		{"docker-compose.yml", "STRIPE_PRICE_ID: ${STRIPE_PRICE_ID}\n", 0},
		{"README.md", "set ${STRIPE_SECRET_KEY}\n", 0},
		{".env", "STRIPE_SECRET_KEY=" + secretstest.Key(skTest, 24, 140) + "\n", 0},
	}
	for _, tt := range tests {
		c := run(&source.File{Rel: tt.rel, Data: []byte(tt.data)}, analyzer.Options{})
		line := 0
		for _, o := range c.Observations {
			if o.Mitigation == MitigationFromEnv && o.State == finding.InPlace {
				line = o.Line
			}
		}
		if line != tt.line {
			t.Errorf("%s %q: from-environment at line %d, want %d", tt.rel, tt.data, line, tt.line)
		}
	}
}

func TestNotebookCells(t *testing.T) {
	key := secretstest.Key(skLive, 24, 90)
	nb := `{"metadata": {}, "cells": [
 {"cell_type": "markdown", "source": "# title"},
 {"cell_type": "code", "outputs": [], "source": ["x = 1\n", "k = \"` + key + `\"\n"]},
 {"cell_type": "code", "source": "print(k)", "outputs": [{"output_type": "execute_result", "data": {"text/plain": ["'` + key + `'"]}}]}
], "nbformat": 4}`
	c := run(&source.File{Rel: "n.ipynb", Data: []byte(nb)}, analyzer.Options{})
	var got []string
	for _, f := range c.Findings {
		got = append(got, f.Context+"@"+itoaTest(f.Line))
	}
	want := "notebook cell 2 (source)@3,notebook cell 3 (output)@4"
	if strings.Join(got, ",") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	// Truncated JSON: keys are still reported, with a warning.
	c = run(&source.File{Rel: "n.ipynb", Data: []byte(nb[:len(nb)/2+100])}, analyzer.Options{})
	if len(c.Findings) == 0 || len(c.Warnings) != 1 || c.Warnings[0].Kind != finding.WarnParse {
		t.Fatalf("truncated notebook: %d findings %d warnings", len(c.Findings), len(c.Warnings))
	}
}

func itoaTest(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestWants(t *testing.T) {
	a := New(analyzer.Options{})
	for rel, want := range map[string]bool{
		"a.py": true, "logo.PNG": false, "font.woff2": false, "Makefile": true, "x.log": true,
	} {
		if a.Wants(&source.File{Rel: rel}) != want {
			t.Errorf("Wants(%s) != %v", rel, want)
		}
	}
	if !a.Wants(&source.File{Rel: "a.zip!img.png", Container: "zip member"}) {
		t.Error("archive members are always wanted")
	}
	if a.Name() != Name {
		t.Error("name")
	}
}

func TestRulesAndMitigationsRegistered(t *testing.T) {
	for _, r := range Rules {
		if rules.Lookup(r.ID) != r || !strings.HasPrefix(r.ID, Name+"/") {
			t.Errorf("%s not registered under %s/", r.ID, Name)
		}
		if r.Vulnerable == "" || r.Fixed == "" {
			t.Errorf("%s lacks examples", r.ID)
		}
		if r.MitigationID != "" {
			m := mitigation.Lookup(r.MitigationID)
			if m == nil || m.Threat != r.Threat {
				t.Errorf("%s names unknown mitigation %s", r.ID, r.MitigationID)
			}
		}
	}
	for _, id := range []string{MitigationNoHardcoded, MitigationWebhookSecret, MitigationEnvIgnored, MitigationPermissions, MitigationFromEnv, MitigationRestricted, MitigationNotLogged} {
		m := mitigation.Lookup(id)
		found := false
		for _, by := range m.CheckedBy {
			found = found || by == Name
		}
		if !found {
			t.Errorf("%s not checked by %s", id, Name)
		}
	}
	var names []string
	for _, f := range analyzer.Factories() {
		names = append(names, f.Name)
	}
	if !strings.Contains(strings.Join(names, ","), Name) {
		t.Error("factory not registered")
	}
	for c := LiveSecret; c <= WebhookSecret; c++ {
		if ruleFor(c) == nil || c.String() == "credential" {
			t.Errorf("cred %d has no rule or name", c)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &finding.Collector{}
	New(analyzer.Options{}).File(ctx, &source.File{Rel: "a.py", Data: []byte("k='" + secretstest.Key(skLive, 24, 1) + "'")}, c)
	if len(c.Findings) != 0 {
		t.Fatal("cancelled scan reported findings")
	}
}

func TestEvidenceWindowDropsFragments(t *testing.T) {
	a := secretstest.Key(skLive, 24, 102)
	tail := secretstest.Body(30, 103)
	c := run(&source.File{Rel: "x.txt", Data: []byte("zz" + tail + " " + a + " after" + tail + "\n")}, analyzer.Options{})
	if len(c.Findings) != 1 {
		t.Fatalf("got %d findings", len(c.Findings))
	}
	ev := c.Findings[0].Evidence
	if strings.Contains(ev, tail[len(tail)-6:]) || strings.Contains(ev, tail[:6]) {
		t.Fatalf("evidence %q shows fragments of neighbouring words", ev)
	}
}

func TestEvidenceMasksNeighbours(t *testing.T) {
	a := secretstest.Key(skLive, 24, 100)
	b := secretstest.Key(skTest, 24, 101)
	c := run(&source.File{Rel: "x.txt", Data: []byte(a + " " + b + "\n")}, analyzer.Options{})
	if len(c.Findings) != 2 {
		t.Fatalf("got %d findings", len(c.Findings))
	}
	for _, f := range c.Findings {
		if strings.Contains(f.Evidence, a) || strings.Contains(f.Evidence, b) || strings.Contains(f.Evidence, a[8:14]) || strings.Contains(f.Evidence, b[8:14]) {
			t.Fatalf("evidence %q shows a key", f.Evidence)
		}
	}
}

func TestArchiveMemberMessage(t *testing.T) {
	key := secretstest.Key(skLive, 24, 110)
	for _, tc := range []struct{ rel, outer string }{
		{"dist/app-1.0.whl!app/config.py", "dist/app-1.0.whl"},
		{"a.zip!b.tar!c/d.py", "a.zip!b.tar"},
		{"blob-without-bang", "blob-without-bang"},
	} {
		c := run(&source.File{Rel: tc.rel, Container: "zip member", Data: []byte("K='" + key + "'\n")}, analyzer.Options{})
		if len(c.Findings) != 1 || !strings.Contains(c.Findings[0].Message, "zip member of "+tc.outer+",") {
			t.Errorf("%s: message does not name the artifact: %v", tc.rel, c.Findings)
		}
	}
}

func TestBase64InLog(t *testing.T) {
	key := secretstest.Key(skLive, 99, 130)
	data := "10:00 DEBUG send: b'POST /v1/charges HTTP/1.1\\r\\nAuthorization: Basic " + b64(key+":") + "\\r\\n'\n"
	c := run(&source.File{Rel: "logs/http.log", Data: []byte(data)}, analyzer.Options{})
	if len(c.Findings) != 1 {
		t.Fatalf("got %d findings", len(c.Findings))
	}
	f := c.Findings[0]
	if f.RuleID != LiveSecretKey.ID || f.Context != "base64-encoded" || f.Secret != key || !strings.Contains(f.Message, "logged") {
		t.Fatalf("got %s %q %q", f.RuleID, f.Context, f.Message)
	}
	checkFinding(t, f)
}

// A key in a notebook cell's saved output was printed: the "never logged"
// control is missing, as for a log file.
func TestNotebookOutputMarksLogged(t *testing.T) {
	key := "sk_" + "live_" + "Zq8Lr3Xv9TpW2mKc7NbY4HdF"
	nb := `{"cells": [{"cell_type": "code", "source": ["print(stripe.api_key)"], "outputs": [{"output_type": "stream", "text": ["` + key + `\n"]}]}], "nbformat": 4}`
	a := New(analyzer.Options{})
	var c finding.Collector
	a.File(context.Background(), &source.File{Rel: "n.ipynb", Data: []byte(nb), Ignored: true}, &c)
	found := false
	for _, o := range c.Observations {
		if o.Mitigation == MitigationNotLogged && o.State == finding.Missing && strings.Contains(o.Detail, "notebook cell 1") {
			found = true
		}
	}
	if !found {
		t.Errorf("observations %+v", c.Observations)
	}
}
