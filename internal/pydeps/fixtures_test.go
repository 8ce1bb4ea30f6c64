package pydeps

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// fixtureCases: every format, real syntax and malformed variants, under
// testdata/. Requirements are compared through summary(); warnings by
// file:line and the first words of the message.
var fixtureCases = []struct {
	file                  string
	reqs, cons, idx, warn []string
}{
	{file: "requirements/requirements.txt",
		reqs: []string{
			"certifi 2023.7.22 ==2023.7.22 requirements/sub/base.txt:2 requirements direct idx=https://pypi.example.com/simple",
			"idna - - requirements/sub/base.txt:4 requirements direct idx=https://pypi.example.com/simple",
			"stripe 5.4.0 ==5.4.0 requirements/requirements.txt:8 requirements direct idx=https://pypi.example.com/simple h2",
			"requests - >=2.19,<3 requirements/requirements.txt:11 requirements direct x=security,socks m=python_version >= \"3.7\" idx=https://pypi.example.com/simple",
			"flask-login - ~=0.6 requirements/requirements.txt:12 requirements direct raw=Flask_Login idx=https://pypi.example.com/simple",
			"pywin32 306 ==306 requirements/requirements.txt:13 requirements direct m=sys_platform == \"win32\" idx=https://pypi.example.com/simple",
			"urllib3 1.10 ===1.10 requirements/requirements.txt:14 requirements direct idx=https://pypi.example.com/simple",
			"numpy - ==1.26.* requirements/requirements.txt:15 requirements direct idx=https://pypi.example.com/simple",
			"vcs-pkg - - requirements/requirements.txt:16 requirements direct raw=vcs_pkg url=git+https://github.com/example/vcs-pkg.git@v1.2#egg=vcs_pkg",
			"editable-pkg - - requirements/requirements.txt:17 requirements direct url=git+https://github.com/example/editable.git@main#egg=editable-pkg editable",
			"- - - requirements/requirements.txt:18 requirements direct url=./local/thing editable",
			"mylib 0.3 - requirements/requirements.txt:19 requirements direct url=https://files.example.com/mylib-0.3.tar.gz#sha256=cccc",
			"fancy-pkg 2.0.1 ==2.0.1 requirements/requirements.txt:20 requirements direct raw=fancy_pkg url=https://files.example.com/wheels/fancy_pkg-2.0.1-py3-none-any.whl",
			"localpkg 1.4 - requirements/requirements.txt:21 requirements direct url=./downloads/localpkg-1.4.zip",
		},
		cons: []string{
			"charset-normalizer 3.3.2 ==3.3.2 requirements/constraints.txt:1 requirements idx=https://pypi.example.com/simple",
		},
		idx: []string{
			"requirements/requirements.txt:2 --index-url https://pypi.example.com/simple",
			"requirements/requirements.txt:3 --extra-index-url https://extra.example.org/simple",
			"requirements/requirements.txt:4 --trusted-host extra.example.org",
			"requirements/requirements.txt:22 --pre ",
			"requirements/requirements.txt:23 --require-hashes ",
		},
		warn: []string{
			"requirements/sub/base.txt:3 pip rejects this",
		},
	},
	{file: "requirements/malformed-requirements.txt",
		reqs: []string{
			"good-one 1.0 ==1.0 requirements/malformed-requirements.txt:1 requirements direct",
			"also-good - >=2 requirements/malformed-requirements.txt:8 requirements direct raw=also_good m=python_version < \"3.8\" and",
			"after-bad 3.0 ==3.0 requirements/malformed-requirements.txt:10 requirements direct",
		},
		warn: []string{
			"requirements/malformed-requirements.txt:2 pip rejects this",
			"requirements/malformed-requirements.txt:3 pip rejects this",
			"requirements/malformed-requirements.txt:4 pip rejects this",
			"requirements/malformed-requirements.txt:5 include \"../../../../etc/passwd\" points",
			"requirements/malformed-requirements.txt:6 remote include \"https://example.com/remote.txt\"",
			"requirements/malformed-requirements.txt:7 pip rejects this",
			"requirements/malformed-requirements.txt:8 pip rejects this",
			"requirements/malformed-requirements.txt:9 pip rejects this",
		},
	},
	{file: "requirements/binary-requirements.txt",
		reqs: []string{},
		warn: []string{
			"requirements/binary-requirements.txt:0 binary content (NUL",
		},
	},
	{file: "requirements/cycle-a.txt",
		reqs: []string{
			"alpha 1.0 ==1.0 requirements/cycle-a.txt:1 requirements direct",
			"beta 2.0 ==2.0 requirements/cycle-b.txt:1 requirements direct",
		},
		warn: []string{
			"requirements/cycle-b.txt:2 pip rejects this",
		},
	},
	{file: "pyproject/pep621/pyproject.toml",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 pyproject/pep621/pyproject.toml:10 pyproject direct",
			"requests - >=2.19,<3 pyproject/pep621/pyproject.toml:11 pyproject direct x=socks",
			"typing-extensions - - pyproject/pep621/pyproject.toml:12 pyproject direct raw=typing_extensions m=python_version < \"3.10\"",
			"pywin32 - >=306 pyproject/pep621/pyproject.toml:13 pyproject direct m=sys_platform == 'win32'",
			"mylib - - pyproject/pep621/pyproject.toml:14 pyproject direct url=git+https://github.com/example/mylib.git@v1.0",
			"pytest - >=7 pyproject/pep621/pyproject.toml:18 pyproject direct",
			"coverage 7.3.2 ==7.3.2 pyproject/pep621/pyproject.toml:18 pyproject direct raw=Coverage x=toml",
			"sphinx - - pyproject/pep621/pyproject.toml:19 pyproject direct",
			"ruff 0.4.1 ==0.4.1 pyproject/pep621/pyproject.toml:22 pyproject direct",
			"mypy - >=1.8 pyproject/pep621/pyproject.toml:23 pyproject direct",
		},
	},
	{file: "pyproject/poetry/pyproject.toml",
		reqs: []string{
			"stripe - >=5.4.0,<6.0.0 pyproject/poetry/pyproject.toml:9 pyproject direct",
			"requests - >=2.31,<2.32 pyproject/poetry/pyproject.toml:10 pyproject direct x=socks",
			"flask 2.3.3 ==2.3.3 pyproject/poetry/pyproject.toml:11 pyproject direct",
			"zero - >=0.2.3,<0.3.0 pyproject/poetry/pyproject.toml:12 pyproject direct",
			"tiny - >=0.0.3,<0.0.4 pyproject/poetry/pyproject.toml:13 pyproject direct",
			"star - - pyproject/poetry/pyproject.toml:14 pyproject direct",
			"ranged - >=1.2,<2.0 pyproject/poetry/pyproject.toml:15 pyproject direct",
			"spaced - >=1.2,<2.0 pyproject/poetry/pyproject.toml:16 pyproject direct",
			"either - - pyproject/poetry/pyproject.toml:17 pyproject direct",
			"private-lib - >=1.0,<2.0 pyproject/poetry/pyproject.toml:18 pyproject direct idx=https://pypi.internal.example.com/simple/",
			"gitdep - - pyproject/poetry/pyproject.toml:19 pyproject direct url=git+https://github.com/example/gitdep.git@v0.9",
			"multi - <=1.9 pyproject/poetry/pyproject.toml:20 pyproject direct m=python_version >= \"3.6\" and python_version < \"3.8\"",
			"multi - >=2.0,<3.0 pyproject/poetry/pyproject.toml:20 pyproject direct m=python_version >= \"3.8\"",
			"winonly 1.0 ==1.0 pyproject/poetry/pyproject.toml:24 pyproject direct m=sys_platform == 'win32'",
			"pytest - >=7.4,<8.0 pyproject/poetry/pyproject.toml:27 pyproject direct",
			"black - >=23,<24 pyproject/poetry/pyproject.toml:30 pyproject direct",
		},
		idx: []string{
			"pyproject/poetry/pyproject.toml:32 --extra-index-url https://pypi.internal.example.com/simple/",
		},
		warn: []string{
			"pyproject/poetry/pyproject.toml:17 poetry dependency either:",
		},
	},
	{file: "pyproject/pdm/pyproject.toml",
		reqs: []string{
			"stripe - >=5 pyproject/pdm/pyproject.toml:4 pyproject direct",
			"pytest 8.0.0 ==8.0.0 pyproject/pdm/pyproject.toml:7 pyproject direct",
			"helper - - pyproject/pdm/pyproject.toml:7 pyproject direct url=file:///${PROJECT_ROOT}/libs/helper#egg=helper editable",
			"flake8 - - pyproject/pdm/pyproject.toml:8 pyproject direct",
		},
	},
	{file: "pyproject/uv/pyproject.toml",
		reqs: []string{
			"stripe - >=7.0 pyproject/uv/pyproject.toml:5 pyproject direct",
			"httpx - - pyproject/uv/pyproject.toml:6 pyproject direct url=git+https://github.com/encode/httpx@0.27.0",
			"internal-sdk - - pyproject/uv/pyproject.toml:7 pyproject direct idx=https://corp.example.com/simple",
			"pytest - >=8.0 pyproject/uv/pyproject.toml:11 pyproject direct",
			"ruff - - pyproject/uv/pyproject.toml:11 pyproject direct",
		},
		idx: []string{
			"pyproject/uv/pyproject.toml:17 --extra-index-url https://corp.example.com/simple",
		},
	},
	{file: "pyproject/malformed/pyproject.toml",
		reqs: []string{},
		warn: []string{
			"pyproject/malformed/pyproject.toml:7 invalid TOML: toml:",
		},
	},
	{file: "pyproject/badtypes/pyproject.toml",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 pyproject/badtypes/pyproject.toml:3 pyproject direct",
			"ok-pkg - - pyproject/badtypes/pyproject.toml:3 pyproject direct m=python_version >",
		},
		warn: []string{
			"pyproject/badtypes/pyproject.toml:3 [project] dependencies: entry",
			"pyproject/badtypes/pyproject.toml:3 invalid requirement: expected",
			"pyproject/badtypes/pyproject.toml:3 invalid requirement: invalid",
			"pyproject/badtypes/pyproject.toml:4 [project] optional-dependencies should",
			"pyproject/badtypes/pyproject.toml:7 [tool.poetry.dependencies] should be",
		},
	},
	{file: "pyproject/dynamic/pyproject.toml",
		reqs: []string{
			"stripe 6.0.0 ==6.0.0 pyproject/dynamic/requirements.txt:1 requirements direct",
		},
	},
	{file: "setupcfg/setup.cfg",
		reqs: []string{
			"stripe - >=5.0,<6 setupcfg/setup.cfg:9 setup.cfg direct",
			"requests 2.19.0 ==2.19.0 setupcfg/setup.cfg:10 setup.cfg direct",
			"importlib-metadata - - setupcfg/setup.cfg:12 setup.cfg direct m=python_version < \"3.8\"",
			"pytest 7.4.0 ==7.4.0 setupcfg/setup.cfg:16 setup.cfg direct",
			"sphinx - >=7 setupcfg/setup.cfg:17 setup.cfg direct",
		},
	},
	{file: "setupcfg-semicolon/setup.cfg",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 setupcfg-semicolon/setup.cfg:2 setup.cfg direct",
			"requests - >=2 setupcfg-semicolon/setup.cfg:2 setup.cfg direct",
		},
	},
	{file: "setupcfg-bad/setup.cfg",
		reqs: []string{
			"idna 3.6 ==3.6 setupcfg-bad/setup.cfg:7 setup.cfg direct",
		},
		warn: []string{
			"setupcfg-bad/setup.cfg:1 malformed section header",
			"setupcfg-bad/setup.cfg:6 invalid requirement: expected",
			"setupcfg-bad/setup.cfg:8 line is not",
		},
	},
	{file: "setuppy/setup.py",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 setuppy/setup.py:16 setup.py direct",
			"requests - >=2.19,<3 setuppy/setup.py:17 setup.py direct",
			"six - - setuppy/setup.py:19 setup.py direct",
			"typing-extensions - - setuppy/setup.py:20 setup.py direct m=python_version < '3.10'",
			"pytest - >=7 setuppy/setup.py:8 setup.py direct",
			"sphinx 7.2.6 ==7.2.6 setuppy/setup.py:24 setup.py direct",
		},
	},
	{file: "setuppy-nonliteral/setup.py",
		reqs: []string{},
		warn: []string{
			"setuppy-nonliteral/setup.py:8 install_requires is not",
		},
	},
	{file: "setuppy-bad/setup.py",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 setuppy-bad/setup.py:4 setup.py direct",
			"ok 1.0 ==1.0 setuppy-bad/setup.py:7 setup.py direct",
		},
		warn: []string{
			"setuppy-bad/setup.py:3 install_requires is not",
		},
	},
	{file: "pipfile/Pipfile",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 pipfile/Pipfile:12 pipfile direct idx=https://pypi.org/simple",
			"requests - >=2.19 pipfile/Pipfile:13 pipfile direct x=socks idx=https://pypi.org/simple",
			"private-lib - - pipfile/Pipfile:14 pipfile direct idx=http://internal.example.com/simple",
			"pywin32 306 ==306 pipfile/Pipfile:15 pipfile direct m=sys_platform == 'win32' idx=https://pypi.org/simple",
			"flask - - pipfile/Pipfile:16 pipfile direct raw=Flask idx=https://pypi.org/simple",
			"gitpkg - - pipfile/Pipfile:17 pipfile direct url=git+https://github.com/example/gitpkg.git@v1.0 editable",
			"pytest 7.4.0 ==7.4.0 pipfile/Pipfile:20 pipfile direct idx=https://pypi.org/simple",
		},
		idx: []string{
			"pipfile/Pipfile:1 --index-url https://pypi.org/simple",
			"pipfile/Pipfile:6 --extra-index-url http://internal.example.com/simple",
			"pipfile/Pipfile:6 --trusted-host internal.example.com",
		},
	},
	{file: "pipfile/Pipfile.lock",
		reqs: []string{
			"certifi 2023.7.22 ==2023.7.22 pipfile/Pipfile.lock:24 lockfile m=python_version >= '3.6' idx=https://pypi.org/simple h2",
			"private-lib 1.10 ==1.10 pipfile/Pipfile.lock:33 lockfile idx=http://internal.example.com/simple",
			"gitpkg - - pipfile/Pipfile.lock:38 lockfile url=git+https://github.com/example/gitpkg.git@0123456789abcdef0123456789abcdef01234567 editable",
			"stripe 5.4.0 ==5.4.0 pipfile/Pipfile.lock:43 lockfile idx=https://pypi.org/simple h1",
			"pytest 7.4.0 ==7.4.0 pipfile/Pipfile.lock:52 lockfile m=python_version >= '3.7' idx=https://pypi.org/simple h1",
		},
		idx: []string{
			"pipfile/Pipfile.lock:2 --index-url https://pypi.org/simple",
			"pipfile/Pipfile.lock:2 --extra-index-url http://internal.example.com/simple",
			"pipfile/Pipfile.lock:2 --trusted-host internal.example.com",
		},
	},
	{file: "pipfile-bad/Pipfile",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 pipfile-bad/Pipfile:2 pipfile direct",
			"broken - - pipfile-bad/Pipfile:4 pipfile direct",
		},
		warn: []string{
			"pipfile-bad/Pipfile:4 Pipfile package broken:",
			"pipfile-bad/Pipfile:3 Pipfile package requests:",
		},
	},
	{file: "pipfile-bad/Pipfile.lock",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 pipfile-bad/Pipfile.lock:4 lockfile",
			"weird - - pipfile-bad/Pipfile.lock:5 lockfile",
		},
		warn: []string{
			"pipfile-bad/Pipfile.lock:5 Pipfile.lock entry \"weird\":",
			"pipfile-bad/Pipfile.lock:6 invalid package name",
			"pipfile-bad/Pipfile.lock:7 invalid JSON: unexpected",
		},
	},
	{file: "poetry/poetry.lock",
		reqs: []string{
			"certifi 2023.7.22 ==2023.7.22 poetry/poetry.lock:4 lockfile h2",
			"private-lib 1.10 ==1.10 poetry/poetry.lock:15 lockfile idx=https://pypi.internal.example.com/simple",
			"requests 2.31.0 ==2.31.0 poetry/poetry.lock:28 lockfile h1 req=certifi,charset-normalizer,idna,urllib3",
			"gitdep 0.9.0 ==0.9.0 poetry/poetry.lock:47 lockfile url=git+https://github.com/example/gitdep.git@1111111111111111111111111111111111111111",
		},
	},
	{file: "poetry-old/poetry.lock",
		reqs: []string{
			"six 1.16.0 ==1.16.0 poetry-old/poetry.lock:2 lockfile h1",
		},
	},
	{file: "poetry-bad/poetry.lock",
		reqs: []string{
			"good 1.0 ==1.0 poetry-bad/poetry.lock:2 lockfile",
			"numeric-version - - poetry-bad/poetry.lock:9 lockfile",
			"after 3.0 ==3.0 poetry-bad/poetry.lock:13 lockfile",
		},
		warn: []string{
			"poetry-bad/poetry.lock:5 package entry 2",
			"poetry-bad/poetry.lock:9 package: version of",
		},
	},
	{file: "uv/uv.lock",
		reqs: []string{
			"anyio 4.3.0 ==4.3.0 uv/uv.lock:5 lockfile idx=https://pypi.org/simple h2 req=idna,sniffio",
			"httpx 0.27.0 ==0.27.0 uv/uv.lock:18 lockfile url=git+https://github.com/encode/httpx?tag=0.27.0#5cb8a1e6a6d6b3b5a0b0e1b1a1e1b1a1e1b1a1e1 req=anyio",
			"stripe 7.10 ==7.10 uv/uv.lock:26 lockfile idx=https://corp.example.com/simple h1 req=requests,typing-extensions",
			"vendored 1.0 ==1.0 uv/uv.lock:45 lockfile url=vendor/vendored-1.0-py3-none-any.whl h1",
		},
	},
	{file: "uv-bad/uv.lock",
		reqs: []string{
			"ok 1.0 ==1.0 uv-bad/uv.lock:4 lockfile idx=https://pypi.org/simple",
		},
		warn: []string{
			"uv-bad/uv.lock:11 invalid TOML: toml:",
			"uv-bad/uv.lock:0 recovered 1 of",
		},
	},
	{file: "pdm/pdm.lock",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 pdm/pdm.lock:11 lockfile h2 req=requests,typing-extensions",
			"colorama 0.4.6 ==0.4.6 pdm/pdm.lock:26 lockfile m=sys_platform == \"win32\" h1",
			"helper 0.1.0 ==0.1.0 pdm/pdm.lock:37 lockfile url=./libs/helper editable",
		},
	},
	{file: "pdm-old/pdm.lock",
		reqs: []string{
			"idna 3.6 ==3.6 pdm-old/pdm.lock:2 lockfile h1",
		},
	},
	{file: "pdm-bad/pdm.lock",
		reqs: []string{
			"fine 1.0 ==1.0 pdm-bad/pdm.lock:2 lockfile",
		},
		warn: []string{
			"pdm-bad/pdm.lock:7 invalid TOML: toml:",
			"pdm-bad/pdm.lock:0 recovered 1 of",
		},
	},
	{file: "pylock/pylock.toml",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 pylock/pylock.toml:7 lockfile idx=https://pypi.org/simple h1 req=requests",
			"requests 2.31.0 ==2.31.0 pylock/pylock.toml:20 lockfile m=python_version >= '3.7' idx=https://pypi.org/simple h1",
			"attrs 23.2.0 ==23.2.0 pylock/pylock.toml:31 lockfile m=sys_platform == 'win32' idx=https://pypi.org/simple",
			"gitonly - - pylock/pylock.toml:37 lockfile url=git+https://github.com/example/gitonly.git@2222222222222222222222222222222222222222",
			"localdir - - pylock/pylock.toml:41 lockfile url=./localdir editable",
		},
	},
	{file: "pylock-bad/pylock.toml",
		reqs: []string{
			"nolockversion 1.0 ==1.0 pylock-bad/pylock.toml:2 lockfile",
		},
		warn: []string{
			"pylock-bad/pylock.toml:1 pylock: missing or",
			"pylock-bad/pylock.toml:6 packages entry 2",
		},
	},
	{file: "conda/environment.yml",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 conda/environment.yml:10 conda direct idx=https://pypi.example.com/simple",
			"requests - >=2.31 conda/environment.yml:11 conda direct idx=https://pypi.example.com/simple",
			"flask 2.3.3 ==2.3.3 conda/requirements-extra.txt:1 requirements direct idx=https://pypi.example.com/simple",
			"vcs-pkg - - conda/environment.yml:14 conda direct url=git+https://github.com/example/vcs-pkg.git#egg=vcs-pkg",
		},
		idx: []string{
			"conda/environment.yml:12 --index-url https://pypi.example.com/simple",
		},
	},
	{file: "conda-bad/environment.yml",
		reqs: []string{},
		warn: []string{
			"conda-bad/environment.yml:2 invalid YAML: yaml:",
		},
	},
	{file: "conda-badtypes/environment.yml",
		reqs: []string{
			"stripe 5.4.0 ==5.4.0 conda-badtypes/environment.yml:6 conda direct",
		},
		warn: []string{
			"conda-badtypes/environment.yml:3 pip: should be",
			"conda-badtypes/environment.yml:5 pip: entry is",
			"conda-badtypes/environment.yml:7 pip rejects this",
		},
	},
}

func warnSummary(w finding.Warning) string {
	words := strings.Fields(w.Message)
	if len(words) > 3 {
		words = words[:3]
	}
	return fmt.Sprintf("%s:%d %s", w.File, w.Line, strings.Join(words, " "))
}

func diffLists(t *testing.T, what string, got, want []string) {
	t.Helper()
	n := len(got)
	if len(want) > n {
		n = len(want)
	}
	for i := 0; i < n; i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s[%d]:\n got  %q\n want %q", what, i, g, w)
		}
	}
}

func TestParseFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.file, func(t *testing.T) {
			res := parseFixture(t, tc.file, Options{})
			var got, cons, idx, warn []string
			for _, r := range res.Requirements {
				got = append(got, summary(r))
			}
			for _, r := range res.Constraints {
				cons = append(cons, summary(r))
			}
			for _, s := range res.Indexes {
				idx = append(idx, idxSummary(s))
			}
			for _, w := range res.Warnings {
				if w.Kind != finding.WarnParse {
					t.Errorf("warning kind %q, want %q: %+v", w.Kind, finding.WarnParse, w)
				}
				warn = append(warn, warnSummary(w))
			}
			diffLists(t, "requirement", got, tc.reqs)
			diffLists(t, "constraint", cons, tc.cons)
			diffLists(t, "index setting", idx, tc.idx)
			diffLists(t, "warning", warn, tc.warn)
		})
	}
}
