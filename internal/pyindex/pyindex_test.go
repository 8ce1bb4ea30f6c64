package pyindex

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/pydeps"
)

// got renders settings as "line tool kind value" for comparison.
func got(res Result) []string {
	var out []string
	for _, s := range res.Settings {
		v := s.Value
		if s.Name != "" {
			v = s.Name + "=" + v
		}
		out = append(out, fmt.Sprintf("%d %s %s %s", s.Line, s.Tool, s.Kind, v))
	}
	return out
}

func installs(res Result) []string {
	var out []string
	for _, i := range res.Installs {
		out = append(out, fmt.Sprintf("%d %s %s hashed=%v constrained=%v", i.Line, i.Tool, i.Spec, i.Hashed, i.Constrained))
	}
	return out
}

func TestRead(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             []string
		installs         []string
	}{
		{
			name: "pip.conf with multi-line values and sections",
			file: "deploy/pip.conf",
			text: `# company mirror
[global]
index-url = https://pypi.corp.example/simple
extra-index-url =
    https://pypi.org/simple
    http://legacy.corp.example/simple
trusted-host = legacy.corp.example
    pypi.corp.example:8443
[install]
find_links: https://wheels.corp.example/
no-index = false
require-hashes = yes
[freeze]
index-url = https://ignored.example/simple
`,
			want: []string{
				"3 pip index https://pypi.corp.example/simple",
				"5 pip extra-index https://pypi.org/simple",
				"6 pip extra-index http://legacy.corp.example/simple",
				"7 pip trusted-host legacy.corp.example",
				"8 pip trusted-host pypi.corp.example:8443",
				"10 pip find-links https://wheels.corp.example/",
				"12 pip require-hashes ",
			},
		},
		{
			name: "pip.ini on Windows",
			file: "pip.ini",
			text: "[global]\r\nextra_index_url = https://u:p4ssw0rd@pkgs.example.com/simple\r\n",
			want: []string{"2 pip extra-index https://u:p4ssw0rd@pkgs.example.com/simple"},
		},
		{
			name: "Dockerfile ENV, ARG, RUN with continuations, exec form and heredoc",
			file: "docker/Dockerfile.prod",
			text: `FROM python:3.12-slim
ARG PIP_EXTRA_INDEX_URL=https://pkgs.corp.example/simple
ENV PIP_TRUSTED_HOST=pkgs.corp.example \
    PIP_NO_CACHE_DIR=1
ENV PIP_INDEX_URL https://mirror.corp.example/simple
RUN pip install --no-cache-dir \
    # pinned
    --extra-index-url https://other.example/simple \
    stripe==7.0.0 flask
RUN ["python", "-m", "pip", "install", "-i", "http://insecure.example/simple", "requests"]
RUN --mount=type=cache,target=/root/.cache uv pip install --system --index-strategy unsafe-best-match --extra-index-url https://corp.example/simple -r requirements.txt
RUN <<EOF
set -e
PIP_FIND_LINKS=/wheels pip3 install --require-hashes -r requirements.txt
pip config set global.extra-index-url "https://a.example/simple https://b.example/simple"
EOF
RUN echo pip install not-a-command && pip download strlpe
`,
			want: []string{
				"2 pip extra-index https://pkgs.corp.example/simple",
				"3 pip trusted-host pkgs.corp.example",
				"5 pip index https://mirror.corp.example/simple",
				"6 pip extra-index https://other.example/simple",
				"10 pip index http://insecure.example/simple",
				"11 uv index-strategy unsafe-best-match",
				"11 uv extra-index https://corp.example/simple",
				"14 pip find-links /wheels",
				"14 pip require-hashes ",
				"15 pip extra-index https://a.example/simple",
				"15 pip extra-index https://b.example/simple",
			},
			installs: []string{
				"6 pip stripe==7.0.0 hashed=false constrained=false",
				"6 pip flask hashed=false constrained=false",
				"10 pip requests hashed=false constrained=false",
			},
		},
		{
			name: "compose environment map and list, build args, command",
			file: "docker-compose.yml",
			text: `services:
  web:
    build:
      context: .
      args:
        - PIP_EXTRA_INDEX_URL=https://build.corp.example/simple
    environment:
      PIP_INDEX_URL: "https://deploy:s3cr3tT0kenValue99@pypi.corp.example/simple"
      OTHER: value
    command: ["pip", "install", "--trusted-host", "pypi.corp.example", "gunicorn"]
  worker:
    environment:
      - UV_INDEX_STRATEGY=unsafe-best-match
    command: sh -c "uv pip install --extra-index-url https://x.example/simple celery"
`,
			want: []string{
				"6 pip extra-index https://build.corp.example/simple",
				"8 pip index https://deploy:s3cr3tT0kenValue99@pypi.corp.example/simple",
				"10 pip trusted-host pypi.corp.example",
				"13 uv index-strategy unsafe-best-match",
			},
			installs: []string{"10 pip gunicorn hashed=false constrained=false"},
		},
		{
			name: "GitHub Actions env at every level and run scripts",
			file: ".github/workflows/ci.yml",
			text: `name: ci
on: push
env:
  PIP_EXTRA_INDEX_URL: ${{ secrets.PRIVATE_INDEX }}
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      UV_EXTRA_INDEX_URL: https://uv.corp.example/simple
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt --extra-index-url https://ci.corp.example/simple
      - name: deps
        run: |
          python -m pip install --upgrade pip
          pip install reqeusts
        env:
          PIP_TRUSTED_HOST: ci.corp.example
`,
			want: []string{
				"4 pip extra-index ${{ secrets.PRIVATE_INDEX }}",
				"9 uv ordered-index https://uv.corp.example/simple",
				"12 pip extra-index https://ci.corp.example/simple",
				"18 pip trusted-host ci.corp.example",
			},
			installs: []string{
				"15 pip pip hashed=false constrained=false",
				"16 pip reqeusts hashed=false constrained=false",
			},
		},
		{
			name: "GitLab CI variables and script lists",
			file: ".gitlab-ci.yml",
			text: `variables:
  PIP_INDEX_URL: https://gitlab-ci-token:${CI_JOB_TOKEN}@gitlab.example.com/api/v4/projects/1/packages/pypi/simple
test:
  script:
    - pip install --find-links=https://wheels.example/ stripe-python
    - export PIP_EXTRA_INDEX_URL=https://more.example/simple
`,
			want: []string{
				"2 pip index https://gitlab-ci-token:${CI_JOB_TOKEN}@gitlab.example.com/api/v4/projects/1/packages/pypi/simple",
				"5 pip find-links https://wheels.example/",
				"6 pip extra-index https://more.example/simple",
			},
			installs: []string{"5 pip stripe-python hashed=false constrained=false"},
		},
		{
			name: ".env",
			file: ".env.production",
			text: "# pip\nexport PIP_EXTRA_INDEX_URL=\"https://one.example/simple https://two.example/simple\"\nUV_INSECURE_HOST=pkgs.example # dev only\nSTRIPE_API_KEY=x\n",
			want: []string{
				"2 pip extra-index https://one.example/simple",
				"2 pip extra-index https://two.example/simple",
				"3 uv trusted-host pkgs.example",
			},
		},
		{
			name: "shell script",
			file: "scripts/bootstrap.sh",
			text: "#!/bin/sh\nset -e\nif [ -n \"$CI\" ]; then pip install --index-url=http://10.0.0.5:8080/simple/ --trusted-host 10.0.0.5 -c constraints.txt stripe; fi\nsudo -E env PIP_EXTRA_INDEX_URL=https://z.example/simple pip install flask\n",
			want: []string{
				"3 pip index http://10.0.0.5:8080/simple/",
				"3 pip trusted-host 10.0.0.5",
				"4 pip extra-index https://z.example/simple",
			},
			installs: []string{
				"3 pip stripe hashed=false constrained=true",
				"4 pip flask hashed=false constrained=false",
			},
		},
		{
			name: "Pipfile: first source is the index, others scoped unless search-all",
			file: "Pipfile",
			text: `[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[[source]]
url = "http://pkgs.corp.example/simple"
verify_ssl = false
name = "corp"

[packages]
stripe = "*"
internal-lib = {version = "*", index = "corp"}
`,
			want: []string{
				"7 pipenv scoped-index corp=http://pkgs.corp.example/simple",
				"8 pipenv trusted-host corp=pkgs.corp.example",
			},
		},
		{
			name: "Pipfile with install_search_all_sources",
			file: "app/Pipfile",
			text: "[[source]]\nurl = \"https://pypi.org/simple\"\nname = \"pypi\"\n[[source]]\nurl = \"https://corp.example/simple\"\nname = \"corp\"\n[pipenv]\ninstall_search_all_sources = true\n",
			want: []string{"5 pipenv extra-index corp=https://corp.example/simple"},
		},
		{
			name: "Poetry priorities",
			file: "pyproject.toml",
			text: `[tool.poetry]
name = "shop"

[[tool.poetry.source]]
name = "corp"
url = "https://pkgs.corp.example/simple/"
priority = "supplemental"

[[tool.poetry.source]]
name = "pinned"
url = "https://pinned.corp.example/simple/"
priority = "explicit"

[[tool.poetry.source]]
name = "mirror"
url = "https://mirror.corp.example/simple/"
priority = "primary"

[[tool.poetry.source]]
name = "PyPI"
priority = "primary"
`,
			want: []string{
				"6 poetry fallback-index corp=https://pkgs.corp.example/simple/",
				"11 poetry scoped-index pinned=https://pinned.corp.example/simple/",
				"16 poetry extra-index mirror=https://mirror.corp.example/simple/",
			},
		},
		{
			name: "Poetry single primary replaces PyPI",
			file: "pyproject.toml",
			text: "[[tool.poetry.source]]\nname = \"mirror\"\nurl = \"https://mirror.example/simple\"\npriority = \"primary\"\n",
			want: []string{"3 poetry index mirror=https://mirror.example/simple"},
		},
		{
			name: "uv indexes and strategy",
			file: "pyproject.toml",
			text: `[project]
name = "shop"
dependencies = ["stripe"]

[tool.uv]
index-strategy = "unsafe-best-match"
extra-index-url = ["https://extra.example/simple"]
allow-insecure-host = ["extra.example"]

[[tool.uv.index]]
name = "corp"
url = "https://uv.corp.example/simple"

[[tool.uv.index]]
name = "torch"
url = "https://download.pytorch.org/whl/cpu"
explicit = true

[[tool.uv.index]]
url = "https://pypi.org/simple"
default = true
`,
			want: []string{
				"6 uv index-strategy unsafe-best-match",
				"7 uv extra-index https://extra.example/simple",
				"8 uv trusted-host extra.example",
				"12 uv extra-index corp=https://uv.corp.example/simple",
				"16 uv scoped-index torch=https://download.pytorch.org/whl/cpu",
			},
		},
		{
			name: "uv default strategy: ordered",
			file: "uv.toml",
			text: "[[index]]\nname = \"corp\"\nurl = \"https://uv.corp.example/simple\"\n\n[pip]\nextra-index-url = [\"https://pipx.example/simple\"]\n",
			want: []string{
				"6 uv ordered-index https://pipx.example/simple",
				"3 uv ordered-index corp=https://uv.corp.example/simple",
			},
		},
		{
			name: "PDM sources",
			file: "pyproject.toml",
			text: `[[tool.pdm.source]]
name = "private"
url = "https://private.example/simple"
verify_ssl = false

[[tool.pdm.source]]
name = "scoped"
url = "https://scoped.example/simple"
include_packages = ["acme-*"]

[[tool.pdm.source]]
name = "wheels"
url = "https://wheels.example/links"
type = "find_links"
`,
			want: []string{
				"3 pdm extra-index private=https://private.example/simple",
				"4 pdm trusted-host private=private.example",
				"8 pdm scoped-index scoped=https://scoped.example/simple",
				"13 pdm find-links wheels=https://wheels.example/links",
			},
		},
		{
			name: "PDM respect-source-order, private before pypi",
			file: "pyproject.toml",
			text: "[[tool.pdm.source]]\nname = \"private\"\nurl = \"https://private.example/simple\"\n[[tool.pdm.source]]\nname = \"pypi\"\nurl = \"https://pypi.org/simple\"\n[tool.pdm.resolution]\nrespect-source-order = true\n",
			want: []string{"3 pdm ordered-index private=https://private.example/simple"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !Wants(tt.file) {
				t.Fatalf("Wants(%s) = false", tt.file)
			}
			res := Read(tt.file, []byte(tt.text))
			for _, w := range res.Warnings {
				t.Errorf("warning: %+v", w)
			}
			if g := got(res); strings.Join(g, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("settings:\n got: %s\nwant: %s", strings.Join(g, "\n      "), strings.Join(tt.want, "\n      "))
			}
			if g := installs(res); strings.Join(g, "\n") != strings.Join(tt.installs, "\n") {
				t.Errorf("installs:\n got: %s\nwant: %s", strings.Join(g, "\n      "), strings.Join(tt.installs, "\n      "))
			}
			for _, s := range res.Settings {
				if s.File != tt.file || s.Origin == "" {
					t.Errorf("setting without file/origin: %+v", s)
				}
			}
		})
	}
}

func TestWants(t *testing.T) {
	for p, want := range map[string]bool{
		"pip.conf": true, "etc/pip.ini": true, "Dockerfile": true, "ci/Dockerfile.dev": true, "compose.yaml": true,
		".github/workflows/x.yml": true, ".env": true, "run.sh": true, "Pipfile": true, "pyproject.toml": true, "uv.toml": true,
		"app.py": false, "README.md": false, "config.yml": false, "requirements.txt": false,
	} {
		if Wants(p) != want {
			t.Errorf("Wants(%s) = %v", p, !want)
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, tt := range []struct{ file, text string }{
		{"pyproject.toml", "[tool.uv\nindex = "},
		{"docker-compose.yml", "services: [\n"},
		{"pip.conf", "[global\nnonsense\n"},
		{"Dockerfile", "RUN pip install \\"},
		{"Dockerfile", "RUN <<EOF\npip install x\n"},
		{"run.sh", "pip install \"unterminated"},
		{"Pipfile", "\x00\x01binary"},
	} {
		res := Read(tt.file, []byte(tt.text))
		_ = res // must not panic
	}
	if res := Read("pyproject.toml", []byte("[tool.uv\nindex-url = 'x'")); len(res.Warnings) == 0 {
		t.Error("broken TOML gives no warning")
	}
}

func TestFromPip(t *testing.T) {
	s, ok := FromPip(pydeps.IndexSetting{File: "requirements.txt", Line: 3, Option: "--extra-index-url", Value: "https://x/simple"})
	if !ok || s.Kind != ExtraIndex || s.Tool != Pip || s.Line != 3 {
		t.Errorf("%+v", s)
	}
	if _, ok := FromPip(pydeps.IndexSetting{Option: "--pre"}); ok {
		t.Error("--pre is not an index setting")
	}
}

func TestCredentials(t *testing.T) {
	tests := []struct {
		url, secret, redacted string
	}{
		{"https://deploy:s3cr3tT0kenValue99@pypi.corp.example/simple", "s3cr3tT0kenValue99", "https://deploy:…ue99@pypi.corp.example/simple"},
		{"https://u:p4ss@h/simple", "p4ss", "https://u:…@h/simple"},
		{"https://glpat8f7d6s5a4q3w2e1r0t9y@gitlab.example/simple", "glpat8f7d6s5a4q3w2e1r0t9y", "https://…0t9y@gitlab.example/simple"},
		{"https://${USER}:${TOKEN}@h/simple", "", ""},
		{"https://gitlab-ci-token:$CI_JOB_TOKEN@h/simple", "", ""},
		{"https://user:<password>@h/simple", "", ""},
		{"https://user@h/simple", "", ""},
		{"https://h/simple?x=a@b", "", ""},
		{"https://pypi.org/simple", "", ""},
	}
	for _, tt := range tests {
		c, ok := URLCredentials(tt.url)
		if ok != (tt.secret != "") || c.Secret != tt.secret {
			t.Errorf("%s: %+v %v", tt.url, c, ok)
			continue
		}
		if ok && RedactURL(tt.url) != tt.redacted {
			t.Errorf("%s: redacted %s, want %s", tt.url, RedactURL(tt.url), tt.redacted)
		}
		if ok && strings.Contains(RedactURL(tt.url), tt.secret) {
			t.Errorf("%s: secret survives redaction", tt.url)
		}
	}
	if StripCredentials("https://a:b@h/x") != "https://h/x" {
		t.Error("StripCredentials")
	}
}

func TestURLFacts(t *testing.T) {
	if !IsPyPI("https://pypi.org/simple") || !IsPyPI("https://pypi.python.org/simple/") || IsPyPI("https://pypi.corp.example/simple") || IsPyPI("https://test.pypi.org/simple") {
		t.Error("IsPyPI")
	}
	if !IsLoopback(Host("http://localhost:3141/root/pypi")) || !IsLoopback(Host("http://127.0.0.1/simple")) || IsLoopback(Host("http://10.0.0.5/simple")) {
		t.Error("IsLoopback")
	}
	if Host("pkgs.example:8443") != "pkgs.example" || Host("https://U:P@Pkgs.Example/simple") != "pkgs.example" {
		t.Error("Host")
	}
	if !IsLocalPath("/wheels") || !IsLocalPath("file:///wheels") || IsLocalPath("https://x/") {
		t.Error("IsLocalPath")
	}
}

func FuzzRead(f *testing.F) {
	f.Add("Dockerfile", "RUN pip install -i http://x/ y \\\n && uv pip install z")
	f.Add("pip.conf", "[global]\nindex-url=\n  a\n")
	f.Add(".github/workflows/a.yml", "env:\n  PIP_INDEX_URL: x\njobs: {a: {steps: [{run: pip install a}]}}")
	f.Add("pyproject.toml", "[[tool.poetry.source]]\nname='a'\nurl='b'\n")
	f.Add("run.sh", "a=$(pip install 'x) && \"")
	f.Fuzz(func(t *testing.T, file, text string) {
		res := Read(file, []byte(text))
		for _, s := range res.Settings {
			if s.Line < 0 {
				t.Fatalf("negative line: %+v", s)
			}
		}
	})
}

// YAML the decoder rejects is still read line by line.
func TestBrokenYAMLFallback(t *testing.T) {
	res := Read(".github/workflows/deploy.yml", []byte("jobs:\n  a:\n    env:\n      PIP_EXTRA_INDEX_URL: https://x.example/simple\n    steps:\n      - run: curl -u a: b && pip install --trusted-host x.example reqeusts\n"))
	want := []string{"4 pip extra-index https://x.example/simple", "6 pip trusted-host x.example"}
	if g := got(res); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", g)
	}
	if g := installs(res); len(g) != 1 || !strings.Contains(g[0], "reqeusts") {
		t.Errorf("installs %q", g)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %+v", res.Warnings)
	}
}
