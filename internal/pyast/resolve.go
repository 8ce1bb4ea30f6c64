package pyast

import "strings"

// Origin is an expression some value may come from, with the scope it must
// be read in.
type Origin struct {
	M *Module
	F *Func // nil for module level
	N *Node
	// Param is set when the value is a parameter of F that no call site in
	// the project explains (e.g. a view's request argument).
	Param string
}

// maxOrigins bounds fan-out on pathological code (a name assigned in
// hundreds of places).
const maxOrigins = 32

// Origins follows simple assignments, module constants, imports across
// files, self attributes and parameters (through their call sites) back to
// the expressions a value may come from. depth bounds the hops.
func (p *Project) Origins(m *Module, f *Func, n *Node, depth int) []Origin {
	var out []Origin
	seen := map[*Node]bool{}
	p.origins(m, f, n, depth, seen, &out)
	return out
}

func (p *Project) origins(m *Module, f *Func, n *Node, depth int, seen map[*Node]bool, out *[]Origin) {
	n = Unparen(n)
	if n == nil || len(*out) >= maxOrigins {
		return
	}
	if seen[n] || depth < 0 {
		*out = append(*out, Origin{M: m, F: f, N: n})
		return
	}
	seen[n] = true
	emit := func() { *out = append(*out, Origin{M: m, F: f, N: n}) }
	switch n.Kind {
	case "identifier", "attribute":
	case "await":
		// await x resolves like x but the await itself matters to callers
		// (request.body() vs await request.body()), so keep it.
		emit()
		return
	case "boolean_operator":
		// os.environ.get("X") or "" : both sides are possible values.
		p.origins(m, f, n.Child("left"), depth, seen, out)
		p.origins(m, f, n.Child("right"), depth, seen, out)
		return
	case "conditional_expression":
		c := n.NamedChildren()
		if len(c) == 3 {
			p.origins(m, f, c[0], depth, seen, out)
			p.origins(m, f, c[2], depth, seen, out)
			return
		}
		emit()
		return
	default:
		emit()
		return
	}
	name := m.DottedName(n)
	if name == "" {
		emit()
		return
	}
	found := false
	follow := func(mm *Module, ff *Func, vals []*Node) {
		for _, v := range before(vals, n, mm == m && ff == f) {
			found = true
			p.origins(mm, ff, v, depth-1, seen, out)
		}
	}
	// Function scope, then enclosing functions (closures).
	for g := f; g != nil && !found; g = g.Outer {
		follow(m, g, p.Locals(g)[name])
	}
	if found {
		return
	}
	if f != nil && !strings.Contains(name, ".") {
		for i, prm := range f.Params {
			if prm.Name != name {
				continue
			}
			callers := p.CallersOf(f)
			for _, cs := range callers {
				idx := i
				if f.Class != nil && len(f.Params) > 0 && (f.Params[0].Name == "self" || f.Params[0].Name == "cls") {
					idx--
				}
				if a := cs.M.Arg(cs.Call, idx, prm.Name); a != nil {
					found = true
					p.origins(cs.M, cs.F, a, depth-1, seen, out)
				}
			}
			if !found {
				*out = append(*out, Origin{M: m, F: f, N: n, Param: name})
				return
			}
			return
		}
	}
	// self.x: class attributes and assignments in any method.
	if strings.HasPrefix(name, "self.") && f != nil {
		cls := f.Class
		for g := f; cls == nil && g != nil; g = g.Outer {
			cls = g.Class
		}
		if cls != nil {
			attr := strings.TrimPrefix(name, "self.")
			if v := cls.Attrs[attr]; v != nil {
				found = true
				p.origins(m, nil, v, depth-1, seen, out)
			}
			for _, meth := range cls.Methods {
				if meth == f {
					continue
				}
				for _, v := range p.Locals(meth)[name] {
					found = true
					p.origins(m, meth, v, depth-1, seen, out)
				}
			}
			if found {
				return
			}
		}
	}
	if vals := m.Globals[name]; len(vals) > 0 {
		follow(m, nil, vals)
		if found {
			return
		}
	}
	q := m.Qualify(name)
	if q != name || strings.Contains(name, ".") {
		if gm, vals := p.LookupGlobal(q); gm != nil && gm != m {
			follow(gm, nil, vals)
		} else if strings.HasPrefix(q, "django.conf.settings.") {
			// Django settings live in any settings module of the project.
			key := strings.TrimPrefix(q, "django.conf.settings.")
			for _, sm := range p.SettingsModules() {
				follow(sm, nil, sm.Globals[key])
			}
		}
	}
	if !found {
		emit()
	}
}

// before keeps the assignments textually before the use when there are any
// (the value reaching it in straight-line code); otherwise all of them
// (loops, module constants defined below their use in a function).
func before(vals []*Node, use *Node, sameScope bool) []*Node {
	if !sameScope {
		return vals
	}
	var b []*Node
	for _, v := range vals {
		if v.Start < use.Start && !v.Contains(use) {
			b = append(b, v)
		}
	}
	if len(b) == 0 {
		return vals
	}
	return b
}
