package pydeps

import (
	"bytes"
	"path"
	"regexp"
	"strings"
)

// Requirements files are often found by name (requirements*.txt), but pip
// reads whatever file a command names: "pip install -r deps/prod.pip -c
// pins.txt" in a Dockerfile, a CI workflow, a shell script, a Makefile or a
// tox.ini. PipFileRefs finds those names so that the audit reads the same
// files pip will.

// PipFileRef is a requirements or constraints file named by a pip command.
type PipFileRef struct {
	Line       int
	Target     string // as written (may be absolute, relative to an unknown working directory)
	Constraint bool   // -c / --constraint
}

// MayNamePipFiles is a cheap gate on a '/'-separated path: files in which
// PipFileRefs looks for pip commands.
func MayNamePipFiles(rel string) bool {
	base := strings.ToLower(path.Base(rel))
	ext := path.Ext(base)
	switch {
	case base == "dockerfile" || strings.HasPrefix(base, "dockerfile.") || strings.HasSuffix(base, ".dockerfile") ||
		base == "containerfile":
		return true
	case base == "makefile" || base == "gnumakefile" || strings.HasSuffix(base, ".mk"):
		return true
	case base == "tox.ini" || base == "procfile" || base == ".readthedocs.yml" || base == ".readthedocs.yaml":
		return true
	case ext == ".sh" || ext == ".bash" || ext == ".ps1" || ext == ".bat" || ext == ".cmd":
		return true
	case ext == ".yml" || ext == ".yaml":
		lower := strings.ToLower(rel)
		return strings.Contains(lower, ".github/workflows/") || strings.Contains(lower, ".github/actions/") ||
			strings.HasPrefix(base, ".gitlab-ci") || strings.Contains(lower, ".circleci/") ||
			strings.HasPrefix(base, "azure-pipelines") || strings.HasPrefix(base, "bitbucket-pipelines") ||
			base == ".travis.yml" || strings.Contains(lower, ".buildkite/") || strings.HasPrefix(base, "cloudbuild") ||
			strings.HasPrefix(base, "docker-compose") || strings.HasPrefix(base, "compose.")
	}
	return false
}

// pipCommandRE finds the start of a pip invocation that reads
// requirements files: pip/pip3/pip3.12 install, python -m pip install,
// uv pip install|sync, pip-sync.
var pipCommandRE = regexp.MustCompile(`(?:^|[\s;&|(` + "`" + `"'])(?:(?:python[0-9.]*|py)\s+-m\s+pip|pip[0-9.]*|uv\s+pip)\s+(install|sync)\b|(?:^|[\s;&|(` + "`" + `"'])(pip-sync)\b`)

// PipFileRefs lists the requirements and constraints files named by pip
// commands in a script, Dockerfile, CI workflow, Makefile or tox.ini.
// Targets holding shell or template variables are left out: their value is
// not known to a scan.
func PipFileRefs(rel string, data []byte) []PipFileRef {
	base := strings.ToLower(path.Base(rel))
	text := string(data)
	var refs []PipFileRef
	add := func(line int, target string, constraint bool) {
		target = strings.TrimSpace(strings.Trim(target, `"'`))
		target = strings.TrimPrefix(target, "{toxinidir}/")
		if target == "" || strings.ContainsAny(target, "${}%*?") || strings.HasPrefix(target, "-") {
			return
		}
		if s := urlScheme(target); s == "http" || s == "https" {
			return
		}
		refs = append(refs, PipFileRef{Line: line, Target: target, Constraint: constraint})
	}
	lines := strings.Split(text, "\n")
	if base == "tox.ini" {
		// deps = -rrequirements.txt / -r{toxinidir}/requirements/test.txt
		for i, l := range lines {
			t := strings.TrimSpace(l)
			t = strings.TrimSpace(strings.TrimPrefix(t, "deps"))
			t = strings.TrimSpace(strings.TrimPrefix(t, "="))
			for _, f := range strings.Fields(t) {
				switch {
				case strings.HasPrefix(f, "-r") && len(f) > 2:
					add(i+1, f[2:], false)
				case strings.HasPrefix(f, "-c") && len(f) > 2:
					add(i+1, f[2:], true)
				}
			}
		}
	}
	if strings.HasPrefix(base, ".readthedocs.y") {
		for i, l := range lines {
			t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
			if v, ok := strings.CutPrefix(t, "requirements:"); ok {
				add(i+1, v, false)
			}
		}
	}
	// Join backslash (and PowerShell backtick) continuations, keeping the
	// first line's number.
	for i := 0; i < len(lines); i++ {
		start := i
		l := strings.TrimRight(lines[i], " \t\r")
		for (strings.HasSuffix(l, `\`) || strings.HasSuffix(l, "`")) && i+1 < len(lines) {
			i++
			l = l[:len(l)-1] + " " + strings.TrimRight(lines[i], " \t\r")
		}
		for _, m := range pipCommandRE.FindAllStringSubmatchIndex(l, -1) {
			verb := ""
			if m[2] >= 0 {
				verb = l[m[2]:m[3]]
			} else {
				verb = l[m[4]:m[5]]
			}
			args := pipCommandArgs(l[m[1]:])
			positionalFiles := verb == "sync" || verb == "pip-sync"
			for j := 0; j < len(args); j++ {
				a := args[j]
				next := func() string {
					if j+1 < len(args) {
						j++
						return args[j]
					}
					return ""
				}
				switch {
				case a == "-r" || a == "--requirement" || a == "--requirements":
					add(start+1, next(), false)
				case a == "-c" || a == "--constraint" || a == "--constraints":
					add(start+1, next(), true)
				case strings.HasPrefix(a, "--requirement="):
					add(start+1, a[len("--requirement="):], false)
				case strings.HasPrefix(a, "--constraint="):
					add(start+1, a[len("--constraint="):], true)
				case strings.HasPrefix(a, "-r") && !strings.HasPrefix(a, "--"):
					add(start+1, a[2:], false)
				case strings.HasPrefix(a, "-c") && !strings.HasPrefix(a, "--"):
					add(start+1, a[2:], true)
				case positionalFiles && !strings.HasPrefix(a, "-") && (strings.HasSuffix(a, ".txt") || strings.HasSuffix(a, ".in")):
					add(start+1, a, false)
				}
			}
		}
	}
	return refs
}

// pipCommandArgs splits the rest of a shell command into words, stopping
// at the end of the command (; && || | ) or a comment).
func pipCommandArgs(s string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		case c == ';' || c == '&' || c == '|' || c == ')' || c == '`' || c == '\n' || c == ']' || c == ',':
			flush()
			return out
		case c == '#' && cur.Len() == 0:
			return out
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// CandidatePaths lists where a file named by a pip command may sit in the
// scanned tree, most likely first: relative to the naming file's
// directory, then to the root; an absolute path (a container's WORKDIR,
// /app/requirements.txt) with its leading directories dropped one by one.
func CandidatePaths(from, target string) []string {
	target = strings.ReplaceAll(target, `\`, "/")
	var tails []string
	if strings.HasPrefix(target, "/") {
		parts := strings.Split(strings.Trim(target, "/"), "/")
		for i := range parts {
			tails = append(tails, strings.Join(parts[i:], "/"))
		}
	} else {
		tails = []string{target}
	}
	var out []string
	seen := map[string]bool{}
	dir := path.Dir(from)
	if ciConfigDir(from) {
		// CI jobs run from the repository root (.github/workflows/ci.yml's
		// "pip install -r requirements.txt" is the root's, not a file
		// beside the workflow).
		dir = "."
	}
	for _, t := range tails {
		for _, c := range []string{path.Join(dir, t), path.Clean(t)} {
			if c == "." || c == ".." || strings.HasPrefix(c, "../") || seen[c] {
				continue
			}
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// ciConfigDir: from is a CI configuration file kept in a directory of its
// own (GitHub Actions, CircleCI, Buildkite), whose commands run in the
// checkout's root.
func ciConfigDir(from string) bool {
	for _, d := range []string{".github/", ".circleci/", ".buildkite/"} {
		if strings.HasPrefix(from, d) || strings.Contains(from, "/"+d) {
			return true
		}
	}
	return false
}

// compileHeaderRE matches the command line pip-compile and uv write at the
// top of a compiled requirements file.
var compileHeaderRE = regexp.MustCompile(`(?i)\b(pip-compile|uv pip compile)\b`)

// CompiledFrom reports the input files (pip-tools .in files, pyproject.toml,
// setup.py…) that the header of a compiled requirements file names, as
// candidate paths in the tree (see CandidatePaths). Nil when the file was
// not written by pip-compile or uv pip compile.
func CompiledFrom(rel string, data []byte) []string {
	if len(data) > 16<<10 {
		data = data[:16<<10]
	}
	if !bytes.Contains(data, []byte("compile")) {
		return nil // the cheap gate for every .txt of a tree
	}
	out := []string{}
	header := false
	for _, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if !strings.HasPrefix(t, "#") {
			break // the header is the leading comment block
		}
		if compileHeaderRE.MatchString(t) {
			header = true
		}
		if !header {
			continue
		}
		for _, w := range strings.Fields(strings.TrimLeft(t, "# ")) {
			if strings.HasPrefix(w, "-") {
				continue // options, --output-file=this file
			}
			lw := strings.ToLower(w)
			if strings.HasSuffix(lw, ".in") || strings.HasSuffix(lw, ".txt") || path.Base(lw) == "pyproject.toml" ||
				path.Base(lw) == "setup.py" || path.Base(lw) == "setup.cfg" {
				if path.Clean(w) == path.Base(rel) || path.Clean(w) == rel {
					continue
				}
				out = append(out, CandidatePaths(rel, w)...)
			}
		}
	}
	if !header {
		return nil
	}
	return out
}
