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
	// Via is the call whose return value this is, when the value was
	// followed into a project function (FollowReturns).
	Via *Node

	bind *binding
}

// OriginsAt follows another expression of an origin's scope in the same
// context: for a value returned by a helper, the helper's parameters stay
// bound to the arguments of the call that was followed.
func (p *Project) OriginsAt(o Origin, n *Node, depth int) []Origin {
	q := &originQuery{seen: map[*Node]bool{}}
	p.origins(q, o.M, o.F, n, depth, o.bind, o.Via)
	return q.out
}

// maxOrigins bounds fan-out on pathological code (a name assigned in
// hundreds of places).
const maxOrigins = 32

// binding ties the parameters of f to the arguments of one call site while
// a return value of f is followed (get_setting("X", "") → the default
// parameter is "" here, whatever other callers pass).
type binding struct {
	f      *Func
	site   CallSite
	parent *binding
}

type originQuery struct {
	seen map[*Node]bool
	out  []Origin
}

// Origins follows simple assignments, module constants, imports across
// files, self attributes (class attributes, assignments in any method,
// constructor arguments and writes on instances) and parameters (through
// their call sites) back to the expressions a value may come from. With
// FollowReturns, calls of project functions are followed into their
// return statements with the parameters bound to that call's arguments.
// depth bounds the hops.
func (p *Project) Origins(m *Module, f *Func, n *Node, depth int) []Origin {
	q := &originQuery{seen: map[*Node]bool{}}
	p.origins(q, m, f, n, depth, nil, nil)
	return q.out
}

func (p *Project) origins(q *originQuery, m *Module, f *Func, n *Node, depth int, b *binding, via *Node) {
	n = Unparen(n)
	if n == nil || len(q.out) >= maxOrigins {
		return
	}
	emit := func() { q.out = append(q.out, Origin{M: m, F: f, N: n, Via: via, bind: b}) }
	if q.seen[n] || depth < 0 {
		emit()
		return
	}
	q.seen[n] = true
	switch n.Kind {
	case "identifier", "attribute":
	case "await":
		// await x resolves like x but the await itself matters to callers
		// (request.body() vs await request.body()), so keep it.
		emit()
		return
	case "boolean_operator":
		// os.environ.get("X") or "" : both sides are possible values.
		p.origins(q, m, f, n.Child("left"), depth, b, via)
		p.origins(q, m, f, n.Child("right"), depth, b, via)
		return
	case "conditional_expression":
		c := n.NamedChildren()
		if len(c) == 3 {
			p.origins(q, m, f, c[0], depth, b, via)
			p.origins(q, m, f, c[2], depth, b, via)
			return
		}
		emit()
		return
	case "call":
		emit()
		if p.FollowReturns && depth > 0 {
			if g := p.ResolveCall(m, f, n); g != nil && g != f {
				site := CallSite{M: m, F: f, Call: n}
				for _, r := range returns(g) {
					p.origins(q, g.Module, g, r, depth-1, &binding{f: g, site: site, parent: b}, n)
				}
			}
		}
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
	follow := func(mm *Module, ff *Func, vals []*Node, bb *binding) {
		for _, v := range before(vals, n, mm == m && ff == f) {
			found = true
			p.origins(q, mm, ff, v, depth-1, bb, via)
		}
	}
	// Function scope, then enclosing functions (closures).
	for g := f; g != nil && !found; g = g.Outer {
		follow(m, g, p.Locals(g)[name], b)
	}
	if found {
		return
	}
	if f != nil && !strings.Contains(name, ".") {
		for i, prm := range f.Params {
			if prm.Name != name {
				continue
			}
			idx := i
			if f.Class != nil && len(f.Params) > 0 && (f.Params[0].Name == "self" || f.Params[0].Name == "cls") {
				idx--
			}
			// Bound by the call whose return value is being followed.
			for bb := b; bb != nil; bb = bb.parent {
				if bb.f != f {
					continue
				}
				if a := bb.site.M.Arg(bb.site.Call, idx, prm.Name); a != nil {
					p.origins(q, bb.site.M, bb.site.F, a, depth-1, bb.parent, via)
				} else if prm.Default != nil {
					p.origins(q, m, nil, prm.Default, depth-1, bb.parent, via)
				} else {
					q.out = append(q.out, Origin{M: m, F: f, N: n, Param: name, Via: via, bind: b})
				}
				return
			}
			for _, cs := range p.callersFor(f) {
				if a := cs.M.Arg(cs.Call, idx, prm.Name); a != nil {
					found = true
					p.origins(q, cs.M, cs.F, a, depth-1, nil, via)
				}
			}
			if !found {
				q.out = append(q.out, Origin{M: m, F: f, N: n, Param: name, Via: via, bind: b})
			}
			return
		}
	}
	// view.attr in a DRF permission: the views that list the permission.
	if head, attr, ok := strings.Cut(name, "."); ok && !strings.Contains(attr, ".") && f != nil {
		for _, vc := range p.permissionViews(f, head) {
			for _, w := range p.attrWrites(vc.m, vc.c, attr) {
				found = true
				p.origins(q, w.m, w.f, w.v, depth-1, nil, via)
			}
		}
		if found {
			return
		}
	}
	// obj.attr: attributes of self, of a class, or of an instance.
	if head, attr, ok := strings.Cut(name, "."); ok && !strings.Contains(attr, ".") && f != nil {
		if c, cm := p.instanceClass(m, f, head, depth); c != nil {
			if settingsClass(c) {
				// A pydantic BaseSettings field is read from the
				// environment; its class default is only what an unset
				// variable gives. Keep the read (it names the setting)
				// beside the default.
				emit()
			}
			for _, w := range p.attrWrites(cm, c, attr) {
				found = true
				p.origins(q, w.m, w.f, w.v, depth-1, nil, via)
			}
			if found {
				return
			}
		}
	}
	if vals := m.Globals[name]; len(vals) > 0 {
		follow(m, nil, vals, nil)
		if found {
			return
		}
	}
	qn := m.Qualify(name)
	if ImportedHead(m, name) {
		if gm, vals := p.LookupGlobalFrom(m, qn); gm != nil && gm != m {
			follow(gm, nil, vals, nil)
		} else if strings.HasPrefix(qn, "django.conf.settings.") {
			// Django settings live in any settings module of the project.
			key := strings.TrimPrefix(qn, "django.conf.settings.")
			for _, sm := range p.SettingsModules() {
				follow(sm, nil, sm.Globals[key], nil)
			}
		}
	}
	if !found {
		emit()
	}
}

type modClass struct {
	m *Module
	c *Class
}

// permissionViews: in a DRF permission's has_permission(self, request,
// view) (or has_object_permission), the view argument is an instance of
// every view class that lists the permission in permission_classes, or
// inherits from one (Kalendario-ie/Kalendario_API: the signing secret is
// the view's hook_secret, set per subclass from settings).
func (p *Project) permissionViews(f *Func, head string) []modClass {
	if f.Class == nil || (f.Name != "has_permission" && f.Name != "has_object_permission") {
		return nil
	}
	if len(f.Params) < 3 || f.Params[2].Name != head {
		return nil
	}
	perm := f.Class.Name
	var listed []modClass
	for _, m := range p.Modules {
		for _, c := range m.Classes {
			v := c.Attrs["permission_classes"]
			if v == nil {
				continue
			}
			for _, e := range Unparen(v).NamedChildren() {
				if LastSegment(m.DottedName(e)) == perm {
					listed = append(listed, modClass{m, c})
				}
			}
		}
	}
	out := listed
	names := map[string]bool{}
	for _, l := range listed {
		names[l.c.Name] = true
	}
	// Subclasses, a few generations down.
	for gen := 0; gen < 3; gen++ {
		grew := false
		for _, m := range p.Modules {
			for _, c := range m.Classes {
				if names[c.Name] {
					continue
				}
				for _, b := range c.Bases {
					if names[LastSegment(b)] {
						names[c.Name] = true
						out = append(out, modClass{m, c})
						grew = true
						break
					}
				}
			}
		}
		if !grew {
			break
		}
	}
	return out
}

// settingsClass: a pydantic settings class, whose fields the environment
// overrides.
func settingsClass(c *Class) bool {
	for _, b := range c.Bases {
		if LastSegment(b) == "BaseSettings" {
			return true
		}
	}
	return false
}

// returns lists the expressions f returns (own body, not nested defs).
func returns(f *Func) []*Node {
	var out []*Node
	f.Body().Walk(func(n *Node) bool {
		switch n.Kind {
		case "function_definition", "class_definition", "lambda":
			return false
		case "return_statement":
			if c := n.NamedChildren(); len(c) > 0 {
				out = append(out, c[0])
			}
			return false
		}
		return true
	})
	return out
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

// callersFor is CallersOf, with a class's constructor calls for __init__.
func (p *Project) callersFor(f *Func) []CallSite {
	if f.Name == "__init__" && f.Class != nil {
		return p.ConstructorCalls(f.Module, f.Class)
	}
	return p.CallersOf(f)
}

// ConstructorCalls are the calls that create instances of c: C(...),
// cls(...) in c's class methods, and Django-style C.objects.create(...),
// get_or_create(...), update_or_create(...).
func (p *Project) ConstructorCalls(m *Module, c *Class) []CallSite {
	var out []CallSite
	for _, cs := range p.Calls(c.Name) {
		fn := Unparen(cs.Call.Child("function"))
		if p.classOf(cs.M, cs.M.DottedName(fn)) == c {
			out = append(out, cs)
		}
	}
	for _, meth := range c.Methods {
		if len(meth.Params) == 0 || meth.Params[0].Name != "cls" {
			continue
		}
		walkCalls(meth, func(call *Node) {
			if d := m.DottedName(call.Child("function")); d == "cls" {
				out = append(out, CallSite{M: m, F: meth, Call: call})
			}
		})
	}
	for _, name := range []string{"create", "get_or_create", "update_or_create"} {
		for _, cs := range p.Calls(name) {
			fn := Unparen(cs.Call.Child("function"))
			if fn.Kind != "attribute" {
				continue
			}
			mgr := cs.M.DottedName(fn.Child("object")) // C.objects
			if !strings.HasSuffix(mgr, ".objects") {
				continue
			}
			owner := strings.TrimSuffix(mgr, ".objects")
			if p.classOf(cs.M, owner) == c || owner == "cls" && cs.F != nil && cs.F.Class == c {
				out = append(out, cs)
			}
		}
	}
	return out
}

func walkCalls(f *Func, fn func(*Node)) {
	f.Body().Walk(func(n *Node) bool {
		if n.Kind == "function_definition" || n.Kind == "class_definition" {
			return false
		}
		if n.Kind == "call" {
			fn(n)
		}
		return true
	})
}

// instanceClass decides which project class the object named head is an
// instance of, from f's point of view: self/cls in a method, or a local
// or parameter whose value is a constructor call (C(...), cls(...),
// C.objects.create/get/...).
func (p *Project) instanceClass(m *Module, f *Func, head string, depth int) (*Class, *Module) {
	if head == "self" || head == "cls" {
		for g := f; g != nil; g = g.Outer {
			if g.Class != nil {
				return g.Class, g.Module
			}
		}
		return nil, nil
	}
	if depth <= 0 {
		return nil, nil
	}
	var vals []*Node
	for g := f; g != nil && len(vals) == 0; g = g.Outer {
		vals = p.Locals(g)[head]
	}
	vm := m
	if len(vals) == 0 && !strings.Contains(head, ".") {
		// A module-level instance, here or imported: `settings =
		// Settings()` in app/config.py read as settings.x elsewhere (a
		// pydantic BaseSettings field's default is what an unset
		// variable gives: starfuryone/ai-sheets-saas).
		vals = m.Globals[head]
		if len(vals) == 0 && ImportedHead(m, head) {
			if gm, gv := p.LookupGlobalFrom(m, m.Qualify(head)); gm != nil && gm != m {
				vm, vals = gm, gv
			}
		}
	}
	m = vm
	for _, v := range vals {
		v = Unparen(v)
		if v.Kind != "call" {
			continue
		}
		fn := Unparen(v.Child("function"))
		d := m.DottedName(fn)
		if d == "" && fn.Kind == "attribute" {
			// C.objects.filter(...).first()
			d = m.DottedName(Root(fn))
		}
		for _, suffix := range []string{".objects.create", ".objects.get", ".objects.get_or_create", ".objects.update_or_create", ".objects"} {
			if strings.HasSuffix(d, suffix) {
				d = strings.TrimSuffix(d, suffix)
				break
			}
		}
		if d == "cls" {
			for g := f; g != nil; g = g.Outer {
				if g.Class != nil {
					return g.Class, g.Module
				}
			}
		}
		if c := p.classOf(m, d); c != nil {
			return c, p.classModule(m, d)
		}
	}
	return nil, nil
}

func (p *Project) classModule(m *Module, name string) *Module {
	if m.Classes[name] != nil {
		return m
	}
	cm, _ := p.LookupClassFrom(m, m.Qualify(name))
	return cm
}

// attrWrite is one value written to an attribute of a class's instances.
type attrWrite struct {
	m *Module
	f *Func
	v *Node
}

// attrWrites lists what may be stored in attribute attr of c's instances:
// the class attribute (unless it declares a model field), self.attr = v in
// any method of c or its project bases, attr=v in constructor calls, and
// x.attr = v on instances created in class methods (inst = cls()).
func (p *Project) attrWrites(m *Module, c *Class, attr string) []attrWrite {
	var out []attrWrite
	cls, cm := c, m
	for depth := 0; cls != nil && depth < 4; depth++ {
		if v := cls.Attrs[attr]; v != nil && !isFieldDeclaration(cm, v) {
			out = append(out, attrWrite{m: cm, v: v})
		}
		for _, meth := range cls.Methods {
			for _, v := range p.Locals(meth)["self."+attr] {
				out = append(out, attrWrite{m: cm, f: meth, v: v})
			}
			// inst = cls(); inst.attr = v
			for name, vals := range p.Locals(meth) {
				h, a, ok := strings.Cut(name, ".")
				if !ok || a != attr || h == "self" {
					continue
				}
				if ic, _ := p.instanceClass(cm, meth, h, 1); ic == cls {
					for _, v := range vals {
						out = append(out, attrWrite{m: cm, f: meth, v: v})
					}
				}
			}
		}
		var next *Class
		var nm *Module
		for _, b := range cls.Bases {
			if bc := cm.Classes[b]; bc != nil {
				next, nm = bc, cm
				break
			}
			if bm, bc := p.LookupClassFrom(cm, b); bc != nil {
				next, nm = bc, bm
				break
			}
		}
		cls, cm = next, nm
	}
	for _, cs := range p.ConstructorCalls(m, c) {
		_, kw := cs.M.CallArgs(cs.Call)
		if v, ok := kw[attr]; ok {
			out = append(out, attrWrite{m: cs.M, f: cs.F, v: v})
		}
		if d, ok := kw["defaults"]; ok && Unparen(d).Kind == "dictionary" {
			for _, pair := range Unparen(d).NamedChildren() {
				if k, _ := cs.M.StringValue(pair.Child("key")); k == attr {
					out = append(out, attrWrite{m: cs.M, f: cs.F, v: pair.Child("value")})
				}
			}
		}
	}
	return out
}

// isFieldDeclaration: `headers = models.JSONField()` declares a column; the
// value of instances' attribute comes from constructor arguments.
func isFieldDeclaration(m *Module, v *Node) bool {
	v = Unparen(v)
	if v.Kind != "call" {
		return false
	}
	q := m.CallName(v)
	l := LastSegment(q)
	return strings.HasPrefix(q, "models.") || strings.Contains(q, ".models.") || strings.HasSuffix(l, "Field") ||
		l == "Column" || l == "mapped_column" || strings.HasPrefix(q, "fields.") || strings.HasPrefix(q, "db.")
}
