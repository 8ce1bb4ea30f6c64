package integrations

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const gitlabTemplate = "gitlab/stripeguard.gitlab-ci.yml"

type gitlabJob struct {
	Stage     string            `yaml:"stage"`
	Image     string            `yaml:"image"`
	Variables map[string]string `yaml:"variables"`
	Script    []string          `yaml:"script"`
	Rules     []map[string]any  `yaml:"rules"`
	Cache     map[string]any    `yaml:"cache"`
	Artifacts struct {
		When     string            `yaml:"when"`
		ExposeAs string            `yaml:"expose_as"`
		Paths    []string          `yaml:"paths"`
		Reports  map[string]string `yaml:"reports"`
	} `yaml:"artifacts"`
}

// Job keywords GitLab's CI/CD YAML reference lists; anything else in a job
// is a pipeline error.
var gitlabJobKeywords = map[string]bool{
	"after_script": true, "allow_failure": true, "artifacts": true, "before_script": true, "cache": true,
	"coverage": true, "dast_configuration": true, "dependencies": true, "environment": true, "extends": true,
	"hooks": true, "identity": true, "id_tokens": true, "image": true, "inherit": true, "interruptible": true,
	"manual_confirmation": true, "needs": true, "pages": true, "parallel": true, "release": true,
	"resource_group": true, "retry": true, "rules": true, "script": true, "secrets": true, "services": true,
	"stage": true, "tags": true, "timeout": true, "trigger": true, "variables": true, "when": true,
}

func loadGitlab(t *testing.T) (map[string]map[string]any, gitlabJob) {
	t.Helper()
	data, err := os.ReadFile(gitlabTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	var jobs map[string]gitlabJob
	if err := yaml.Unmarshal(data, &jobs); err != nil {
		t.Fatal(err)
	}
	return raw, jobs["stripeguard"]
}

func TestGitlabTemplateShape(t *testing.T) {
	raw, job := loadGitlab(t)
	if len(raw) != 1 || raw["stripeguard"] == nil {
		t.Fatalf("want one job named stripeguard, got %v", raw)
	}
	for k := range raw["stripeguard"] {
		if !gitlabJobKeywords[k] {
			t.Errorf("unknown job keyword %q", k)
		}
	}
	if job.Stage == "" || job.Image == "" || len(job.Script) == 0 {
		t.Errorf("job needs stage, image and script: %+v", job)
	}
	if job.Artifacts.Reports["codequality"] != "stripeguard-out/gl-code-quality-report.json" || job.Artifacts.When != "always" {
		t.Errorf("artifacts: %+v", job.Artifacts)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9 _-]+$`).MatchString(job.Artifacts.ExposeAs) {
		t.Errorf("expose_as %q", job.Artifacts.ExposeAs)
	}
	for _, p := range job.Artifacts.Paths {
		if strings.ContainsAny(p, "*?") {
			t.Errorf("expose_as paths cannot be globs: %s", p)
		}
	}
	for _, v := range []string{"STRIPEGUARD_VERSION", "STRIPEGUARD_PATH", "STRIPEGUARD_FAIL_ON", "STRIPEGUARD_ARGS", "STRIPEGUARD_BASELINE", "STRIPEGUARD_NEW_FINDINGS_ONLY"} {
		if _, ok := job.Variables[v]; !ok {
			t.Errorf("variable %s is not declared", v)
		}
		if !strings.Contains(job.Script[0], v) {
			t.Errorf("variable %s is not used", v)
		}
	}
	if !strings.HasPrefix(job.Image, "golang:") || !strings.Contains(job.Image, "1.26") {
		t.Errorf("image %s: the module needs Go 1.26 with cgo", job.Image)
	}
}

// The job's script on a merge request checkout: Code Quality gets every
// finding, the reports and the exit code only the new ones.
func TestGitlabTemplateMergeRequest(t *testing.T) {
	needGit(t)
	_, job := loadGitlab(t)
	bin := t.TempDir()
	root, _ := filepath.Abs("..")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "stripeguard"), "./cmd/stripeguard")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	origin, fork, _, _ := pullRequestRepo(t)
	ws := filepath.Join(t.TempDir(), "project")
	git(t, filepath.Dir(ws), "clone", "-q", "--depth=1", "--branch", "feature", "file://"+origin, ws)

	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
		"CI=true", "GITLAB_CI=true", "CI_PROJECT_DIR=" + ws, "CI_PIPELINE_SOURCE=merge_request_event",
		"CI_MERGE_REQUEST_DIFF_BASE_SHA=" + fork}
	vars := map[string]string{}
	for k, v := range job.Variables {
		vars[k] = os.Expand(v, func(n string) string {
			if n == "CI_PROJECT_DIR" {
				return ws
			}
			return vars[n]
		})
	}
	vars["STRIPEGUARD_ARGS"] = "--skip-analyzers deps"
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	run := func() (string, int) {
		cmd := exec.Command("bash", "-c", strings.Join(job.Script, "\n"))
		cmd.Dir, cmd.Env = ws, env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := run()
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a new live key)\n%s", code, out)
	}
	if !strings.Contains(out, "Merge request mode") {
		t.Errorf("log does not say it compared with the merge base:\n%s", out)
	}
	var cq []struct {
		Location struct {
			Path string `json:"path"`
		} `json:"location"`
	}
	data, err := os.ReadFile(filepath.Join(ws, "stripeguard-out", "gl-code-quality-report.json"))
	must(t, err)
	must(t, json.Unmarshal(data, &cq))
	files := map[string]bool{}
	for _, is := range cq {
		files[is.Location.Path] = true
	}
	for f := range files {
		if strings.HasPrefix(f, "stripeguard-out") || strings.HasPrefix(f, ".stripeguard-go") {
			t.Errorf("the job scanned its own output or cache: %s", f)
		}
	}
	if !files["shop/settings.py"] || !files["shop/payments.py"] {
		t.Errorf("Code Quality must hold every finding: %v", files)
	}
	validateJSONSchema(t, "../internal/report/codequality/testdata/codequality.schema.json", jsonValue(t, data))
	md, err := os.ReadFile(filepath.Join(ws, "stripeguard-out", "report.md"))
	must(t, err)
	if strings.Contains(string(md), "`shop/settings.py:") || !strings.Contains(string(md), "`shop/payments.py:") {
		t.Errorf("the merge request report must hold only the new finding:\n%s", md)
	}
	for _, p := range job.Artifacts.Paths {
		if _, err := os.Stat(filepath.Join(ws, p)); err != nil {
			t.Errorf("artifact %s not written: %v", p, err)
		}
	}
	if wt := git(t, ws, "worktree", "list"); strings.Count(wt, "\n") != 0 {
		t.Errorf("worktrees left: %s", wt)
	}
	// never: the job passes.
	env = append(env, "STRIPEGUARD_FAIL_ON=never")
	if out, code := run(); code != 0 {
		t.Errorf("STRIPEGUARD_FAIL_ON=never: exit %d\n%s", code, out)
	}
}

func jsonValue(t *testing.T, data []byte) any {
	var v any
	must(t, json.Unmarshal(data, &v))
	return v
}
