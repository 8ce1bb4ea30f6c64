package pyast

import (
	"sort"
	"strings"
	"sync"
)

// Project is the set of parsed modules of one scan; it resolves names
// across files (imports, calls, settings constants).
type Project struct {
	Modules []*Module

	callsOnce sync.Once
	calls     map[string][]CallSite // callee's last name segment → sites
	locals    sync.Map              // *Func → map[string][]*Node
	byLast    map[string][]*Module  // last segment of the module name → modules
}

// CallSite is one call expression and where it sits.
type CallSite struct {
	M    *Module
	F    *Func // enclosing function, nil at module level
	Call *Node
}

// NewProject orders modules by path so results do not depend on the order
// in which files were scanned.
func NewProject(mods []*Module) *Project {
	ms := append([]*Module(nil), mods...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Path < ms[j].Path })
	p := &Project{Modules: ms, byLast: map[string][]*Module{}}
	for _, m := range ms {
		l := LastSegment(m.Name)
		p.byLast[l] = append(p.byLast[l], m)
	}
	return p
}

// ModulesNamed returns modules whose dotted name is name or ends with
// "."+name, so "helpers" finds "shop/helpers.py" whatever the scan root.
func (p *Project) ModulesNamed(name string) []*Module {
	var out []*Module
	for _, m := range p.byLast[LastSegment(name)] {
		if m.Name == name || strings.HasSuffix(m.Name, "."+name) || strings.HasSuffix(name, "."+m.Name) {
			out = append(out, m)
		}
	}
	return out
}

// LookupFunc finds "pkg.mod.fn" or "pkg.mod.Class.method".
func (p *Project) LookupFunc(qual string) *Func {
	for i := strings.LastIndexByte(qual, '.'); i > 0; i = strings.LastIndexByte(qual[:i], '.') {
		for _, m := range p.ModulesNamed(qual[:i]) {
			if f := m.ByName[qual[i+1:]]; f != nil {
				return f
			}
		}
	}
	return nil
}

// LookupGlobal finds the values of a module-level name "pkg.mod.NAME".
func (p *Project) LookupGlobal(qual string) (*Module, []*Node) {
	i := strings.LastIndexByte(qual, '.')
	if i <= 0 {
		return nil, nil
	}
	for _, m := range p.ModulesNamed(qual[:i]) {
		if v := m.Globals[qual[i+1:]]; len(v) > 0 {
			return m, v
		}
	}
	return nil, nil
}

// LookupClass finds "pkg.mod.Class".
func (p *Project) LookupClass(qual string) (*Module, *Class) {
	i := strings.LastIndexByte(qual, '.')
	if i <= 0 {
		return nil, nil
	}
	for _, m := range p.ModulesNamed(qual[:i]) {
		if c := m.Classes[qual[i+1:]]; c != nil {
			return m, c
		}
	}
	return nil, nil
}

// Locals maps each name assigned in f's own body (not nested defs) to the
// assigned values in source order. with-as and walrus count as assignments.
func (p *Project) Locals(f *Func) map[string][]*Node {
	if v, ok := p.locals.Load(f); ok {
		return v.(map[string][]*Node)
	}
	m := f.Module
	out := map[string][]*Node{}
	f.Body().Walk(func(n *Node) bool {
		switch n.Kind {
		case "function_definition", "class_definition", "lambda":
			return false
		case "assignment":
			left, right := n.Child("left"), n.Child("right")
			for right != nil && right.Kind == "assignment" {
				right = right.Child("right")
			}
			if right == nil {
				return true
			}
			if name := m.DottedName(left); name != "" {
				out[name] = append(out[name], right)
			} else if left != nil && (left.Kind == "pattern_list" || left.Kind == "tuple_pattern") {
				// a, b = x: record the whole right side for each name so
				// taint still flows.
				for _, c := range left.NamedChildren() {
					if name := m.DottedName(c); name != "" {
						out[name] = append(out[name], right)
					}
				}
			}
		case "augmented_assignment":
			if name := m.DottedName(n.Child("left")); name != "" && n.Child("right") != nil {
				out[name] = append(out[name], n.Child("right"))
			}
		case "named_expression":
			if name := m.Text(n.Child("name")); name != "" && n.Child("value") != nil {
				out[name] = append(out[name], n.Child("value"))
			}
		case "with_item":
			v := n.Child("value")
			if v != nil && v.Kind == "as_pattern" {
				expr := v.NamedChildren()
				if t := v.Child("alias"); t != nil && len(expr) > 0 {
					if name := m.DottedName(Unparen(t.NamedChildren0())); name != "" {
						out[name] = append(out[name], expr[0])
					}
				}
			}
		}
		return true
	})
	p.locals.Store(f, out)
	return out
}

// NamedChildren0 is the first named child (or n itself when it has none),
// used for wrapper nodes such as as_pattern_target.
func (n *Node) NamedChildren0() *Node {
	if c := n.NamedChildren(); len(c) > 0 {
		return c[0]
	}
	return n
}

// ResolveCall returns the project function a call reaches, or nil.
func (p *Project) ResolveCall(m *Module, f *Func, call *Node) *Func {
	fn := Unparen(call.Child("function"))
	if fn == nil {
		return nil
	}
	// Service().handle(...)
	if fn.Kind == "attribute" {
		if obj := Unparen(fn.Child("object")); obj != nil && obj.Kind == "call" {
			if c := p.classOf(m, m.DottedName(obj.Child("function"))); c != nil {
				return p.method(m, c, m.Text(fn.Child("attribute")))
			}
		}
	}
	d := m.DottedName(fn)
	if d == "" {
		return nil
	}
	head, rest, dotted := strings.Cut(d, ".")
	if !dotted {
		for g := f; g != nil; g = g.Outer {
			for _, x := range m.Funcs {
				if x.Outer == g && x.Name == d {
					return x
				}
			}
		}
		if x := m.ByName[d]; x != nil {
			return x
		}
		if q, ok := m.Imports[d]; ok {
			return p.LookupFunc(q)
		}
		return nil
	}
	if (head == "self" || head == "cls") && f != nil && !strings.Contains(rest, ".") {
		for g := f; g != nil; g = g.Outer {
			if g.Class != nil {
				return p.method(m, g.Class, rest)
			}
		}
		return nil
	}
	if !strings.Contains(rest, ".") {
		if c := m.Classes[head]; c != nil {
			return p.method(m, c, rest)
		}
		// obj = Service(); obj.handle() — local or module-level object.
		vals := m.Globals[head]
		if f != nil {
			if lv := p.Locals(f)[head]; len(lv) > 0 {
				vals = lv
			}
		}
		{
			if len(vals) > 0 {
				if v := Unparen(vals[len(vals)-1]); v.Kind == "call" {
					if c := p.classOf(m, m.DottedName(v.Child("function"))); c != nil {
						return p.method(m, c, rest)
					}
				}
			}
		}
	}
	return p.LookupFunc(m.Qualify(d))
}

func (p *Project) classOf(m *Module, name string) *Class {
	if name == "" {
		return nil
	}
	if c := m.Classes[name]; c != nil {
		return c
	}
	_, c := p.LookupClass(m.Qualify(name))
	return c
}

// method finds a method on a class or its bases within the project.
func (p *Project) method(m *Module, c *Class, name string) *Func {
	for depth := 0; c != nil && depth < 6; depth++ {
		if f := c.Methods[name]; f != nil {
			return f
		}
		var next *Class
		for _, b := range c.Bases {
			if bc := m.Classes[b]; bc != nil {
				next = bc
				break
			}
			if bm, bc := p.LookupClass(b); bc != nil {
				next, m = bc, bm
				break
			}
		}
		c = next
	}
	return nil
}

// Calls returns every call whose callee's last name segment is name.
func (p *Project) Calls(name string) []CallSite {
	p.callsOnce.Do(func() {
		p.calls = map[string][]CallSite{}
		for _, m := range p.Modules {
			m.Root.Walk(func(n *Node) bool {
				if n.Kind != "call" {
					return true
				}
				fn := Unparen(n.Child("function"))
				var last string
				switch {
				case fn == nil:
				case fn.Kind == "identifier":
					last = m.Text(fn)
				case fn.Kind == "attribute":
					last = m.Text(fn.Child("attribute"))
				}
				if last != "" {
					p.calls[last] = append(p.calls[last], CallSite{M: m, F: m.FuncAt(n), Call: n})
				}
				return true
			})
		}
	})
	return p.calls[name]
}

// CallersOf returns the call sites that resolve to f.
func (p *Project) CallersOf(f *Func) []CallSite {
	var out []CallSite
	for _, cs := range p.Calls(f.Name) {
		if p.ResolveCall(cs.M, cs.F, cs.Call) == f {
			out = append(out, cs)
		}
	}
	return out
}
