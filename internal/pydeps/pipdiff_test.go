package pydeps

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stripeguard/stripeguard/internal/pep440"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// The pip differential: every case of testdata/pipdiff/corpus.txt is parsed
// by this package and by pip's own parser (testdata/pipdiff/pipdiff.py run
// with Debian's /usr/bin/python3 and python3-pip), and the two must agree
// on what is installed (names, specifiers, extras, markers and their value
// in three environments, direct references, editables, hashes,
// constraints), on the package-index options, and on whether pip refuses
// the file. A disagreement must be explained in the corpus ("+++ explain"),
// for the pip versions it concerns; an explanation that no longer matches a
// disagreement fails too.
//
// STRIPEGUARD_PIPDIFF_PIP_SRC=/path/to/pip/src runs the same comparison
// against that source tree of pip (PYTHONPATH) in addition.

type pdFile struct {
	path string
	data []byte
}

type pdExplain struct {
	versions string // "", "<24.1", ">=23.1"
	why      string
}

type pdCase struct {
	name       string
	files      []pdFile
	dirs       []string
	constraint bool
	explains   []pdExplain
}

var pdEscapes = strings.NewReplacer("<CR>", "\r", "<LF>", "\n", "<VT>", "\v", "<FF>", "\f", "<TAB>", "\t",
	"<FS>", "\x1c", "<NEL>", "\u0085", "<NBSP>", "\u00a0", "<LS>", "\u2028")

// pdBody turns corpus body lines into the file's bytes.
func pdBody(lines []string, enc string) ([]byte, error) {
	var b bytes.Buffer
	for _, l := range lines {
		noEOL := strings.HasSuffix(l, "<NOEOL>")
		l = strings.TrimSuffix(l, "<NOEOL>")
		l = pdEscapes.Replace(l)
		for {
			i := strings.Index(l, "<x")
			if i < 0 || i+5 > len(l) || l[i+4] != '>' {
				b.WriteString(l)
				break
			}
			v, err := strconv.ParseUint(l[i+2:i+4], 16, 8)
			if err != nil {
				b.WriteString(l)
				break
			}
			b.WriteString(l[:i])
			b.WriteByte(byte(v))
			l = l[i+5:]
		}
		if !noEOL {
			b.WriteByte('\n')
		}
	}
	text := b.Bytes()
	runes := func() []rune { return []rune(string(text)) }
	var out []byte
	switch enc {
	case "":
		return text, nil
	case "utf-8-bom":
		return append([]byte("\xef\xbb\xbf"), text...), nil
	case "latin-1":
		for _, r := range runes() {
			if r > 0xff {
				return nil, fmt.Errorf("%q is not latin-1", r)
			}
			out = append(out, byte(r))
		}
		return out, nil
	case "utf-16-le-bom", "utf-16-be-bom":
		var order binary.AppendByteOrder = binary.LittleEndian
		if enc == "utf-16-be-bom" {
			order = binary.BigEndian
		}
		out = order.AppendUint16(out, 0xfeff)
		for _, u := range utf16.Encode(runes()) {
			out = order.AppendUint16(out, u)
		}
		return out, nil
	case "utf-32-le-bom", "utf-32-be-bom":
		var order binary.AppendByteOrder = binary.LittleEndian
		if enc == "utf-32-be-bom" {
			order = binary.BigEndian
		}
		out = order.AppendUint32(out, 0xfeff)
		for _, r := range runes() {
			out = order.AppendUint32(out, uint32(r))
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown encoding %q", enc)
}

func loadPipdiffCorpus(t testing.TB) []*pdCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "pipdiff", "corpus.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []*pdCase
	var cur *pdCase
	var fileName, fileEnc string
	var body []string
	inFile := false
	flush := func() {
		if cur != nil && inFile {
			// Trailing blank lines separate cases; they are not content.
			for len(body) > 0 && body[len(body)-1] == "" {
				body = body[:len(body)-1]
			}
			data, err := pdBody(body, fileEnc)
			if err != nil {
				t.Fatalf("case %s file %s: %v", cur.name, fileName, err)
			}
			cur.files = append(cur.files, pdFile{fileName, data})
		}
		inFile, body = false, nil
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(l, "=== "):
			flush()
			cur = &pdCase{name: strings.TrimSpace(l[4:])}
			if seen[cur.name] {
				t.Fatalf("duplicate case %s", cur.name)
			}
			seen[cur.name] = true
			cases = append(cases, cur)
		case cur == nil:
			continue
		case strings.HasPrefix(l, "--- "):
			flush()
			spec := strings.TrimSpace(l[4:])
			fileName, fileEnc = spec, ""
			if i := strings.Index(spec, " ["); i >= 0 && strings.HasSuffix(spec, "]") {
				fileName, fileEnc = spec[:i], spec[i+2:len(spec)-1]
			}
			inFile = true
		case strings.HasPrefix(l, "+++ "):
			flush()
			d := strings.TrimSpace(l[4:])
			switch {
			case d == "constraint":
				cur.constraint = true
			case strings.HasPrefix(d, "dirs:"):
				cur.dirs = append(cur.dirs, strings.Fields(d[5:])...)
			case strings.HasPrefix(d, "explain"):
				head, why, ok := strings.Cut(d, ":")
				if !ok || strings.TrimSpace(why) == "" {
					t.Fatalf("case %s: explain needs a reason", cur.name)
				}
				cur.explains = append(cur.explains, pdExplain{strings.TrimSpace(strings.TrimPrefix(head, "explain")), strings.TrimSpace(why)})
			default:
				t.Fatalf("case %s: unknown directive %q", cur.name, d)
			}
		case inFile:
			body = append(body, l)
		}
	}
	flush()
	for _, c := range cases {
		if len(c.files) == 0 {
			t.Fatalf("case %s has no file", c.name)
		}
	}
	return cases
}

// pdEnvs are the marker environments both sides evaluate every marker in.
var pdEnvs = []map[string]string{
	{"python_version": "3.11", "python_full_version": "3.11.2", "os_name": "posix", "sys_platform": "linux",
		"platform_release": "6.1.0-13-amd64", "platform_system": "Linux", "platform_version": "#1 SMP", "platform_machine": "x86_64",
		"platform_python_implementation": "CPython", "implementation_name": "cpython", "implementation_version": "3.11.2", "extra": ""},
	{"python_version": "3.8", "python_full_version": "3.8.10", "os_name": "nt", "sys_platform": "win32",
		"platform_release": "10", "platform_system": "Windows", "platform_version": "10.0.19045", "platform_machine": "AMD64",
		"platform_python_implementation": "CPython", "implementation_name": "cpython", "implementation_version": "3.8.10", "extra": ""},
	{"python_version": "3.12", "python_full_version": "3.12.1", "os_name": "posix", "sys_platform": "darwin",
		"platform_release": "23.2.0", "platform_system": "Darwin", "platform_version": "Darwin Kernel 23", "platform_machine": "arm64",
		"platform_python_implementation": "PyPy", "implementation_name": "pypy", "implementation_version": "7.3.15", "extra": "dev"},
}

// pdReq is one requirement as either side sees it, normalised for
// comparison.
type pdReq struct {
	File       string   `json:"file"`
	Line       int      `json:"line"`
	Canonical  string   `json:"canonical"`
	Specifier  []string `json:"specifier"`
	Extras     []string `json:"extras"`
	Marker     *string  `json:"marker"`
	MarkerEval []any    `json:"marker_eval"`
	URL        *string  `json:"url"`
	Editable   bool     `json:"editable"`
	Constraint bool     `json:"constraint"`
	Hashes     []string `json:"hashes"`
}

type pdOption struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Option string `json:"option"`
	Value  string `json:"value"`
}

type pdResult struct {
	Name     string     `json:"name"`
	Error    *string    `json:"error"`
	Reqs     []pdReq    `json:"reqs"`
	Options  []pdOption `json:"options"`
	Warnings []string   `json:"warnings"`
}

type pdOutput struct {
	Pip     string     `json:"pip"`
	Python  string     `json:"python"`
	PipFile string     `json:"pip_file"`
	Results []pdResult `json:"results"`
}

func normSpecList(specs []string) []string {
	out := []string{}
	for _, s := range specs {
		op := 0
		for op < len(s) && strings.ContainsRune("=!<>~", rune(s[op])) {
			op++
		}
		v := strings.TrimSpace(s[op:])
		if s[:op] != "===" && !strings.HasSuffix(v, ".*") && pep440.Valid(v) {
			v = pep440.Normalize(v)
		}
		out = append(out, s[:op]+v)
	}
	slices.Sort(out)
	return out
}

func (r pdReq) key() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

func (r pdReq) String() string {
	m := "-"
	if r.Marker != nil {
		m = fmt.Sprint(r.MarkerEval)
	}
	u := "-"
	if r.URL != nil {
		u = *r.URL
	}
	return fmt.Sprintf("%s name=%q spec=%v extras=%v marker=%s url=%s editable=%v constraint=%v hashes=%v",
		r.key(), r.Canonical, normSpecList(r.Specifier), r.Extras, m, u, r.Editable, r.Constraint, r.Hashes)
}

// goSide parses a case with this package and returns what pip's side
// reports, in the same shape.
func goSide(c *pdCase) (reqs []pdReq, opts []pdOption, rejected bool, warns []string) {
	files := map[string][]byte{}
	for _, f := range c.files {
		files[path.Clean(f.path)] = f.data
	}
	read := func(rel string) ([]byte, error) {
		if b, ok := files[path.Clean(rel)]; ok {
			return b, nil
		}
		return nil, fs.ErrNotExist
	}
	main := c.files[0]
	res := ParseRequirements(main.path, main.data, read, Options{Constraints: c.constraint})
	conv := func(r Requirement, constraint bool) pdReq {
		q := pdReq{File: r.File, Line: r.Line, Canonical: Normalize(r.RawName), Editable: r.Editable,
			Constraint: constraint, Hashes: append([]string{}, r.Hashes...), Extras: []string{}}
		if r.Specifier != "" {
			q.Specifier = strings.Split(r.Specifier, ",")
		}
		for _, e := range r.Extras {
			q.Extras = append(q.Extras, strings.ToLower(e))
		}
		slices.Sort(q.Extras)
		slices.Sort(q.Hashes)
		if r.Marker != "" {
			m := r.Marker
			q.Marker = &m
			for _, env := range pdEnvs {
				v, err := EvalMarker(r.Marker, env)
				switch {
				case err != nil:
					q.MarkerEval = append(q.MarkerEval, "error")
				default:
					q.MarkerEval = append(q.MarkerEval, v == mTrue)
				}
			}
		}
		if r.URL != "" {
			u := r.URL
			if strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "file://") && strings.Contains(u, "../") {
				u = u[len("file:"):] // pip resolves relative file: URLs with ../ to a path
			}
			if r.LocalPath && urlScheme(u) == "" {
				u = strings.ReplaceAll(u, `\`, "/")
				if !strings.HasPrefix(u, "/") {
					u = path.Clean(u)
					if !strings.HasPrefix(u, "../") {
						u = "./" + u
					}
				}
			}
			q.URL = &u
		}
		return q
	}
	for _, r := range res.Requirements {
		reqs = append(reqs, conv(r, false))
	}
	for _, r := range res.Constraints {
		reqs = append(reqs, conv(r, true))
	}
	for _, s := range res.Indexes {
		opts = append(opts, pdOption(s))
	}
	for _, w := range res.Warnings {
		if !strings.HasPrefix(w.Message, "pip rejects this line") {
			warns = append(warns, fmt.Sprintf("%s:%d %s", w.File, w.Line, w.Message))
		}
	}
	return reqs, opts, res.rejected > 0, warns
}

// pdCompare lists the disagreements between pip's result and ours.
func pdCompare(c *pdCase, pip pdResult) []string {
	reqs, opts, rejected, warns := goSide(c)
	var d []string
	pipFails := pip.Error != nil
	switch {
	case pipFails && !rejected:
		d = append(d, "pip refuses the file ("+*pip.Error+"); stripeguard raised no rejection")
	case !pipFails && rejected:
		d = append(d, "stripeguard rejects a line; pip accepts the file")
	}
	if !pipFails && len(pip.Warnings) == 0 && len(warns) > 0 {
		d = append(d, fmt.Sprintf("stripeguard warns where pip is silent: %q", warns))
	}
	ours := map[string]pdReq{}
	for _, r := range reqs {
		ours[r.key()] = r
	}
	for _, r := range pip.Reqs {
		r.Extras = append([]string{}, r.Extras...)
		if r.Hashes == nil {
			r.Hashes = []string{}
		}
		o, ok := ours[r.key()]
		if !ok {
			d = append(d, "pip has "+r.String()+"; stripeguard has nothing at that line")
			continue
		}
		delete(ours, r.key())
		if r.Marker != nil && o.Marker != nil {
			// Compare values, not spelling (packaging re-serialises).
			r.Marker = o.Marker
			for i := range r.MarkerEval {
				if s, ok := r.MarkerEval[i].(string); ok && strings.HasPrefix(s, "error") {
					r.MarkerEval[i] = "error"
				}
			}
		}
		if r.String() != o.String() {
			d = append(d, "pip:         "+r.String()+"\n        stripeguard: "+o.String())
		}
	}
	if !pipFails {
		for _, o := range ours {
			d = append(d, "stripeguard has "+o.String()+"; pip has nothing at that line")
		}
	}
	if !pipFails && !slices.Equal(pip.Options, opts) {
		d = append(d, fmt.Sprintf("index options differ:\n        pip:         %v\n        stripeguard: %v", pip.Options, opts))
	}
	slices.Sort(d)
	return d
}

// inRange reports whether version v satisfies a corpus range ("" = all).
func inRange(v, rng string) bool {
	if rng == "" {
		return true
	}
	ss, err := pep440.ParseSpecifierSet(rng)
	if err != nil {
		return false
	}
	pv, err := pep440.Parse(v)
	// A development snapshot (26.3.dev0) belongs to the release it leads to.
	return err == nil && ss.ContainsVersion(pv, pep440.PreInclude)
}

func runPipHarness(t *testing.T, py string, env []string, cases []*pdCase) pdOutput {
	t.Helper()
	type in struct {
		Name       string            `json:"name"`
		Main       string            `json:"main"`
		Constraint bool              `json:"constraint"`
		Files      map[string]string `json:"files"`
		Dirs       []string          `json:"dirs"`
	}
	doc := struct {
		Cases []in                `json:"cases"`
		Envs  []map[string]string `json:"envs"`
	}{Envs: pdEnvs}
	for _, c := range cases {
		x := in{Name: c.name, Main: c.files[0].path, Constraint: c.constraint, Files: map[string]string{}, Dirs: c.dirs}
		for _, f := range c.files {
			x.Files[f.path] = base64.StdEncoding.EncodeToString(f.data)
		}
		doc.Cases = append(doc.Cases, x)
	}
	input, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command(py, filepath.Join(filepath.Dir(self), "testdata", "pipdiff", "pipdiff.py"))
	cmd.Stdin = bytes.NewReader(input)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pip harness: %v\n%s", err, stderr.String())
	}
	var res pdOutput
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("pip harness output: %v\n%s", err, out)
	}
	if len(res.Results) != len(cases) {
		t.Fatalf("pip harness returned %d results for %d cases", len(res.Results), len(cases))
	}
	return res
}

// pdEnviron is a clean environment for pip: no ${VAR} of the corpus is
// set, no user configuration, a UTF-8 locale.
func pdEnviron(pythonPath string) []string {
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + os.TempDir(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
		"PIP_CONFIG_FILE=/dev/null", "PIP_NO_INPUT=1", "PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1"}
	if pythonPath != "" {
		env = append(env, "PYTHONPATH="+pythonPath)
	}
	return env
}

func TestPipDifferential(t *testing.T) {
	py := testutil.NeedPython(t, "pip._internal.req.req_file")
	cases := loadPipdiffCorpus(t)
	targets := []struct{ label, pythonPath string }{{"debian python3-pip", ""}}
	if src := os.Getenv("STRIPEGUARD_PIPDIFF_PIP_SRC"); src != "" {
		targets = append(targets, struct{ label, pythonPath string }{"pip source tree " + src, src})
	}
	for _, tg := range targets {
		t.Run(strings.Fields(tg.label)[0], func(t *testing.T) {
			out := runPipHarness(t, py, pdEnviron(tg.pythonPath), cases)
			t.Logf("%s: pip %s (%s) on Python %s, %d cases", tg.label, out.Pip, out.PipFile, out.Python, len(cases))
			agree, explained := 0, 0
			for i, c := range cases {
				pip := out.Results[i]
				if pip.Name != c.name {
					t.Fatalf("result %d is %s, want %s", i, pip.Name, c.name)
				}
				d := pdCompare(c, pip)
				var why []string
				for _, e := range c.explains {
					if inRange(out.Pip, e.versions) {
						why = append(why, e.why)
					}
				}
				switch {
				case len(d) == 0 && len(why) == 0:
					agree++
				case len(d) == 0:
					t.Errorf("%s: explained (%s) but pip %s agrees: drop or narrow the explanation", c.name, strings.Join(why, "; "), out.Pip)
				case len(why) == 0:
					t.Errorf("%s: unexplained disagreement with pip %s:\n    %s", c.name, out.Pip, strings.Join(d, "\n    "))
				default:
					explained++
					t.Logf("%s: explained (%s):\n    %s", c.name, strings.Join(why, "; "), strings.Join(d, "\n    "))
				}
			}
			t.Logf("pip %s: %d cases agree, %d explained disagreements, %d unexplained", out.Pip, agree, explained, len(cases)-agree-explained)
		})
	}
}

// TestPipdiffCorpusEncodings checks the corpus reader itself: the escapes
// and encodings produce the bytes they name.
func TestPipdiffCorpusEncodings(t *testing.T) {
	b, err := pdBody([]string{"a<CR>b<TAB><x41><NOEOL>"}, "")
	if err != nil || string(b) != "a\rb\tA" {
		t.Fatalf("escapes: %q %v", b, err)
	}
	b, _ = pdBody([]string{"é"}, "utf-16-le-bom")
	if !bytes.Equal(b, []byte{0xff, 0xfe, 0xe9, 0x00, '\n', 0x00}) {
		t.Errorf("utf-16-le: % x", b)
	}
	b, _ = pdBody([]string{"x"}, "utf-32-be-bom")
	if !bytes.Equal(b, []byte{0, 0, 0xfe, 0xff, 0, 0, 0, 'x', 0, 0, 0, '\n'}) {
		t.Errorf("utf-32-be: % x", b)
	}
	b, _ = pdBody([]string{"é"}, "latin-1")
	if !bytes.Equal(b, []byte{0xe9, '\n'}) || utf8.Valid(b) {
		t.Errorf("latin-1: % x", b)
	}
}
