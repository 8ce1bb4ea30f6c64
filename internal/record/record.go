// Package record verifies installed Python distributions against their
// RECORD files (PEP 376 / PEP 627, packaging.python.org "Recording installed
// projects"): every recorded file must exist with the recorded hash
// (urlsafe base64 of the digest, no padding) and size, and every code file
// in a package directory must be recorded by some distribution. It also
// says which distribution provides each top-level module, so that a module
// shipped by the wrong distribution (a fake `stripe`) shows up.
//
// Neither pip nor any of the tools stripeguard replaces checks RECORD after
// installation. RECORD is not authenticated (whoever edits files can edit
// it too), so a clean result means "as installed", not "as published"; the
// hash-checked install (--require-hashes, lock-file hashes) is what ties
// the archive to PyPI.
package record

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pydeps"
)

// Kind is the kind of a problem.
type Kind string

const (
	// Modified: the file's hash or size differs from RECORD.
	Modified Kind = "modified"
	// Missing: RECORD lists a file that is not there.
	Missing Kind = "missing"
	// Unrecorded: a code file inside a distribution's package directory,
	// or at the top of site-packages, that no RECORD lists.
	Unrecorded Kind = "unrecorded"
	// UnownedPackage: a top-level package directory no distribution
	// installed.
	UnownedPackage Kind = "unowned-package"
)

// Problem is one file that does not match.
type Problem struct {
	Kind Kind
	// Dist is the distribution the file belongs to (nil for files no
	// distribution owns).
	Dist *Dist
	// Path is relative to the environment root ('/'-separated).
	Path   string
	Detail string
	// ExecutablePth: a .pth file with an import line, which site.py
	// executes at every interpreter start.
	ExecutablePth bool
	// Startup: a module Python imports at every start (sitecustomize,
	// usercustomize).
	Startup bool
	// LineEndings: a modified file whose size gap is what converting some
	// of its line endings makes (no CR left and RECORD larger by at most
	// its line count, or the reverse). A file that had mixed endings
	// before git normalised them cannot be rebuilt to prove it, so this
	// is a likelihood, not a match.
	LineEndings bool
}

// Dist is one installed distribution and what verifying it found.
type Dist struct {
	pydeps.Installed
	SiteDir string // site-packages directory holding it (fs path)
	// HasRecord: a RECORD was found (dist-info installs); egg-info
	// installs have none and are not verifiable.
	HasRecord bool
	// Managed: installed by the operating system's package manager (a
	// dist-packages directory, no INSTALLER file). Debian strips shared
	// objects after building and some of its RECORDs carry hex digests,
	// so RECORD does not describe the files; dpkg (debsums) verifies them.
	// Ownership is still read from RECORD.
	Managed bool
	// Files counts recorded files checked against a hash.
	Files int
	// TopLevel are the top-level modules and packages it installs.
	TopLevel []string
	Problems []*Problem
}

// Result is the verification of one environment.
type Result struct {
	Dists []*Dist
	// Unowned are problems not attributable to a distribution (rogue .pth
	// files, package directories nobody installed).
	Unowned []*Problem
	// Owners maps a top-level module name to the distributions providing
	// it, per site directory: "site/dir\x00stripe" -> dists.
	Owners map[string][]*Dist
	// Files and Bytes count what was hashed.
	Files int
	Bytes int64
}

// ProvidersOf returns the distributions that provide a top-level module in
// any site directory.
func (r *Result) ProvidersOf(module string) []*Dist {
	var out []*Dist
	for k, ds := range r.Owners {
		if strings.HasSuffix(k, "\x00"+module) {
			out = append(out, ds...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DistInfo < out[j].DistInfo })
	return out
}

// Limits.
const (
	maxRecordSize = 64 << 20
	maxWalkFiles  = 1 << 20
)

// Options tune Verify.
type Options struct {
	// Workers hash files in parallel (0 = GOMAXPROCS).
	Workers int
	// Root is where fsys is on disk (or its display path): site
	// directories are recognised by name, including fsys's root itself.
	Root string
}

// Verify checks every distribution of dists (as read from fsys by
// pydeps.ReadInstalledDetails) and looks for unrecorded files.
func Verify(ctx context.Context, fsys fs.FS, dists []pydeps.Installed, opt Options) (*Result, []finding.Warning) {
	v := &verifier{fsys: fsys, res: &Result{Owners: map[string][]*Dist{}}, recorded: map[string]bool{}}
	bySite := map[string][]*Dist{}
	var sites []string
	for i := range dists {
		d := &Dist{Installed: dists[i], SiteDir: path.Dir(dists[i].DistInfo)}
		if path.Base(d.DistInfo) == "EGG-INFO" {
			d.SiteDir = path.Dir(path.Dir(d.DistInfo))
		}
		d.Managed = path.Base(path.Join("/", filepath.ToSlash(opt.Root), d.SiteDir)) == "dist-packages" && d.Installer == ""
		v.res.Dists = append(v.res.Dists, d)
		if _, ok := bySite[d.SiteDir]; !ok {
			sites = append(sites, d.SiteDir)
		}
		bySite[d.SiteDir] = append(bySite[d.SiteDir], d)
	}
	var jobs []job
	for _, d := range v.res.Dists {
		jobs = append(jobs, v.readRecord(d)...)
	}
	v.hashAll(ctx, jobs, opt.Workers)
	for _, site := range sites {
		if ctx.Err() != nil {
			break
		}
		v.unrecorded(site, bySite[site], path.Base(path.Join("/", filepath.ToSlash(opt.Root), site)) == "dist-packages")
	}
	for _, d := range v.res.Dists {
		sort.Slice(d.Problems, func(i, j int) bool { return d.Problems[i].Path < d.Problems[j].Path })
		sort.Strings(d.TopLevel)
	}
	sort.Slice(v.res.Unowned, func(i, j int) bool { return v.res.Unowned[i].Path < v.res.Unowned[j].Path })
	return v.res, v.warns
}

type verifier struct {
	fsys     fs.FS
	res      *Result
	mu       sync.Mutex
	recorded map[string]bool // fs paths listed by any RECORD / installed-files.txt
	warns    []finding.Warning
}

func (v *verifier) warn(p string, line int, format string, args ...any) {
	if len(v.warns) < 200 {
		v.warns = append(v.warns, finding.Warning{File: p, Line: line, Kind: finding.WarnParse, Message: fmt.Sprintf(format, args...)})
	}
}

// job is one recorded file to hash.
type job struct {
	dist *Dist
	path string // fs path
	algo string
	want string // urlsafe base64, no padding
	size int64  // -1 when RECORD gives none
}

// readRecord parses a distribution's RECORD (or, for egg-info, its
// installed-files.txt and top_level.txt, which give ownership but no
// hashes).
func (v *verifier) readRecord(d *Dist) []job {
	top := map[string]bool{}
	addTop := func(rel string) {
		first := rel
		if i := strings.IndexByte(rel, '/'); i >= 0 {
			first = rel[:i]
		}
		if first == "" || first == ".." || first == "__pycache__" || strings.HasSuffix(first, ".dist-info") ||
			strings.HasSuffix(first, ".egg-info") || strings.HasSuffix(first, ".data") {
			return
		}
		mod := first
		if i := strings.IndexByte(first, '.'); i > 0 && !strings.Contains(rel, "/") {
			mod = first[:i] // stripe.py, _cffi_backend.cpython-311-x86_64-linux-gnu.so
		}
		if strings.HasSuffix(first, ".pth") {
			return
		}
		top[mod] = true
	}
	defer func() {
		for m := range top {
			d.TopLevel = append(d.TopLevel, m)
			k := d.SiteDir + "\x00" + m
			v.res.Owners[k] = append(v.res.Owners[k], d)
		}
	}()
	if d.RecordPath == "" {
		// egg-info: ownership only.
		if b, err := fs.ReadFile(v.fsys, path.Join(d.DistInfo, "top_level.txt")); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					top[strings.SplitN(l, "/", 2)[0]] = true
				}
			}
		}
		if b, err := fs.ReadFile(v.fsys, path.Join(d.DistInfo, "installed-files.txt")); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					p := path.Clean(path.Join(d.DistInfo, l))
					v.recorded[p] = true
					if rel, ok := under(p, d.SiteDir); ok {
						addTop(rel)
					}
				}
			}
		}
		return nil
	}
	d.HasRecord = true
	data, err := readLimited(v.fsys, d.RecordPath, maxRecordSize)
	if err != nil {
		v.warn(d.RecordPath, 0, "cannot read RECORD: %v", err)
		return nil
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	var jobs []job
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			v.warn(d.RecordPath, line, "malformed RECORD row: %v", err)
			continue
		}
		if len(rec) == 0 || strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > 3 {
			v.warn(d.RecordPath, line, "RECORD row has %d fields, want 3", len(rec))
		}
		rp := strings.ReplaceAll(rec[0], `\`, "/")
		var p string
		if path.IsAbs(rp) || len(rp) > 2 && rp[1] == ':' {
			// Absolute paths (data files installed outside the
			// environment) cannot be located in this view of it.
			continue
		}
		p = path.Clean(path.Join(d.SiteDir, rp))
		if p == ".." || strings.HasPrefix(p, "../") {
			continue
		}
		v.recorded[p] = true
		if rel, ok := under(p, d.SiteDir); ok {
			addTop(rel)
		}
		hashField, sizeField := "", ""
		if len(rec) > 1 {
			hashField = strings.TrimSpace(rec[1])
		}
		if len(rec) > 2 {
			sizeField = strings.TrimSpace(rec[2])
		}
		if hashField == "" || d.Managed {
			continue // RECORD itself, .pyc files: no hash by design
		}
		algo, want, ok := strings.Cut(hashField, "=")
		if !ok || want == "" {
			v.warn(d.RecordPath, line, "malformed RECORD hash %q", truncate(hashField))
			continue
		}
		algo = strings.ToLower(algo)
		if newHash(algo) == nil {
			v.warn(d.RecordPath, line, "unsupported RECORD hash algorithm %q", truncate(algo))
			continue
		}
		size := int64(-1)
		if sizeField != "" {
			if n, err := strconv.ParseInt(sizeField, 10, 64); err == nil && n >= 0 {
				size = n
			} else {
				v.warn(d.RecordPath, line, "malformed RECORD size %q", truncate(sizeField))
			}
		}
		jobs = append(jobs, job{dist: d, path: p, algo: algo, want: strings.TrimRight(want, "="), size: size})
	}
	return jobs
}

func under(p, dir string) (string, bool) {
	if dir == "." || dir == "" {
		return p, !strings.HasPrefix(p, "../")
	}
	if strings.HasPrefix(p, dir+"/") {
		return p[len(dir)+1:], true
	}
	return "", false
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "sha256":
		return sha256.New()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	case "sha224":
		return sha256.New224()
	case "sha1":
		return sha1.New()
	case "md5":
		return md5.New()
	}
	return nil
}

// hashAll checks recorded files on several goroutines, each with its own
// read buffer.
func (v *verifier) hashAll(ctx context.Context, jobs []job, workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ch := make(chan int, 256)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			hs := map[string]hash.Hash{}
			for i := range ch {
				if ctx.Err() != nil {
					continue
				}
				j := &jobs[i]
				h := hs[j.algo]
				if h == nil {
					h = newHash(j.algo)
					hs[j.algo] = h
				}
				v.check(j, h, buf)
			}
		}()
	}
	for i := range jobs {
		ch <- i
	}
	close(ch)
	wg.Wait()
}

func (v *verifier) check(j *job, h hash.Hash, buf []byte) {
	f, err := v.fsys.Open(j.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			v.problem(j.dist, &Problem{Kind: Missing, Path: j.path, Detail: "listed in RECORD, not on disk"})
		} else {
			v.mu.Lock()
			v.warn(j.path, 0, "cannot read installed file: %v", err)
			v.mu.Unlock()
		}
		return
	}
	defer f.Close()
	h.Reset()
	n, err := io.CopyBuffer(h, onlyReader{f}, buf)
	if err != nil {
		v.mu.Lock()
		v.warn(j.path, 0, "cannot read installed file: %v", err)
		v.mu.Unlock()
		return
	}
	sum := h.Sum(nil)
	got := base64.RawURLEncoding.EncodeToString(sum)
	if got != j.want && len(j.want) == 2*len(sum) && strings.EqualFold(j.want, hex.EncodeToString(sum)) {
		// Some builders (older Debian tooling) write hex digests.
		got = j.want
	}
	eol := false
	if got != j.want && j.size >= 0 && j.size != n {
		var same bool
		if same, eol = v.lineEndings(j, h, n); same {
			// A site-packages tree that went through git with autocrlf
			// (a venv committed from Windows) has its text files' line
			// endings converted: the content is what RECORD lists.
			got = j.want
			n = j.size
		}
	}
	v.mu.Lock()
	v.res.Files++
	v.res.Bytes += n
	j.dist.Files++
	v.mu.Unlock()
	switch {
	case got != j.want:
		detail := fmt.Sprintf("%s differs from RECORD (%s=%s, file has %s)", j.algo, j.algo, j.want, got)
		if j.size >= 0 && j.size != n {
			detail += fmt.Sprintf("; size %d, RECORD says %d", n, j.size)
		}
		if eol {
			detail += "; the gap is what converting line endings makes (a tree committed through git autocrlf?)"
		}
		v.problem(j.dist, &Problem{Kind: Modified, Path: j.path, Detail: detail, LineEndings: eol})
	case j.size >= 0 && j.size != n:
		v.problem(j.dist, &Problem{Kind: Modified, Path: j.path, Detail: fmt.Sprintf("size %d, RECORD says %d", n, j.size)})
	}
}

// maxEOLCheck bounds the files re-read to test a line-ending conversion:
// text files in a distribution are small.
const maxEOLCheck = 4 << 20

// lineEndings: same when the file at j.path hashes to RECORD's digest
// once its line endings are converted back (LF to CRLF when the file has
// no CR, CRLF to LF otherwise) and the size difference is what such a
// conversion makes; a changed byte anywhere else still fails the hash.
// plausible when the size gap fits a partial conversion (mixed endings)
// that the hash cannot confirm.
func (v *verifier) lineEndings(j *job, h hash.Hash, n int64) (same, plausible bool) {
	if n > maxEOLCheck || j.size > 2*maxEOLCheck {
		return false, false
	}
	b, err := readLimited(v.fsys, j.path, maxEOLCheck)
	if err != nil || int64(len(b)) != n {
		return false, false
	}
	var conv []byte
	if crlf := bytes.Count(b, []byte("\r\n")); crlf > 0 {
		gap := n - j.size
		plausible = gap > 0 && gap < int64(crlf)
		if gap != int64(crlf) {
			return false, plausible
		}
		conv = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	} else {
		if bytes.IndexByte(b, '\r') >= 0 {
			return false, false
		}
		lf := int64(bytes.Count(b, []byte("\n")))
		gap := j.size - n
		plausible = gap > 0 && gap < lf
		if gap != lf {
			return false, plausible
		}
		conv = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	}
	h.Reset()
	h.Write(conv)
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum) == j.want || strings.EqualFold(j.want, hex.EncodeToString(sum)), false
}

// onlyReader hides WriterTo/ReaderFrom so io.CopyBuffer uses our buffer.
type onlyReader struct{ io.Reader }

func (v *verifier) problem(d *Dist, p *Problem) {
	if strings.HasSuffix(p.Path, ".pth") && p.Kind != Missing {
		p.ExecutablePth = v.executablePth(p.Path)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	p.Dist = d
	if d == nil {
		v.res.Unowned = append(v.res.Unowned, p)
		return
	}
	d.Problems = append(d.Problems, p)
}

// executablePth reports whether site.py would execute a line of a .pth
// file: lines starting with "import " or "import\t" are exec()'d.
func (v *verifier) executablePth(p string) bool {
	b, err := readLimited(v.fsys, p, 1<<20)
	if err != nil {
		return false
	}
	return ExecutablePth(b)
}

// ExecutablePth reports whether a .pth file's content has a line site.py
// executes.
func ExecutablePth(b []byte) bool {
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "import ") || strings.HasPrefix(l, "import\t") {
			return true
		}
	}
	return false
}

func readLimited(fsys fs.FS, p string, limit int64) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
