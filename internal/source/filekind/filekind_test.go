package filekind

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		path string
		want Kind
	}{
		{"app/settings.py", Python},
		{"stubs/x.pyi", Python},
		{"ext/fast.pyx", Python},
		{"capture.har", JSON},
		{"events.jsonl", JSON},
		{"Pipfile", TOML},
		{"nohup.out", Log},
		{".env", Env},
		{"config/.env.production", Env},
		{"deploy/prod.env", Env},
		{".envrc", Env},
		{"config.yaml", YAML},
		{"a/b/values.yml", YAML},
		{"package.json", JSON},
		{"pyproject.toml", TOML},
		{"setup.cfg", INI},
		{"tox.ini", INI},
		{"nginx.conf", INI},
		{"notebooks/Explore.ipynb", Notebook},
		{"Dockerfile", Dockerfile},
		{"docker/Dockerfile.prod", Dockerfile},
		{"build/api.dockerfile", Dockerfile},
		{"Containerfile", Dockerfile},
		{"docker-compose.yml", Compose},
		{"docker-compose.override.yaml", Compose},
		{"compose.yaml", Compose},
		{".github/workflows/deploy.yml", CI},
		{"sub/.github/workflows/ci.yaml", CI},
		{".gitlab-ci.yml", CI},
		{".circleci/config.yml", CI},
		{"Jenkinsfile", CI},
		{"azure-pipelines.yml", CI},
		{"bitbucket-pipelines.yml", CI},
		{".travis.yml", CI},
		{"scripts/deploy.sh", Shell},
		{".bashrc", Shell},
		{"logs/app.log", Log},
		{"logs/app.log.1", Log},
		{"docs/README.md", Docs},
		{"README.rst", Docs},
		{"NOTES.txt", Docs},
		{"README", Docs},
		{"requirements.txt", Other},
		{"requirements-dev.txt", Other},
		{"data/payments.csv", CSV},
		{"img/logo.png", Other},
		{"Makefile", Other},
		{"", Other},
		{"/", Other},
		{`win\style\.env`, Env},
	}
	for _, tt := range tests {
		if got := Classify(tt.path); got != tt.want {
			t.Errorf("Classify(%q) = %s, want %s", tt.path, got, tt.want)
		}
	}
}

func TestRefine(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		data string
		want Kind
	}{
		{"secret", YAML, "apiVersion: v1\nkind: Secret\ndata:\n  k: dg==\n", K8sSecret},
		{"quoted", YAML, "kind: \"Secret\"\n", K8sSecret},
		{"second doc", YAML, "kind: ConfigMap\n---\nkind: Secret\n", K8sSecret},
		{"configmap", YAML, "apiVersion: v1\nkind: ConfigMap\n", YAML},
		{"nested not top", YAML, "spec:\n  kind: Secret\n", YAML},
		{"secretish", YAML, "kind: SecretProviderClass\n", YAML},
		{"not yaml", JSON, "kind: Secret\n", JSON},
		{"empty", YAML, "", YAML},
	}
	for _, tt := range tests {
		if got := Refine(tt.kind, []byte(tt.data)); got != tt.want {
			t.Errorf("%s: Refine = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestNamesComplete(t *testing.T) {
	for k := Other; k <= CSV; k++ {
		if k != Other && (k.String() == "other" || k.Describe() == "file") {
			t.Errorf("kind %d has no name or description", k)
		}
	}
	if Kind(200).String() != "other" || Kind(200).Describe() != "file" {
		t.Error("out-of-range kind must fall back to other")
	}
}

func BenchmarkClassify(b *testing.B) {
	paths := []string{"app/settings.py", ".github/workflows/deploy.yml", "docs/README.md", "src/pkg/module/very/deep/file.json"}
	for i := 0; i < b.N; i++ {
		_ = Classify(paths[i%len(paths)])
	}
}
