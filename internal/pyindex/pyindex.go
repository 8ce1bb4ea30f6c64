// Package pyindex reads where a Python project's packages come from: every
// place a package index, extra index, find-links location, trusted host or
// index strategy can be set for pip, uv, Poetry, Pipenv and PDM. It also
// lists the packages that install commands name (`pip install stripe` in a
// Dockerfile), which are dependencies too.
//
// Places read: pip.conf / pip.ini anywhere in the project; PIP_* / UV_* /
// PDM_* environment variables set in Dockerfiles (ENV, ARG defaults, RUN),
// compose files (environment, build args), CI workflows (any env or
// variables map, any script), .env files and shell scripts; install
// commands (pip, python -m pip, uv pip, uv add) in Dockerfiles, CI scripts
// and shell scripts, and `pip config set`; Pipfile [[source]] and [pipenv];
// pyproject.toml [[tool.poetry.source]], [tool.uv] / [[tool.uv.index]] and
// index-strategy, [[tool.pdm.source]] and respect-source-order; uv.toml.
// Options inside requirements files are parsed by internal/pydeps and
// converted here (FromPip).
//
// Like pydeps, everything is parse-only, and bad input becomes a warning.
package pyindex

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pydeps"
	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// Tool is the installer a setting is for.
type Tool string

const (
	Pip    Tool = "pip"
	UV     Tool = "uv"
	Poetry Tool = "poetry"
	Pipenv Tool = "pipenv"
	PDM    Tool = "pdm"
)

// Kind says what a setting does, as the tool that reads it treats it.
type Kind string

const (
	// Index replaces the default index (PyPI).
	Index Kind = "index"
	// ExtraIndex is consulted for every package beside the primary
	// index, and the tool takes the best version from any of them.
	ExtraIndex Kind = "extra-index"
	// OrderedIndex is consulted beside the primary, but the tool takes a
	// package from the first index that has it (uv's first-index
	// strategy, PDM respect-source-order).
	OrderedIndex Kind = "ordered-index"
	// FallbackIndex is consulted only for packages the primary does not
	// have (Poetry supplemental/secondary): a public package with the
	// name of a private one wins.
	FallbackIndex Kind = "fallback-index"
	// ScopedIndex serves only the packages pinned to it (Poetry and uv
	// explicit sources, PDM include_packages, Pipenv sources other than
	// the first).
	ScopedIndex Kind = "scoped-index"
	// FindLinks adds a page or directory of archives, merged with the
	// indexes like an extra index.
	FindLinks Kind = "find-links"
	// TrustedHost turns TLS verification off for a host (pip
	// --trusted-host, verify_ssl = false, uv allow-insecure-host).
	TrustedHost Kind = "trusted-host"
	// NoIndex turns index access off (only find-links/local archives).
	NoIndex Kind = "no-index"
	// Strategy is uv's index strategy (first-index, unsafe-first-match,
	// unsafe-best-match).
	Strategy Kind = "index-strategy"
	// RequireHashes is pip's --require-hashes (hash-checking mode).
	RequireHashes Kind = "require-hashes"
)

// Setting is one index-related setting at one place.
type Setting struct {
	File   string
	Line   int
	Tool   Tool
	Kind   Kind
	Value  string // URL, host or strategy, as written
	Name   string // source / index name when the tool names sources
	Origin string // how it is set, for messages: "pip.conf [global]", "Dockerfile ENV", "pip install option"
	// Command is the install command line the setting is an option of
	// ("" when not a command option), for evidence.
	Command string
}

// Install is a package named on an install command line.
type Install struct {
	File    string
	Line    int
	Tool    Tool
	Spec    string // the argument as written: "stripe==7.0.0", "-r requirements.txt" is not one
	Command string // the whole command, for evidence
	Origin  string
	// Hashed: the command installs with --require-hashes (or uv
	// --require-hashes); Constrained: -c/--constraint or -r is also given
	// (versions may be pinned elsewhere).
	Hashed      bool
	Constrained bool
}

// Result is what one file yields.
type Result struct {
	Settings []Setting
	Installs []Install
	Warnings []finding.Warning
}

// Wants is a cheap gate on a '/'-separated path: true for every file Read
// understands. Requirements files are read by internal/pydeps.
func Wants(rel string) bool {
	base := strings.ToLower(path.Base(rel))
	switch base {
	case "pip.conf", "pip.ini", "uv.toml", "pipfile", "pyproject.toml":
		return true
	}
	switch filekind.Classify(rel) {
	case filekind.Dockerfile, filekind.Compose, filekind.CI, filekind.Env, filekind.Shell:
		return true
	}
	return false
}

// MaxFileSize is the largest file Read parses.
const MaxFileSize = 4 << 20

// Read parses one file. rel is its '/'-separated path.
func Read(rel string, data []byte) (res Result) {
	r := &reader{file: rel}
	defer func() {
		if x := recover(); x != nil {
			r.warn(0, "internal error while reading index settings: %v", x)
			res = r.res
		}
	}()
	if len(data) > MaxFileSize {
		r.warn(0, "file too large for index settings (%d bytes); not read", len(data))
		return r.res
	}
	if strings.IndexByte(string(data[:min(len(data), 8192)]), 0) >= 0 {
		return r.res
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	base := strings.ToLower(path.Base(rel))
	switch {
	case base == "pip.conf" || base == "pip.ini":
		r.pipConf(text)
	case base == "uv.toml":
		r.uvToml(text)
	case base == "pipfile":
		r.pipfile(text)
	case base == "pyproject.toml":
		r.pyproject(text)
	default:
		switch filekind.Classify(rel) {
		case filekind.Dockerfile:
			r.dockerfile(text)
		case filekind.Compose, filekind.CI:
			r.yamlFile(text, filekind.Classify(rel))
		case filekind.Env:
			r.envFile(text)
		case filekind.Shell:
			r.shellScript(text)
		}
	}
	return r.res
}

type reader struct {
	file string
	res  Result
}

func (r *reader) warn(line int, format string, args ...any) {
	if len(r.res.Warnings) >= 100 {
		return
	}
	r.res.Warnings = append(r.res.Warnings, finding.Warning{File: r.file, Line: line, Kind: finding.WarnParse, Message: fmt.Sprintf(format, args...)})
}

func (r *reader) add(s Setting) {
	s.File = r.file
	s.Value = strings.TrimSpace(s.Value)
	if s.Value == "" && s.Kind != NoIndex && s.Kind != RequireHashes {
		return
	}
	r.res.Settings = append(r.res.Settings, s)
}

// URL facts -----------------------------------------------------------------

// pypiHosts serve PyPI itself.
var pypiHosts = map[string]bool{"pypi.org": true, "pypi.python.org": true, "files.pythonhosted.org": true, "test.pypi.org": false}

// IsPyPI reports whether an index URL is PyPI (pypi.org/simple and its
// historical hosts). Mirrors are not PyPI: they can serve anything.
func IsPyPI(raw string) bool {
	if strings.EqualFold(strings.TrimSpace(raw), "pypi") {
		return true
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return false
	}
	return pypiHosts[strings.ToLower(u.Hostname())]
}

// Host is the host part of a URL (or of host[:port] for trusted hosts).
func Host(raw string) string {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		h := raw
		if i := strings.IndexAny(h, "/"); i >= 0 {
			h = h[:i]
		}
		if hh, _, err := net.SplitHostPort(h); err == nil {
			return strings.ToLower(hh)
		}
		return strings.ToLower(h)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// IsPlainHTTP reports an http:// URL.
func IsPlainHTTP(raw string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(raw)), "http://")
}

// IsLoopback reports a host that never leaves the machine.
func IsLoopback(host string) bool {
	host = strings.Trim(strings.ToLower(host), "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return false
}

// IsLocalPath reports a find-links value that is a directory or file on the
// machine rather than a URL.
func IsLocalPath(raw string) bool {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(strings.ToLower(raw), "file:") {
		return true
	}
	return !strings.Contains(raw, "://")
}

// IsVariable reports text that is (or starts with) a variable reference the
// shell, CI system, Docker, pip.conf or a templating engine fills in.
func IsVariable(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "$") || strings.HasPrefix(s, "%(") || strings.HasPrefix(s, "{{") ||
		strings.HasPrefix(s, "%") && strings.HasSuffix(s, "%") && len(s) > 2 || strings.HasPrefix(s, "#{")
}

// Credentials are the user name and password embedded in a URL.
type Credentials struct {
	User, Password string
	// Secret is the part that grants access: the password, or a user
	// name that is itself a token ("https://<token>@host").
	Secret string
}

// URLCredentials returns the literal credentials a URL carries; ok is false
// when it has none, or when they are variable references (the safe way to
// pass them: "https://${PIP_USER}:${PIP_TOKEN}@host").
func URLCredentials(raw string) (Credentials, bool) {
	raw = strings.TrimSpace(raw)
	i := strings.Index(raw, "://")
	if i < 0 {
		return Credentials{}, false
	}
	rest := raw[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return Credentials{}, false
	}
	info := rest[:at]
	user, pass, hasPass := strings.Cut(info, ":")
	if u, err := url.PathUnescape(user); err == nil {
		user = u
	}
	if p, err := url.PathUnescape(pass); err == nil {
		pass = p
	}
	c := Credentials{User: user, Password: pass}
	switch {
	case hasPass && pass != "" && !IsVariable(pass) && !isPlaceholder(pass):
		c.Secret = pass
	case !hasPass && looksLikeToken(user):
		c.Secret = user
	default:
		return c, false
	}
	return c, true
}

// isPlaceholder: documentation values, not secrets.
func isPlaceholder(s string) bool {
	l := strings.ToLower(strings.Trim(s, "<>[]{}*"))
	switch l {
	case "", "password", "pass", "passwd", "secret", "token", "changeme", "xxx", "xxxx", "****", "...", "…", "redacted", "your-token", "your_token", "yourtoken", "mytoken":
		return true
	}
	return strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") || strings.Trim(s, "*x.") == ""
}

// looksLikeToken: a user name that is a credential (a long random string),
// as in https://<token>@gitlab.example/api/v4/projects/1/packages/pypi/simple.
func looksLikeToken(s string) bool {
	if len(s) < 20 || IsVariable(s) || isPlaceholder(s) {
		return false
	}
	digits, letters := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
		}
	}
	return digits >= 3 && letters >= 3
}

// RedactURL hides the secret of a URL's credentials, keeping its last four
// characters so people can tell which credential it was.
func RedactURL(raw string) string {
	c, ok := URLCredentials(raw)
	if !ok {
		return raw
	}
	return strings.Replace(raw, c.Secret, RedactSecret(c.Secret), 1)
}

// RedactSecret is "…" plus the last four characters of a long secret.
func RedactSecret(s string) string {
	if len(s) <= 12 {
		return "…"
	}
	return "…" + s[len(s)-4:]
}

// StripCredentials removes the credentials of a URL (for messages).
func StripCredentials(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	end := len(rest)
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		end = j
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		return raw[:i+3] + rest[at+1:]
	}
	return raw
}

// FromPip converts an option read from a requirements file (or a conda pip
// section) by internal/pydeps; ok is false for options that are not about
// indexes or hash checking.
func FromPip(s pydeps.IndexSetting) (Setting, bool) {
	kinds := map[string]Kind{
		"--index-url": Index, "--extra-index-url": ExtraIndex, "--find-links": FindLinks,
		"--trusted-host": TrustedHost, "--no-index": NoIndex, "--require-hashes": RequireHashes,
	}
	k, ok := kinds[s.Option]
	if !ok {
		return Setting{}, false
	}
	return Setting{File: s.File, Line: s.Line, Tool: Pip, Kind: k, Value: strings.TrimSpace(s.Value), Origin: "requirements file option " + s.Option}, true
}
