package pyindex

import (
	"strings"
)

// envVar is what an environment variable sets. pip reads every option as
// PIP_<OPTION>, uv as UV_<OPTION>; values with several items are separated
// by whitespace.
type envVar struct {
	tool  Tool
	kind  Kind
	multi bool
}

var envVars = map[string]envVar{
	"PIP_INDEX_URL":       {Pip, Index, false},
	"PIP_EXTRA_INDEX_URL": {Pip, ExtraIndex, true},
	"PIP_FIND_LINKS":      {Pip, FindLinks, true},
	"PIP_TRUSTED_HOST":    {Pip, TrustedHost, true},
	"PIP_NO_INDEX":        {Pip, NoIndex, false},
	"PIP_REQUIRE_HASHES":  {Pip, RequireHashes, false},
	"UV_INDEX_URL":        {UV, Index, false},
	"UV_DEFAULT_INDEX":    {UV, Index, false},
	"UV_EXTRA_INDEX_URL":  {UV, OrderedIndex, true},
	"UV_INDEX":            {UV, OrderedIndex, true},
	"UV_FIND_LINKS":       {UV, FindLinks, true},
	"UV_INDEX_STRATEGY":   {UV, Strategy, false},
	"UV_INSECURE_HOST":    {UV, TrustedHost, true},
	"UV_NO_INDEX":         {UV, NoIndex, false},
	"UV_REQUIRE_HASHES":   {UV, RequireHashes, false},
	"PIPENV_PYPI_MIRROR":  {Pipenv, Index, false},
	"PDM_PYPI_URL":        {PDM, Index, false},
}

// IsIndexEnv reports whether an environment variable name sets package
// index configuration.
func IsIndexEnv(name string) bool {
	_, ok := envVars[strings.ToUpper(name)]
	return ok
}

// env records one environment variable assignment.
func (r *reader) env(name, value string, line int, origin string) {
	ev, ok := envVars[strings.ToUpper(name)]
	if !ok {
		return
	}
	value = unquote(strings.TrimSpace(value))
	o := origin + " " + strings.ToUpper(name)
	switch ev.kind {
	case NoIndex, RequireHashes:
		if isTrue(value) {
			r.add(Setting{Line: line, Tool: ev.tool, Kind: ev.kind, Origin: o})
		}
		return
	}
	vals := []string{value}
	// A templated value ("${{ secrets.INDEX }}") is one value.
	if ev.multi && !strings.Contains(value, "{{") {
		vals = strings.Fields(value)
	}
	for _, v := range vals {
		s := Setting{Line: line, Tool: ev.tool, Kind: ev.kind, Value: v, Origin: o}
		if name == "UV_INDEX" {
			if n, u, ok := strings.Cut(v, "="); ok && !strings.Contains(n, "/") {
				s.Name, s.Value = n, u
			}
		}
		r.add(s)
	}
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// envFile reads a dotenv file: NAME=value lines, optionally "export ".
func (r *reader) envFile(text string) {
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(strings.TrimRight(l, "\r"))
		if l == "" || l[0] == '#' {
			continue
		}
		l = strings.TrimPrefix(l, "export ")
		k, v, ok := assignment(l)
		if !ok {
			continue
		}
		// An unquoted value ends at " #" (a comment).
		if len(v) > 0 && v[0] != '"' && v[0] != '\'' {
			if j := strings.Index(v, " #"); j >= 0 {
				v = v[:j]
			}
		}
		r.env(k, v, i+1, ".env")
	}
}

// shellScript reads a shell script.
func (r *reader) shellScript(text string) {
	r.shellText(text, 1, "shell script")
}
