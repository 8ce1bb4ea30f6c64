package pydeps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Installed describes one distribution installed in a site-packages
// directory. DistInfo and RecordPath are paths inside the fs.FS given to
// ReadInstalledDetails (usable with fs.ReadFile on it); File is the display
// path (root + "/" + path of METADATA or PKG-INFO).
type Installed struct {
	DistInfo   string // the *.dist-info / *.egg-info directory (or egg-info file), or the *.egg/EGG-INFO directory
	Name       string // as written in METADATA (not normalised)
	Version    string
	Installer  string // content of INSTALLER ("pip", "uv", ...), "" when absent
	DirectURL  string // PEP 610 direct_url.json url ("git+URL@commit" for VCS); "" for index installs
	RecordPath string // RECORD file, "" when absent (egg-info has none)

	File      string   // display path of METADATA / PKG-INFO
	Line      int      // line of the Version: header
	Editable  bool     // direct_url.json dir_info.editable
	Requested bool     // REQUESTED present (installed on explicit request)
	Requires  []string // normalised Requires-Dist names (extra-only ones left out)

	// Where the distribution says it comes from: Home-page, Download-URL
	// and Project-URL values (labels dropped), and Author-email.
	URLs        []string
	AuthorEmail string
}

// Limits for environment reading.
const (
	maxMetadataSize = 4 << 20
	maxWalkDepth    = 10
	maxDists        = 100000
)

// ReadInstalled lists the distributions installed under fsys (a virtualenv,
// a prefix, or a site-packages directory itself) as requirements with
// Source "installed".
func ReadInstalled(fsys fs.FS, root string) Result {
	dists, warns := ReadInstalledDetails(fsys, root)
	res := Result{Warnings: warns}
	for _, d := range dists {
		r := Requirement{RawName: d.Name, Name: Normalize(d.Name), Version: d.Version, Source: SourceInstalled,
			File: d.File, Line: d.Line, URL: d.DirectURL, Editable: d.Editable, Requires: d.Requires}
		if d.Version != "" {
			r.Specifier = "==" + d.Version
		}
		res.Requirements = append(res.Requirements, r)
	}
	return res
}

func isSiteDir(dir string) bool {
	if dir == "." {
		return true
	}
	b := path.Base(dir)
	return b == "site-packages" || b == "dist-packages"
}

func displayPath(root, p string) string {
	root = strings.TrimSuffix(root, "/")
	if root == "" || root == "." {
		return p
	}
	return root + "/" + p
}

// ReadInstalledDetails finds every *.dist-info/METADATA, *.egg-info
// (directory with PKG-INFO, or file) and *.egg/EGG-INFO/PKG-INFO in the
// site-packages directories below fsys.
func ReadInstalledDetails(fsys fs.FS, root string) ([]Installed, []finding.Warning) {
	var out []Installed
	var warns []finding.Warning
	warn := func(kind, p string, line int, format string, args ...any) {
		if len(warns) < 1000 {
			warns = append(warns, finding.Warning{File: displayPath(root, p), Line: line, Kind: kind, Message: fmt.Sprintf(format, args...)})
		}
	}
	// Given a site-packages directory itself (--python-env .../site-packages),
	// the packages beside its metadata directories need not be walked.
	rootIsSite := false
	if ents, err := fs.ReadDir(fsys, "."); err == nil {
		for _, e := range ents {
			n := e.Name()
			if strings.HasSuffix(n, ".dist-info") || strings.HasSuffix(n, ".egg-info") {
				rootIsSite = true
				break
			}
		}
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			warn(finding.WarnUnreadable, p, 0, "cannot read: %v", err)
			if d != nil && d.IsDir() && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if len(out) >= maxDists {
			return fs.SkipAll
		}
		name := d.Name()
		parent := path.Dir(p)
		if !d.IsDir() {
			if d.Type()&fs.ModeSymlink != 0 {
				return nil
			}
			if strings.HasSuffix(name, ".egg-info") && isSiteDir(parent) {
				if inst, ok := readDist(fsys, root, p, p, "", warn); ok {
					out = append(out, inst)
				}
			}
			return nil
		}
		if p == "." {
			return nil
		}
		switch {
		case strings.HasSuffix(name, ".dist-info"):
			if isSiteDir(parent) {
				if inst, ok := readDist(fsys, root, p, path.Join(p, "METADATA"), path.Join(p, "RECORD"), warn); ok {
					out = append(out, inst)
				}
			}
			return fs.SkipDir
		case strings.HasSuffix(name, ".egg-info"):
			if isSiteDir(parent) {
				if inst, ok := readDist(fsys, root, p, path.Join(p, "PKG-INFO"), "", warn); ok {
					out = append(out, inst)
				}
			}
			return fs.SkipDir
		case strings.HasSuffix(name, ".egg"):
			if isSiteDir(parent) {
				egg := path.Join(p, "EGG-INFO")
				if _, err := fs.Stat(fsys, path.Join(egg, "PKG-INFO")); err == nil {
					if inst, ok := readDist(fsys, root, egg, path.Join(egg, "PKG-INFO"), "", warn); ok {
						out = append(out, inst)
					}
				}
			}
			return fs.SkipDir
		}
		if isSiteDir(parent) && (parent != "." || rootIsSite) {
			return fs.SkipDir // a package inside site-packages
		}
		switch name {
		case ".git", "node_modules", "__pycache__", "include", "share", "bin", "Scripts", "etc":
			if !isSiteDir(p) {
				return fs.SkipDir
			}
		}
		if strings.Count(p, "/") >= maxWalkDepth {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		warn(finding.WarnUnreadable, ".", 0, "walking the environment: %v", err)
	}
	return out, warns
}

type warnFunc func(kind, p string, line int, format string, args ...any)

// readDist reads one distribution's metadata. distDir is its metadata
// directory (or egg-info file), meta the METADATA/PKG-INFO file.
func readDist(fsys fs.FS, root, distDir, meta, record string, warn warnFunc) (Installed, bool) {
	inst := Installed{DistInfo: distDir, File: displayPath(root, meta)}
	data, err := readLimited(fsys, meta, maxMetadataSize)
	if err != nil {
		kind := finding.WarnParse
		if errors.Is(err, errSymlink) {
			kind = finding.WarnSymlink
		}
		warn(kind, meta, 0, "cannot read distribution metadata: %v", err)
		return inst, false
	}
	if bytes.IndexByte(data, 0) >= 0 {
		warn(finding.WarnParse, meta, 0, "binary content in distribution metadata")
		return inst, false
	}
	md := parseMetadata(data)
	inst.Name, inst.Version, inst.Line = md.name, md.version, md.versionLine
	inst.URLs, inst.AuthorEmail = md.urls, md.authorEmail
	if md.version != "" && !versionRE.MatchString(md.version) {
		warn(finding.WarnParse, meta, md.versionLine, "invalid Version %q", truncate(md.version))
		inst.Version, md.version = "", ""
	}
	if inst.Name == "" || !validName.MatchString(inst.Name) {
		// fall back to the directory name: name-version.dist-info
		base := path.Base(distDir)
		if base == "EGG-INFO" {
			base = path.Base(path.Dir(distDir))
		}
		stem := base[:len(base)-len(path.Ext(base))]
		if i := strings.IndexByte(stem, '-'); i > 0 {
			inst.Name = stem[:i]
			if inst.Version == "" {
				rest := stem[i+1:]
				if j := strings.IndexByte(rest, '-'); j >= 0 {
					rest = rest[:j]
				}
				inst.Version = rest
			}
		} else {
			inst.Name = stem
		}
		warn(finding.WarnParse, meta, md.nameLine, "metadata has no valid Name; using %q from the directory name", inst.Name)
	}
	if md.version == "" {
		warn(finding.WarnParse, meta, 0, "metadata of %s has no Version header (directory name gives %q)", inst.Name, inst.Version)
	}
	for _, e := range md.errs {
		warn(finding.WarnParse, meta, e.line, "%s", e.msg)
	}
	reqs := md.requires
	if path.Base(meta) == "PKG-INFO" && len(reqs) == 0 {
		if rd, err := readLimited(fsys, path.Join(distDir, "requires.txt"), maxMetadataSize); err == nil {
			reqs = eggRequires(rd)
		}
	}
	for _, rq := range reqs {
		q, err := parsePEP508(rq)
		if q.Name == "" {
			warn(finding.WarnParse, meta, 0, "invalid Requires-Dist %q: %v", truncate(rq), err)
			continue
		}
		if q.Marker != "" {
			if v, err := EvalMarker(q.Marker, map[string]string{"extra": ""}); err == nil && v == mFalse {
				continue
			}
		}
		inst.Requires = append(inst.Requires, Normalize(q.Name))
	}
	inst.Requires = uniq(inst.Requires)
	if record != "" {
		if _, err := fs.Stat(fsys, record); err == nil {
			inst.RecordPath = record
		}
	}
	isDir := distDir != meta
	if isDir {
		if b, err := readLimited(fsys, path.Join(distDir, "INSTALLER"), 4096); err == nil {
			inst.Installer = strings.TrimSpace(string(b))
		}
		if _, err := fs.Stat(fsys, path.Join(distDir, "REQUESTED")); err == nil {
			inst.Requested = true
		}
		if b, err := readLimited(fsys, path.Join(distDir, "direct_url.json"), 1<<20); err == nil {
			var du struct {
				URL     string `json:"url"`
				VCSInfo *struct {
					VCS      string `json:"vcs"`
					CommitID string `json:"commit_id"`
				} `json:"vcs_info"`
				DirInfo *struct {
					Editable bool `json:"editable"`
				} `json:"dir_info"`
			}
			if err := json.Unmarshal(b, &du); err != nil {
				warn(finding.WarnParse, path.Join(distDir, "direct_url.json"), jsonErrLine(newLineIndex(b), err), "invalid direct_url.json: %v", err)
			} else {
				inst.DirectURL = du.URL
				if du.VCSInfo != nil && du.URL != "" {
					vcs := du.VCSInfo.VCS
					if vcs == "" {
						vcs = "git"
					}
					inst.DirectURL = vcs + "+" + du.URL
					if du.VCSInfo.CommitID != "" {
						inst.DirectURL += "@" + du.VCSInfo.CommitID
					}
				}
				if du.DirInfo != nil {
					inst.Editable = du.DirInfo.Editable
				}
			}
		}
	}
	return inst, true
}

// errSymlink: metadata files that are symlinks are not followed, so that a
// planted link cannot make the scan read (and quote) files outside the
// environment.
var errSymlink = errors.New("is a symbolic link; not followed")

func readLimited(fsys fs.FS, p string, limit int64) ([]byte, error) {
	if lfs, ok := fsys.(fs.ReadLinkFS); ok {
		if fi, err := lfs.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, errSymlink
		}
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, errors.New("is a directory")
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}

type metadata struct {
	name, version         string
	nameLine, versionLine int
	requires              []string
	urls                  []string
	authorEmail           string
	errs                  []struct {
		line int
		msg  string
	}
}

// parseMetadata reads the RFC 822 style header block of METADATA/PKG-INFO.
func parseMetadata(data []byte) metadata {
	var md metadata
	var key, val string
	keyLine := 0
	flush := func() {
		switch strings.ToLower(key) {
		case "name":
			if md.name == "" {
				md.name, md.nameLine = strings.TrimSpace(val), keyLine
			}
		case "version":
			if md.version == "" {
				md.version, md.versionLine = strings.TrimSpace(val), keyLine
			}
		case "requires-dist":
			md.requires = append(md.requires, strings.TrimSpace(val))
		case "home-page", "download-url":
			if u := strings.TrimSpace(val); u != "" && !strings.EqualFold(u, "UNKNOWN") {
				md.urls = append(md.urls, u)
			}
		case "project-url":
			// "Label, https://..."
			v := strings.TrimSpace(val)
			if i := strings.LastIndex(v, ", "); i >= 0 {
				v = strings.TrimSpace(v[i+2:])
			}
			if v != "" {
				md.urls = append(md.urls, v)
			}
		case "author-email":
			if md.authorEmail == "" {
				md.authorEmail = strings.TrimSpace(val)
			}
		}
		key, val = "", ""
	}
	for i, l := range splitLines(data) {
		if l == "" {
			break // body (description) follows
		}
		if l[0] == ' ' || l[0] == '\t' {
			if key != "" {
				val += "\n" + strings.TrimSpace(l)
			}
			continue
		}
		flush()
		c := strings.IndexByte(l, ':')
		if c <= 0 {
			md.errs = append(md.errs, struct {
				line int
				msg  string
			}{i + 1, fmt.Sprintf("malformed metadata header %q", truncate(l))})
			continue
		}
		key, val, keyLine = l[:c], l[c+1:], i+1
	}
	flush()
	return md
}

// eggRequires reads an egg-info requires.txt: unconditional requirements
// and [:marker] sections; [extra] sections are skipped.
func eggRequires(data []byte) []string {
	var out []string
	marker := ""
	skip := false
	for _, l := range splitLines(data) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			sec := l[1 : len(l)-1]
			extra, m, _ := strings.Cut(sec, ":")
			skip = strings.TrimSpace(extra) != ""
			marker = strings.TrimSpace(m)
			continue
		}
		if skip {
			continue
		}
		if marker != "" && !strings.Contains(l, ";") {
			l += "; " + marker
		}
		out = append(out, l)
	}
	return out
}
