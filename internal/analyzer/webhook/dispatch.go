package webhook

import (
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// ---- calls that reach several functions: dispatch tables, plugins ----
//
// Apps with several payment providers route a delivery through a table
// (PROVIDERS[name](request), HANDLERS.get(kind)().handle(...), a list of
// dotted paths loaded with import_string) or a plugin object whose class
// is not known at the call (plugin.webhook(request)). The call then
// reaches every registered target; each is judged (a Stripe target that
// does not verify is a finding at its payload read), and the call counts
// as verifying when the Stripe targets verify.

// pluginRecvRE: receivers whose class is chosen at run time.
var pluginRecvRE = regexp.MustCompile(`(?i)plugin|provider|gateway|backend|processor|integration|handler|adapter`)

// genericMethods are too common to dispatch on by name alone.
var genericMethods = map[string]bool{"get": true, "post": true, "put": true, "patch": true, "delete": true,
	"save": true, "run": true, "call": true, "execute": true, "update": true, "create": true, "is_valid": true,
	"items": true, "keys": true, "values": true, "append": true, "format": true, "info": true, "debug": true,
	"warning": true, "error": true, "exception": true, "send": true, "close": true, "read": true, "write": true,
	"json": true, "dict": true, "copy": true, "pop": true, "setdefault": true, "add": true, "delay": true, "apply_async": true}

// callees returns the project functions a call may reach.
func (a *analysis) callees(m *pyast.Module, f *pyast.Func, call *pyast.Node) []*pyast.Func {
	if gs, ok := a.calleeMemo[call]; ok {
		return gs
	}
	gs := a.calleesOf(m, f, call)
	a.calleeMemo[call] = gs
	return gs
}

func (a *analysis) calleesOf(m *pyast.Module, f *pyast.Func, call *pyast.Node) []*pyast.Func {
	if g := a.p.ResolveCall(m, f, call); g != nil {
		return []*pyast.Func{g}
	}
	fn := pyast.Unparen(call.Child("function"))
	if fn == nil {
		return nil
	}
	switch fn.Kind {
	case "subscript", "call":
		// TABLE[key](...), TABLE.get(key)(...), import_string(path)(...)
		var out []*pyast.Func
		for _, t := range a.tableTargets(m, f, fn) {
			if t.f != nil {
				out = append(out, t.f)
			} else if t.c != nil {
				if init := a.p.Method(t.cm, t.c, "__init__"); init != nil {
					out = append(out, init)
				}
			}
		}
		return out
	case "attribute":
		meth := m.Text(fn.Child("attribute"))
		obj := pyast.Unparen(fn.Child("object"))
		var classes []tableEntry
		switch obj.Kind {
		case "subscript", "call":
			// request.find_service(IFace).method(...)
			if obj.Kind == "call" {
				if cs := a.serviceClasses(m, f, obj); len(cs) > 0 {
					classes = cs
					break
				}
			}
			// TABLE[key].method(...), TABLE[key]().method(...)
			inner := obj
			if obj.Kind == "call" {
				if o := pyast.Unparen(obj.Child("function")); o != nil && (o.Kind == "subscript" || o.Kind == "call") {
					inner = o
				}
			}
			classes = a.tableTargets(m, f, inner)
		case "identifier", "attribute":
			// x = TABLE[key](); x.method()
			for _, o := range a.p.Origins(m, f, obj, 2) {
				on := pyast.Unparen(o.N)
				if on.Kind == "call" {
					if in := pyast.Unparen(on.Child("function")); in != nil && (in.Kind == "subscript" || in.Kind == "call") {
						classes = append(classes, a.tableTargets(o.M, o.F, in)...)
						continue
					}
				}
				if on.Kind == "subscript" || on.Kind == "call" {
					classes = append(classes, a.tableTargets(o.M, o.F, on)...)
				}
			}
			if len(classes) == 0 {
				classes = a.serviceClasses(m, f, obj)
			}
			if len(classes) == 0 && !genericMethods[meth] && pluginRecvRE.MatchString(m.Text(obj)) {
				return a.methodsNamed(meth)
			}
		}
		var out []*pyast.Func
		for _, t := range classes {
			if t.c != nil {
				if g := a.p.Method(t.cm, t.c, meth); g != nil {
					out = append(out, g)
				}
			}
		}
		return out
	}
	return nil
}

// serviceClasses resolves a Pyramid service look-up
// (request.find_service(IFace) / find_service(name="x")) to the classes
// registered for it: register_service(Instance(), IFace),
// register_service_factory(Factory, IFace), @implementer(IFace).
func (a *analysis) serviceClasses(m *pyast.Module, f *pyast.Func, n *pyast.Node) []tableEntry {
	var lookup *pyast.Node
	var lm *pyast.Module
	for _, o := range a.p.Origins(m, f, n, 2) {
		on := pyast.Unparen(o.N)
		if on.Kind == "call" && pyast.LastSegment(o.M.DottedName(on.Child("function"))) == "find_service" {
			lookup, lm = on, o.M
			break
		}
	}
	if lookup == nil {
		return nil
	}
	key := func(mm *pyast.Module, iface, name *pyast.Node) string {
		if name != nil {
			if s, ok := mm.StringValue(name); ok {
				return "name:" + s
			}
		}
		if iface != nil {
			return "iface:" + pyast.LastSegment(mm.DottedName(iface))
		}
		return ""
	}
	want := key(lm, lm.Arg(lookup, 0, "iface"), lm.Arg(lookup, 1, "name"))
	if want == "" || want == "iface:" {
		return nil
	}
	var out []tableEntry
	for _, reg := range []string{"register_service", "register_service_factory"} {
		for _, cs := range a.p.Calls(reg) {
			if key(cs.M, cs.M.Arg(cs.Call, 1, "iface"), cs.M.Arg(cs.Call, 2, "name")) != want {
				continue
			}
			v := pyast.Unparen(cs.M.Arg(cs.Call, 0, ""))
			if v == nil {
				continue
			}
			name := cs.M.DottedName(v)
			if v.Kind == "call" {
				name = cs.M.DottedName(v.Child("function"))
			}
			if c := a.classNamed(cs.M, name); c != nil {
				cm := cs.M
				if cs.M.Classes[name] == nil {
					cm, _ = a.p.LookupClassFrom(cs.M, cs.M.Qualify(name))
				}
				out = append(out, tableEntry{c: c, cm: cm})
			} else if g := a.resolveName(cs.M, cs.F, name); g != nil {
				// a factory function: the classes it constructs
				for _, r := range returnsOf(g) {
					if rr := pyast.Unparen(r); rr.Kind == "call" {
						rn := g.Module.DottedName(rr.Child("function"))
						if c := a.classNamed(g.Module, rn); c != nil {
							out = append(out, tableEntry{c: c, cm: g.Module})
						}
					}
				}
			}
		}
	}
	if strings.HasPrefix(want, "iface:") {
		for _, cs := range a.p.Calls("implementer") {
			if key(cs.M, cs.M.Arg(cs.Call, 0, ""), nil) != want || cs.Call.Parent == nil || cs.Call.Parent.Kind != "decorator" {
				continue
			}
			if def := cs.Call.Parent.Parent; def != nil && def.Kind == "decorated_definition" {
				if cd := def.Child("definition"); cd != nil && cd.Kind == "class_definition" {
					if c := cs.M.Classes[cs.M.Text(cd.Child("name"))]; c != nil {
						out = append(out, tableEntry{c: c, cm: cs.M})
					}
				}
			}
		}
	}
	return out
}

type tableEntry struct {
	f  *pyast.Func
	c  *pyast.Class
	cm *pyast.Module
}

// tableTargets resolves a look-up in a dispatch table to the table's
// values: TABLE[k], TABLE.get(k[, d]), getattr(module, name), and dotted
// paths loaded with import_string / import_module.
func (a *analysis) tableTargets(m *pyast.Module, f *pyast.Func, n *pyast.Node) []tableEntry {
	n = pyast.Unparen(n)
	var table *pyast.Node
	switch n.Kind {
	case "subscript":
		table = n.Child("value")
	case "call":
		fn := pyast.Unparen(n.Child("function"))
		if fn == nil {
			return nil
		}
		last := pyast.LastSegment(m.DottedName(fn))
		switch {
		case fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "get":
			table = fn.Child("object")
		case last == "import_string" || last == "import_object" || last == "locate" || last == "import_by_path":
			var out []tableEntry
			if arg := m.Arg(n, 0, ""); arg != nil {
				for _, o := range a.p.Origins(m, f, arg, 3) {
					out = append(out, a.entriesOf(o.M, o.F, o.N)...)
				}
			}
			return out
		default:
			return nil
		}
	default:
		return nil
	}
	var out []tableEntry
	for _, o := range a.p.Origins(m, f, table, 3) {
		on := pyast.Unparen(o.N)
		switch on.Kind {
		case "dictionary":
			for _, pair := range on.NamedChildren() {
				if pair.Kind == "pair" {
					out = append(out, a.entriesOf(o.M, o.F, pair.Child("value"))...)
				}
			}
		case "list", "tuple", "set":
			for _, e := range on.NamedChildren() {
				out = append(out, a.entriesOf(o.M, o.F, e)...)
			}
		}
		if len(out) > 16 {
			break
		}
	}
	return out
}

// entriesOf resolves one table value: a function, a class, or a dotted
// path string.
func (a *analysis) entriesOf(m *pyast.Module, f *pyast.Func, v *pyast.Node) []tableEntry {
	v = pyast.Unparen(v)
	if s, ok := m.StringValue(v); ok {
		if g := a.p.LookupFuncFrom(m, s); g != nil {
			return []tableEntry{{f: g}}
		}
		if cm, c := a.p.LookupClassFrom(m, s); c != nil {
			return []tableEntry{{c: c, cm: cm}}
		}
		return nil
	}
	if v.Kind == "tuple" {
		// ("stripe", StripeHandler) pairs in a list.
		var out []tableEntry
		for _, e := range v.NamedChildren() {
			out = append(out, a.entriesOf(m, f, e)...)
		}
		return out
	}
	name := m.DottedName(v)
	if name == "" {
		return nil
	}
	if g := a.resolveName(m, f, name); g != nil {
		return []tableEntry{{f: g}}
	}
	if c := m.Classes[name]; c != nil {
		return []tableEntry{{c: c, cm: m}}
	}
	if cm, c := a.p.LookupClassFrom(m, m.Qualify(name)); c != nil {
		return []tableEntry{{c: c, cm: cm}}
	}
	return nil
}

// methodsNamed: every method of that name in the project's modules that
// deal with Stripe (a plugin's entry point chosen at run time).
func (a *analysis) methodsNamed(name string) []*pyast.Func {
	var out []*pyast.Func
	for _, cs := range a.p.Definitions(name) {
		if cs.Class != nil && stripeRelated(cs) {
			out = append(out, cs)
		}
	}
	return out
}

// stripeRelated: a function of a module that imports stripe or whose
// class or module is named for Stripe.
func stripeRelated(f *pyast.Func) bool {
	if f.Module.ImportsStripe() || stripeNameRE.MatchString(f.Module.Path) {
		return true
	}
	return f.Class != nil && stripeNameRE.MatchString(f.Class.Name)
}

// callVerifies: the call reaches verification. Through a table or plugin,
// the Stripe targets must all verify (one verifying target is enough
// when none is Stripe-specific).
func (a *analysis) callVerifies(m *pyast.Module, f *pyast.Func, call *pyast.Node, depth int) bool {
	gs := a.callees(m, f, call)
	if len(gs) == 0 {
		return false
	}
	if len(gs) == 1 {
		return gs[0] != f && a.verifies(gs[0], depth-1)
	}
	any, stripeAll, stripeN := false, true, 0
	for _, g := range gs {
		if g == f {
			continue
		}
		v := a.verifies(g, depth-1)
		any = any || v
		if stripeRelated(g) {
			stripeN++
			stripeAll = stripeAll && v
		}
	}
	if stripeN > 0 {
		return stripeAll && any
	}
	return any
}
