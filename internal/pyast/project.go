package pyast

import (
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unique"
)

// Project is the set of modules one analysis run sees; it resolves names
// across files (imports, calls, settings constants).
//
// A project is built in one of three ways:
//   - NewProject: every module is known and in memory (tests, small scans);
//   - Local: one module analysed alone while the scan is still walking;
//     every question about the rest of the tree is recorded in Deps, so
//     that the result can be kept when nothing in the finished tree could
//     change it;
//   - Universe.Project: the modules whose local result did not hold are
//     analysed again with the whole tree available, other modules being
//     loaded (parsed again) only when a look-up needs them.
//
// All cross-module knowledge must go through the look-ups below (never a
// loop over Modules), or the local and streamed results would differ.
type Project struct {
	// Modules are the modules this run drives: loops that look for
	// handlers, verification calls or key sinks visit these only.
	Modules []*Module
	// FollowReturns makes Origins follow calls of project functions into
	// their return statements (settings helpers, secret wrappers).
	FollowReturns bool

	nest     int // ResolveCall → Origins → ResolveCall nesting
	resolved map[*Node]*Func
	u        *Universe // nil for closed and local projects
	deps     *Deps     // non-nil for a local project

	byLast    map[string][]*Module // closed/local: known modules by last name segment
	loaded    map[*Summary]*Module // universe: modules loaded so far (nil: failed)
	calls     map[string][]CallSite
	callsDone map[*Module]bool
	locals    sync.Map // *Func → map[string][]*Node
}

// CallSite is one call expression and where it sits.
type CallSite struct {
	M    *Module
	F    *Func // enclosing function, nil at module level
	Call *Node
}

// NewProject is a closed project: every module known and driven. Modules
// are ordered by path so results do not depend on scan order.
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

// Local is the project of one module analysed on its own; Deps records
// what the rest of the tree could change.
func Local(m *Module) *Project {
	p := NewProject([]*Module{m})
	p.deps = &Deps{}
	return p
}

// Deps returns what a local run asked about other modules (nil for other
// projects).
func (p *Project) Deps() *Deps { return p.deps }

// nameMatches: module name mn answers a look-up of name (either may be
// relative to a different root: "helpers" finds "shop/helpers.py").
func nameMatches(mn, name string) bool {
	return mn == name || strings.HasSuffix(mn, "."+name) || strings.HasSuffix(name, "."+mn)
}

// ModulesNamed returns modules whose dotted name is name or ends with
// "."+name, so "helpers" finds "shop/helpers.py" whatever the scan root.
func (p *Project) ModulesNamed(name string) []*Module {
	var out []*Module
	p.eachNamed(nil, name, func(m *Module) bool {
		out = append(out, m)
		return false
	})
	return out
}

// maxCandidates bounds the modules tried for one name: a generic name
// ("config", "utils") may end the names of many modules.
const maxCandidates = 8

// eachNamed calls fn with the modules answering a look-up of name from
// module from (nil: anywhere), closest first: an exact name, then the
// modules sharing the longest package prefix with from, then the shorter
// names. Modules are loaded only as they are tried; fn returning true
// stops.
func (p *Project) eachNamed(from *Module, name string, fn func(*Module) bool) {
	if IsLibraryName(name) {
		// json.loads, stripe.Webhook, flask.request: a copy of the
		// library in the tree (vendored, or CPython's own sources) is not
		// the application, and the analyses know these APIs by name.
		return
	}
	if p.deps != nil {
		p.deps.mod(name)
	}
	type cand struct {
		name, path string
		s          *Summary
		m          *Module
	}
	var cs []cand
	if p.u != nil {
		for _, s := range p.u.byLast[LastSegment(name)] {
			if nameMatches(s.Name, name) {
				cs = append(cs, cand{name: s.Name, path: s.Path, s: s})
			}
		}
	} else {
		for _, m := range p.byLast[LastSegment(name)] {
			if nameMatches(m.Name, name) {
				cs = append(cs, cand{name: m.Name, path: m.Path, m: m})
			}
		}
	}
	if len(cs) > 1 {
		fromName := ""
		if from != nil {
			fromName = from.Name
		}
		rank := func(c cand) (int, int, int) {
			exact := 1
			if c.name == name || strings.HasSuffix(name, "."+c.name) {
				exact = 0
			}
			return exact, -commonSegments(c.name, fromName), strings.Count(c.name, ".")
		}
		sort.SliceStable(cs, func(i, j int) bool {
			a1, a2, a3 := rank(cs[i])
			b1, b2, b3 := rank(cs[j])
			if a1 != b1 {
				return a1 < b1
			}
			if a2 != b2 {
				return a2 < b2
			}
			if a3 != b3 {
				return a3 < b3
			}
			return cs[i].path < cs[j].path
		})
	}
	if len(cs) > maxCandidates {
		cs = cs[:maxCandidates]
	}
	for _, c := range cs {
		m := c.m
		if c.s != nil {
			m = p.load(c.s)
		}
		if m != nil && fn(m) {
			return
		}
	}
}

// commonSegments counts the leading dotted segments two names share.
func commonSegments(a, b string) int {
	n := 0
	for a != "" && b != "" {
		x, ra, _ := strings.Cut(a, ".")
		y, rb, _ := strings.Cut(b, ".")
		if x != y {
			break
		}
		n++
		a, b = ra, rb
	}
	return n
}

// ImportedHead: the first segment of a dotted name is bound by an import
// of m (so the name may reach another module).
func ImportedHead(m *Module, dotted string) bool {
	head, _, _ := strings.Cut(dotted, ".")
	_, ok := m.Imports[head]
	return ok
}

// IsLibraryName: the dotted name starts with a well-known library or
// standard module (stripe, json, os, flask, django…), never the project's.
func IsLibraryName(name string) bool {
	root, _, _ := strings.Cut(name, ".")
	return externalModules[root] || libraryRoots[root]
}

// libraryRoots complete externalModules (outline.go) with libraries whose
// names carry no key either.
var libraryRoots = map[string]bool{
	"werkzeug": true, "sanic": true, "falcon": true, "pyramid": true, "tornado": true, "bottle": true, "quart": true,
	"litestar": true, "chalice": true, "aiohttp": true, "zope": true, "structlog": true, "redis": true, "httpx": true,
	"urllib3": true, "jwt": true, "marshmallow": true, "attrs": true, "attr": true, "pytest": true, "unittest": true,
	"email": true, "smtplib": true, "sqlite3": true, "pickle": true, "shutil": true, "glob": true, "tempfile": true,
	"argparse": true, "configparser": true, "decouple": true, "dotenv": true, "pprint": true,
	"click": true, "typer": true, "rich": true, "numpy": true, "pandas": true, "yaml": true, "toml": true,
	"orjson": true, "ujson": true, "simplejson": true, "rapidjson": true, "zoneinfo": true, "pytz": true,
	"dateutil": true, "gzip": true, "zipfile": true, "tarfile": true, "platform": true,
	"signal": true, "queue": true, "heapq": true, "bisect": true, "weakref": true, "gc": true, "ssl": true,
	"select": true, "selectors": true, "concurrent": true, "multiprocessing": true, "ctypes": true,
	"importlib": true, "pkgutil": true, "site": true, "sysconfig": true, "builtins": true, "fastapi_users": true,
	"starlette_context": true, "graphene": true, "strawberry": true, "ariadne": true, "mock": true,
}

// WithAnchor returns the modules whose bytes mention one of the anchors:
// the few files that can hold a project-wide registration.
func (p *Project) WithAnchor(a Anchor) []*Module {
	if p.deps != nil {
		p.deps.anchors |= a
	}
	var out []*Module
	if p.u != nil {
		for _, s := range p.u.sums {
			if p.u.anchorsOf(s)&a != 0 {
				if m := p.load(s); m != nil {
					out = append(out, m)
				}
			}
		}
		return out
	}
	for _, m := range p.Modules {
		if m.Facts().Anchors&a != 0 {
			out = append(out, m)
		}
	}
	return out
}

// IsSettingsPath: a Django-style settings module (settings.py or any file
// under a settings/ package).
func IsSettingsPath(rel string) bool {
	return path.Base(rel) == "settings.py" || strings.Contains(rel, "settings/")
}

// SettingsModules returns the project's settings modules.
func (p *Project) SettingsModules() []*Module {
	if p.deps != nil {
		p.deps.settings = true
	}
	var out []*Module
	if p.u != nil {
		for _, s := range p.u.sums {
			if IsSettingsPath(s.Path) {
				if m := p.load(s); m != nil {
					out = append(out, m)
				}
			}
		}
		return out
	}
	for _, m := range p.Modules {
		if IsSettingsPath(m.Path) {
			out = append(out, m)
		}
	}
	return out
}

// Definitions returns every function or method named name.
func (p *Project) Definitions(name string) []*Func {
	if p.deps != nil {
		p.deps.def(name)
	}
	var mods []*Module
	if p.u != nil {
		for _, s := range p.u.byDef[unique.Make(name)] {
			if m := p.load(s); m != nil {
				mods = append(mods, m)
			}
		}
	} else {
		mods = p.Modules
	}
	var out []*Func
	for _, m := range mods {
		for _, f := range m.Funcs {
			if f.Name == name {
				out = append(out, f)
			}
		}
	}
	return out
}

// Method finds a method on a class or its project bases.
func (p *Project) Method(m *Module, c *Class, name string) *Func { return p.method(m, c, name) }

// LookupFunc finds "pkg.mod.fn" or "pkg.mod.Class.method", also through
// re-exports (pkg/__init__.py: from .webhooks import Trigger).
func (p *Project) LookupFunc(qual string) *Func { return p.lookupFunc(nil, qual, 0) }

// LookupFuncFrom is LookupFunc as seen from module from: among modules of
// the same name, the closest to it wins.
func (p *Project) LookupFuncFrom(from *Module, qual string) *Func { return p.lookupFunc(from, qual, 0) }

func (p *Project) lookupFunc(from *Module, qual string, depth int) *Func {
	for i := strings.LastIndexByte(qual, '.'); i > 0; i = strings.LastIndexByte(qual[:i], '.') {
		rest := qual[i+1:]
		var found *Func
		p.eachNamed(from, qual[:i], func(m *Module) bool {
			if f := m.ByName[rest]; f != nil {
				found = f
				return true
			}
			if q := reexport(m, rest); q != "" && depth < 3 {
				found = p.lookupFunc(m, q, depth+1)
			}
			if found == nil && depth < 3 && !strings.Contains(rest, ".") {
				// A package that re-exports with `from .impl import *`
				// (Kalendario-ie/Kalendario_API billing/stripe/helpers).
				var stars []string
				for k, mod := range m.Imports {
					if strings.HasPrefix(k, "*") {
						stars = append(stars, mod)
					}
				}
				// A package choosing between `from .mock import *` and
				// `from .production import *` by settings: the real one
				// first, test doubles last.
				sort.Slice(stars, func(i, j int) bool {
					di, dj := testDoubleRE.MatchString(LastSegment(stars[i])), testDoubleRE.MatchString(LastSegment(stars[j]))
					if di != dj {
						return dj
					}
					return stars[i] < stars[j]
				})
				for _, mod := range stars {
					if found = p.lookupFunc(m, mod+"."+rest, depth+1); found != nil {
						break
					}
				}
			}
			return found != nil
		})
		if found != nil {
			return found
		}
	}
	return nil
}

// testDoubleRE names modules that stand in for the real one in tests.
var testDoubleRE = regexp.MustCompile(`(?i)(^|_)(mock|mocks|fake|fakes|stub|stubs|dummy|test|testing)($|_)`)

// reexport: rest ("Trigger" or "Trigger.from_request") names something
// m imports from another module; the qualified name there.
func reexport(m *Module, rest string) string {
	first, tail, _ := strings.Cut(rest, ".")
	q, ok := m.Imports[first]
	if !ok || q == first && tail == "" {
		return ""
	}
	if tail != "" {
		return q + "." + tail
	}
	return q
}

// LookupGlobal finds the values of a module-level name "pkg.mod.NAME".
func (p *Project) LookupGlobal(qual string) (*Module, []*Node) { return p.lookupGlobal(nil, qual, 0) }

// LookupGlobalFrom is LookupGlobal as seen from module from.
func (p *Project) LookupGlobalFrom(from *Module, qual string) (*Module, []*Node) {
	return p.lookupGlobal(from, qual, 0)
}

func (p *Project) lookupGlobal(from *Module, qual string, depth int) (*Module, []*Node) {
	i := strings.LastIndexByte(qual, '.')
	if i <= 0 {
		return nil, nil
	}
	var gm *Module
	var vals []*Node
	p.eachNamed(from, qual[:i], func(m *Module) bool {
		if v := m.Globals[qual[i+1:]]; len(v) > 0 {
			gm, vals = m, v
			return true
		}
		if q := reexport(m, qual[i+1:]); q != "" && q != qual && depth < 3 {
			gm, vals = p.lookupGlobal(m, q, depth+1)
		}
		return gm != nil
	})
	return gm, vals
}

// LookupClass finds "pkg.mod.Class".
func (p *Project) LookupClass(qual string) (*Module, *Class) { return p.lookupClass(nil, qual, 0) }

// LookupClassFrom is LookupClass as seen from module from.
func (p *Project) LookupClassFrom(from *Module, qual string) (*Module, *Class) {
	return p.lookupClass(from, qual, 0)
}

func (p *Project) lookupClass(from *Module, qual string, depth int) (*Module, *Class) {
	i := strings.LastIndexByte(qual, '.')
	if i <= 0 {
		return nil, nil
	}
	var cm *Module
	var cls *Class
	p.eachNamed(from, qual[:i], func(m *Module) bool {
		if c := m.Classes[qual[i+1:]]; c != nil {
			cm, cls = m, c
			return true
		}
		if q := reexport(m, qual[i+1:]); q != "" && q != qual && depth < 3 {
			cm, cls = p.lookupClass(m, q, depth+1)
		}
		return cls != nil
	})
	return cm, cls
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
	if g, ok := p.resolved[call]; ok {
		return g
	}
	nested := p.nest > 0
	g := p.resolveCall(m, f, call)
	// A look-up cut short by the nesting bound is not the answer.
	if g != nil || !nested {
		if p.resolved == nil {
			p.resolved = map[*Node]*Func{}
		}
		p.resolved[call] = g
	}
	return g
}

func (p *Project) resolveCall(m *Module, f *Func, call *Node) *Func {
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
			return p.LookupFuncFrom(m, q)
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
	// Only an imported name can be a module: log.info() on a logger,
	// request.get() on a parameter must not search modules named log or
	// request.
	if ImportedHead(m, d) {
		if g := p.LookupFuncFrom(m, m.Qualify(d)); g != nil {
			return g
		}
	}
	// self.service.handle(), svc.handle() with svc = self.make_service():
	// the receiver's value is an instance of a project class.
	if fn.Kind == "attribute" && f != nil && p.nest < 2 {
		recv := Unparen(fn.Child("object"))
		meth := m.Text(fn.Child("attribute"))
		p.nest++
		origins := p.Origins(m, f, recv, 2)
		p.nest--
		for _, o := range origins {
			on := Unparen(o.N)
			if on.Kind != "call" {
				continue
			}
			cn := o.M.DottedName(on.Child("function"))
			for _, suffix := range []string{".objects.create", ".objects.get", ".objects.get_or_create"} {
				cn = strings.TrimSuffix(cn, suffix)
			}
			if cn == "cls" && o.F != nil && o.F.Class != nil {
				return p.method(o.F.Module, o.F.Class, meth)
			}
			if c := p.classOf(o.M, cn); c != nil {
				return p.method(o.M, c, meth)
			}
		}
	}
	return nil
}

func (p *Project) classOf(m *Module, name string) *Class {
	if name == "" {
		return nil
	}
	if c := m.Classes[name]; c != nil {
		return c
	}
	_, c := p.LookupClassFrom(m, m.Qualify(name))
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
			if bm, bc := p.LookupClassFrom(m, b); bc != nil {
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
	if p.deps != nil {
		p.deps.call(name)
	}
	if p.calls == nil {
		p.calls = map[string][]CallSite{}
		p.callsDone = map[*Module]bool{}
	}
	if p.u == nil {
		for _, m := range p.Modules {
			p.indexCalls(m)
		}
		return p.calls[name]
	}
	for _, s := range p.u.byCall[unique.Make(name)] {
		if m := p.load(s); m != nil {
			p.indexCalls(m)
		}
	}
	return p.calls[name]
}

// indexCalls adds every call of m to the index, once per module.
func (p *Project) indexCalls(m *Module) {
	if p.callsDone[m] {
		return
	}
	p.callsDone[m] = true
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
