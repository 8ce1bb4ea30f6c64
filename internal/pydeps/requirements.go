package pydeps

import (
	"net/url"
	"path"
	"regexp"
	"strings"
)

// Limits on -r/-c includes.
const (
	maxIncludeDepth = 32
	maxIncludeFiles = 256
	maxIncludeBytes = 32 << 20 // all included files together
)

var (
	schemeRE   = regexp.MustCompile(`^(?i)[a-z][a-z0-9+.-]*:`)
	vcsRE      = regexp.MustCompile(`^(?i)(git|hg|svn|bzr)\+`)
	urlReqRE   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(\[[^\]]*\])?\s*@`)
	hashRE     = regexp.MustCompile(`^[A-Za-z0-9_]+:[A-Fa-f0-9]+$`)
	wheelRE    = regexp.MustCompile(`^([A-Za-z0-9_.]+)-([^-]+)(-[0-9][^-]*)?-[^-]+-[^-]+-[^-]+\.whl$`)
	sdistRE    = regexp.MustCompile(`^([A-Za-z0-9_.-]+?)-([0-9][A-Za-z0-9_.+!-]*)\.(tar\.gz|tar\.bz2|tar\.xz|zip|tgz|tar)$`)
	archiveExt = []string{".whl", ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip"}
)

// pip options allowed in requirements files: long name -> takes a value.
var reqOptions = map[string]bool{
	"--requirement": true, "--constraint": true, "--editable": true,
	"--index-url": true, "--extra-index-url": true, "--no-index": false,
	"--find-links": true, "--trusted-host": true, "--pre": false,
	"--require-hashes": false, "--no-require-hashes": false, "--hash": true,
	"--prefer-binary": false, "--only-binary": true, "--no-binary": true,
	"--use-feature": true, "--config-settings": true, "--global-option": true,
	"--install-option": true, "--no-deps": false, "--no-build-isolation": false,
}

var shortOptions = map[string]string{
	"-r": "--requirement", "-c": "--constraint", "-e": "--editable",
	"-i": "--index-url", "-f": "--find-links", "-C": "--config-settings",
}

// recordedOptions become IndexSettings.
var recordedOptions = map[string]bool{
	"--index-url": true, "--extra-index-url": true, "--trusted-host": true,
	"--find-links": true, "--no-index": true, "--pre": true,
	"--require-hashes": true, "--no-require-hashes": true,
}

// stripComment removes a '#' comment that starts the line or follows
// whitespace (pip's COMMENT_RE); '#' inside a URL fragment stays.
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

type logicalLine struct {
	line int
	text string
}

// joinLines applies pip's backslash continuation rules.
func joinLines(data []byte) []logicalLine {
	var out []logicalLine
	var cur []string
	start := 0
	for i, l := range splitLines(data) {
		n := i + 1
		isComment := strings.HasPrefix(strings.TrimLeft(l, " \t"), "#")
		if !strings.HasSuffix(l, `\`) || isComment {
			if isComment {
				l = " " + l
			}
			if cur != nil {
				cur = append(cur, l)
				out = append(out, logicalLine{start, strings.Join(cur, "")})
				cur = nil
			} else {
				out = append(out, logicalLine{n, l})
			}
			continue
		}
		if cur == nil {
			start = n
		}
		cur = append(cur, strings.Trim(l, `\`))
	}
	if cur != nil {
		out = append(out, logicalLine{start, strings.Join(cur, "")})
	}
	return out
}

// parseRequirementsFile parses a pip requirements file; direct is false for
// -c constraints files.
func (p *parser) parseRequirementsFile(rel string, data []byte, direct bool) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	p.seen[rel] = true
	p.nFiles++
	p.stack = append(p.stack, rel)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	for _, ll := range joinLines(data) {
		p.parseRequirementLine(rel, ll.line, ll.text, direct, SourceRequirements)
	}
}

// shlexSplit splits like Python's shlex.split (POSIX mode, no comments).
func shlexSplit(s string) ([]string, bool) {
	var out []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			in = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out, quote == 0
}

// breakArgsOptions splits a line at the first whitespace-separated token
// that starts with '-' (pip's break_args_options).
func breakArgsOptions(s string) (args, opts string) {
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '-' {
			return strings.TrimSpace(s[:i]), s[i:]
		}
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			i++
		}
	}
	return strings.TrimSpace(s), ""
}

type lineOpt struct{ name, value string }

// parseOptions turns option tokens into (long name, value) pairs.
func (p *parser) parseOptions(file string, line int, opts string) []lineOpt {
	toks, ok := shlexSplit(opts)
	if !ok {
		p.warn(file, line, "unbalanced quotes in options %q", truncate(opts))
	}
	var out []lineOpt
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		name, value, hasValue := t, "", false
		if strings.HasPrefix(t, "--") {
			if eq := strings.IndexByte(t, '='); eq >= 0 {
				name, value, hasValue = t[:eq], t[eq+1:], true
			}
		} else if strings.HasPrefix(t, "-") && len(t) >= 2 {
			long, ok := shortOptions[t[:2]]
			if !ok {
				p.warn(file, line, "unknown option %q", t)
				continue
			}
			name = long
			if len(t) > 2 {
				value, hasValue = strings.TrimPrefix(t[2:], "="), true
			}
		} else {
			p.warn(file, line, "unexpected argument %q after options", truncate(t))
			continue
		}
		takes, known := reqOptions[name]
		if !known {
			p.warn(file, line, "unknown option %q", name)
			continue
		}
		if takes && !hasValue {
			if i+1 >= len(toks) {
				p.warn(file, line, "option %s needs a value", name)
				continue
			}
			i++
			value = toks[i]
		} else if !takes && hasValue {
			p.warn(file, line, "option %s takes no value", name)
		}
		out = append(out, lineOpt{name, value})
	}
	return out
}

// parseRequirementLine handles one logical line of a requirements file (or
// of a conda pip: list or a PDM dev-dependency).
func (p *parser) parseRequirementLine(file string, line int, text string, direct bool, src Source) {
	text = strings.TrimSpace(stripComment(text))
	if text == "" {
		return
	}
	args, optText := breakArgsOptions(text)
	opts := p.parseOptions(file, line, optText)
	var hashes []string
	editable := ""
	isEditable := false
	for _, o := range opts {
		switch o.name {
		case "--hash":
			if !hashRE.MatchString(o.value) {
				p.warn(file, line, "malformed --hash value %q", truncate(o.value))
			}
			hashes = append(hashes, o.value)
		case "--requirement", "--constraint":
			if args != "" {
				p.warn(file, line, "%s cannot follow a requirement", o.name)
				continue
			}
			p.include(file, line, o.value, direct && o.name == "--requirement")
		case "--editable":
			editable, isEditable = o.value, true
		case "--index-url":
			if p.firstIdx == "" {
				p.firstIdx = o.value
			}
		}
		if recordedOptions[o.name] {
			if args != "" {
				p.warn(file, line, "%s cannot follow a requirement", o.name)
			}
			p.indexes = append(p.indexes, IndexSetting{File: file, Line: line, Option: o.name, Value: o.value})
		}
	}
	spec := args
	if isEditable {
		if args != "" {
			p.warn(file, line, "unexpected %q before -e", truncate(args))
		}
		spec = editable
	}
	if spec == "" {
		if len(hashes) > 0 {
			p.warn(file, line, "--hash without a requirement")
		}
		return
	}
	r, err := requirementFromSpec(spec, isEditable)
	if err != nil {
		p.warn(file, line, "invalid requirement: %v", err)
		if !isMarkerError(err) {
			return
		}
	}
	r.Source, r.File, r.Line, r.Direct, r.Hashes = src, file, line, direct, hashes
	p.add(r)
}

// requirementFromSpec parses the requirement part of a pip line: a PEP 508
// string, a URL / VCS URL (with #egg=), or a local path / archive.
func requirementFromSpec(spec string, editable bool) (Requirement, error) {
	var r Requirement
	r.Editable = editable
	if !editable && urlReqRE.MatchString(spec) || !editable && !looksLikeURLOrPath(spec) {
		q, err := parsePEP508(spec)
		if err != nil && !isMarkerError(err) {
			return r, err
		}
		r.RawName, r.Extras, r.Specifier, r.URL, r.Marker = q.Name, q.Extras, q.Specifier, q.URL, q.Marker
		r.Version = pinOf(r.Specifier)
		if r.URL != "" {
			_, r.Version = nameVersionFromURL(r.URL)
		}
		return r, err
	}
	// URL or path, optionally followed by "; marker" (pip requires the
	// space after ';' for URLs, whose fragments may contain ';').
	var markerErr error
	loc := spec
	sep := ";"
	if schemeRE.MatchString(spec) {
		sep = "; "
	}
	if i := strings.Index(spec, sep); i >= 0 {
		loc, r.Marker = strings.TrimSpace(spec[:i]), strings.TrimSpace(spec[i+1:])
		markerErr = checkMarker(r.Marker)
	}
	// Trailing [extras] on a path.
	if strings.HasSuffix(loc, "]") {
		if i := strings.LastIndexByte(loc, '['); i > 0 {
			for _, e := range strings.Split(loc[i+1:len(loc)-1], ",") {
				if e = strings.TrimSpace(e); e != "" {
					r.Extras = append(r.Extras, e)
				}
			}
			loc = loc[:i]
		}
	}
	if loc == "" {
		return r, errEmpty
	}
	r.URL = loc
	r.RawName, r.Version = nameVersionFromURL(loc)
	return r, markerErr
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errEmpty = constErr("empty URL or path")

func looksLikeURLOrPath(s string) bool {
	first := s
	if i := strings.IndexAny(s, " \t;"); i >= 0 {
		first = s[:i]
	}
	if strings.Contains(first, "://") || strings.HasPrefix(strings.ToLower(first), "file:") || vcsRE.MatchString(first) {
		return true
	}
	if strings.HasPrefix(first, ".") || strings.HasPrefix(first, "/") || strings.HasPrefix(first, "~") ||
		strings.ContainsAny(first, `/\`) {
		return true
	}
	lower := strings.ToLower(first)
	for _, e := range archiveExt {
		if strings.HasSuffix(lower, e) {
			return true
		}
	}
	return false
}

// nameVersionFromURL derives a project name (from #egg= or a wheel / sdist
// file name) and, for archives, the version.
func nameVersionFromURL(u string) (name, version string) {
	frag := ""
	base := u
	if i := strings.IndexByte(u, '#'); i >= 0 {
		frag, base = u[i+1:], u[:i]
	}
	if frag != "" {
		if vals, err := url.ParseQuery(frag); err == nil {
			if egg := vals.Get("egg"); egg != "" {
				if j := strings.IndexByte(egg, '['); j >= 0 {
					egg = egg[:j]
				}
				if validName.MatchString(egg) {
					name = egg
				}
			}
		}
	}
	if i := strings.IndexByte(base, '?'); i >= 0 {
		base = base[:i]
	}
	if vcsRE.MatchString(base) {
		return name, ""
	}
	file := path.Base(strings.ReplaceAll(base, `\`, "/"))
	if m := wheelRE.FindStringSubmatch(file); m != nil {
		if name == "" {
			name = m[1]
		}
		return name, m[2]
	}
	if m := sdistRE.FindStringSubmatch(file); m != nil {
		if name == "" {
			name = m[1]
		}
		return name, m[2]
	}
	return name, ""
}

// include follows -r/-c target from file.
func (p *parser) include(file string, line int, target string, direct bool) {
	if target == "" {
		p.warn(file, line, "empty include path")
		return
	}
	if schemeRE.MatchString(target) && !strings.HasPrefix(strings.ToLower(target), "file:") && len(target) > 2 && target[1] != ':' {
		p.warn(file, line, "remote include %q not followed", truncate(target))
		return
	}
	target = strings.TrimPrefix(target, "file:")
	if path.IsAbs(target) || strings.HasPrefix(target, `\`) || (len(target) > 1 && target[1] == ':') {
		p.warn(file, line, "absolute include path %q not followed", truncate(target))
		return
	}
	inc := path.Clean(path.Join(path.Dir(file), strings.ReplaceAll(target, `\`, "/")))
	if inc == ".." || strings.HasPrefix(inc, "../") {
		p.warn(file, line, "include %q points outside the scanned tree; not followed", truncate(target))
		return
	}
	for _, s := range p.stack {
		if s == inc {
			p.warn(file, line, "include cycle: %s -> %s", strings.Join(p.stack, " -> "), inc)
			return
		}
	}
	if p.seen[inc] {
		return
	}
	if len(p.stack) >= maxIncludeDepth || p.nFiles >= maxIncludeFiles {
		p.warn(file, line, "too many nested includes; %s not followed", inc)
		return
	}
	if p.read == nil {
		p.warn(file, line, "cannot read included file %s: no reader", inc)
		return
	}
	data, err := p.read(inc)
	if err != nil {
		p.warn(file, line, "cannot read included file %s: %v", inc, err)
		return
	}
	data = decodeText(data)
	if !p.checkData(inc, data) {
		return
	}
	p.inclBytes += len(data)
	if p.inclBytes > maxIncludeBytes {
		p.warn(file, line, "included files exceed %d bytes in total; %s not parsed", maxIncludeBytes, inc)
		return
	}
	p.parseRequirementsFile(inc, data, direct)
}
