package pydeps

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pep440"
)

// vcsSchemes are the URL schemes pip hands to a VCS backend
// (vcs.all_schemes).
var vcsSchemes = map[string]bool{
	"bzr+file": true, "bzr+ftp": true, "bzr+http": true, "bzr+https": true, "bzr+lp": true, "bzr+sftp": true, "bzr+ssh": true,
	"git+file": true, "git+git": true, "git+http": true, "git+https": true, "git+ssh": true,
	"hg+file": true, "hg+http": true, "hg+https": true, "hg+ssh": true, "hg+static-http": true,
	"svn+file": true, "svn+http": true, "svn+https": true, "svn+ssh": true, "svn+svn": true,
}

// urlScheme is the scheme urllib.parse.urlsplit finds: letters, digits,
// '+', '-' and '.' before the first ':', starting with a letter;
// lower-cased. "" when there is none.
func urlScheme(s string) string {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return ""
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return ""
	}
	for j := 1; j < i; j++ {
		c := s[j]
		if !(isASCIIAlnum(c) || c == '+' || c == '-' || c == '.') {
			return ""
		}
	}
	return strings.ToLower(s[:i])
}

// isPipURL is pip's is_url.
func isPipURL(s string) bool {
	switch sc := urlScheme(s); sc {
	case "http", "https", "file", "ftp":
		return true
	default:
		return vcsSchemes[sc]
	}
}

// archiveExts are pip's ARCHIVE_EXTENSIONS.
var archiveExts = []string{".zip", ".whl", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma", ".tar.gz", ".tgz", ".tar"}

// isArchiveFile is pip's is_archive_file (extension, case-insensitive,
// with ".tar.*" taken whole).
func isArchiveFile(name string) bool {
	ext := strings.ToLower(pipSplitext(path.Base(strings.ReplaceAll(name, `\`, "/"))))
	for _, e := range archiveExts {
		if ext == e {
			return true
		}
	}
	return false
}

// pipSplitext is pip's utils.misc.splitext: the extension, with ".tar"
// kept in front of a compression suffix.
func pipSplitext(base string) string {
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	if strings.HasSuffix(strings.ToLower(stem), ".tar") {
		ext = stem[len(stem)-4:] + ext
	}
	return ext
}

// looksLikePath is pip's _looks_like_path, with '\' counted as a separator
// as pip counts it on Windows: requirements files written there use it.
func looksLikePath(s string) bool {
	return strings.ContainsAny(s, `/\`) || strings.HasPrefix(s, ".")
}

// plausibleDir: a path pip would take for a project directory if it
// existed. pip checks the disk; a scan that cannot (pip's working
// directory is unknown) accepts paths without whitespace or version
// operators, so that a broken pin ("pkg==1.0 \" with a stray backslash) is
// still refused.
func plausibleDir(p string) bool {
	return p != "" && strings.IndexFunc(p, isPySpace) < 0 && !strings.ContainsAny(p, "=<>!~;")
}

var stripExtrasRE = regexp.MustCompile(`^(.+)(\[[^\]]+\])$`)

// stripExtras is pip's strip_extras: a trailing "[a,b]" on a path.
func stripExtras(s string) (string, []string, error) {
	m := stripExtrasRE.FindStringSubmatch(s)
	if m == nil {
		return s, nil, nil
	}
	q, err := parsePEP508("placeholder" + strings.ToLower(m[2]))
	if err != nil {
		return s, nil, fmt.Errorf("invalid extras %q", m[2])
	}
	return strings.TrimRightFunc(m[1], isPySpace), q.Extras, nil
}

var (
	eggFragmentRE = regexp.MustCompile(`[#&]egg=([^&]*)`)
	projectNameRE = regexp.MustCompile(`(?i)^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`)
)

// eggFragment is Link.egg_fragment of current pip: the #egg= name, which
// must be a plain project name.
func eggFragment(u string) (string, error) {
	m := eggFragmentRE.FindStringSubmatch(u)
	if m == nil {
		return "", nil
	}
	if !projectNameRE.MatchString(m[1]) {
		return "", fmt.Errorf("the #egg= fragment %q is not a valid project name", m[1])
	}
	return m[1], nil
}

// linkFilename is Link.filename: the last path segment, unquoted.
func linkFilename(u string) string {
	if isPipURL(u) {
		if parsed, err := url.Parse(u); err == nil {
			p := parsed.Path
			if p == "" {
				p = parsed.Opaque // file:../dir/x.whl
			}
			name := path.Base(strings.TrimRight(p, "/"))
			if name == "." || name == "/" || name == "" {
				name = parsed.Host
			}
			return name
		}
		rest := u
		if i := strings.IndexAny(rest, "?#"); i >= 0 {
			rest = rest[:i]
		}
		return path.Base(rest)
	}
	return path.Base(strings.ReplaceAll(u, `\`, "/"))
}

// parseWheelFilename is packaging's parse_wheel_filename: name and version
// of a wheel file name, or an error where pip refuses it.
func parseWheelFilename(file string) (name, version string, err error) {
	if !strings.HasSuffix(file, ".whl") {
		return "", "", fmt.Errorf("invalid wheel filename %q", file)
	}
	stem := strings.TrimSuffix(file, ".whl")
	dashes := strings.Count(stem, "-")
	if dashes != 4 && dashes != 5 {
		return "", "", fmt.Errorf("invalid wheel filename (wrong number of parts): %q", file)
	}
	parts := strings.SplitN(stem, "-", dashes-1)
	if parts[0] == "" || strings.Contains(parts[0], "__") || strings.IndexFunc(parts[0], func(r rune) bool {
		return !(r == '_' || r == '.' || isPyWordAt(string(r), 0))
	}) >= 0 {
		return "", "", fmt.Errorf("invalid project name in wheel filename %q", file)
	}
	if _, err := pep440.Parse(parts[1]); err != nil {
		return "", "", fmt.Errorf("invalid wheel filename (invalid version): %q", file)
	}
	if dashes == 5 && (parts[2] == "" || parts[2][0] < '0' || parts[2][0] > '9') {
		return "", "", fmt.Errorf("invalid build number %q in wheel filename %q", parts[2], file)
	}
	for _, t := range parts[len(parts)-3:] {
		for _, c := range strings.Split(t, ".") {
			if c == "" {
				return "", "", fmt.Errorf("invalid wheel filename (invalid tag component): %q", file)
			}
		}
	}
	return parts[0], parts[1], nil
}

// requirementFromLine turns the requirement part of a requirements-file
// line into a Requirement as pip's parse_req_from_line (or, for -e,
// parse_editable) does. Paths are not checked on disk.
func requirementFromLine(spec string, editable bool) (Requirement, error) {
	if editable {
		return editableRequirement(spec)
	}
	var r Requirement
	name := spec
	sep := ";"
	if isPipURL(name) {
		sep = "; " // URL fragments may hold ';'
	}
	var markerErr error
	if i := strings.Index(name, sep); i >= 0 {
		name, r.Marker = name[:i], pyStrip(name[i+len(sep):])
		markerErr = checkMarker(r.Marker)
	}
	name = pyStrip(name)
	link := ""
	switch {
	case isPipURL(name):
		link = name
	default:
		p, extras, err := stripExtras(name)
		if err != nil {
			return r, err
		}
		before, _, hasAt := strings.Cut(name, "@")
		switch {
		case isArchiveFile(p) && !(hasAt && !looksLikePath(before)):
			link, r.Extras = p, extras
		case looksLikePath(name) && plausibleDir(p):
			// An installable directory when it exists (pip checks); a
			// PEP 508 "name @ url" also contains '/'.
			if _, err := parsePEP508(name); err != nil {
				link, r.Extras = p, extras
			}
		}
	}
	if link == "" {
		q, err := parsePEP508(name)
		if err != nil && !isMarkerError(err) {
			return Requirement{RawName: q.Name}, fmt.Errorf("invalid requirement %q: %v", truncate(name), err)
		}
		r.RawName, r.Extras, r.Specifier, r.URL = q.Name, q.Extras, q.Specifier, q.URL
		if q.Marker != "" {
			r.Marker = q.Marker
		}
		r.Version = pinOf(r.Specifier)
		if r.URL != "" {
			r.Version = urlVersion(r.URL)
		}
		if err != nil {
			return r, err
		}
		return r, markerErr
	}
	r.URL, r.LocalPath = link, !isPipURL(link) || urlScheme(link) == "file"
	if strings.HasSuffix(linkFilename(link), ".whl") {
		n, v, err := parseWheelFilename(linkFilename(link))
		if err != nil {
			return r, err
		}
		r.RawName, r.Version, r.Specifier = n, v, "=="+v
		return r, markerErr
	}
	egg, err := eggFragment(link)
	if err != nil {
		return r, err
	}
	r.RawName = egg
	if egg != "" {
		if _, err := parsePEP508(egg); err != nil {
			return r, fmt.Errorf("invalid requirement %q: %v", egg, err)
		}
	}
	r.Version = urlVersion(link)
	if r.RawName == "" {
		// Not pip: an sdist file name says which project it is.
		r.RawName, _ = sdistNameVersion(link)
	}
	return r, markerErr
}

// editableRequirement is pip's parse_editable: "name @ vcs-url", a VCS URL
// with #egg=, a file: URL or a local directory (with optional [extras]).
func editableRequirement(spec string) (Requirement, error) {
	r := Requirement{Editable: true}
	if q, err := parsePEP508(spec); err == nil && q.URL != "" {
		r.RawName, r.Extras, r.URL, r.Marker = q.Name, q.Extras, q.URL, q.Marker
	} else if err != nil && isMarkerError(err) && q.URL != "" {
		return r, err
	} else {
		u, extras, err := stripExtras(spec)
		if err != nil {
			return r, err
		}
		scheme := urlScheme(u)
		switch {
		case scheme == "file":
			r.URL, r.Extras = u, extras
		case vcsSchemes[scheme]:
			r.URL = spec
		case scheme == "git" || scheme == "hg" || scheme == "svn" || scheme == "bzr":
			r.URL = scheme + "+" + spec
		default:
			// A local project directory (pip requires it to exist).
			if !plausibleDir(u) {
				return r, fmt.Errorf("%s is not a valid editable requirement: it should be a path to a local project or a VCS URL", truncate(spec))
			}
			r.URL, r.Extras, r.LocalPath = u, extras, true
			return r, nil
		}
		egg, err := eggFragment(r.URL)
		if err != nil {
			return r, err
		}
		r.RawName = egg
	}
	sc := urlScheme(r.URL)
	if sc != "file" && !vcsSchemes[sc] {
		return r, fmt.Errorf("%s is not a valid editable requirement: it should be a path to a local project or a VCS URL", truncate(spec))
	}
	if r.RawName == "" && sc != "file" {
		return r, fmt.Errorf("could not detect the requirement name of %q: add #egg=name or write name @ URL", truncate(spec))
	}
	return r, nil
}

// urlVersion is the version a direct reference names: a wheel's, or (not
// pip: a guess from the file name) an sdist's.
func urlVersion(u string) string {
	file := linkFilename(u)
	if strings.HasSuffix(file, ".whl") {
		if _, v, err := parseWheelFilename(file); err == nil {
			return v
		}
		return ""
	}
	if vcsSchemes[urlScheme(u)] {
		return ""
	}
	_, v := sdistNameVersion(u)
	return v
}

var sdistRE = regexp.MustCompile(`^([A-Za-z0-9_.-]+?)-([0-9][A-Za-z0-9_.+!-]*)\.(tar\.gz|tar\.bz2|tar\.xz|zip|tgz|tar)$`)

// sdistNameVersion guesses name and version from an sdist file name
// ("pkg-1.0.tar.gz").
func sdistNameVersion(u string) (name, version string) {
	if vcsSchemes[urlScheme(u)] {
		return "", ""
	}
	m := sdistRE.FindStringSubmatch(linkFilename(u))
	if m == nil || !pep440.Valid(m[2]) {
		return "", ""
	}
	return m[1], m[2]
}

// nameVersionFromURL derives a project name (from #egg= or a wheel / sdist
// file name) and, for archives, the version. Used by the other manifest
// formats for their URL entries.
func nameVersionFromURL(u string) (name, version string) {
	if egg, err := eggFragment(u); err == nil && egg != "" {
		name = egg
	}
	file := linkFilename(u)
	if strings.HasSuffix(file, ".whl") {
		if n, v, err := parseWheelFilename(file); err == nil {
			if name == "" {
				name = n
			}
			return name, v
		}
		return name, ""
	}
	n, v := sdistNameVersion(u)
	if name == "" {
		name = n
	}
	return name, v
}

// redactURL hides the password or token of a URL's user information.
func redactURL(u string) string {
	scheme := urlScheme(u)
	if scheme == "" {
		return u
	}
	rest := u[len(scheme)+1:]
	if !strings.HasPrefix(rest, "//") {
		return u
	}
	host := rest[2:]
	end := strings.IndexAny(host, "/?#")
	if end < 0 {
		end = len(host)
	}
	at := strings.LastIndexByte(host[:end], '@')
	if at < 0 {
		return u
	}
	user := host[:at]
	if i := strings.IndexByte(user, ':'); i >= 0 {
		user = user[:i] + ":***"
	} else if user != "" && !strings.HasPrefix(user, "${") {
		// A lone token ("https://TOKEN@host") is a secret too; "git@"
		// is a user name.
		if user != "git" && len(user) > 12 {
			user = "***"
		}
	}
	return u[:len(scheme)+3] + user + host[at:]
}
