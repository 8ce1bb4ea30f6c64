// Package filekind names the kind of file a path is, so that analyzers can
// say where a finding sits ("Dockerfile ENV", "CI workflow") and adjust how
// they read it. Classification looks at the path only, except that a YAML
// file is a Kubernetes Secret manifest when its content says so (Refine).
package filekind

import (
	"bytes"
	"path"
	"strings"
)

// Kind is a file context. The zero value is Other.
type Kind uint8

const (
	Other Kind = iota
	Python
	Env
	YAML
	JSON
	TOML
	INI
	Notebook
	Dockerfile
	Compose
	CI
	Shell
	Log
	Docs
	K8sSecret
	CSV
)

var names = [...]string{
	Other: "other", Python: "python", Env: "env", YAML: "yaml", JSON: "json",
	TOML: "toml", INI: "ini", Notebook: "notebook", Dockerfile: "dockerfile",
	Compose: "compose", CI: "ci-workflow", Shell: "shell", Log: "log",
	Docs: "docs", K8sSecret: "k8s-secret", CSV: "csv",
}

// String is the short machine name used in tests and JSON.
func (k Kind) String() string {
	if int(k) < len(names) {
		return names[k]
	}
	return "other"
}

var descriptions = [...]string{
	Other: "file", Python: "Python source", Env: ".env file", YAML: "YAML configuration",
	JSON: "JSON file", TOML: "TOML configuration", INI: "INI/cfg configuration",
	Notebook: "Jupyter notebook", Dockerfile: "Dockerfile", Compose: "Docker Compose file",
	CI: "CI workflow", Shell: "shell script", Log: "log file", Docs: "documentation",
	K8sSecret: "Kubernetes Secret manifest", CSV: "CSV file",
}

// Describe is the human phrase used in messages ("in a CI workflow").
func (k Kind) Describe() string {
	if int(k) < len(descriptions) {
		return descriptions[k]
	}
	return "file"
}

// IsConfig reports the structured configuration kinds (values, not code).
func (k Kind) IsConfig() bool {
	switch k {
	case YAML, JSON, TOML, INI, Compose, CI, K8sSecret, Env:
		return true
	}
	return false
}

// Classify decides the kind from a '/'-separated path (for archive members,
// pass the path inside the container). It never reads the file.
func Classify(p string) Kind {
	p = strings.ReplaceAll(p, "\\", "/")
	base := path.Base(p)
	lb := strings.ToLower(base)
	lp := strings.ToLower(p)
	ext := strings.ToLower(path.Ext(base))

	// Names that carry more meaning than their extension come first: a
	// workflow is YAML, but a key in it is exposed to every CI run.
	switch {
	case isEnvLike(lb):
		return Env
	case lb == "dockerfile" || strings.HasPrefix(lb, "dockerfile.") || strings.HasSuffix(lb, ".dockerfile") ||
		lb == "containerfile" || strings.HasPrefix(lb, "containerfile."):
		return Dockerfile
	case isCI(lp, lb, ext):
		return CI
	case (ext == ".yml" || ext == ".yaml") &&
		(strings.HasPrefix(lb, "docker-compose") || lb == "compose.yml" || lb == "compose.yaml" ||
			strings.HasPrefix(lb, "compose.")):
		return Compose
	}

	switch ext {
	case ".py", ".pyw", ".pyi", ".pyx", ".pxd":
		return Python
	case ".ipynb":
		return Notebook
	case ".yml", ".yaml":
		return YAML
	case ".json", ".jsonc", ".json5", ".jsonl", ".ndjson", ".har":
		return JSON
	case ".toml":
		return TOML
	case ".ini", ".cfg", ".conf", ".properties":
		return INI
	case ".sh", ".bash", ".zsh", ".ksh", ".fish", ".ps1":
		return Shell
	case ".log", ".out":
		return Log
	case ".md", ".markdown", ".rst", ".adoc":
		return Docs
	case ".txt":
		// requirements.txt and friends are dependency manifests, not prose.
		if strings.HasPrefix(lb, "requirements") || strings.HasPrefix(lb, "constraints") {
			return Other
		}
		return Docs
	case ".csv", ".tsv":
		return CSV
	}
	switch lb {
	case ".bashrc", ".zshrc", ".profile", ".bash_profile", ".zprofile":
		return Shell
	case "readme", "license", "changelog":
		return Docs
	case "pipfile":
		return TOML
	}
	// Rotated logs: app.log.1, app.log.2026-01-01.
	if strings.Contains(lb, ".log.") {
		return Log
	}
	return Other
}

// Refine looks at content for the kinds a path cannot decide: a YAML file
// with "kind: Secret" is a Kubernetes Secret manifest whose data: values are
// base64 and must be decoded before scanning.
func Refine(k Kind, data []byte) Kind {
	if k == YAML && IsK8sSecret(data) {
		return K8sSecret
	}
	return k
}

// IsK8sSecret reports whether a YAML document declares kind: Secret at the
// start of a line (any document of a multi-document file).
func IsK8sSecret(data []byte) bool {
	for off := 0; off < len(data); {
		i := bytes.Index(data[off:], []byte("kind:"))
		if i < 0 {
			return false
		}
		i += off
		off = i + 5
		if i > 0 && data[i-1] != '\n' {
			continue
		}
		rest := data[off:]
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			rest = rest[:j]
		}
		v := strings.Trim(strings.TrimSpace(string(rest)), `"'`)
		if v == "Secret" {
			return true
		}
	}
	return false
}

// Of classifies a path and refines it with the data when the path alone is
// ambiguous.
func Of(p string, data []byte) Kind { return Refine(Classify(p), data) }

func isEnvLike(lb string) bool {
	return lb == ".env" || lb == ".envrc" || strings.HasPrefix(lb, ".env.") || strings.HasSuffix(lb, ".env")
}

func isCI(lp, lb, ext string) bool {
	yaml := ext == ".yml" || ext == ".yaml"
	switch {
	case yaml && (strings.HasPrefix(lp, ".github/workflows/") || strings.Contains(lp, "/.github/workflows/")):
		return true
	case yaml && (strings.HasPrefix(lp, ".github/actions/") || strings.Contains(lp, "/.github/actions/")):
		return true
	case lb == ".gitlab-ci.yml" || lb == ".gitlab-ci.yaml":
		return true
	case yaml && (strings.HasPrefix(lp, ".circleci/") || strings.Contains(lp, "/.circleci/")):
		return true
	case lb == "jenkinsfile" || strings.HasPrefix(lb, "jenkinsfile."):
		return true
	case yaml && strings.HasPrefix(lb, "azure-pipelines"):
		return true
	case lb == "bitbucket-pipelines.yml" || lb == "bitbucket-pipelines.yaml":
		return true
	case lb == ".travis.yml" || lb == ".drone.yml" || lb == "cloudbuild.yaml" || lb == "cloudbuild.yml":
		return true
	case yaml && (strings.HasPrefix(lp, ".buildkite/") || strings.Contains(lp, "/.buildkite/")):
		return true
	}
	return false
}
