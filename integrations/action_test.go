// Package integrations tests the files that put stripeguard where users
// work: the GitHub Action (action.yml at the repository root) and the
// GitLab CI template (integrations/gitlab).
package integrations

import (
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

const actionPath = "../action.yml"

// validateJSONSchema checks doc (any YAML or JSON value) against a JSON
// Schema file with Python's jsonschema (Debian python3-jsonschema).
func validateJSONSchema(t *testing.T, schema string, doc any) {
	t.Helper()
	py := testutil.NeedPython(t, "jsonschema")
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `import json, sys, jsonschema
schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
jsonschema.Draft7Validator.check_schema(schema)
errs = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
for e in errs[:20]: print("/".join(map(str, e.absolute_path)) or "(root)", ":", e.message[:300])
sys.exit(1 if errs else 0)`, schema, p).CombinedOutput()
	if err != nil {
		t.Errorf("%s: %v\n%s", schema, err, out)
	}
}

// yamlAsJSON decodes YAML into plain maps for JSON Schema validation.
func yamlAsJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func TestActionMetadataSchema(t *testing.T) {
	validateJSONSchema(t, "testdata/action-metadata.schema.json", yamlAsJSON(t, actionPath))
	// The schema itself must reject what GitHub rejects.
	bad := map[string]any{
		"missing description":  map[string]any{"name": "x", "runs": map[string]any{"using": "composite", "steps": []any{map[string]any{"run": "true", "shell": "bash"}}}},
		"run without shell":    map[string]any{"name": "x", "description": "d", "runs": map[string]any{"using": "composite", "steps": []any{map[string]any{"run": "true"}}}},
		"not composite":        map[string]any{"name": "x", "description": "d", "runs": map[string]any{"using": "node20", "steps": []any{}}},
		"bad input id":         map[string]any{"name": "x", "description": "d", "inputs": map[string]any{"1st": map[string]any{"description": "d"}}, "runs": map[string]any{"using": "composite", "steps": []any{map[string]any{"uses": "a/b@v1"}}}},
		"output without value": map[string]any{"name": "x", "description": "d", "outputs": map[string]any{"o": map[string]any{"description": "d"}}, "runs": map[string]any{"using": "composite", "steps": []any{map[string]any{"uses": "a/b@v1"}}}},
		"run and uses":         map[string]any{"name": "x", "description": "d", "runs": map[string]any{"using": "composite", "steps": []any{map[string]any{"uses": "a/b@v1", "run": "true", "shell": "bash"}}}},
	}
	py := testutil.NeedPython(t, "jsonschema")
	for name, doc := range bad {
		data, _ := json.Marshal(doc)
		cmd := exec.Command(py, "-c", `import json, sys, jsonschema
jsonschema.Draft7Validator(json.load(open(sys.argv[1]))).validate(json.loads(sys.argv[2]))`, "testdata/action-metadata.schema.json", string(data))
		if err := cmd.Run(); err == nil {
			t.Errorf("schema accepts an action with %s", name)
		}
	}
}

// Beyond the schema: what the runner would only find out at run time.
func TestActionWiring(t *testing.T) {
	a := loadAction(t, actionPath)
	raw, _ := os.ReadFile(actionPath)
	ids := map[string]bool{}
	for _, st := range a.Runs.Steps {
		if st.ID != "" {
			if ids[st.ID] {
				t.Errorf("duplicate step id %s", st.ID)
			}
			ids[st.ID] = true
		}
		// Expressions go through env, never into the script text: an
		// input holding `"; curl … #` must stay data (script injection).
		if strings.Contains(st.Run, "${{") {
			t.Errorf("step %q interpolates an expression into its script; pass it through env", st.Name)
		}
		if st.Uses != "" && !regexp.MustCompile(`@v\d+$`).MatchString(st.Uses) {
			t.Errorf("step %q uses %s: pin a major version", st.Name, st.Uses)
		}
	}
	for _, m := range regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml refers to undeclared input %s", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.outputs`).FindAllStringSubmatch(string(raw), -1) {
		if !ids[m[1]] {
			t.Errorf("action.yml refers to unknown step %s", m[1])
		}
	}
	// Each input is read by some step.
	for name := range a.Inputs {
		if !strings.Contains(string(raw), "inputs."+name+" ") && !strings.Contains(string(raw), "inputs."+name+"}") && !strings.Contains(string(raw), "inputs."+name+" }}") {
			t.Errorf("input %s is declared but never used", name)
		}
	}
	for _, want := range []string{"report", "sarif", "findings", "key-exposure", "webhook-forgery", "stripe-vulnerability", "dependency-vulnerability", "malicious-package"} {
		if _, ok := a.Outputs[want]; !ok {
			t.Errorf("missing output %s", want)
		}
	}
	var upload bool
	for _, st := range a.Runs.Steps {
		if strings.HasPrefix(st.Uses, "github/codeql-action/upload-sarif@") {
			upload = true
		}
	}
	if !upload {
		t.Error("the SARIF must be uploaded with the official github/codeql-action/upload-sarif")
	}
}

// --- running the action ---

// materializeShop copies testdata/shop into dir with generated keys in
// place of its {{...}} placeholders.
func materializeShop(t *testing.T, dir string) {
	t.Helper()
	testutil.Materialize(t, "../testdata/shop", dir, 7)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func sharedDB(t *testing.T) string {
	p, _ := filepath.Abs("../../shared/data/pypa-advisory-db")
	if _, err := os.Stat(p); err != nil {
		testutil.Unavailable(t, "shared advisory data: %v", err)
	}
	return p
}

type uploadCall struct{ sarif, category string }

// newRun prepares an invocation of the action on workspace ws.
func newRun(t *testing.T, ws string, inputs map[string]string, github map[string]any) (*run, *[]uploadCall) {
	t.Helper()
	root, _ := filepath.Abs("..")
	temp := t.TempDir()
	github["workspace"] = ws
	github["action_path"] = root
	if github["action_ref"] == nil {
		github["action_ref"] = "v0-test"
	}
	var uploads []uploadCall
	r := &run{t: t, action: loadAction(t, actionPath), inputs: inputs, github: github,
		runner: map[string]any{"temp": temp, "os": "Linux"}}
	r.baseEnv = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"GOCACHE=" + goEnv(t, "GOCACHE"), "GOMODCACHE=" + goEnv(t, "GOMODCACHE"), "GOFLAGS=" + os.Getenv("GOFLAGS"),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
	r.uses = func(st actionStep, with map[string]string) error {
		switch {
		case strings.HasPrefix(st.Uses, "actions/setup-go@"):
			// Go is already installed; check the action points it at
			// stripeguard's own module files.
			for _, k := range []string{"go-version-file", "cache-dependency-path"} {
				if _, err := os.Stat(with[k]); err != nil {
					t.Errorf("setup-go %s: %v", k, err)
				}
			}
		case strings.HasPrefix(st.Uses, "github/codeql-action/upload-sarif@"):
			uploads = append(uploads, uploadCall{with["sarif_file"], with["category"]})
		default:
			t.Errorf("unexpected action %s", st.Uses)
		}
		return nil
	}
	return r, &uploads
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Results []struct {
			RuleID    string `json:"ruleId"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func readSARIF(t *testing.T, path string) (n int, files map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d sarifDoc
	if err := json.Unmarshal(data, &d); err != nil || d.Version != "2.1.0" || len(d.Runs) != 1 {
		t.Fatalf("%s is not SARIF 2.1.0: %v", path, err)
	}
	files = map[string]bool{}
	for _, r := range d.Runs[0].Results {
		for _, l := range r.Locations {
			files[l.PhysicalLocation.ArtifactLocation.URI] = true
		}
	}
	return len(d.Runs[0].Results), files
}

func needGit(t *testing.T) {
	testutil.NeedProgram(t, "git")
	testutil.NeedProgram(t, "bash")
	testutil.NeedProgram(t, "xargs")
}

// A push: everything is reported, the SARIF is uploaded, the summary has
// the threat-model report, and the job fails on the critical findings.
func TestActionPush(t *testing.T) {
	needGit(t)
	ws := t.TempDir()
	materializeShop(t, ws)
	git(t, ws, "init", "-q", "-b", "main")
	git(t, ws, "add", "-A")
	git(t, ws, "commit", "-qm", "shop")
	r, uploads := newRun(t, ws, map[string]string{"args": "--db " + sharedDB(t)}, map[string]any{
		"event_name": "push", "ref": "refs/heads/main", "sha": git(t, ws, "rev-parse", "HEAD"), "event": map[string]any{}})
	out := r.Run()
	t.Log(r.logs.String())

	if !r.failed {
		t.Error("critical findings at the default fail-on (high) must fail the job")
	}
	if out["exit-code"] != "1" || out["base"] != "" {
		t.Errorf("exit-code %q base %q", out["exit-code"], out["base"])
	}
	total := atoi(t, out["findings"])
	sum := 0
	for _, th := range []string{"key-exposure", "webhook-forgery", "stripe-vulnerability", "dependency-vulnerability", "malicious-package"} {
		sum += atoi(t, out[th])
	}
	if total < 8 || sum != total || atoi(t, out["key-exposure"]) == 0 || atoi(t, out["dependency-vulnerability"]) == 0 {
		t.Errorf("counts: %v", out)
	}
	if !strings.HasSuffix(out["report"], ".html") {
		t.Errorf("report %q: default format is html", out["report"])
	}
	html, err := os.ReadFile(out["report"])
	if err != nil || strings.Count(string(html), `<article class="finding`) != total {
		t.Errorf("html report: %v, %d findings in it, want %d", err, strings.Count(string(html), `<article class="finding`), total)
	}
	n, _ := readSARIF(t, out["sarif"])
	if n != total {
		t.Errorf("SARIF has %d results, want %d", n, total)
	}
	if len(*uploads) != 1 || (*uploads)[0].sarif != out["sarif"] || (*uploads)[0].category != "stripeguard" {
		t.Errorf("upload-sarif calls: %+v", *uploads)
	}
	s := r.summary.String()
	if !strings.Contains(s, "# Stripe threat model") || strings.Contains(s, "Pull request mode") {
		t.Errorf("summary:\n%s", s)
	}
	if !strings.Contains(s, strconv.Itoa(total)+" findings") {
		t.Errorf("summary does not count %d findings", total)
	}
	if len(r.executed) != len(r.action.Runs.Steps) {
		t.Errorf("steps run: %v", r.executed)
	}
}

// Inputs: fail-on never, no upload, no summary, json format, extra args
// with quotes.
func TestActionInputs(t *testing.T) {
	needGit(t)
	ws := t.TempDir()
	materializeShop(t, ws)
	git(t, ws, "init", "-q", "-b", "main")
	git(t, ws, "add", "-A")
	git(t, ws, "commit", "-qm", "shop")
	r, uploads := newRun(t, ws, map[string]string{
		"fail-on": "never", "upload-sarif": "false", "summary": "false", "format": "json",
		"args": `--skip-analyzers deps --exclude 'notebooks/' --exclude "config/docker-compose.yml"`,
	}, map[string]any{"event_name": "push", "event": map[string]any{}})
	out := r.Run()
	if r.failed || out["exit-code"] != "0" {
		t.Fatalf("fail-on never: failed=%v exit-code %q\n%s", r.failed, out["exit-code"], r.logs.String())
	}
	if len(*uploads) != 0 || r.summary.Len() != 0 {
		t.Errorf("upload-sarif/summary false: uploads %v, summary %q", *uploads, r.summary.String())
	}
	var doc struct {
		Findings []struct {
			File   string `json:"file"`
			Threat string `json:"threat"`
		} `json:"findings"`
	}
	data, _ := os.ReadFile(out["report"])
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("report %s: %v", out["report"], err)
	}
	if len(doc.Findings) == 0 || strconv.Itoa(len(doc.Findings)) != out["findings"] {
		t.Errorf("json report has %d findings, output says %s", len(doc.Findings), out["findings"])
	}
	for _, f := range doc.Findings {
		if strings.HasPrefix(f.File, "notebooks/") || f.File == "config/docker-compose.yml" || f.Threat == "dependency-vulnerability" {
			t.Errorf("args not applied: finding in %s (%s)", f.File, f.Threat)
		}
	}
	// An argument that is not a flag of stripeguard is an error, not a
	// silent pass.
	r, _ = newRun(t, ws, map[string]string{"args": "--no-such-flag; touch pwned"}, map[string]any{"event_name": "push", "event": map[string]any{}})
	r.Run()
	if !r.failed {
		t.Error("a bad argument must fail the step")
	}
	if _, err := os.Stat(filepath.Join(ws, "pwned")); err == nil {
		t.Error("args were executed by a shell")
	}
}

// pullRequestRepo builds an origin repository where main has the shop,
// a feature branch forked from it adds a file with a hard-coded live key,
// and main moves on after the fork with a finding of its own (late.py).
// It returns the origin, the fork point, main's tip and GitHub's merge
// commit of the pull request (refs/pull/1/merge).
func pullRequestRepo(t *testing.T) (origin, fork, mainTip, merge string) {
	t.Helper()
	src := t.TempDir()
	materializeShop(t, src)
	git(t, src, "init", "-q", "-b", "main")
	git(t, src, "add", "-A")
	git(t, src, "commit", "-qm", "shop")
	fork = git(t, src, "rev-parse", "HEAD")
	rng := rand.New(rand.NewSource(99))
	git(t, src, "checkout", "-q", "-b", "feature")
	must(t, os.WriteFile(filepath.Join(src, "shop", "payments.py"), []byte("import stripe\n\nstripe.api_key = \""+testutil.Key(rng, "sk_"+"live_", 24)+"\"\n"), 0o600))
	git(t, src, "add", "-A")
	git(t, src, "commit", "-qm", "payments")
	git(t, src, "checkout", "-q", "main")
	must(t, os.WriteFile(filepath.Join(src, "shop", "late.py"), []byte("import stripe\n\nstripe.api_key = \""+testutil.Key(rng, "sk_"+"live_", 24)+"\"\n"), 0o600))
	git(t, src, "add", "-A")
	git(t, src, "commit", "-qm", "late")
	mainTip = git(t, src, "rev-parse", "HEAD")
	git(t, src, "checkout", "-q", "-b", "pr-merge")
	git(t, src, "merge", "-q", "--no-ff", "-m", "Merge feature into main", "feature")
	merge = git(t, src, "rev-parse", "HEAD")
	origin = filepath.Join(t.TempDir(), "origin.git")
	git(t, src, "clone", "-q", "--bare", src, origin)
	git(t, origin, "update-ref", "refs/pull/1/merge", merge)
	git(t, origin, "config", "uploadpack.allowAnySHA1InWant", "true") // as GitHub allows
	return origin, fork, mainTip, merge
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func checkPullRequest(t *testing.T, r *run, out map[string]string, uploads []uploadCall, wantBase string) {
	t.Helper()
	if out["base"] != wantBase {
		t.Errorf("base %q, want %q\n%s", out["base"], wantBase, r.logs.String())
	}
	var doc struct {
		Findings []struct {
			File string `json:"file"`
		} `json:"findings"`
	}
	data, err := os.ReadFile(out["report"])
	if err != nil {
		t.Fatalf("report: %v\n%s", err, r.logs.String())
	}
	must(t, json.Unmarshal(data, &doc))
	var files []string
	for _, f := range doc.Findings {
		files = append(files, f.File)
		if f.File != "shop/payments.py" {
			t.Errorf("pull-request mode reports an old finding in %s", f.File)
		}
	}
	if len(doc.Findings) == 0 || out["findings"] != strconv.Itoa(len(doc.Findings)) || out["key-exposure"] != out["findings"] {
		t.Errorf("new findings: %v, outputs %v", files, out)
	}
	if out["exit-code"] != "1" || !r.failed {
		t.Errorf("a new live key must fail the job: exit-code %q", out["exit-code"])
	}
	n, sarifFiles := readSARIF(t, out["sarif"])
	if n <= len(doc.Findings) || !sarifFiles["shop/settings.py"] || !sarifFiles["shop/payments.py"] {
		t.Errorf("code scanning must get every finding: %d results in %v", n, sarifFiles)
	}
	if len(uploads) != 1 {
		t.Errorf("uploads: %v", uploads)
	}
	s := r.summary.String()
	if !strings.Contains(s, "**Pull request mode:**") || !strings.Contains(s, "`"+wantBase[:12]+"`") || !strings.Contains(s, "# Stripe threat model") {
		t.Errorf("summary does not explain pull-request mode:\n%s", s)
	}
}

// The checkout actions/checkout makes for pull_request events: GitHub's
// merge commit, depth 1. The base commit is fetched and recognised as the
// merge commit's first parent.
func TestActionPullRequestMergeCommit(t *testing.T) {
	needGit(t)
	origin, _, mainTip, merge := pullRequestRepo(t)
	ws := t.TempDir()
	git(t, ws, "init", "-q")
	git(t, ws, "remote", "add", "origin", "file://"+origin)
	git(t, ws, "fetch", "-q", "--no-tags", "--depth=1", "origin", "+refs/pull/1/merge:refs/remotes/pull/1/merge")
	git(t, ws, "checkout", "-q", "--detach", "refs/remotes/pull/1/merge")
	r, uploads := newRun(t, ws, map[string]string{"format": "json", "args": "--skip-analyzers deps"}, map[string]any{
		"event_name": "pull_request", "base_ref": "main", "ref": "refs/pull/1/merge", "sha": merge,
		"event": map[string]any{"pull_request": map[string]any{"base": map[string]any{"sha": mainTip}}}})
	out := r.Run()
	checkPullRequest(t, r, out, *uploads, mainTip)
}

// A full-history checkout of the pull request's head: the comparison is
// with the merge base (the fork point), so what main gained since the
// fork (late.py) is not counted against the pull request.
func TestActionPullRequestMergeBase(t *testing.T) {
	needGit(t)
	origin, fork, mainTip, _ := pullRequestRepo(t)
	ws := filepath.Join(t.TempDir(), "ws")
	git(t, filepath.Dir(ws), "clone", "-q", "file://"+origin, ws)
	git(t, ws, "checkout", "-q", "feature")
	r, uploads := newRun(t, ws, map[string]string{"format": "json", "args": "--skip-analyzers deps"}, map[string]any{
		"event_name": "pull_request", "base_ref": "main",
		"event": map[string]any{"pull_request": map[string]any{"base": map[string]any{"sha": mainTip}}}})
	out := r.Run()
	checkPullRequest(t, r, out, *uploads, fork)
	// No worktree is left behind.
	if wt := git(t, ws, "worktree", "list"); strings.Count(wt, "\n") != 0 {
		t.Errorf("worktrees left: %s", wt)
	}
}

func TestOutputsParser(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out")
	must(t, os.WriteFile(p, []byte("a=1\nb=x=y\nmulti<<EOF\nline 1\nline 2\nEOF\nc=\n"), 0o644))
	got, err := parseOutputs(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "1", "b": "x=y", "multi": "line 1\nline 2", "c": ""}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
	r := &run{t: t, inputs: map[string]string{"x": "true", "y": ""}, github: map[string]any{"event": map[string]any{"a": map[string]any{"b": "sha1"}}},
		action: &actionFile{}}
	for expr, want := range map[string]string{
		"inputs.x == 'true'": "true", "inputs.y || 'dflt'": "dflt", "github.event.a.b || github.event.c": "sha1",
		"!cancelled() && inputs.x == 'TRUE'": "true", "github.event.missing.deep": "", "inputs.y != ''": "false",
	} {
		if got := str(r.eval(expr)); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
}
