package webhook

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// ---- fallbacks reachable only in development or tests ----
//
// `if settings.TESTING: event = json.loads(body)` is not a production
// bypass; `if settings.DEBUG:` usually is (DEBUG ends up on in production
// more often than anyone admits), unless the code shows DEBUG itself is
// only set for development. The fallback's condition is evaluated as a
// formula whose truth implies "development/test" or "production".

type envTruth int

const (
	unknownEnv envTruth = iota
	devEnv              // true only in development or tests
	prodEnv             // true only in production
)

func (t envTruth) flip() envTruth {
	switch t {
	case devEnv:
		return prodEnv
	case prodEnv:
		return devEnv
	}
	return unknownEnv
}

var (
	devFlagRE  = regexp.MustCompile(`^(TESTING|TEST_SUITE|IS_TEST|IS_TESTING|TEST|TESTS|RUNNING_TESTS|TEST_MODE|testing|IS_DEV|IS_DEVELOPMENT|DEVELOPMENT|LOCAL|IS_LOCAL|DEV_MODE|PYTEST_CURRENT_TEST)$`)
	prodFlagRE = regexp.MustCompile(`^(PRODUCTION|IS_PRODUCTION|IS_PROD|PROD|IN_PRODUCTION|LIVE_MODE)$`)
	envNameRE  = regexp.MustCompile(`(?i)^(ENV|ENVIRONMENT|APP_ENV|APP_ENVIRONMENT|STAGE|DEPLOY_ENV|DJANGO_ENV|FLASK_ENV|RUNTIME_ENV|SERVER_ENV|ENV_NAME|ENVIRONMENT_NAME|env|environment)$`)
	devNames   = map[string]bool{"development": true, "dev": true, "local": true, "test": true, "testing": true, "ci": true}
	prodNames  = map[string]bool{"production": true, "prod": true, "live": true}
)

// bypass describes the condition under which an unverified fallback runs.
type bypass struct {
	devOnly bool
	assert  string // the assert the decision relies on
	why     string // what shows it is development/test only
}

// classifyFallback: the fallback runs when cond is true (negated: false);
// body is the fallback's block, where an assert may guard it.
func (a *analysis) classifyFallback(m *pyast.Module, f *pyast.Func, cond *pyast.Node, negated bool, body *pyast.Node) bypass {
	var b bypass
	if cond != nil {
		t, why := a.envOf(m, f, cond, 0)
		if negated {
			t = t.flip()
		}
		if t == devEnv {
			b.devOnly, b.why = true, why
		}
	}
	// assert not settings.PRODUCTION in the fallback (before it acts).
	if body != nil && !b.devOnly {
		for _, s := range body.NamedChildren() {
			if s.Kind != "assert_statement" {
				continue
			}
			if k := s.NamedChildren(); len(k) > 0 {
				if t, why := a.envOf(m, f, k[0], 0); t == devEnv {
					b.devOnly, b.why, b.assert = true, why, strings.TrimSpace(m.Text(s))
					break
				}
			}
		}
	}
	return b
}

// envOf evaluates what the truth of an expression implies about the
// environment.
func (a *analysis) envOf(m *pyast.Module, f *pyast.Func, n *pyast.Node, depth int) (envTruth, string) {
	n = pyast.Unparen(n)
	if n == nil || depth > 4 {
		return unknownEnv, ""
	}
	switch n.Kind {
	case "not_operator":
		t, why := a.envOf(m, f, n.Child("argument"), depth+1)
		return t.flip(), why
	case "boolean_operator":
		l, wl := a.envOf(m, f, n.Child("left"), depth+1)
		r, wr := a.envOf(m, f, n.Child("right"), depth+1)
		op := strings.TrimSpace(string(m.Src[n.Child("left").End:n.Child("right").Start]))
		if op == "and" {
			switch {
			case l == devEnv:
				return devEnv, wl
			case r == devEnv:
				return devEnv, wr
			case l == prodEnv || r == prodEnv:
				return prodEnv, wl + wr
			}
			return unknownEnv, ""
		}
		if l == r {
			return l, wl
		}
		return unknownEnv, ""
	case "comparison_operator":
		kids := n.NamedChildren()
		if len(kids) != 2 {
			return unknownEnv, ""
		}
		op := strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start]))
		subj, lit := kids[0], kids[1]
		if !a.isEnvName(m, subj) {
			subj, lit = kids[1], kids[0]
		}
		// "pytest" in sys.modules, "test" in sys.argv
		if op == "in" || op == "not in" {
			if s, ok := m.StringValue(kids[0]); ok {
				c := m.Text(kids[1])
				if (c == "sys.modules" && (s == "pytest" || s == "unittest")) || (c == "sys.argv" && s == "test") {
					if op == "in" {
						return devEnv, m.Text(n)
					}
					return prodEnv, m.Text(n)
				}
			}
		}
		if !a.isEnvName(m, subj) {
			// PRODUCTION is False / TESTING == True
			if t, why := a.envOf(m, f, kids[0], depth+1); t != unknownEnv {
				switch strings.TrimSpace(m.Text(kids[1])) {
				case "True":
					if op == "==" || op == "is" {
						return t, why
					}
					return t.flip(), why
				case "False", "None":
					if op == "==" || op == "is" {
						return t.flip(), why
					}
					return t, why
				}
			}
			return unknownEnv, ""
		}
		var vals []string
		if s, ok := m.StringValue(lit); ok {
			vals = []string{s}
		} else if l := pyast.Unparen(lit); l.Kind == "tuple" || l.Kind == "list" || l.Kind == "set" {
			for _, e := range l.NamedChildren() {
				if s, ok := m.StringValue(e); ok {
					vals = append(vals, s)
				}
			}
		}
		if len(vals) == 0 {
			return unknownEnv, ""
		}
		allDev, allProd := true, true
		for _, v := range vals {
			v = strings.ToLower(v)
			allDev = allDev && devNames[v]
			allProd = allProd && prodNames[v]
		}
		t := unknownEnv
		switch {
		case allDev:
			t = devEnv
		case allProd:
			t = prodEnv
		}
		if op == "!=" || op == "not in" || op == "is not" {
			t = t.flip()
		}
		return t, m.Text(n)
	case "identifier", "attribute", "subscript", "call":
		name := a.settingName(m, n)
		switch {
		case name == "":
		case devFlagRE.MatchString(name):
			return devEnv, m.Text(n)
		case prodFlagRE.MatchString(name):
			return prodEnv, m.Text(n)
		case name == "DEBUG" || name == "debug":
			if why, ok := a.debugIsDevOnly(m, f, n); ok {
				return devEnv, why
			}
		}
		// A local or module flag derived from one: TESTING = "test" in sys.argv
		if n.Kind == "identifier" || n.Kind == "attribute" {
			for _, o := range a.p.Origins(m, f, n, 2) {
				if o.N == n {
					continue
				}
				if t, why := a.envOf(o.M, o.F, o.N, depth+1); t != unknownEnv {
					return t, why
				}
			}
		}
	}
	return unknownEnv, ""
}

// settingName is the name a flag is read by: settings.TESTING → TESTING,
// app.testing → testing, os.environ.get("TESTING") → TESTING,
// app.config["TESTING"] → TESTING.
func (a *analysis) settingName(m *pyast.Module, n *pyast.Node) string {
	n = pyast.Unparen(n)
	if el, ok := m.AsEnvLookup(n); ok {
		return el.Name
	}
	switch n.Kind {
	case "identifier":
		return m.Text(n)
	case "attribute":
		return m.Text(n.Child("attribute"))
	case "subscript":
		if s, ok := m.StringValue(n.Child("subscript")); ok {
			return s
		}
	case "call":
		fn := pyast.Unparen(n.Child("function"))
		if fn != nil && fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "get" {
			if s, ok := m.StringValue(m.Arg(n, 0, "")); ok {
				return s
			}
		}
	}
	return ""
}

func (a *analysis) isEnvName(m *pyast.Module, n *pyast.Node) bool {
	return envNameRE.MatchString(a.settingName(m, n))
}

// debugIsDevOnly: every value DEBUG may be set to truthily is derived
// from a development marker (DEBUG = ENVIRONMENT == "development") or
// sits in a development/test settings module (settings/dev.py).
func (a *analysis) debugIsDevOnly(m *pyast.Module, f *pyast.Func, n *pyast.Node) (string, bool) {
	var vals []pyast.Origin
	for _, o := range a.p.Origins(m, f, n, 3) {
		if o.N != n {
			vals = append(vals, o)
		}
	}
	if len(vals) == 0 {
		return "", false
	}
	truthy := 0
	for _, o := range vals {
		on := pyast.Unparen(o.N)
		switch strings.TrimSpace(o.M.Text(on)) {
		case "False", "0", "None":
			continue
		}
		if devModulePathRE.MatchString(o.M.Path) {
			truthy++
			continue
		}
		if t, _ := a.envOf(o.M, o.F, on, 1); t == devEnv {
			truthy++
			continue
		}
		return "", false
	}
	if truthy == 0 {
		return "", false
	}
	return fmt.Sprintf("DEBUG is only set for development (%s)", m.Text(n)), true
}

var devModulePathRE = regexp.MustCompile(`(?i)(^|/)(settings/)?(dev|development|local|test|testing|tests)(_settings)?\.py$|settings_(dev|local|test)\.py$`)

// devOnlyMessage completes a finding's message for a dev/test fallback.
func devOnlyMessage(b bypass) string {
	msg := " The code shows this path is for development or tests only (" + b.why + "), so it is not reachable in a correctly configured production."
	if b.assert != "" {
		msg += " It relies on `" + b.assert + "`: Python removes assert statements when run with -O, and the fallback is then reachable in production."
	}
	return msg
}
