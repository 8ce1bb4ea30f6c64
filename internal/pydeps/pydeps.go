// Package pydeps finds the Python packages an application depends on, from
// every manifest and lock-file format in common use and from installed
// environments (site-packages). Everything is parse-only: scanned code is
// never executed or imported, pip and setup.py are never run. Bad input
// yields a finding.Warning (Kind finding.WarnParse) naming the file and line,
// and parsing goes on with what can be read; Parse never panics (a bug is
// turned into a warning).
//
// Formats: pip requirements files (*requirements*.txt, requirements/*.txt,
// requirements*.pip, constraints*.txt, pip-tools *.in, and any file a pip
// command names: ParseRequirements, PipFileRefs), read exactly as pip
// reads them (requirements.go), with -r/-c includes, options, hashes,
// markers, URL/VCS, editable and path requirements; pyproject.toml (PEP 621, PEP 735
// dependency-groups, Poetry, PDM, uv, Hatch environments, setuptools
// dynamic dependencies from files); setup.cfg; literal lists in setup.py;
// Pipfile and Pipfile.lock; poetry.lock, uv.lock, pdm.lock, pylock.toml
// (PEP 751); the pip: section of conda environment.yml.
//
// Conventions: Name is "" for a URL or path requirement whose project name
// cannot be told (no #egg=, not a wheel/sdist file name). Entries of -c
// constraints files are in Result.Constraints (Constraint true), not in
// Requirements; entries of lock files have Direct false. The project being
// locked (uv.lock source editable/virtual ".") is not reported. Versions of
// lock files and METADATA are kept exactly as written ("1.10" stays "1.10").
package pydeps

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Source says which kind of file a requirement was read from.
type Source string

const (
	SourceInstalled    Source = "installed"
	SourceLockfile     Source = "lockfile"
	SourceRequirements Source = "requirements"
	SourcePyproject    Source = "pyproject"
	SourceSetupCfg     Source = "setup.cfg"
	SourceSetupPy      Source = "setup.py"
	SourcePipfile      Source = "pipfile"
	SourceConda        Source = "conda"
)

// Requirement is one package an application depends on, as declared in one
// place.
type Requirement struct {
	Name      string // PEP 503 normalised; "" for an unnamed URL/path requirement
	RawName   string
	Version   string // exact version when pinned (== or ===, no wildcard) / locked / installed; "" otherwise
	Specifier string // e.g. ">=2.0,<3" ("" when none); for == pins also set ("==2.19.0")
	Extras    []string
	Marker    string // raw marker text, "" when none
	Source    Source
	File      string // relative, '/'-separated
	Line      int    // 1-based, 0 when unknown
	Hashes    []string
	URL       string // direct URL / VCS / local path requirement
	// LocalPath: URL is a file-system path (a project directory or an
	// archive on disk), not a URL.
	LocalPath bool
	Editable  bool
	Index     string // index URL recorded for this package if known
	Direct    bool   // listed in a manifest (vs only in a lock/installed env or a constraints file)
	// Constraint: read from a pip constraints file (-c); it pins the
	// version of a package something else requires.
	Constraint bool
	// Requires lists the normalised names of the package's own dependencies
	// when the source records them (installed METADATA Requires-Dist,
	// lock-file dependency lists). Requirements that apply only with an
	// extra are left out.
	Requires []string
}

// Options control parsing.
type Options struct {
	// MarkerEnv, when nil, leaves markers unevaluated (requirements are
	// reported with Marker set). Otherwise PEP 508 markers are evaluated with
	// these values (python_version, python_full_version, sys_platform,
	// platform_system, platform_machine, os_name, implementation_name,
	// platform_python_implementation, extra, ...) and requirements whose
	// marker is false are dropped. A marker naming a variable absent from
	// the map is treated as possibly true (the requirement is kept).
	MarkerEnv map[string]string
	// Constraints reads a requirements file as a -c constraints file
	// (pip install -c FILE): its entries go to Result.Constraints.
	Constraints bool
}

// Result is what one manifest, lock file or environment yields.
type Result struct {
	Requirements []Requirement
	// Constraints are the entries of pip constraints files (-c): they pin
	// the version of a package that something else requires and are no
	// requirement themselves.
	Constraints []Requirement
	// Includes lists the -r/-c files a requirements file names (resolved
	// relative to the scan root).
	Includes []Include
	Indexes  []IndexSetting
	Warnings []finding.Warning

	// rejected counts the lines pip would refuse (the differential test
	// compares it with pip's verdict).
	rejected int
}

// Include is a -r or -c line of a requirements file.
type Include struct {
	File       string // the including file
	Line       int
	Target     string // the included file, relative to the scan root
	Constraint bool   // -c (or -r inside a constraints file)
}

// IndexSetting is a package-index option found in a file: pip options in
// requirements files, or index/source declarations of Pipfile, Pipfile.lock,
// pyproject.toml (uv, poetry) mapped onto the pip option names.
type IndexSetting struct {
	File   string
	Line   int
	Option string // --index-url, --extra-index-url, --trusted-host, --find-links, --no-index, --pre, --require-hashes
	Value  string
}

// MaxFileSize is the largest manifest or lock file Parse reads.
const MaxFileSize = 16 << 20

var normRE = regexp.MustCompile(`[-_.]+`)

// Normalize is the PEP 503 normalised form of a project name.
func Normalize(name string) string {
	return strings.ToLower(normRE.ReplaceAllString(strings.TrimSpace(name), "-"))
}

// notRequirementsIn are *.in files that are not pip-tools inputs.
var notRequirementsIn = map[string]bool{
	"manifest.in": true, "makefile.in": true, "configure.in": true, "config.in": true,
	"setup.in": true, "gnumakefile.in": true, "doxyfile.in": true, "version.in": true,
}

// IsManifest is a cheap gate on a '/'-separated path: true for every file
// name Parse understands.
func IsManifest(rel string) bool {
	base := path.Base(rel)
	switch base {
	case "pyproject.toml", "setup.cfg", "setup.py", "Pipfile", "Pipfile.lock",
		"poetry.lock", "uv.lock", "pdm.lock", "pylock.toml",
		"environment.yml", "environment.yaml":
		return true
	}
	return kindOf(rel) != kindUnknown
}

type fileKind int

const (
	kindUnknown fileKind = iota
	kindRequirements
	kindPyproject
	kindSetupCfg
	kindSetupPy
	kindPipfile
	kindPipfileLock
	kindPoetryLock
	kindUVLock
	kindPDMLock
	kindPylock
	kindConda
)

func kindOf(rel string) fileKind {
	base := path.Base(rel)
	switch base {
	case "pyproject.toml":
		return kindPyproject
	case "setup.cfg":
		return kindSetupCfg
	case "setup.py":
		return kindSetupPy
	case "Pipfile":
		return kindPipfile
	case "Pipfile.lock":
		return kindPipfileLock
	case "poetry.lock":
		return kindPoetryLock
	case "uv.lock":
		return kindUVLock
	case "pdm.lock":
		return kindPDMLock
	case "pylock.toml":
		return kindPylock
	case "environment.yml", "environment.yaml":
		return kindConda
	}
	if strings.HasPrefix(base, "pylock.") && strings.HasSuffix(base, ".toml") && len(base) > len("pylock..toml") {
		return kindPylock
	}
	lower := strings.ToLower(base)
	dir := path.Base(path.Dir(rel))
	if strings.HasSuffix(lower, ".lock") && strings.HasPrefix(lower, "requirements") {
		return kindRequirements // rye: requirements.lock, requirements-dev.lock
	}
	if strings.HasSuffix(lower, ".txt") {
		if strings.Contains(lower, "requirements") || strings.EqualFold(dir, "requirements") || IsConstraintsName(rel) {
			return kindRequirements
		}
		return kindUnknown
	}
	if strings.HasSuffix(lower, ".pip") && strings.Contains(lower, "requirements") {
		return kindRequirements // requirements.pip, dev-requirements.pip
	}
	if strings.HasSuffix(lower, ".in") && len(lower) > 3 {
		stem := strings.TrimSuffix(lower, ".in")
		if notRequirementsIn[lower] || strings.Contains(stem, ".") {
			return kindUnknown
		}
		return kindRequirements
	}
	return kindUnknown
}

// IsRequirementsFile reports the names Parse reads as pip requirements
// files (requirements*.txt, requirements/*.txt, pip-tools *.in,
// constraints*.txt, requirements*.pip, rye requirements*.lock).
func IsRequirementsFile(rel string) bool { return kindOf(rel) == kindRequirements }

// IsConstraintsName reports file names that by convention hold pip
// constraints (constraints.txt, constraints-dev.txt, requirements/constraints.txt).
func IsConstraintsName(rel string) bool {
	lower := strings.ToLower(path.Base(rel))
	return strings.HasSuffix(lower, ".txt") && strings.HasPrefix(lower, "constraint")
}

// ParseRequirements reads rel as a pip requirements file whatever its
// name (a file named by "pip install -r X" or "-c X" elsewhere).
func ParseRequirements(rel string, data []byte, read func(rel string) ([]byte, error), opt Options) (res Result) {
	return parse(rel, data, read, opt, kindRequirements, false)
}

// Parse reads one manifest or lock file. rel is its '/'-separated path
// relative to the scan root; read loads files it includes (-r/-c in
// requirements files, -r in conda pip sections), given paths relative to the
// scan root. read may be nil, in which case includes produce a warning.
func Parse(rel string, data []byte, read func(rel string) ([]byte, error), opt Options) (res Result) {
	return parse(rel, data, read, opt, kindOf(rel), true)
}

// notRequirements: a file chosen for its name alone ("Pasted-Core-
// Requirements-….txt", notes, a YAML file called requirements.txt) whose
// first entry pip refuses, in which pip would refuse at least this many
// lines and more than it accepts, and whose accepted entries are bare
// words, is some other text: one warning
// instead of one per line, and no packages invented from its words. A
// requirements file broken further down keeps its per-line warnings.
const notRequirementsMin = 3

func parse(rel string, data []byte, read func(rel string) ([]byte, error), opt Options, kind fileKind, byName bool) (res Result) {
	p := &parser{read: read}
	defer func() {
		if r := recover(); r != nil {
			// A parser bug must not take the scan down.
			p.warn(rel, 0, "internal error while parsing: %v", r)
			res = p.result(opt)
		}
	}()
	if kind == kindRequirements {
		if text, ok := p.decodeReqFile(rel, data); ok {
			p.parseRequirementsFile(rel, text, opt.Constraints)
		}
		accepted := p.accepted()
		if byName && p.refusedFirst && p.rejected >= notRequirementsMin && p.rejected > accepted && p.onlyBareNames() {
			first := 0
			for _, w := range p.warnings {
				if w.File == rel && w.Line > 0 {
					first = w.Line
					break
				}
			}
			return Result{rejected: p.rejected, Warnings: []finding.Warning{{File: rel, Line: first, Kind: finding.WarnParse,
				Message: fmt.Sprintf("named like a requirements file but is not one: pip would refuse %d of its lines (the first at line %d) and accepts %d; skipped", p.rejected, first, accepted)}}}
		}
		return p.result(opt)
	}
	data = decodeText(data)
	if !p.checkData(rel, data) {
		return p.result(opt)
	}
	switch kind {
	case kindPyproject:
		p.parsePyproject(rel, data)
	case kindSetupCfg:
		p.parseSetupCfg(rel, data)
	case kindSetupPy:
		p.parseSetupPy(rel, data)
	case kindPipfile:
		p.parsePipfile(rel, data)
	case kindPipfileLock:
		p.parsePipfileLock(rel, data)
	case kindPoetryLock:
		p.parsePoetryLock(rel, data)
	case kindUVLock:
		p.parseUVLock(rel, data)
	case kindPDMLock:
		p.parsePDMLock(rel, data)
	case kindPylock:
		p.parsePylock(rel, data)
	case kindConda:
		p.parseConda(rel, data)
	default:
		p.warn(rel, 0, "not a recognised Python manifest or lock file")
	}
	return p.result(opt)
}

// parser accumulates the result of one Parse call.
type parser struct {
	read        func(string) ([]byte, error)
	reqs        []Requirement
	constraints []Requirement
	includes    []Include
	rejected    int
	indexes     []IndexSetting
	warnings    []finding.Warning
	// requirements-file state
	stack     []string        // files being parsed (cycle detection)
	seen      map[string]bool // files already parsed
	nFiles    int
	inclBytes int
	firstIdx  string
	// sortLines orders the result by line (TOML decoders lose key order).
	sortLines bool
	// refusedFirst: the first entry of the file was refused (see
	// notRequirementsMin).
	refusedFirst bool
}

// onlyBareNames: every entry read is a bare word (no version, extras,
// marker, URL, include or option): what pip makes of prose. A broken
// requirements file still has real entries (requests==2.30.0).
func (p *parser) onlyBareNames() bool {
	if len(p.includes) > 0 || len(p.indexes) > 0 {
		return false
	}
	for _, list := range [][]Requirement{p.reqs, p.constraints} {
		for _, r := range list {
			if r.Specifier != "" || r.Marker != "" || len(r.Extras) > 0 || realURL(r.URL) {
				return false
			}
		}
	}
	return true
}

// realURL: a direct reference that looks like one (an http/file/VCS URL,
// a relative path, an archive), not a quoted regular expression that pip
// would read as a URL because it holds "://" (a YAML workflow of secret
// patterns named requirements.txt).
func realURL(u string) bool {
	if u == "" {
		return false
	}
	l := strings.ToLower(u)
	for _, p := range []string{"http://", "https://", "file:", "git+", "hg+", "svn+", "bzr+", "./", "../"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	for _, x := range []string{".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"} {
		if strings.HasSuffix(l, x) {
			return true
		}
	}
	return false
}

// accepted counts the entries read so far.
func (p *parser) accepted() int {
	return len(p.reqs) + len(p.constraints) + len(p.includes) + len(p.indexes)
}

func (p *parser) warn(file string, line int, format string, args ...any) {
	if len(p.warnings) >= 1000 {
		return
	}
	p.warnings = append(p.warnings, finding.Warning{
		File: file, Line: line, Kind: finding.WarnParse, Message: fmt.Sprintf(format, args...),
	})
}

func (p *parser) add(r Requirement) {
	r.Name = Normalize(r.RawName)
	p.reqs = append(p.reqs, r)
}

// decodeText drops a byte-order mark and converts UTF-16 and UTF-32 text
// (what `pip freeze > requirements.txt` writes in Windows PowerShell 5)
// to UTF-8.
func decodeText(data []byte) []byte {
	if len(data) > MaxFileSize*4 {
		return data
	}
	if text, ok := decodeBOM(data); ok {
		return []byte(text)
	}
	return data
}

// checkData rejects binary and oversized input.
func (p *parser) checkData(rel string, data []byte) bool {
	if len(data) > MaxFileSize {
		p.warn(rel, 0, "file too large (%d bytes, limit %d); not parsed", len(data), MaxFileSize)
		return false
	}
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		p.warn(rel, 0, "binary content (NUL byte); not parsed")
		return false
	}
	return true
}

func (p *parser) result(opt Options) Result {
	// A --index-url in a requirements file applies to every requirement
	// pip reads in that run.
	if p.firstIdx != "" {
		for _, list := range [][]Requirement{p.reqs, p.constraints} {
			for i := range list {
				if (list[i].Source == SourceRequirements || list[i].Source == SourceConda) && list[i].Index == "" && list[i].URL == "" {
					list[i].Index = p.firstIdx
				}
			}
		}
	}
	res := Result{Indexes: p.indexes, Warnings: p.warnings, Includes: p.includes, rejected: p.rejected}
	for _, c := range p.constraints {
		if opt.MarkerEnv != nil && c.Marker != "" {
			if v, err := EvalMarker(c.Marker, opt.MarkerEnv); err == nil && v == mFalse {
				continue
			}
		}
		res.Constraints = append(res.Constraints, c)
	}
	// Order by file (in the order files were first met) then line: TOML
	// tables come out of the decoder in key order, not file order.
	order := map[string]int{}
	for _, r := range p.reqs {
		if _, ok := order[r.File]; !ok {
			order[r.File] = len(order)
		}
	}
	sort.SliceStable(p.reqs, func(i, j int) bool {
		if !p.sortLines {
			return false
		}
		a, b := p.reqs[i], p.reqs[j]
		if a.File != b.File {
			return order[a.File] < order[b.File]
		}
		return a.Line < b.Line
	})
	for _, r := range p.reqs {
		if opt.MarkerEnv != nil && r.Marker != "" {
			v, err := EvalMarker(r.Marker, opt.MarkerEnv)
			if err != nil {
				res.Warnings = append(res.Warnings, finding.Warning{File: r.File, Line: r.Line, Kind: finding.WarnParse,
					Message: fmt.Sprintf("cannot evaluate marker %q: %v", r.Marker, err)})
			} else if v == mFalse {
				continue
			}
		}
		res.Requirements = append(res.Requirements, r)
	}
	return res
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int

func newLineIndex(data []byte) lineIndex {
	li := lineIndex{0}
	for i, c := range data {
		if c == '\n' {
			li = append(li, i+1)
		}
	}
	return li
}

func (li lineIndex) line(off int) int {
	return sort.Search(len(li), func(i int) bool { return li[i] > off })
}

// splitLines splits text into lines without their terminators ("\n",
// "\r\n").
func splitLines(data []byte) []string {
	s := string(data)
	s = strings.TrimPrefix(s, "\ufeff")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// pinOf returns the exact version of a specifier that pins one version with
// == or === (no wildcard), else "".
func pinOf(spec string) string {
	if spec == "" || strings.Contains(spec, ",") {
		return ""
	}
	var v string
	switch {
	case strings.HasPrefix(spec, "==="):
		v = spec[3:]
	case strings.HasPrefix(spec, "=="):
		v = spec[2:]
	default:
		return ""
	}
	v = strings.TrimSpace(v)
	if v == "" || strings.Contains(v, "*") {
		return ""
	}
	return v
}
