package webhook

import (
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// ---- verification that runs before the view body ----
//
// Frameworks let an app verify a delivery before the view runs: DRF
// permission and authentication classes, Django middleware and view
// decorators, Flask/Quart before_request hooks and decorators,
// FastAPI/Starlette dependencies and middleware, Falcon hooks and
// middleware, Tornado's prepare(), Litestar guards, Sanic/Bottle request
// hooks. A view guarded that way trusts its payload rightly. guard finds
// the hook that verifies for a handler, taking into account which routes
// a hook covers (a blueprint's hook, a middleware that checks only
// request.path == "/stripe/webhook").

// guard reports the verification that runs before h's body, if any.
func (a *analysis) guard(h *handler) (string, bool) {
	a.guardFunc = nil
	if ok, how := a.wrapperVerifies(h); ok {
		return how, true
	}
	for _, try := range []func(*handler) (string, bool){
		a.classHookVerifies, a.drfVerifies, a.fastapiScopeVerifies, a.requestHookVerifies,
	} {
		if how, ok := try(h); ok {
			return how, true
		}
	}
	return "", false
}

// hookVerifies: calling g verifies for h (its verification is not limited
// to routes other than h's).
func (a *analysis) hookVerifies(g *pyast.Func, h *handler) bool {
	if g == nil || !a.verifies(g, callDepth) || !a.covers(g, h) {
		return false
	}
	a.guardFunc = g
	return true
}

// ---- class-level hooks: Django method_decorator, Falcon before, Tornado prepare, Litestar guards

func (a *analysis) classHookVerifies(h *handler) (string, bool) {
	f := h.f
	c := f.Class
	if c == nil {
		return "", false
	}
	m := f.Module
	// @method_decorator(verify, name="dispatch") on the class, or on the
	// method; @falcon.before(verify) on the class.
	decs := append(append([]*pyast.Node(nil), c.Decorators...), f.Decorators...)
	for _, d := range decs {
		if d.Kind != "call" {
			continue
		}
		last := pyast.LastSegment(m.DottedName(d.Child("function")))
		if last != "method_decorator" && last != "before" {
			continue
		}
		if last == "method_decorator" {
			if n, ok := m.StringValue(m.Arg(d, 1, "name")); ok && n != "dispatch" && n != f.Name {
				continue
			}
		}
		arg := m.Arg(d, 0, "")
		if arg == nil {
			continue
		}
		for _, dn := range decoratorNames(m, arg) {
			if g := a.resolveName(m, f, dn); g != nil && a.hookVerifies(g, h) {
				return "decorator " + dn + " (" + last + ")", true
			}
		}
	}
	// Tornado runs prepare() before the HTTP method.
	if g := a.p.Method(m, c, "prepare"); g != nil && g != f && a.hookVerifies(g, h) {
		return "prepare() of " + c.Name, true
	}
	// Litestar: guards = [verify] on a Controller.
	if v := c.Attrs["guards"]; v != nil {
		if how, ok := a.guardList(m, nil, v, h); ok {
			return how, true
		}
	}
	return "", false
}

// decoratorNames lists the decorators a method_decorator argument names
// (one, or a list of them).
func decoratorNames(m *pyast.Module, arg *pyast.Node) []string {
	arg = pyast.Unparen(arg)
	var out []string
	switch arg.Kind {
	case "list", "tuple":
		for _, e := range arg.NamedChildren() {
			out = append(out, decoratorNames(m, e)...)
		}
	case "call":
		if d := m.DottedName(arg.Child("function")); d != "" {
			out = append(out, d)
		}
	default:
		if d := m.DottedName(arg); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// guardList: a list of guard functions (Litestar guards=[…]) one of which
// verifies.
func (a *analysis) guardList(m *pyast.Module, f *pyast.Func, v *pyast.Node, h *handler) (string, bool) {
	for _, o := range a.p.Origins(m, f, v, 2) {
		on := pyast.Unparen(o.N)
		if on.Kind != "list" && on.Kind != "tuple" {
			continue
		}
		for _, e := range on.NamedChildren() {
			name := o.M.DottedName(e)
			if g := a.resolveName(o.M, o.F, name); g != nil && a.hookVerifies(g, h) {
				return "guard " + name, true
			}
		}
	}
	return "", false
}

// ---- Django REST framework ----

// drfVerifies: a permission or authentication class of the view verifies
// (the class attributes, get_permissions(), @permission_classes, or the
// REST_FRAMEWORK defaults when the view sets none).
func (a *analysis) drfVerifies(h *handler) (string, bool) {
	f := h.f
	m := f.Module
	if !isDRF(f) {
		return "", false
	}
	check := func(cm *pyast.Module, cf *pyast.Func, list *pyast.Node, attr string) (string, bool) {
		for _, c := range a.classesIn(cm, cf, list) {
			for _, meth := range []string{"has_permission", "authenticate"} {
				if g := a.p.Method(c.m, c.c, meth); g != nil && a.hookVerifies(g, h) {
					return attr + " " + c.c.Name + "." + meth, true
				}
			}
		}
		return "", false
	}
	set := map[string]bool{}
	if c := f.Class; c != nil {
		for _, attr := range []string{"permission_classes", "authentication_classes"} {
			if cm, cc, v := a.classAttr(m, c, attr); v != nil {
				set[attr] = true
				if how, ok := check(cm, nil, v, attr); ok {
					_ = cc
					return how, true
				}
			}
		}
		for _, meth := range []string{"get_permissions", "get_authenticators"} {
			if g := a.p.Method(m, c, meth); g != nil {
				set[strings.Replace(strings.TrimPrefix(meth, "get_"), "authenticators", "authentication", 1)+"_classes"] = true
				for _, r := range returnsOf(g) {
					if how, ok := check(g.Module, g, r, meth+"()"); ok {
						return how, true
					}
				}
			}
		}
	}
	for _, d := range f.Decorators {
		if d.Kind != "call" {
			continue
		}
		last := pyast.LastSegment(m.DottedName(d.Child("function")))
		if last == "permission_classes" || last == "authentication_classes" {
			set[last] = true
			if how, ok := check(m, nil, m.Arg(d, 0, ""), "@"+last); ok {
				return how, true
			}
		}
	}
	// REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["app.perms.Stripe"]}
	for _, sm := range a.p.SettingsModules() {
		for _, v := range sm.Globals["REST_FRAMEWORK"] {
			v = pyast.Unparen(v)
			if v.Kind != "dictionary" {
				continue
			}
			for _, pair := range v.NamedChildren() {
				k, _ := sm.StringValue(pair.Child("key"))
				attr := map[string]string{"DEFAULT_PERMISSION_CLASSES": "permission_classes", "DEFAULT_AUTHENTICATION_CLASSES": "authentication_classes"}[k]
				if attr == "" || set[attr] {
					continue
				}
				if how, ok := check(sm, nil, pair.Child("value"), "REST_FRAMEWORK "+k); ok {
					return how, true
				}
			}
		}
	}
	return "", false
}

// classAttr finds a class attribute on c or its project bases.
func (a *analysis) classAttr(m *pyast.Module, c *pyast.Class, attr string) (*pyast.Module, *pyast.Class, *pyast.Node) {
	for depth := 0; c != nil && depth < 6; depth++ {
		if v := c.Attrs[attr]; v != nil {
			return m, c, v
		}
		var next *pyast.Class
		for _, b := range c.Bases {
			if bc := m.Classes[pyast.LastSegment(b)]; bc != nil && m.Qualify(pyast.LastSegment(b)) == b {
				next = bc
				break
			}
			if bm, bc := a.p.LookupClassFrom(m, b); bc != nil {
				next, m = bc, bm
				break
			}
		}
		c = next
	}
	return nil, nil, nil
}

type classRef struct {
	m *pyast.Module
	c *pyast.Class
}

// classesIn resolves a list of classes, instances or dotted paths.
func (a *analysis) classesIn(m *pyast.Module, f *pyast.Func, list *pyast.Node) []classRef {
	if list == nil {
		return nil
	}
	var out []classRef
	for _, o := range a.p.Origins(m, f, list, 2) {
		on := pyast.Unparen(o.N)
		var elems []*pyast.Node
		switch on.Kind {
		case "list", "tuple", "set":
			elems = on.NamedChildren()
		default:
			elems = []*pyast.Node{on}
		}
		for _, e := range elems {
			e = pyast.Unparen(e)
			name := ""
			switch {
			case e.Kind == "call":
				name = o.M.DottedName(e.Child("function"))
			case e.Kind == "string":
				if s, ok := o.M.StringValue(e); ok {
					if cm, c := a.p.LookupClassFrom(o.M, s); c != nil {
						out = append(out, classRef{cm, c})
					}
				}
				continue
			default:
				name = o.M.DottedName(e)
			}
			if c := a.classNamed(o.M, name); c != nil {
				cm := o.M
				if o.M.Classes[name] == nil {
					cm, _ = a.p.LookupClassFrom(o.M, o.M.Qualify(name))
				}
				out = append(out, classRef{cm, c})
			}
		}
	}
	return out
}

func returnsOf(f *pyast.Func) []*pyast.Node {
	var out []*pyast.Node
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind == "return_statement" {
			if c := n.NamedChildren(); len(c) > 0 {
				out = append(out, c[0])
			}
		}
		return true
	})
	return out
}

// ---- FastAPI: router and application dependencies ----

// fastapiScopeVerifies: APIRouter(dependencies=[Depends(verify)]) the
// route is registered on, include_router(router, dependencies=[…]) or
// FastAPI(dependencies=[…]).
func (a *analysis) fastapiScopeVerifies(h *handler) (string, bool) {
	if h.regCall == nil || h.reg == "" {
		return "", false
	}
	m := h.f.Module
	fn := pyast.Unparen(h.regCall.Child("function"))
	if fn == nil || fn.Kind != "attribute" {
		return "", false
	}
	obj := fn.Child("object")
	for _, o := range a.p.Origins(m, h.f.Outer, obj, 3) {
		on := pyast.Unparen(o.N)
		if on.Kind != "call" {
			continue
		}
		switch pyast.LastSegment(o.M.CallName(on)) {
		case "APIRouter", "FastAPI", "Router", "Litestar", "Starlette":
			if how, ok := a.dependsList(o.M, o.F, o.M.Arg(on, -1, "dependencies"), h); ok {
				return how, true
			}
			if how, ok := a.guardList(o.M, o.F, o.M.Arg(on, -1, "guards"), h); ok {
				return how, true
			}
		}
	}
	// app.include_router(router, dependencies=[Depends(verify)])
	regLast := pyast.LastSegment(h.reg)
	for _, cs := range a.p.Calls("include_router") {
		r := cs.M.Arg(cs.Call, 0, "router")
		if r == nil || pyast.LastSegment(cs.M.Qualify(cs.M.DottedName(r))) != regLast {
			continue
		}
		if how, ok := a.dependsList(cs.M, cs.F, cs.M.Arg(cs.Call, -1, "dependencies"), h); ok {
			return how, true
		}
	}
	// Litestar route-level guards=[…]
	if how, ok := a.guardList(m, h.f.Outer, m.Arg(h.regCall, -1, "guards"), h); ok {
		return how, true
	}
	return "", false
}

// dependsList: [Depends(verify), Security(check)] with one that verifies.
func (a *analysis) dependsList(m *pyast.Module, f *pyast.Func, list *pyast.Node, h *handler) (string, bool) {
	if list == nil {
		return "", false
	}
	for _, o := range a.p.Origins(m, f, list, 2) {
		var found string
		pyast.Unparen(o.N).Walk(func(x *pyast.Node) bool {
			if found != "" {
				return false
			}
			if x.Kind == "call" {
				if l := pyast.LastSegment(o.M.DottedName(x.Child("function"))); l == "Depends" || l == "Security" {
					if dep := o.M.Arg(x, 0, "dependency"); dep != nil {
						if g := a.depTarget(o.M, o.F, dep); g != nil && a.hookVerifies(g, h) {
							found = "dependency " + o.M.Text(dep)
						}
					}
				}
			}
			return true
		})
		if found != "" {
			return found, true
		}
	}
	return "", false
}

// ---- request hooks and middleware ----

// requestHookVerifies: a hook the framework runs before every request
// verifies, and covers h's route.
func (a *analysis) requestHookVerifies(h *handler) (string, bool) {
	for _, hk := range a.requestHooks() {
		if !a.scopeCovers(hk, h) {
			continue // another blueprint's or another app's hook
		}
		if fh, fv := frameworkOf(hk.f.Module), frameworkOf(h.f.Module); fh != "" && fv != "" && fh != fv {
			continue // another framework's app
		}
		if a.hookVerifies(hk.f, h) {
			return hk.kind + " " + hk.f.Qual, true
		}
	}
	return "", false
}

// requestHook is a function the framework runs before the views.
type requestHook struct {
	f       *pyast.Func
	kind    string
	scope   string // the app or blueprint it is registered on, qualified
	appWide bool
}

// requestHooks finds before-request hooks and middleware anywhere in the
// project (once per analysis).
func (a *analysis) requestHooks() []requestHook {
	if a.hooks != nil {
		return *a.hooks
	}
	var out []requestHook
	addFunc := func(g *pyast.Func, kind, scope string, appWide bool) {
		if g != nil {
			out = append(out, requestHook{f: g, kind: kind, scope: scope, appWide: appWide})
		}
	}
	addClass := func(m *pyast.Module, name, kind string) {
		c := a.classNamed(m, name)
		if c == nil {
			// a dotted path (Django MIDDLEWARE), or a factory function
			if g := a.p.LookupFuncFrom(m, name); g != nil {
				addFunc(g, kind, "", true)
				return
			}
			if cm, cc := a.p.LookupClassFrom(m, name); cc != nil {
				m, c = cm, cc
			} else {
				return
			}
		} else if m.Classes[name] == nil {
			m, _ = a.p.LookupClassFrom(m, m.Qualify(name))
		}
		for _, meth := range []string{"__call__", "process_request", "process_view", "dispatch", "process_resource", "pre_process_request"} {
			if g := a.p.Method(m, c, meth); g != nil {
				addFunc(g, kind, "", true)
			}
		}
	}
	hookDecorators := map[string]string{"before_request": "before_request hook", "before_app_request": "before_app_request hook",
		"on_request": "request hook", "middleware": "middleware"}
	for _, m := range a.p.WithAnchor(pyast.ABeforeRequest | pyast.AMiddleware) {
		for _, f := range m.Funcs {
			for _, d := range f.Decorators {
				dn := m.DottedName(d)
				var call *pyast.Node
				if d.Kind == "call" {
					call = d
					dn = m.DottedName(d.Child("function"))
				}
				last := pyast.LastSegment(dn)
				kind, ok := hookDecorators[last]
				if !ok {
					// Bottle: @hook("before_request")
					if last == "hook" && call != nil {
						if s, _ := m.StringValue(m.Arg(call, 0, "")); s == "before_request" {
							addFunc(f, "before_request hook", "", true)
						}
					}
					continue
				}
				if last == "middleware" && call != nil {
					// @app.middleware("http") / Sanic @app.middleware("request")
					if s, ok := m.StringValue(m.Arg(call, 0, "")); ok && s != "http" && s != "request" {
						continue
					}
				}
				scope, obj := "", ""
				if strings.Contains(dn, ".") {
					obj = dn[:strings.LastIndexByte(dn, '.')]
					scope = a.objID(m, f.Outer, obj)
				}
				addFunc(f, kind, scope, last == "before_app_request" || last == "middleware" || last == "on_request" || a.isAppObject(m, f.Outer, obj))
			}
		}
		// app.before_request(check), app.add_middleware(Cls),
		// app.add_hook("before_request", check), Middleware(Cls).
		m.Root.Walk(func(n *pyast.Node) bool {
			if n.Kind != "call" {
				return true
			}
			fn := pyast.Unparen(n.Child("function"))
			last := pyast.LastSegment(m.DottedName(fn))
			switch last {
			case "before_request", "before_app_request":
				if arg := m.Arg(n, 0, "f"); arg != nil && n.Parent != nil && n.Parent.Kind != "decorator" {
					scope := ""
					if fn.Kind == "attribute" {
						scope = a.objID(m, m.FuncAt(n), m.DottedName(fn.Child("object")))
					}
					addFunc(a.resolveName(m, m.FuncAt(n), m.DottedName(arg)), last+" hook", scope, last == "before_app_request" || scope == "" || a.isAppObject(m, m.FuncAt(n), m.DottedName(fn.Child("object"))))
				}
			case "add_hook":
				if s, _ := m.StringValue(m.Arg(n, 0, "")); s == "before_request" {
					addFunc(a.resolveName(m, m.FuncAt(n), m.DottedName(m.Arg(n, 1, ""))), "before_request hook", "", true)
				}
			case "add_middleware", "Middleware":
				if arg := m.Arg(n, 0, ""); arg != nil {
					name := m.DottedName(arg)
					if pyast.Unparen(arg).Kind == "call" {
						name = m.DottedName(pyast.Unparen(arg).Child("function"))
					}
					addClass(m, name, "middleware")
				}
			}
			return true
		})
		// falcon.App(middleware=[StripeMiddleware()])
		m.Root.Walk(func(n *pyast.Node) bool {
			if n.Kind == "call" {
				switch pyast.LastSegment(m.CallName(n)) {
				case "App", "API", "Starlette", "FastAPI":
					if mw := m.Arg(n, -1, "middleware"); mw != nil && pyast.Unparen(mw).Kind == "list" {
						for _, e := range pyast.Unparen(mw).NamedChildren() {
							e = pyast.Unparen(e)
							name := m.DottedName(e)
							if e.Kind == "call" {
								name = m.DottedName(e.Child("function"))
								if pyast.LastSegment(name) == "Middleware" {
									continue // handled as a call above
								}
							}
							addClass(m, name, "middleware")
						}
					}
				}
			}
			return true
		})
	}
	// Django: MIDDLEWARE = ["app.middleware.StripeSignatureMiddleware", …]
	for _, sm := range a.p.SettingsModules() {
		for _, key := range []string{"MIDDLEWARE", "MIDDLEWARE_CLASSES"} {
			for _, v := range sm.Globals[key] {
				pyast.Unparen(v).Walk(func(x *pyast.Node) bool {
					if x.Kind == "string" {
						if s, ok := sm.StringValue(x); ok && strings.Contains(s, ".") && !strings.HasPrefix(s, "django.") {
							addClass(sm, s, "Django middleware")
						}
						return false
					}
					return true
				})
			}
		}
	}
	a.hooks = &out
	return out
}

// frameworkRoots are the web frameworks a module may be written for.
var frameworkRoots = []string{"django", "rest_framework", "flask", "quart", "fastapi", "starlette", "sanic", "bottle",
	"falcon", "pyramid", "tornado", "litestar", "chalice", "aiohttp"}

// frameworkOf names the web framework a module imports ("" when none);
// DRF counts as Django, FastAPI as Starlette.
func frameworkOf(m *pyast.Module) string {
	roots := map[string]bool{}
	for _, q := range m.Imports {
		root, _, _ := strings.Cut(q, ".")
		roots[root] = true
	}
	for _, fw := range frameworkRoots {
		if roots[fw] {
			switch fw {
			case "rest_framework":
				return "django"
			case "fastapi":
				return "starlette"
			}
			return fw
		}
	}
	return ""
}

// objID names an object so that the same app or blueprint gets the same
// name wherever it is used: module-level objects by their qualified name,
// locals of an app factory by module, function and name.
func (a *analysis) objID(m *pyast.Module, f *pyast.Func, name string) string {
	if name == "" {
		return ""
	}
	head, _, _ := strings.Cut(name, ".")
	for g := f; g != nil; g = g.Outer {
		if len(a.p.Locals(g)[head]) > 0 {
			return m.Name + ":" + g.Qual + ":" + name
		}
	}
	return qualifyObj(m, name)
}

// scopeCovers: a hook registered on an app or blueprint applies to h's
// route: the same object, or h's blueprint/router registered into the
// hook's app; an app-wide hook does not reach the routes of another app.
func (a *analysis) scopeCovers(hk requestHook, h *handler) bool {
	if hk.scope == "" || h.reg == "" || hk.scope == h.reg {
		return true
	}
	parents := a.registeredInto(h.reg)
	for _, p := range parents {
		if p == hk.scope {
			return true
		}
	}
	if !hk.appWide {
		return false
	}
	if len(parents) > 0 || a.appIDs()[h.reg] {
		return false // the route belongs to another app
	}
	return true
}

// registeredInto lists the apps (or parent blueprints/routers) a
// blueprint or router is registered into (register_blueprint,
// include_router), by objID.
func (a *analysis) registeredInto(child string) []string {
	if a.regInto == nil {
		a.regInto = map[string][]string{}
		for _, name := range []string{"register_blueprint", "include_router"} {
			for _, cs := range a.p.Calls(name) {
				fn := pyast.Unparen(cs.Call.Child("function"))
				if fn == nil || fn.Kind != "attribute" {
					continue
				}
				parent := a.objID(cs.M, cs.F, cs.M.DottedName(fn.Child("object")))
				arg := cs.M.Arg(cs.Call, 0, "")
				if arg == nil || parent == "" {
					continue
				}
				c := a.objID(cs.M, cs.F, cs.M.DottedName(arg))
				if c != "" {
					a.regInto[c] = append(a.regInto[c], parent)
				}
			}
		}
	}
	return a.regInto[child]
}

// appIDs are the objIDs of the route registrars that are applications.
func (a *analysis) appIDs() map[string]bool {
	if a.apps == nil {
		a.apps = map[string]bool{}
		for _, h := range a.handlersFound {
			if h.reg != "" && h.regApp {
				a.apps[h.reg] = true
			}
		}
	}
	return a.apps
}

// qualifyObj names a module-level object the same way from the module
// that defines it and from the modules that import it.
func qualifyObj(m *pyast.Module, name string) string {
	if name == "" {
		return ""
	}
	if q := m.Qualify(name); q != name {
		return q
	}
	first, _, _ := strings.Cut(name, ".")
	if _, imported := m.Imports[first]; imported {
		return name
	}
	return m.Name + "." + name
}

// isAppObject: the name is bound to an application (Flask(...),
// Quart(...), Sanic(...)), not a blueprint.
func (a *analysis) isAppObject(m *pyast.Module, f *pyast.Func, name string) bool {
	if name == "" {
		return false
	}
	vals := m.Globals[name]
	if f != nil {
		if lv := a.p.Locals(f)[name]; len(lv) > 0 {
			vals = lv
		}
	}
	for _, v := range vals {
		v = pyast.Unparen(v)
		if v.Kind == "call" {
			switch pyast.LastSegment(m.CallName(v)) {
			case "Flask", "Quart", "Sanic", "Bottle", "App", "Chalice", "Litestar", "FastAPI", "Starlette":
				return true
			}
		}
	}
	return false
}

// ---- which routes a hook covers ----

// pathExprs are the expressions that name the requested route.
var pathExprs = []string{"request.path", "request.path_info", "request.url.path", "request.url_rule", "request.endpoint",
	"request.resolver_match.url_name", "request.matched_route.name", "req.path", "request.route.path", "request.url.raw_path",
	"request.route", "request.get_full_path()", "request.full_path"}

// covers decides whether a hook's verification runs for h: every branch
// condition and early return between the hook's entry and its
// verification that tests the route must let h's route through.
// Undecidable tests (h's route unknown) count as covering only when the
// tested route and the handler both name Stripe or webhooks.
func (a *analysis) covers(g *pyast.Func, h *handler) bool {
	sites := a.verifyingCalls(g, callDepth)
	if len(sites) == 0 {
		// Verification in a nested wrapper (factory middleware).
		for _, inner := range g.Module.Funcs {
			if inner.Outer == g && a.verifies(inner, callDepth-1) {
				return a.covers(inner, h)
			}
		}
		return true
	}
	m := g.Module
	site := sites[0]
	body := g.Body()
	for c := site; c != nil && c != body; c = c.Parent {
		p := c.Parent
		if p == nil {
			break
		}
		var cond *pyast.Node
		negate := false
		switch {
		case p.Kind == "if_statement" && c.FieldIs("consequence"):
			cond = p.Child("condition")
		case p.Kind == "elif_clause" && c.FieldIs("consequence"):
			cond = p.Child("condition")
		case p.Kind == "else_clause" && p.Parent != nil && p.Parent.Kind == "if_statement":
			cond, negate = p.Parent.Child("condition"), true
		}
		if cond == nil {
			continue
		}
		if v, ok := a.routeTest(m, cond, h); ok && v == negate {
			return false
		} else if !ok && mentionsPath(m, cond) && !namedAlike(m, cond, h) {
			return false
		}
	}
	// Early exits before the site: if <test>: return …
	for _, s := range precedingStatements(g, site) {
		if s.Kind != "if_statement" || !terminates(m, s.Child("consequence")) {
			continue
		}
		cond := s.Child("condition")
		if v, ok := a.routeTest(m, cond, h); ok && v {
			return false
		} else if !ok && mentionsPath(m, cond) && !namedAlike(m, cond, h) {
			return false
		}
	}
	return true
}

// precedingStatements are the statements of g that run before site in
// its block and the blocks enclosing it.
func precedingStatements(g *pyast.Func, site *pyast.Node) []*pyast.Node {
	var out []*pyast.Node
	for c := site; c != nil && c != g.Node; c = c.Parent {
		p := c.Parent
		if p == nil || p.Kind != "block" {
			continue
		}
		for _, s := range p.NamedChildren() {
			if s == c || s.Contains(site) {
				break
			}
			out = append(out, s)
		}
		if p == g.Body() {
			break
		}
	}
	return out
}

func mentionsPath(m *pyast.Module, cond *pyast.Node) bool {
	t := m.Text(cond)
	for _, p := range pathExprs {
		if strings.Contains(t, p) {
			return true
		}
	}
	return strings.Contains(t, `scope["path"]`) || strings.Contains(t, `scope['path']`)
}

// namedAlike: the route test names Stripe or webhooks, as h does.
func namedAlike(m *pyast.Module, cond *pyast.Node, h *handler) bool {
	t := strings.ToLower(m.Text(cond))
	if !strings.Contains(t, "stripe") && !strings.Contains(t, "webhook") && !strings.Contains(t, "hook") {
		return false
	}
	name := strings.ToLower(h.route + " " + h.f.Qual)
	return strings.Contains(name, "stripe") || strings.Contains(name, "hook")
}

// routeTest evaluates a condition on the requested route for h; ok is
// false when it does not test the route or h's route is unknown.
func (a *analysis) routeTest(m *pyast.Module, cond *pyast.Node, h *handler) (bool, bool) {
	cond = pyast.Unparen(cond)
	switch cond.Kind {
	case "not_operator":
		v, ok := a.routeTest(m, cond.Child("argument"), h)
		return !v, ok
	case "boolean_operator":
		l, okl := a.routeTest(m, cond.Child("left"), h)
		r, okr := a.routeTest(m, cond.Child("right"), h)
		op := strings.TrimSpace(string(m.Src[cond.Child("left").End:cond.Child("right").Start]))
		switch {
		case okl && okr && op == "and":
			return l && r, true
		case okl && okr:
			return l || r, true
		case op == "and" && okl && !l, op == "and" && okr && !r:
			return false, true
		case op == "or" && okl && l, op == "or" && okr && r:
			return true, true
		}
		return false, false
	case "comparison_operator":
		kids := cond.NamedChildren()
		if len(kids) != 2 {
			return false, false
		}
		op := strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start]))
		subj, lit := kids[0], kids[1]
		if !isPathExpr(m, subj) {
			subj, lit = kids[1], kids[0]
		}
		if !isPathExpr(m, subj) {
			return false, false
		}
		var lits []string
		if s, ok := m.StringValue(lit); ok {
			lits = []string{s}
		} else if l := pyast.Unparen(lit); l.Kind == "tuple" || l.Kind == "list" || l.Kind == "set" {
			for _, e := range l.NamedChildren() {
				if s, ok := m.StringValue(e); ok {
					lits = append(lits, s)
				}
			}
		}
		if len(lits) == 0 {
			return false, false
		}
		endpoint := isEndpointExpr(m, subj)
		match := false
		known := false
		for _, s := range lits {
			v, ok := routeEquals(h, s, endpoint)
			if ok {
				known = true
				match = match || v
			}
		}
		if !known {
			return false, false
		}
		switch op {
		case "==", "in":
			return match, true
		case "!=", "not in":
			return !match, true
		}
	case "call":
		// request.path.startswith("/stripe/")
		fn := pyast.Unparen(cond.Child("function"))
		if fn == nil || fn.Kind != "attribute" || !isPathExpr(m, fn.Child("object")) {
			return false, false
		}
		s, ok := m.StringValue(m.Arg(cond, 0, ""))
		if !ok || h.route == "" {
			return false, false
		}
		r := normRoute(h.route)
		switch m.Text(fn.Child("attribute")) {
		case "startswith":
			return strings.HasPrefix(r, normRoute(s)) || strings.Contains(r, normRoute(s)), true
		case "endswith":
			return strings.HasSuffix(r, normRoute(s)), true
		}
	}
	return false, false
}

func isPathExpr(m *pyast.Module, n *pyast.Node) bool {
	t := strings.TrimSpace(m.Text(pyast.Unparen(n)))
	for _, p := range pathExprs {
		if t == p || t == "self."+p {
			return true
		}
	}
	return t == `scope["path"]` || t == `scope['path']`
}

func isEndpointExpr(m *pyast.Module, n *pyast.Node) bool {
	t := m.Text(pyast.Unparen(n))
	return strings.Contains(t, "endpoint") || strings.Contains(t, "url_name") || strings.Contains(t, "matched_route.name")
}

// routeEquals compares a tested route (or endpoint name) with h's.
func routeEquals(h *handler, s string, endpoint bool) (bool, bool) {
	if endpoint {
		return s == h.f.Name || strings.HasSuffix(s, "."+h.f.Name), true
	}
	if h.route == "" {
		return false, false
	}
	r, t := normRoute(h.route), normRoute(s)
	// A blueprint or include() prefix may precede the route.
	return r == t || strings.HasSuffix(t, "/"+r) || strings.HasSuffix(r, "/"+t), true
}

func normRoute(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "^"), "r")
	s = strings.TrimSuffix(s, "$")
	return strings.Trim(s, "/")
}
