package webhook

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// ---- verification switched off inside a verifier ----
//
// A validator, permission class, hook or helper that verifies can still
// return success without verifying: `if settings.STRIPE_WEBHOOK_VALIDATION
// in (None, "none"): return True` before construct_event. The handler then
// looks verified while a setting (or the request itself) turns the check
// off. Reported as optional verification naming the setting.

// successMode is what "the request may go on" looks like for f's callers.
type successMode int

const (
	successTrue   successMode = iota // returns True (a bool check)
	successAny                       // any return: failures raise
	successNone                      // returns None / passes the request through (hooks)
	successTruthy                    // any truthy value (DRF permission)
)

func (a *analysis) successModeOf(f *pyast.Func) successMode {
	switch a.gateKind(f) {
	case gatePermission:
		return successTruthy
	case gateHook, gateAuth:
		return successNone
	}
	if a.raisesOnFailure(f, callDepth) {
		return successAny
	}
	return successTrue
}

// succeeds: the block ends the function with success (or, for hooks,
// falls through to the view).
func (a *analysis) succeeds(m *pyast.Module, f *pyast.Func, mode successMode, blk *pyast.Node) bool {
	if blk == nil {
		return false
	}
	for _, s := range blk.NamedChildren() {
		switch s.Kind {
		case "raise_statement":
			return false
		case "return_statement":
			v := s.NamedChildren()
			val := ""
			if len(v) > 0 {
				val = strings.TrimSpace(m.Text(v[0]))
			}
			switch mode {
			case successAny:
				return true
			case successTruthy:
				return val != "" && val != "False" && val != "None" && val != "0"
			case successNone:
				return val == "" || val == "None" || passThroughRE.MatchString(val)
			case successTrue:
				if val == "True" {
					return true
				}
				return len(v) > 0 && (a.asSource(m, f, pyast.Unparen(v[0])) != "" || a.isSourceExpr(m, f, v[0]))
			}
			return false
		case "expression_statement":
			if c := s.NamedChildren(); len(c) == 1 && c[0].Kind == "call" {
				switch pyast.LastSegment(m.DottedName(c[0].Child("function"))) {
				case "abort", "exit", "_exit":
					return false
				}
			}
		}
	}
	return false
}

// isSourceExpr: an expression holding the unverified payload (through a
// local assigned from one).
func (a *analysis) isSourceExpr(m *pyast.Module, f *pyast.Func, n *pyast.Node) bool {
	for _, o := range a.p.Origins(m, f, n, 2) {
		if a.asSource(o.M, o.F, pyast.Unparen(o.N)) != "" {
			return true
		}
	}
	return false
}

// checkSwitchOff looks at the paths of a verifying function that return
// success before its first verification.
func (a *analysis) checkSwitchOff(m *pyast.Module, f *pyast.Func, site *pyast.Node) {
	if a.entries[f] {
		return // handlers: checkOptional
	}
	mode := a.successModeOf(f)
	report := func(ifn, cond *pyast.Node, negated bool, fb *pyast.Node) {
		if mentionsPath(m, cond) {
			return // choosing the routes a hook covers (covers decides)
		}
		kind, setting := a.condSource(m, f, cond)
		b := a.classifyFallback(m, f, cond, negated, fb)
		condT := strings.TrimSpace(m.Text(cond))
		if negated {
			condT = negateText(condT)
		}
		switch {
		case b.devOnly:
			a.emit(DevOnlyFallback, m, ifn.Line, f.Qual, fmt.Sprintf("%s returns success without verifying the signature when %s.", f.Qual, condT)+devOnlyMessage(b), evidence(m, ifn))
		case kind == "setting":
			a.emit(OptionalVerification, m, ifn.Line, setting, fmt.Sprintf("%s returns success without verifying the signature when %s: the setting %s switches verification off", f.Qual, condT, setting), evidence(m, ifn))
		case kind == "configured":
			a.emit(OptionalVerification, m, ifn.Line, setting, fmt.Sprintf("%s returns success without verifying the signature when %s: the configured value %s (not the request) switches verification off", f.Qual, condT, setting), evidence(m, ifn))
		case kind == "request":
			a.emit(OptionalVerification, m, ifn.Line, f.Qual, fmt.Sprintf("%s returns success without verifying the signature when %s, which the request controls", f.Qual, condT), evidence(m, ifn))
		}
	}
	for _, s := range precedingStatements(f, site) {
		if s.Kind != "if_statement" {
			continue
		}
		for _, ch := range s.Children {
			if ch.FieldIs("condition") {
				continue
			}
			blk := branchBlock(ch)
			if blk == nil || !a.succeeds(m, f, mode, blk) {
				continue
			}
			cond, negated := s.Child("condition"), false
			switch ch.Kind {
			case "elif_clause":
				cond = ch.Child("condition")
			case "else_clause":
				negated = true
			}
			report(s, cond, negated, blk)
			break
		}
	}
	// The verification itself under a condition: `if settings.VERIFY:
	// construct_event(...)` then success.
	body := f.Body()
	for c := site; c != nil && c != body; c = c.Parent {
		p := c.Parent
		if p == nil || p.Kind != "if_statement" || !c.FieldIs("consequence") {
			continue
		}
		el := p.Child("alternative")
		if el != nil && (el.Kind != "else_clause" || !a.succeeds(m, f, mode, el.Child("body")) && terminatesOrRejects(m, el.Child("body"))) {
			continue
		}
		if el == nil && !a.fallsToSuccess(m, f, mode, p) {
			continue
		}
		var fb *pyast.Node
		if el != nil {
			fb = el.Child("body")
		}
		report(p, p.Child("condition"), true, fb)
		break
	}
}

func terminatesOrRejects(m *pyast.Module, blk *pyast.Node) bool {
	return terminates(m, blk) || rejects(m, blk)
}

// fallsToSuccess: after the if statement, f goes on to a success exit.
func (a *analysis) fallsToSuccess(m *pyast.Module, f *pyast.Func, mode successMode, ifn *pyast.Node) bool {
	rest := following(f, ifn)
	for _, s := range rest {
		switch s.Kind {
		case "return_statement":
			blk := &pyast.Node{Kind: "block", Children: []*pyast.Node{s}}
			return a.succeeds(m, f, mode, blk)
		case "raise_statement":
			return false
		}
	}
	return mode == successAny || mode == successNone
}

// disableValueRE: values that name "no validation" (None, "none", False,
// an enum member none/off/disabled).
var disableValueRE = regexp.MustCompile(`(?i)^(none|false|off|disabled?|skip|no|never|0)$`)

// condSource tells what a condition reads: configuration (with the
// setting's name) or the request. A comparison with a "disabled" value
// of something the request does not control (a model field an admin
// sets, a class attribute) is configuration too.
func (a *analysis) condSource(m *pyast.Module, f *pyast.Func, cond *pyast.Node) (string, string) {
	if subj, ok := disableTest(m, cond); ok && !a.fromRequest(m, f, subj) {
		if s := a.configName(m, f, subj); s != "" {
			return "setting", s
		}
		name := strings.TrimPrefix(strings.TrimSpace(m.Text(subj)), "self.")
		for _, o := range a.p.Origins(m, f, subj, 2) {
			if d := o.M.DottedName(pyast.Unparen(o.N)); d != "" && d != m.Text(subj) {
				name = strings.TrimPrefix(d, "self.")
			}
		}
		return "configured", name
	}
	kind, name := "", ""
	cond.Walk(func(x *pyast.Node) bool {
		if kind == "setting" {
			return false
		}
		switch x.Kind {
		case "identifier", "attribute", "subscript", "call":
		default:
			return true
		}
		if x.Kind == "identifier" && x.Parent != nil && x.Parent.Kind == "attribute" {
			return true
		}
		if s := a.configName(m, f, x); s != "" {
			kind, name = "setting", s
			return false
		}
		if kind == "" && a.fromRequest(m, f, x) {
			kind = "request"
			return false
		}
		return x.Kind != "call"
	})
	return kind, name
}

// disableTest: cond compares something with a "disabled" value; the
// something.
func disableTest(m *pyast.Module, cond *pyast.Node) (*pyast.Node, bool) {
	cond = pyast.Unparen(cond)
	if cond.Kind != "comparison_operator" {
		return nil, false
	}
	kids := cond.NamedChildren()
	if len(kids) != 2 {
		return nil, false
	}
	op := strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start]))
	if op != "==" && op != "is" && op != "in" {
		return nil, false
	}
	isDisable := func(n *pyast.Node) bool {
		n = pyast.Unparen(n)
		switch n.Kind {
		case "none", "false":
			return true
		case "string":
			v, ok := m.StringValue(n)
			return ok && disableValueRE.MatchString(v)
		case "attribute":
			return disableValueRE.MatchString(m.Text(n.Child("attribute")))
		case "tuple", "list", "set":
			for _, e := range n.NamedChildren() {
				e = pyast.Unparen(e)
				if e.Kind == "none" || e.Kind == "false" {
					return true
				}
				if v, ok := m.StringValue(e); ok && disableValueRE.MatchString(v) {
					return true
				}
			}
		}
		return false
	}
	if isDisable(kids[1]) {
		return kids[0], true
	}
	if op == "==" && isDisable(kids[0]) {
		return kids[1], true
	}
	return nil, false
}

// configName: the expression's value comes from configuration; the name
// of the setting.
func (a *analysis) configName(m *pyast.Module, f *pyast.Func, n *pyast.Node) string {
	if d := m.Qualify(m.DottedName(n)); strings.HasPrefix(d, "django.conf.settings.") {
		return strings.TrimPrefix(d, "django.conf.settings.")
	}
	for _, o := range a.p.Origins(m, f, n, 3) {
		on := pyast.Unparen(o.N)
		if el, ok := o.M.AsEnvLookup(on); ok {
			if name := a.lookupName(o, on, el); name != "" {
				return name
			}
			return o.M.Text(on)
		}
		d := o.M.Qualify(o.M.DottedName(on))
		switch {
		case strings.HasPrefix(d, "django.conf.settings."):
			return strings.TrimPrefix(d, "django.conf.settings.")
		case strings.Contains(d, ".settings.") || strings.HasPrefix(d, "settings."):
			return pyast.LastSegment(d)
		}
		if on.Kind == "subscript" && strings.HasSuffix(o.M.DottedName(on.Child("value")), "config") {
			if k, ok := o.M.StringValue(on.Child("subscript")); ok {
				return k
			}
		}
	}
	return ""
}
