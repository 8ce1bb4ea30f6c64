package pydeps

import (
	"path"
	"strings"
	"unicode/utf8"
)

// Requirements files are read the way pip reads them (pip's
// pip._internal.req.req_file and req.constructors, current pip): the file
// is decoded (BOM, PEP 263 coding line, else UTF-8), split into lines as
// Python's str.splitlines does, backslash continuations joined, comments
// ("#" at the start or after whitespace) removed, each line cut at the
// first space-separated token that starts with "-" into a requirement part
// and an option part, the option part shlex-split and parsed like optparse
// (abbreviated long options, "--opt=value", "-ovalue", later positional
// words ignored), and the requirement part parsed as a URL, a local path
// or archive, or a PEP 508 string (requirements_line.go).
//
// Where pip refuses a line (unknown option, option without its value,
// invalid requirement, --hash with a weak algorithm) the parser warns and
// skips that line; where pip is silent it is silent too. Two things pip
// does are out of reach of a parse-only scanner: ${VAR} references are not
// expanded (the scan does not know the install environment), and local
// paths are not checked for existence (pip resolves them against its
// working directory, unknown here).
//
// The differential test (pipdiff_test.go) runs pip's own parser over the
// corpus in testdata/pipdiff and compares.

// Limits on -r/-c includes.
const (
	maxIncludeDepth = 32
	maxIncludeFiles = 256
	maxIncludeBytes = 32 << 20 // all included files together
)

// logicalLine is one line after continuation joining, numbered by its
// first physical line.
type logicalLine struct {
	line int
	text string
}

// pySplitLines splits like Python's str.splitlines: on \n, \r, \r\n, \v,
// \f, \x1c, \x1d, \x1e, \x85, U+2028 and U+2029. A bare CR ends a line
// (old Mac files), so it is never glued into a version.
func pySplitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		n := 0
		switch {
		case c == '\n' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e:
			n = 1
		case c == '\r':
			n = 1
			if i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x85:
			n = 2
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9):
			n = 3
		}
		if n == 0 {
			i++
			continue
		}
		out = append(out, s[start:i])
		i += n
		start = i
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// isPySpace is Python's str.isspace for one rune.
func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func pyStrip(s string) string { return strings.TrimFunc(s, isPySpace) }

// commentStart is where pip's COMMENT_RE, (^|\s+)#.*$, starts matching in
// s (the whitespace before '#' is part of the comment), or -1.
func commentStart(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '#' {
			continue
		}
		j := i
		for j > 0 {
			r, n := utf8.DecodeLastRuneInString(s[:j])
			if !isPySpace(r) {
				break
			}
			j -= n
		}
		if j == 0 || j < i {
			return j
		}
	}
	return -1
}

// isCommentLine is COMMENT_RE.match: the line starts with optional
// whitespace and '#'.
func isCommentLine(s string) bool {
	t := strings.TrimLeftFunc(s, isPySpace)
	return strings.HasPrefix(t, "#")
}

// preprocess is pip's preprocess(): split, join continuations, drop
// comments and blank lines. A comment line ends a continuation and never
// continues itself.
func preprocess(text string) []logicalLine {
	var joined []logicalLine
	var cur []string
	start := 0
	for i, l := range pySplitLines(text) {
		n := i + 1
		comment := isCommentLine(l)
		if !strings.HasSuffix(l, `\`) || comment {
			if comment {
				l = " " + l
			}
			if cur != nil {
				cur = append(cur, l)
				joined = append(joined, logicalLine{start, strings.Join(cur, "")})
				cur = nil
			} else {
				joined = append(joined, logicalLine{n, l})
			}
			continue
		}
		if cur == nil {
			start = n
		}
		cur = append(cur, strings.Trim(l, `\`))
	}
	if cur != nil {
		joined = append(joined, logicalLine{start, strings.Join(cur, "")})
	}
	out := joined[:0]
	for _, ll := range joined {
		if i := commentStart(ll.text); i >= 0 {
			ll.text = ll.text[:i]
		}
		ll.text = pyStrip(ll.text)
		if ll.text != "" {
			out = append(out, ll)
		}
	}
	return out
}

// breakArgsOptions is pip's break_args_options: the line is split on
// single spaces (not tabs) and the options start at the first token that
// begins with '-'.
func breakArgsOptions(line string) (args, opts string) {
	toks := strings.Split(line, " ")
	for i, t := range toks {
		if strings.HasPrefix(t, "-") {
			return strings.Join(toks[:i], " "), strings.Join(toks[i:], " ")
		}
	}
	return line, ""
}

// parseRequirementsFile parses a pip requirements file. constraint is true
// for -c constraints files, whose entries only pin versions.
func (p *parser) parseRequirementsFile(rel string, text string, constraint bool) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	p.seen[rel] = true
	p.nFiles++
	p.stack = append(p.stack, rel)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	for _, ll := range preprocess(text) {
		p.parseRequirementLine(rel, ll.line, ll.text, constraint, SourceRequirements)
	}
}

// parseRequirementLine handles one logical line of a requirements file (or
// of a conda pip: list or a PDM dev-dependency): pip's parse_line,
// handle_requirement_line and handle_option_line.
func (p *parser) parseRequirementLine(file string, line int, text string, constraint bool, src Source) {
	text = pyStrip(text)
	if text == "" {
		return
	}
	args, optText := breakArgsOptions(text)
	opts, err := parsePipOptions(optText)
	if err != nil {
		p.reject(file, line, "%v", err)
		return
	}
	spec, editable := args, false
	switch {
	case args != "":
		// Current pip makes the line editable whenever -e is present,
		// even when a requirement precedes it.
		editable = len(opts.editables) > 0
	case len(opts.editables) > 0:
		spec, editable = opts.editables[0], true
	}
	if spec == "" {
		p.optionLine(file, line, opts, constraint)
		return
	}
	// Options that are not per-requirement (-r, -i, --pre, …) are
	// ignored by pip on a requirement line.
	r, err := requirementFromLine(spec, editable)
	if err != nil {
		p.reject(file, line, "%v", err)
		if !isMarkerError(err) {
			return
		}
	}
	r.Source, r.File, r.Line, r.Direct = src, file, line, !constraint
	if !editable {
		// pip passes no --hash to an editable requirement.
		r.Hashes = opts.hashes
	}
	if constraint {
		r.Name, r.Constraint = Normalize(r.RawName), true
		p.constraints = append(p.constraints, r)
		return
	}
	p.add(r)
}

// optionLine applies a line that holds options only: includes and the
// package-index settings, which pip applies to the whole run.
func (p *parser) optionLine(file string, line int, o *pipOpts, constraint bool) {
	switch {
	case len(o.requirements) > 0:
		// pip follows only the first -r of a line; -r beats -c, and a
		// -r file is a requirements file even inside a constraints file.
		// The other options of an include line are not applied.
		p.include(file, line, o.requirements[0], false)
		return
	case len(o.constraints) > 0:
		p.include(file, line, o.constraints[0], true)
		return
	}
	if len(o.hashes) > 0 {
		p.warn(file, line, "--hash without a requirement on the same line is ignored (pip warns too)")
	}
	rec := func(opt, value string) {
		p.indexes = append(p.indexes, IndexSetting{File: file, Line: line, Option: opt, Value: value})
	}
	if o.indexURL != nil && *o.indexURL != "" { // pip ignores an empty one
		rec("--index-url", *o.indexURL)
		if p.firstIdx == "" {
			p.firstIdx = *o.indexURL
		}
	}
	for _, v := range o.extraIndexURLs {
		rec("--extra-index-url", v)
	}
	for _, v := range o.trustedHosts {
		rec("--trusted-host", v)
	}
	for _, v := range o.findLinks {
		rec("--find-links", v)
	}
	for _, f := range []struct {
		set  bool
		name string
	}{{o.noIndex, "--no-index"}, {o.pre, "--pre"}, {o.requireHashes, "--require-hashes"}, {o.noRequireHashes, "--no-require-hashes"}} {
		if f.set {
			rec(f.name, "")
		}
	}
}

// reject records a line pip refuses (its install would fail).
func (p *parser) reject(file string, line int, format string, args ...any) {
	if p.rejected == 0 && p.accepted() == 0 {
		p.refusedFirst = true
	}
	p.rejected++
	p.warn(file, line, "pip rejects this line: "+format, args...)
}

// include follows a -r/-c target from file. pip resolves it against the
// including file's directory; remote and absolute targets are not read by
// a scan of one tree.
func (p *parser) include(file string, line int, target string, constraint bool) {
	if target == "" {
		p.warn(file, line, "empty include path")
		return
	}
	lower := strings.ToLower(target)
	if scheme := urlScheme(target); scheme == "http" || scheme == "https" {
		p.warn(file, line, "remote include %q not followed: the scan reads local files only", truncate(redactURL(target)))
		return
	}
	if strings.HasPrefix(lower, "file:") {
		target = fileURLPath(target)
	}
	if path.IsAbs(target) || strings.HasPrefix(target, `\`) || (len(target) > 1 && target[1] == ':') {
		p.warn(file, line, "absolute include path %q not followed", truncate(target))
		return
	}
	inc := path.Clean(path.Join(path.Dir(file), strings.ReplaceAll(target, `\`, "/")))
	if inc == ".." || strings.HasPrefix(inc, "../") {
		p.warn(file, line, "include %q points outside the scanned tree; not followed", truncate(target))
		return
	}
	p.includes = append(p.includes, Include{File: file, Line: line, Target: inc, Constraint: constraint})
	for _, s := range p.stack {
		if s == inc {
			// pip 24.3+ fails on a recursive include.
			p.reject(file, line, "%s includes itself: %s -> %s", inc, strings.Join(p.stack, " -> "), inc)
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
		// pip fails on a missing include.
		p.reject(file, line, "cannot read included file %s: %v", inc, err)
		return
	}
	p.inclBytes += len(data)
	if p.inclBytes > maxIncludeBytes {
		p.warn(file, line, "included files exceed %d bytes in total; %s not parsed", maxIncludeBytes, inc)
		return
	}
	if text, ok := p.decodeReqFile(inc, data); ok {
		p.parseRequirementsFile(inc, text, constraint)
	}
}

// fileURLPath turns file:///abs, file://localhost/abs and file:rel into a
// path.
func fileURLPath(u string) string {
	rest := u[len("file:"):]
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[i:]
		} else {
			rest = "/"
		}
	}
	return rest
}
