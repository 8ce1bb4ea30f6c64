package pydeps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stripeguard/stripeguard/internal/finding"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"requests", "requests"},
		{"Flask_Login", "flask-login"},
		{"zope.interface", "zope-interface"},
		{"A__b-._C", "a-b-c"},
		{"typing-extensions", "typing-extensions"},
		{"  Stripe ", "stripe"},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsManifest(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"requirements.txt", true},
		{"app/requirements-dev.txt", true},
		{"dev-requirements.txt", true},
		{"Requirements.TXT", true},
		{"requirements/base.txt", true},
		{"requirements.in", true},
		{"requirements-dev.lock", true},
		{"yarn.lock", false},
		{"deps/dev.in", true},
		{"MANIFEST.in", false},
		{"src/config.h.in", false},
		{"Makefile.in", false},
		{"pyproject.toml", true},
		{"sub/setup.cfg", true},
		{"setup.py", true},
		{"Pipfile", true},
		{"Pipfile.lock", true},
		{"poetry.lock", true},
		{"uv.lock", true},
		{"pdm.lock", true},
		{"pylock.toml", true},
		{"pylock.dev.toml", true},
		{"pylock..toml", false},
		{"environment.yml", true},
		{"environment.yaml", true},
		{"readme.txt", false},
		{"notes/requirements.md", false},
		{"package.json", false},
		{"setup.py.bak", false},
	} {
		if got := IsManifest(tc.path); got != tc.want {
			t.Errorf("IsManifest(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestParsePEP508(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    pep508
		wantErr bool
	}{
		{in: "requests", want: pep508{Name: "requests"}},
		{in: "requests==2.19.0", want: pep508{Name: "requests", Specifier: "==2.19.0"}},
		{in: "requests [security, socks] (>= 2.8.1, == 2.8.*) ; python_version < '2.7'",
			want: pep508{Name: "requests", Extras: []string{"security", "socks"}, Specifier: ">=2.8.1,==2.8.*", Marker: "python_version < '2.7'"}},
		{in: "chardet (<3.1.0,>=3.0.2)", want: pep508{Name: "chardet", Specifier: "<3.1.0,>=3.0.2"}},
		{in: "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
			want: pep508{Name: "pip", URL: "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686"}},
		{in: "name@ file:///tmp/x.whl ; os_name == 'nt'", want: pep508{Name: "name", URL: "file:///tmp/x.whl", Marker: "os_name == 'nt'"}},
		{in: "arbitrary===foobar", want: pep508{Name: "arbitrary", Specifier: "===foobar"}},
		{in: "x;", want: pep508{Name: "x"}, wantErr: true},
		{in: "!!", wantErr: true},
		{in: "foo[bar", want: pep508{Name: "foo"}, wantErr: true},
		{in: "foo >=>1", want: pep508{Name: "foo"}, wantErr: true},
		{in: "foo (>=1", want: pep508{Name: "foo"}, wantErr: true},
		{in: "foo @ ", want: pep508{Name: "foo"}, wantErr: true},
		{in: "foo; bogus_var == '1'", want: pep508{Name: "foo", Marker: "bogus_var == '1'"}, wantErr: true},
	} {
		got, err := parsePEP508(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("parsePEP508(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parsePEP508(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestEvalMarker(t *testing.T) {
	linux311 := map[string]string{
		"python_version": "3.11", "python_full_version": "3.11.4", "sys_platform": "linux",
		"platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
		"implementation_name": "cpython", "platform_python_implementation": "CPython",
	}
	for _, tc := range []struct {
		marker  string
		env     map[string]string
		want    tri
		wantErr bool
	}{
		{`python_version >= "3.7"`, linux311, mTrue, false},
		{`python_version < "3.10"`, linux311, mFalse, false},
		{`python_version < "3.9"`, map[string]string{"python_version": "3.10"}, mFalse, false}, // not string comparison
		{`"3.8" < python_version`, linux311, mTrue, false},
		{`python_full_version >= "3.11.4"`, linux311, mTrue, false},
		{`python_version == "3.*"`, linux311, mTrue, false},
		{`python_version != "3.11.*"`, linux311, mFalse, false},
		{`python_version ~= "3.9"`, linux311, mTrue, false},
		{`python_full_version ~= "3.10.0"`, linux311, mFalse, false},
		{`sys_platform == "win32"`, linux311, mFalse, false},
		{`sys_platform == 'win32' or platform_system == "Linux"`, linux311, mTrue, false},
		{`(sys_platform == "win32" and python_version == "2.7") and extra == 'socks'`, linux311, mFalse, false},
		{`extra == "socks"`, linux311, mFalse, false},
		{`extra == "Socks_Extra"`, map[string]string{"extra": "socks-extra"}, mTrue, false},
		{`"linux" in sys_platform`, linux311, mTrue, false},
		{`"arm" not in platform_machine`, linux311, mTrue, false},
		{`platform_release >= "5"`, linux311, mUnknown, false}, // not in env
		{`platform_release >= "5" or python_version > "3"`, linux311, mTrue, false},
		{`platform_release >= "5" and python_version < "3"`, linux311, mFalse, false},
		{`os.name == "posix"`, linux311, mTrue, false},
		{`platform_machine > "a"`, linux311, mFalse, false},                                                   // packaging 26: < and > are false on strings
		{`platform_machine >= "x86_64"`, linux311, mTrue, false},                                              // ... and <= >= mean equality
		{`platform_release >= "5.0"`, map[string]string{"platform_release": "6.1.0-13-amd64"}, mFalse, false}, // not a version: no match
		{`os_name ~= "posix"`, linux311, mUnknown, true},                                                      // undefined on strings
		{`python_version >= "3.7"`, nil, mUnknown, false},
		{`python_version >=`, linux311, mUnknown, true},
		{`python_version "3"`, linux311, mUnknown, true},
		{`(python_version > "3"`, linux311, mUnknown, true},
		{`foo == "1"`, linux311, mUnknown, true},
		{`"a" == "b"`, linux311, mUnknown, true},
		{`python_version == python_full_version`, linux311, mUnknown, true},
		{`python_version <> "3"`, linux311, mUnknown, true},
		{`python_version == "3`, linux311, mUnknown, true},
		{`python_version not "3"`, linux311, mUnknown, true},
		{``, linux311, mUnknown, true},
		{strings.Repeat("(", 500) + `python_version > "3"` + strings.Repeat(")", 500), linux311, mUnknown, true},
	} {
		got, err := EvalMarker(tc.marker, tc.env)
		if (err != nil) != tc.wantErr {
			t.Errorf("EvalMarker(%q) error = %v, wantErr %v", tc.marker, err, tc.wantErr)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("EvalMarker(%q) = %v, want %v", tc.marker, got, tc.want)
		}
	}
}

func TestPoetryToPEP440(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		wantErr  bool
	}{
		{"^1.2.3", ">=1.2.3,<2.0.0", false},
		{"^1.2", ">=1.2,<2.0", false},
		{"^1", ">=1,<2", false},
		{"^0.2.3", ">=0.2.3,<0.3.0", false},
		{"^0.0.3", ">=0.0.3,<0.0.4", false},
		{"^0.0", ">=0.0,<0.1", false},
		{"^0", ">=0,<1", false},
		{"~1.2.3", ">=1.2.3,<1.3.0", false},
		{"~1.2", ">=1.2,<1.3", false},
		{"~1", ">=1,<2", false},
		{"~=1.2", "~=1.2", false},
		{"*", "", false},
		{"", "", false},
		{"1.2.3", "==1.2.3", false},
		{"1.2.*", "==1.2.*", false},
		{"=1.0", "==1.0", false},
		{">=1.2,<2.0", ">=1.2,<2.0", false},
		{">= 1.2 < 2.0", ">=1.2,<2.0", false},
		{"^1.2.3b1", ">=1.2.3b1,<2.0.0", false},
		{"^1.0 || ^2.0", "", true},
		{"^x.y", "", true},
		{"latest", "", true},
	} {
		got, err := poetryToPEP440(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("poetryToPEP440(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
		}
		if !tc.wantErr && got != tc.want {
			t.Errorf("poetryToPEP440(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// parseReqText parses an in-memory requirements file.
func parseReqText(text string, files map[string]string, opt Options) Result {
	read := func(rel string) ([]byte, error) {
		if s, ok := files[rel]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	return Parse("requirements.txt", []byte(text), read, opt)
}

func TestRequirementsLines(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
		warns      int
	}{
		{"comment after whitespace", "requests==2.0 # pinned\n",
			[]string{"requests 2.0 ==2.0 requirements.txt:1 requirements direct"}, 0},
		{"hash sign in URL fragment is not a comment", "git+https://example.com/r.git#egg=pkg\n",
			[]string{"pkg - - requirements.txt:1 requirements direct url=git+https://example.com/r.git#egg=pkg"}, 0},
		{"full-line comment and blank", "# only comment\n\n   # indented comment\n", nil, 0},
		{"continuation joins lines and keeps first line number", "foo\\\n==\\\n1.0\nbar==2\n",
			[]string{"foo 1.0 ==1.0 requirements.txt:1 requirements direct", "bar 2 ==2 requirements.txt:4 requirements direct"}, 0},
		{"comment line ending in backslash does not continue", "# note \\\nfoo==1\n",
			[]string{"foo 1 ==1 requirements.txt:2 requirements direct"}, 0},
		{"CRLF", "foo==1.0\r\nbar>=2\r\n",
			[]string{"foo 1.0 ==1.0 requirements.txt:1 requirements direct", "bar - >=2 requirements.txt:2 requirements direct"}, 0},
		{"wildcard is not a pin", "foo==1.*\n", []string{"foo - ==1.* requirements.txt:1 requirements direct"}, 0},
		{"two clauses are not a pin", "foo==1.0,!=1.0.1\n", []string{"foo - ==1.0,!=1.0.1 requirements.txt:1 requirements direct"}, 0},
		{"versions kept as written", "foo==1.10\n", []string{"foo 1.10 ==1.10 requirements.txt:1 requirements direct"}, 0},
		{"short options glued", "-ihttps://idx.example/simple\nfoo\n",
			[]string{"foo - - requirements.txt:2 requirements direct idx=https://idx.example/simple"}, 0},
		{"quoted option value", "--extra-index-url 'https://x.example/simple'\n", nil, 0},
		{"per-requirement hash options", "foo==1 --hash sha256:abcd --hash=sha512:ef01\n",
			[]string{"foo 1 ==1 requirements.txt:1 requirements direct h2"}, 0},
		{"hash digest is not checked when parsing (as pip)", "foo==1 --hash=sha256:xyz!\n",
			[]string{"foo 1 ==1 requirements.txt:1 requirements direct h1"}, 0},
		{"weak hash algorithm is refused (as pip)", "foo==1 --hash=md5:abcd\n", nil, 1},
		{"pin then a stray word is refused (as pip)", "foo==1.0 bar\n", nil, 1},
		{"editable local path with extras", "-e ./pkg[dev]\n",
			[]string{"- - - requirements.txt:1 requirements direct x=dev url=./pkg editable"}, 0},
		{"URL with marker", "https://example.com/a-1.0-py3-none-any.whl ; sys_platform == 'linux'\n",
			[]string{"a 1.0 ==1.0 requirements.txt:1 requirements direct m=sys_platform == 'linux' url=https://example.com/a-1.0-py3-none-any.whl"}, 0},
		{"env var kept raw in index URL", "--index-url https://${TOKEN}@idx.example/simple\n", nil, 0},
		{"unknown short option", "-x foo\n", nil, 1},
		{"include after a requirement is ignored (as pip)", "foo -r other.txt\n",
			[]string{"foo - - requirements.txt:1 requirements direct"}, 0},
		{"bare CR ends a line", "foo==1.0\rbar==2.0\r",
			[]string{"foo 1.0 ==1.0 requirements.txt:1 requirements direct", "bar 2.0 ==2.0 requirements.txt:2 requirements direct"}, 0},
		{"unterminated continuation at EOF", "foo==1 \\", []string{"foo 1 ==1 requirements.txt:1 requirements direct"}, 0},
		{"absolute include refused", "-r /etc/passwd\n", nil, 1},
		{"unbalanced quote", "--index-url 'https://x\n", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := parseReqText(tc.text, nil, Options{})
			var got []string
			for _, r := range res.Requirements {
				got = append(got, summary(r))
			}
			diffLists(t, "requirement", got, tc.want)
			if len(res.Warnings) != tc.warns {
				t.Errorf("got %d warnings, want %d: %+v", len(res.Warnings), tc.warns, res.Warnings)
			}
		})
	}
}

func TestRequirementsIndexes(t *testing.T) {
	res := parseReqText("--index-url 'https://x.example/simple'\n-f ./wheels\n--no-index\n--no-require-hashes\n", nil, Options{})
	var got []string
	for _, s := range res.Indexes {
		got = append(got, idxSummary(s))
	}
	diffLists(t, "index", got, []string{
		"requirements.txt:1 --index-url https://x.example/simple",
		"requirements.txt:2 --find-links ./wheels",
		"requirements.txt:3 --no-index ",
		"requirements.txt:4 --no-require-hashes ",
	})
}

func TestIncludes(t *testing.T) {
	t.Run("deep chain stops with a warning", func(t *testing.T) {
		files := map[string]string{}
		for i := 0; i < 100; i++ {
			files[fmt.Sprintf("r%d.txt", i)] = fmt.Sprintf("p%d==1\n-r r%d.txt\n", i, i+1)
		}
		res := parseReqText("-r r0.txt\n", files, Options{})
		if n := len(res.Requirements); n != maxIncludeDepth-1 {
			t.Errorf("got %d requirements, want %d", n, maxIncludeDepth-1)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "too many nested includes") {
			t.Errorf("warnings = %+v", res.Warnings)
		}
	})
	t.Run("diamond read once", func(t *testing.T) {
		files := map[string]string{"a.txt": "-r c.txt\n", "b.txt": "-r c.txt\n", "c.txt": "shared==1\n"}
		res := parseReqText("-r a.txt\n-r b.txt\n", files, Options{})
		if len(res.Requirements) != 1 || len(res.Warnings) != 0 {
			t.Errorf("got %+v / %+v", res.Requirements, res.Warnings)
		}
	})
	t.Run("self include is a cycle", func(t *testing.T) {
		res := parseReqText("-r ./requirements.txt\nx==1\n", nil, Options{})
		if len(res.Requirements) != 1 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "includes itself") {
			t.Errorf("got %+v / %+v", res.Requirements, res.Warnings)
		}
	})
	t.Run("nil reader", func(t *testing.T) {
		res := Parse("requirements.txt", []byte("-c c.txt\n"), nil, Options{})
		if len(res.Warnings) != 1 || res.Warnings[0].Line != 1 {
			t.Errorf("warnings = %+v", res.Warnings)
		}
	})
	t.Run("constraints are kept apart; -r inside a constraints file requires (as pip)", func(t *testing.T) {
		files := map[string]string{"sub/a.txt": "a==1\n-c ../c.txt\n", "c.txt": "c==2\n-r d.txt\n", "d.txt": "d==3\n"}
		res := parseReqText("-r sub/a.txt\n", files, Options{})
		var got, cons []string
		for _, r := range res.Requirements {
			got = append(got, fmt.Sprintf("%s %s %v", r.Name, r.File, r.Direct))
		}
		for _, r := range res.Constraints {
			cons = append(cons, fmt.Sprintf("%s %s %v", r.Name, r.File, r.Direct))
		}
		diffLists(t, "requirement", got, []string{"a sub/a.txt true", "d d.txt true"})
		diffLists(t, "constraint", cons, []string{"c c.txt false"})
		var incs []string
		for _, i := range res.Includes {
			incs = append(incs, fmt.Sprintf("%s:%d %s %v", i.File, i.Line, i.Target, i.Constraint))
		}
		diffLists(t, "include", incs, []string{"requirements.txt:1 sub/a.txt false", "sub/a.txt:2 c.txt true", "c.txt:2 d.txt false"})
	})
	t.Run("a file read as constraints", func(t *testing.T) {
		res := Parse("constraints.txt", []byte("x==1\ny>=2\n"), nil, Options{Constraints: true})
		if len(res.Requirements) != 0 || len(res.Constraints) != 2 {
			t.Errorf("got %+v / %+v", res.Requirements, res.Constraints)
		}
	})
	t.Run("total include size is bounded", func(t *testing.T) {
		files := map[string]string{}
		var main strings.Builder
		big := strings.Repeat("# padding\n", (4<<20)/10)
		for i := 0; i < 10; i++ {
			name := fmt.Sprintf("r%d.txt", i)
			files[name] = fmt.Sprintf("p%d==1\n", i) + big
			fmt.Fprintf(&main, "-r %s\n", name)
		}
		res := parseReqText(main.String(), files, Options{})
		if n := len(res.Requirements); n != 7 { // 8 files of just over 4 MiB exceed 32 MiB
			t.Errorf("got %d requirements, want 7", n)
		}
		if len(res.Warnings) != 3 || !strings.Contains(res.Warnings[0].Message, "exceed") {
			t.Errorf("warnings = %+v", res.Warnings)
		}
	})
	t.Run("binary include", func(t *testing.T) {
		res := parseReqText("-r b.txt\n", map[string]string{"b.txt": "x\x00y"}, Options{})
		if len(res.Warnings) != 1 || res.Warnings[0].File != "b.txt" {
			t.Errorf("warnings = %+v", res.Warnings)
		}
	})
}

func TestPoetryMarker(t *testing.T) {
	for _, tc := range []struct{ markers, python, platform, want string }{
		{"", "", "", ""},
		{"sys_platform == 'win32'", "", "", "sys_platform == 'win32'"},
		{"", "^3.8", "", `python_version >= "3.8" and python_version < "4.0"`},
		{"", "*", "linux", `sys_platform == "linux"`},
		{"os_name == 'nt'", ">=3.9", "", `(os_name == 'nt') and (python_version >= "3.9")`},
		{"", "^3.8 || ^4", "", ""},
	} {
		if got := poetryMarker(tc.markers, tc.python, tc.platform); got != tc.want {
			t.Errorf("poetryMarker(%q, %q, %q) = %q, want %q", tc.markers, tc.python, tc.platform, got, tc.want)
		}
	}
}

func TestTextEncodings(t *testing.T) {
	utf16le := []byte{0xff, 0xfe}
	for _, r := range "stripe==5.4.0\r\nrequests\r\n" {
		utf16le = append(utf16le, byte(r), 0)
	}
	utf16be := []byte{0xfe, 0xff}
	for _, r := range "stripe==5.4.0\n" {
		utf16be = append(utf16be, 0, byte(r))
	}
	for _, tc := range []struct {
		name, rel string
		data      []byte
		want      []string
	}{
		{"UTF-16LE from PowerShell pip freeze", "requirements.txt", utf16le, []string{"stripe 5.4.0", "requests "}},
		{"UTF-16BE", "requirements.txt", utf16be, []string{"stripe 5.4.0"}},
		{"UTF-8 BOM JSON", "Pipfile.lock", []byte("\xef\xbb\xbf{\"default\": {\"stripe\": {\"version\": \"==5.4.0\"}}}"), []string{"stripe 5.4.0"}},
		{"UTF-8 BOM TOML", "uv.lock", []byte("\xef\xbb\xbf[[package]]\nname = \"stripe\"\nversion = \"5.4.0\"\n"), []string{"stripe 5.4.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Parse(tc.rel, tc.data, nil, Options{})
			var got []string
			for _, r := range res.Requirements {
				got = append(got, r.Name+" "+r.Version)
			}
			diffLists(t, "requirement", got, tc.want)
			if len(res.Warnings) != 0 {
				t.Errorf("warnings %+v", res.Warnings)
			}
		})
	}
}

func TestPyprojectHatch(t *testing.T) {
	src := "[project]\nname = \"h\"\n\n[tool.hatch.envs.default]\ndependencies = [\"pytest==8.0\", \"coverage\"]\n\n[tool.hatch.envs.lint]\nextra-dependencies = [\"ruff\"]\n"
	res := Parse("sub/pyproject.toml", []byte(src), nil, Options{})
	var got []string
	for _, r := range res.Requirements {
		got = append(got, summary(r))
	}
	diffLists(t, "requirement", got, []string{
		"pytest 8.0 ==8.0 sub/pyproject.toml:5 pyproject direct",
		"coverage - - sub/pyproject.toml:5 pyproject direct",
		"ruff - - sub/pyproject.toml:8 pyproject direct",
	})
}

func TestPoetryLockMarkers(t *testing.T) {
	for _, tc := range []struct {
		entry map[string]any
		want  string
	}{
		{map[string]any{"markers": "sys_platform == 'win32'"}, "sys_platform == 'win32'"},
		{map[string]any{"groups": []any{"main"}, "markers": map[string]any{"main": "os_name == 'nt'"}}, "os_name == 'nt'"},
		{map[string]any{"groups": []any{"main", "dev"}, "markers": map[string]any{"main": "a == '1'", "dev": "extra == 'x'"}}, "(a == '1') or (extra == 'x')"},
		{map[string]any{"groups": []any{"main", "dev"}, "markers": map[string]any{"main": "a == '1'"}}, ""},
		{map[string]any{"markers": map[string]any{"main": "a == '1'", "dev": "a == '1'"}}, "a == '1'"},
		{map[string]any{"markers": 3}, ""},
		{map[string]any{}, ""},
	} {
		if got := poetryLockMarker(tc.entry); got != tc.want {
			t.Errorf("poetryLockMarker(%v) = %q, want %q", tc.entry, got, tc.want)
		}
	}
}

func TestPipenvCategories(t *testing.T) {
	pipfile := "[packages]\nstripe = \"*\"\n\n[docs]\nsphinx = \"==7.2.6\"\n\n[scripts]\nserve = \"python app.py\"\n\n[requires]\npython_version = \"3.11\"\n"
	res := Parse("Pipfile", []byte(pipfile), nil, Options{})
	var got []string
	for _, r := range res.Requirements {
		got = append(got, summary(r))
	}
	diffLists(t, "Pipfile", got, []string{"stripe - - Pipfile:2 pipfile direct", "sphinx 7.2.6 ==7.2.6 Pipfile:5 pipfile direct"})
	lock := `{"_meta": {}, "default": {"stripe": {"version": "==5.4.0"}}, "weird": [1, [2], {"a": 3}], "scalar": 4,
"docs": {"sphinx": {"version": "==7.2.6"}}}`
	res = Parse("Pipfile.lock", []byte(lock), nil, Options{})
	got = nil
	for _, r := range res.Requirements {
		got = append(got, summary(r))
	}
	diffLists(t, "Pipfile.lock", got, []string{"stripe 5.4.0 ==5.4.0 Pipfile.lock:1 lockfile", "sphinx 7.2.6 ==7.2.6 Pipfile.lock:2 lockfile"})
	if len(res.Warnings) != 2 {
		t.Errorf("warnings %+v", res.Warnings)
	}
}

func TestPyprojectIndexes(t *testing.T) {
	src := `[project]
name = "x"
dependencies = ["stripe"]

[tool.uv]
index-url = "https://mirror.example/simple"
extra-index-url = ["https://extra.example/simple"]

[[tool.uv.index]]
name = "corp"
url = "https://corp.example/simple"
default = true

[[tool.poetry.source]]
name = "p"
url = "https://primary.example/simple"
priority = "primary"
`
	res := Parse("pyproject.toml", []byte(src), nil, Options{})
	var got []string
	for _, s := range res.Indexes {
		got = append(got, idxSummary(s))
	}
	diffLists(t, "index", got, []string{
		"pyproject.toml:6 --index-url https://mirror.example/simple",
		"pyproject.toml:7 --extra-index-url https://extra.example/simple",
		"pyproject.toml:9 --index-url https://corp.example/simple",
		"pyproject.toml:14 --index-url https://primary.example/simple",
	})
	if len(res.Requirements) != 1 || res.Requirements[0].Line != 3 {
		t.Errorf("requirements %+v", res.Requirements)
	}
}

func TestMarkerEnvFilters(t *testing.T) {
	env := map[string]string{"python_version": "3.11", "python_full_version": "3.11.4", "sys_platform": "linux",
		"platform_system": "Linux", "os_name": "posix"}
	for _, tc := range []struct {
		file string
		want []string // names kept
	}{
		{"requirements/requirements.txt", []string{"certifi", "idna", "stripe", "requests", "flask-login", "urllib3", "numpy", "vcs-pkg", "editable-pkg", "", "mylib", "fancy-pkg", "localpkg"}},
		{"pylock/pylock.toml", []string{"stripe", "requests", "gitonly", "localdir"}},
		{"pyproject/pep621/pyproject.toml", []string{"stripe", "requests", "mylib", "pytest", "coverage", "sphinx", "ruff", "mypy"}},
		{"pdm/pdm.lock", []string{"stripe", "helper"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			res := parseFixture(t, tc.file, Options{MarkerEnv: env})
			var got []string
			for _, r := range res.Requirements {
				got = append(got, r.Name)
			}
			diffLists(t, "name", got, tc.want)
		})
	}
	t.Run("invalid marker is kept with a warning", func(t *testing.T) {
		res := parseReqText("a==1; python_version >\n", nil, Options{MarkerEnv: env})
		if len(res.Requirements) != 1 || len(res.Warnings) == 0 {
			t.Errorf("got %+v / %+v", res.Requirements, res.Warnings)
		}
	})
	t.Run("unknown variable keeps the requirement", func(t *testing.T) {
		res := parseReqText("a==1; platform_release >= '6'\n", nil, Options{MarkerEnv: env})
		if len(res.Requirements) != 1 {
			t.Errorf("got %+v", res.Requirements)
		}
	})
}

func TestParseLimits(t *testing.T) {
	t.Run("huge file", func(t *testing.T) {
		big := make([]byte, MaxFileSize+1)
		for i := range big {
			big[i] = 'a'
		}
		res := Parse("requirements.txt", big, nil, Options{})
		if len(res.Requirements) != 0 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "too large") {
			t.Errorf("got %d reqs, warnings %+v", len(res.Requirements), res.Warnings)
		}
	})
	t.Run("binary lock", func(t *testing.T) {
		res := Parse("poetry.lock", []byte("[[package]]\x00"), nil, Options{})
		if len(res.Warnings) != 1 || res.Warnings[0].Kind != finding.WarnParse {
			t.Errorf("warnings %+v", res.Warnings)
		}
	})
	t.Run("unknown file", func(t *testing.T) {
		res := Parse("README.md", []byte("# hi"), nil, Options{})
		if len(res.Warnings) != 1 {
			t.Errorf("warnings %+v", res.Warnings)
		}
	})
	t.Run("long line", func(t *testing.T) {
		res := Parse("requirements.txt", []byte("a"+strings.Repeat("b", 1<<20)+"==1\n"), nil, Options{})
		if len(res.Requirements) != 1 {
			t.Errorf("got %d requirements", len(res.Requirements))
		}
	})
	t.Run("many warnings are capped", func(t *testing.T) {
		res := Parse("requirements.txt", []byte(strings.Repeat("!!\n", 5000)), nil, Options{})
		if n := len(res.Warnings); n == 0 || n > 1000 {
			t.Errorf("got %d warnings", n)
		}
	})
}

func TestSetupPyTokenizer(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
		warns     int
	}{
		{"dict key form", `setup(**{"install_requires": ["a==1", "b"]})`, []string{"a", "b"}, 0},
		{"tuple", "setup(install_requires=('a>=1',))", []string{"a"}, 0},
		{"escaped quote", `setup(install_requires=["a; python_version < \"3\""])`, []string{"a"}, 0},
		{"name bound to a literal", "REQS = ['x==1']\nsetup(install_requires=REQS)", []string{"x"}, 0},
		{"name bound to a call", "REQS = read()\nsetup(install_requires=REQS)", nil, 1},
		{"comparison is not an assignment", "if install_requires == []: pass", nil, 0},
		{"list plus call", "setup(install_requires=['a'] + extra())", []string{"a"}, 1},
		{"comprehension", "setup(install_requires=[r for r in open('x')])", nil, 1},
		{"triple-quoted docstring mention", "'''install_requires=['no']'''\nsetup(install_requires=[])", nil, 0},
		{"bytes literal is not text", "setup(install_requires=[b'a'])", nil, 1},
		{"unterminated list", "setup(install_requires=['a',", []string{"a"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Parse("setup.py", []byte(tc.src), nil, Options{})
			var got []string
			for _, r := range res.Requirements {
				got = append(got, r.Name)
			}
			diffLists(t, "name", got, tc.want)
			if len(res.Warnings) != tc.warns {
				t.Errorf("got %d warnings, want %d: %+v", len(res.Warnings), tc.warns, res.Warnings)
			}
		})
	}
}

func TestNameVersionFromURL(t *testing.T) {
	for _, tc := range []struct{ in, name, version string }{
		{"https://x/requests-2.31.0-py3-none-any.whl", "requests", "2.31.0"},
		{"https://x/Django-4.2.1.tar.gz", "Django", "4.2.1"},
		{"https://x/zope.interface-6.0-1-cp311-cp311-manylinux.whl", "zope.interface", "6.0"},
		{"git+https://x/repo.git@v1#egg=thing", "thing", ""},
		{"git+https://x/repo.git@v1#subdirectory=a&egg=thing", "thing", ""},
		{"git+https://x/repo.git@v1#egg=thing[extra]", "", ""}, // current pip refuses extras in #egg=
		{"./local/dir", "", ""},
		{`C:\wheels\pkg-1.0-py3-none-any.whl`, "pkg", "1.0"},
		{"https://x/archive.zip", "", ""},
	} {
		n, v := nameVersionFromURL(tc.in)
		if n != tc.name || v != tc.version {
			t.Errorf("nameVersionFromURL(%q) = %q, %q; want %q, %q", tc.in, n, v, tc.name, tc.version)
		}
	}
}

func TestReadInstalled(t *testing.T) {
	res := ReadInstalled(os.DirFS("testdata/venv"), "venv")
	var got []string
	for _, r := range res.Requirements {
		got = append(got, summary(r))
	}
	sp := "venv/lib/python3.11/site-packages/"
	diffLists(t, "installed", got, []string{
		"badjson 1.0 ==1.0 " + sp + "badjson-1.0.dist-info/METADATA:3 installed",
		"broken 0.1 ==0.1 " + sp + "broken-0.1.dist-info/METADATA:0 installed",
		"legacy-single 0.3 ==0.3 " + sp + "legacy_single-0.3-py3.11.egg-info:3 installed",
		"oldegg 0.5 ==0.5 " + sp + "oldegg-0.5-py3.11.egg/EGG-INFO/PKG-INFO:3 installed",
		"requests 2.19.0 ==2.19.0 " + sp + "requests-2.19.0.dist-info/METADATA:3 installed req=chardet,idna,urllib3,certifi",
		"six 1.16.0 ==1.16.0 " + sp + "six-1.16.0-py3.11.egg-info/PKG-INFO:3 installed req=certifi,enum34",
		"stripe 5.4.0 ==5.4.0 " + sp + "stripe-5.4.0.dist-info/METADATA:3 installed url=git+https://github.com/stripe/stripe-python.git@3333333333333333333333333333333333333333 req=requests",
		"urllib3 1.10 ==1.10 " + sp + "urllib3-1.10.dist-info/METADATA:3 installed",
	})
	var warns []string
	for _, w := range res.Warnings {
		warns = append(warns, warnSummary(w))
	}
	diffLists(t, "warning", warns, []string{
		sp + "badjson-1.0.dist-info/direct_url.json:1 invalid direct_url.json: unexpected",
		sp + "broken-0.1.dist-info/METADATA:0 metadata has no",
		sp + "broken-0.1.dist-info/METADATA:0 metadata of broken",
		sp + "broken-0.1.dist-info/METADATA:2 malformed metadata header",
	})
}

func TestReadInstalledDetails(t *testing.T) {
	dists, _ := ReadInstalledDetails(os.DirFS("testdata/venv"), "venv")
	byName := map[string]Installed{}
	for _, d := range dists {
		byName[d.Name] = d
	}
	req := byName["requests"]
	want := Installed{
		DistInfo: "lib/python3.11/site-packages/requests-2.19.0.dist-info", Name: "requests", Version: "2.19.0",
		Installer: "pip", RecordPath: "lib/python3.11/site-packages/requests-2.19.0.dist-info/RECORD",
		File: "venv/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA", Line: 3, Requested: true,
		Requires: []string{"chardet", "idna", "urllib3", "certifi"},
		URLs:     []string{"http://python-requests.org"},
	}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("requests:\n got  %+v\n want %+v", req, want)
	}
	if s := byName["stripe"]; s.Installer != "pip" || s.Requested || s.RecordPath == "" ||
		s.DirectURL != "git+https://github.com/stripe/stripe-python.git@3333333333333333333333333333333333333333" {
		t.Errorf("stripe: %+v", s)
	}
	if u := byName["urllib3"]; u.Installer != "uv" || u.RecordPath != "" || u.Version != "1.10" {
		t.Errorf("urllib3: %+v", u)
	}
	if _, ok := byName["fake"]; ok {
		t.Errorf("dist-info outside site-packages was read")
	}
	// RecordPath must be usable on the same fs.FS.
	if _, err := fs.ReadFile(os.DirFS("testdata/venv"), req.RecordPath); err != nil {
		t.Errorf("RecordPath not readable: %v", err)
	}
}

func TestReadInstalledLayouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fs.FS
		root string
		want []string // name version file
	}{
		{"windows Lib/site-packages", os.DirFS("testdata/winvenv"), "winvenv",
			[]string{"stripe 2.0.0 winvenv/Lib/site-packages/stripe-2.0.0.dist-info/METADATA"}},
		{"fsys is site-packages", os.DirFS("testdata/venv/lib/python3.11/site-packages"), "",
			[]string{"badjson 1.0 badjson-1.0.dist-info/METADATA", "broken 0.1 broken-0.1.dist-info/METADATA",
				"legacy-single 0.3 legacy_single-0.3-py3.11.egg-info", "oldegg 0.5 oldegg-0.5-py3.11.egg/EGG-INFO/PKG-INFO",
				"requests 2.19.0 requests-2.19.0.dist-info/METADATA", "six 1.16.0 six-1.16.0-py3.11.egg-info/PKG-INFO",
				"stripe 5.4.0 stripe-5.4.0.dist-info/METADATA", "urllib3 1.10 urllib3-1.10.dist-info/METADATA"}},
		{"debian dist-packages and binary metadata", fstest.MapFS{
			"usr/lib/python3/dist-packages/stripe-2.60.0.dist-info/METADATA": {Data: []byte("Name: stripe\nVersion: 2.60.0\n")},
			"usr/lib/python3/dist-packages/bin-1.0.dist-info/METADATA":       {Data: []byte("Name: bin\x00\n")},
			"usr/lib/python3/dist-packages/big-1.0.dist-info/METADATA":       {Data: make([]byte, maxMetadataSize+1)},
			"usr/lib/python3/dist-packages/nometa-1.0.dist-info/RECORD":      {Data: []byte("")},
		}, "/", []string{"stripe 2.60.0 usr/lib/python3/dist-packages/stripe-2.60.0.dist-info/METADATA"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := ReadInstalled(tc.fsys, tc.root)
			var got []string
			for _, r := range res.Requirements {
				if r.Source != SourceInstalled {
					t.Errorf("source %q", r.Source)
				}
				got = append(got, r.Name+" "+r.Version+" "+r.File)
			}
			diffLists(t, "installed", got, tc.want)
		})
	}
	t.Run("bad metadata gives warnings", func(t *testing.T) {
		fsys := fstest.MapFS{
			"site-packages/bin-1.0.dist-info/METADATA":    {Data: []byte("Name: bin\x00\n")},
			"site-packages/nometa-1.0.dist-info/RECORD":   {Data: []byte("")},
			"site-packages/big-1.0.dist-info/METADATA":    {Data: make([]byte, maxMetadataSize+1)},
			"site-packages/badreq-1.0.dist-info/METADATA": {Data: []byte("Name: badreq\nVersion: 1.0\nRequires-Dist: !!!\n")},
		}
		res := ReadInstalled(fsys, "env")
		if len(res.Requirements) != 1 || res.Requirements[0].Name != "badreq" {
			t.Errorf("requirements %+v", res.Requirements)
		}
		if len(res.Warnings) != 4 {
			t.Errorf("want 4 warnings, got %+v", res.Warnings)
		}
		for _, w := range res.Warnings {
			if !strings.HasPrefix(w.File, "env/site-packages/") || w.Kind != finding.WarnParse {
				t.Errorf("warning %+v", w)
			}
		}
	})
}

func TestReadInstalledSymlinks(t *testing.T) {
	dir := t.TempDir()
	secret := dir + "/secret"
	if err := os.WriteFile(secret, []byte("Name: leaked\nVersion: 1\nroot:x:0:0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sp := dir + "/env/lib/python3.12/site-packages"
	for _, d := range []string{sp + "/evil-1.0.dist-info", sp + "/ok-1.0.dist-info"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(secret, sp+"/evil-1.0.dist-info/METADATA"); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	if err := os.WriteFile(sp+"/ok-1.0.dist-info/METADATA", []byte("Name: ok\nVersion: 1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, sp+"/ok-1.0.dist-info/INSTALLER"); err != nil {
		t.Fatal(err)
	}
	res := ReadInstalled(os.DirFS(dir+"/env"), "env")
	if len(res.Requirements) != 1 || res.Requirements[0].Name != "ok" {
		t.Errorf("requirements %+v", res.Requirements)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Kind != finding.WarnSymlink || strings.Contains(res.Warnings[0].Message, "root") {
		t.Errorf("warnings %+v", res.Warnings)
	}
	dists, _ := ReadInstalledDetails(os.DirFS(dir+"/env"), "env")
	if len(dists) != 1 || dists[0].Installer != "" {
		t.Errorf("symlinked INSTALLER was read: %+v", dists)
	}
}

type errFS struct{}

func (errFS) Open(name string) (fs.File, error) { return nil, errors.New("boom") }

func TestReadInstalledUnreadable(t *testing.T) {
	res := ReadInstalled(errFS{}, "x")
	if len(res.Requirements) != 0 || len(res.Warnings) == 0 {
		t.Errorf("got %+v", res)
	}
}

func TestParseMetadata(t *testing.T) {
	md := parseMetadata([]byte("Metadata-Version: 2.1\nName: foo\nVersion: 1.10\nRequires-Dist: bar\nDescription: a\n  continued\n\nName: body\n"))
	if md.name != "foo" || md.version != "1.10" || md.versionLine != 3 || !reflect.DeepEqual(md.requires, []string{"bar"}) {
		t.Errorf("%+v", md)
	}
}

func TestEggRequires(t *testing.T) {
	got := eggRequires([]byte("a>=1\n\n[:python_version < \"3\"]\nb\n[test]\nc\n[socks:sys_platform == 'win32']\nd\n"))
	want := []string{"a>=1", `b; python_version < "3"`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

// --python-env may name site-packages itself: its packages are not walked
// (a 300-package environment has tens of thousands of files), and every
// distribution is still found.
func TestReadInstalledSiteRoot(t *testing.T) {
	root := "testdata/venv/lib/python3.11/site-packages"
	dists, _ := ReadInstalledDetails(os.DirFS(root), root)
	names := map[string]bool{}
	for _, d := range dists {
		names[d.Name] = true
	}
	if !names["requests"] || !names["stripe"] {
		t.Errorf("dists from a site-packages root: %v", names)
	}
	for _, d := range dists {
		if strings.HasPrefix(d.DistInfo, "requests/") {
			t.Errorf("walked into a package: %s", d.DistInfo)
		}
	}
}
