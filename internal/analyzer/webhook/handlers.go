package webhook

import (
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// handler is an HTTP (or Lambda) entry point.
type handler struct {
	f     *pyast.Func
	route string
	// routeDeco is the index of the routing decorator in f.Decorators, -1
	// when the route is wired elsewhere (urls.py, add_url_rule): only
	// decorators below it wrap the registered view.
	routeDeco int
	// reg is the object whose route decorator registered the view
	// (app, bp, router), qualified through the imports; "" when unknown.
	reg string
	// regCall is the route decorator call (route-level options such as
	// FastAPI dependencies or Litestar guards), nil when wired elsewhere.
	regCall *pyast.Node
	// regApp: reg is an application (Flask(...)), not a blueprint.
	regApp bool
}

var (
	// Route decorators of Flask, Quart, FastAPI, Starlette, Sanic, Bottle,
	// Litestar, Chalice, aiohttp, DRF, Django and Pyramid. GET-only
	// decorators are left out: Stripe posts its deliveries.
	routeDecorators = map[string]bool{
		"route": true, "post": true, "put": true, "patch": true, "api_route": true, "api_view": true,
		"csrf_exempt": true, "require_POST": true, "require_http_methods": true, "view_config": true,
		"action": true,
	}
	viewBases = map[string]bool{
		"View": true, "APIView": true, "GenericAPIView": true, "MethodView": true, "Resource": true,
		"HTTPEndpoint": true, "ViewSet": true, "GenericViewSet": true, "ModelViewSet": true,
		"HTTPMethodView": true, "RequestHandler": true, "TemplateView": true, "FormView": true,
		"CreateAPIView": true, "ViewSetMixin": true,
	}
	drfBases = map[string]bool{"APIView": true, "GenericAPIView": true, "ViewSet": true, "GenericViewSet": true, "ModelViewSet": true, "CreateAPIView": true}
	// Methods that serve POST/PUT/PATCH in class-based views (Falcon:
	// on_post; DRF viewsets: create).
	viewMethods     = map[string]bool{"post": true, "put": true, "patch": true, "on_post": true, "on_put": true, "on_patch": true}
	webhookNameRE   = regexp.MustCompile(`(?i)webhook|stripe|hook`)
	stripeNameRE    = regexp.MustCompile(`(?i)stripe`)
	falconResources = map[string]bool{"on_post": true, "on_put": true, "on_patch": true}
)

// classViewMethods are the methods of a class-based view that handle
// deliveries.
func classViewMethods(c *pyast.Class) []*pyast.Func {
	var out []*pyast.Func
	for _, n := range []string{"post", "put", "patch", "on_post", "on_put", "on_patch"} {
		if mf := c.Methods[n]; mf != nil {
			out = append(out, mf)
		}
	}
	return out
}

func (a *analysis) findHandlers() []*handler {
	seen := map[*pyast.Func]*handler{}
	var out []*handler
	add := func(f *pyast.Func, route string, idx int, reg string, regCall *pyast.Node) {
		if f == nil {
			return
		}
		if h := seen[f]; h != nil {
			if h.route == "" {
				h.route = route
			}
			return
		}
		h := &handler{f: f, route: route, routeDeco: idx, reg: reg, regCall: regCall}
		seen[f] = h
		out = append(out, h)
	}
	routes := a.pyramidRoutes()
	for _, m := range a.p.Modules {
		if isTestModule(m.Path) {
			continue
		}
		for _, f := range m.Funcs {
			for i, d := range f.Decorators {
				name, call := m.DottedName(d), (*pyast.Node)(nil)
				if d.Kind == "call" {
					call = d
					name = m.DottedName(d.Child("function"))
				}
				last := pyast.LastSegment(name)
				if !routeDecorators[last] || !isRouteDecorator(m, name, call) {
					continue
				}
				if last == "action" && call != nil && !strings.Contains(strings.ToLower(m.Text(call)), "post") {
					continue // a DRF @action for GET only
				}
				route := ""
				if call != nil {
					for _, k := range []string{"path", "rule", "uri"} {
						if r := m.Arg(call, 0, k); r != nil {
							if route, _ = m.StringValue(r); route != "" {
								break
							}
						}
					}
					if last == "view_config" {
						if rn, ok := m.StringValue(m.Arg(call, -1, "route_name")); ok {
							route = routes[rn]
							if route == "" {
								route = rn
							}
						}
					}
				}
				idx := i
				if last == "csrf_exempt" || last == "require_POST" || last == "require_http_methods" {
					idx = -1 // Django wires the view in urls.py; these wrap it.
				}
				reg := ""
				if strings.Contains(name, ".") {
					reg = a.objID(m, f.Outer, name[:strings.LastIndexByte(name, '.')])
				}
				add(f, route, idx, reg, call)
				if h := seen[f]; h != nil && reg != "" {
					h.regApp = a.isAppObject(m, f.Outer, name[:strings.LastIndexByte(name, '.')])
				}
				break
			}
			if f.Class != nil && f.Outer == nil && (viewMethods[f.Name] || f.Name == "create") {
				for _, b := range f.Class.Bases {
					l := pyast.LastSegment(b)
					// DRF viewsets route POST to create().
					if viewBases[l] && (f.Name != "create" || strings.HasSuffix(l, "ViewSet")) {
						add(f, "", -1, "", nil)
						break
					}
				}
				// Falcon resources have no base class: on_post is the
				// responder.
				if falconResources[f.Name] && len(f.Params) >= 3 {
					add(f, "", -1, "", nil)
				}
				// A view class derived from a project base class.
				if f.Name == "post" && webhookNameRE.MatchString(f.Class.Name) && len(f.Params) > 1 && requestNames[f.Params[1].Name] {
					add(f, "", -1, "", nil)
				}
			}
			if f.Outer == nil && f.Class == nil && (f.Name == "lambda_handler" || (len(f.Params) == 2 && f.Params[0].Name == "event" && f.Params[1].Name == "context")) {
				add(f, "", -1, "", nil)
			}
		}
	}
	for _, name := range []string{"add_url_rule", "path", "re_path", "url", "add_post", "add_route", "add_api_route", "Route", "add_resource", "add_view"} {
		for _, cs := range a.p.Calls(name) {
			m := cs.M
			if isTestModule(m.Path) {
				continue
			}
			pos, kw := m.CallArgs(cs.Call)
			var v *pyast.Node
			route := ""
			str := func(n *pyast.Node) string {
				s, _ := m.StringValue(n)
				return s
			}
			switch name {
			case "add_url_rule":
				v = m.Arg(cs.Call, 2, "view_func")
				route = str(m.Arg(cs.Call, 0, "rule"))
			case "path", "re_path", "url":
				v = m.Arg(cs.Call, 1, "view")
				route = str(m.Arg(cs.Call, 0, "route"))
			case "add_post":
				v = m.Arg(cs.Call, 1, "handler")
				route = str(m.Arg(cs.Call, 0, "path"))
			case "add_api_route", "Route":
				v = m.Arg(cs.Call, 1, "endpoint")
				route = str(m.Arg(cs.Call, 0, "path"))
			case "add_resource":
				if len(pos) > 0 {
					v = pos[0]
				}
				if len(pos) > 1 {
					route = str(pos[1])
				}
			case "add_view":
				// Pyramid: config.add_view(view, route_name="…")
				v = m.Arg(cs.Call, 0, "view")
				if rn := str(kw["route_name"]); rn != "" {
					route = routes[rn]
					if route == "" {
						route = rn
					}
				}
			case "add_route":
				switch {
				case len(pos) >= 3: // aiohttp: add_route(method, path, handler)
					v, route = pos[2], str(pos[1])
				case len(pos) == 2 && str(pos[0]) != "" && str(pos[1]) == "":
					// Falcon: add_route(path, resource)
					v, route = pos[1], str(pos[0])
				case len(pos) >= 1 && str(pos[0]) == "":
					// Sanic: add_route(handler, uri)
					v = pos[0]
					if len(pos) > 1 {
						route = str(pos[1])
					} else {
						route = str(kw["uri"])
					}
				}
			}
			if v == nil {
				continue
			}
			for _, f := range a.viewFuncs(m, cs.F, v) {
				add(f, route, -1, "", nil)
			}
		}
	}
	// Undecorated function views wired in ways not recognised: a
	// module-level function named like a webhook taking a request.
	for _, m := range a.p.Modules {
		if isTestModule(m.Path) {
			continue
		}
		for _, f := range m.Funcs {
			if seen[f] != nil || f.Outer != nil || f.Class != nil || !webhookNameRE.MatchString(f.Name) {
				continue
			}
			if len(f.Params) > 0 && (f.Params[0].Name == "request" || f.Params[0].Name == "req") && len(a.p.CallersOf(f)) == 0 {
				add(f, "", -1, "", nil)
			}
		}
	}
	a.handlersFound = out
	return out
}

// isRouteDecorator tells an HTTP route decorator from look-alikes:
// @mock.patch("stripe.Price.retrieve") is not @app.patch("/x").
func isRouteDecorator(m *pyast.Module, name string, call *pyast.Node) bool {
	q := m.Qualify(name)
	if strings.HasPrefix(q, "unittest.mock.") || strings.HasPrefix(q, "mock.") {
		return false
	}
	return call == nil || !firstArgIsDottedPath(m, call)
}

// firstArgIsDottedPath: the decorator's first argument is a dotted target
// ("pkg.mod.attr"), not a route.
func firstArgIsDottedPath(m *pyast.Module, call *pyast.Node) bool {
	pos, _ := m.CallArgs(call)
	if len(pos) == 0 {
		return false
	}
	s, ok := m.StringValue(pos[0])
	return ok && s != "" && !strings.Contains(s, "/") && strings.Contains(s, ".") && !strings.Contains(s, " ")
}

// isTestModule: test code defines fake views and calls real ones; it is
// not served (filekind.IsTestCode, shared with the key analyzers).
func isTestModule(rel string) bool { return filekind.IsTestCode(rel) }

// pyramidRoutes maps Pyramid route names to their patterns
// (config.add_route("stripe_webhook", "/stripe/webhook")).
func (a *analysis) pyramidRoutes() map[string]string {
	if a.routes != nil {
		return a.routes
	}
	a.routes = map[string]string{}
	for _, cs := range a.p.Calls("add_route") {
		pos, _ := cs.M.CallArgs(cs.Call)
		if len(pos) != 2 {
			continue
		}
		n, ok1 := cs.M.StringValue(pos[0])
		p, ok2 := cs.M.StringValue(pos[1])
		if ok1 && ok2 && !strings.HasPrefix(n, "/") {
			a.routes[n] = p
		}
	}
	return a.routes
}

func isDRFClass(c *pyast.Class) bool {
	for _, b := range c.Bases {
		if drfBases[pyast.LastSegment(b)] {
			return true
		}
	}
	return false
}

// viewFuncs resolves the view argument of a wiring call: a function, a
// dotted path to one, Class.as_view(), a view class, or an instance of a
// resource class (Falcon).
func (a *analysis) viewFuncs(m *pyast.Module, f *pyast.Func, v *pyast.Node) []*pyast.Func {
	v = pyast.Unparen(v)
	if v.Kind == "call" {
		fn := v.Child("function")
		cls := ""
		switch {
		case fn != nil && fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "as_view":
			cls = m.DottedName(fn.Child("object"))
		default:
			cls = m.DottedName(fn) // Resource()
		}
		if c := a.classNamed(m, cls); c != nil {
			return classViewMethods(c)
		}
		return nil
	}
	if s, ok := m.StringValue(v); ok && strings.Contains(s, ".") {
		if fn := a.p.LookupFuncFrom(m, s); fn != nil {
			return []*pyast.Func{fn}
		}
		return nil
	}
	name := m.DottedName(v)
	if name == "" {
		return nil
	}
	if fn := m.ByName[name]; fn != nil {
		return []*pyast.Func{fn}
	}
	if c := a.classNamed(m, name); c != nil { // flask-restful add_resource(Class, "/x")
		return classViewMethods(c)
	}
	if fn := a.p.LookupFuncFrom(m, m.Qualify(name)); fn != nil {
		return []*pyast.Func{fn}
	}
	return nil
}

func (a *analysis) classNamed(m *pyast.Module, name string) *pyast.Class {
	if name == "" {
		return nil
	}
	if c := m.Classes[name]; c != nil {
		return c
	}
	_, c := a.p.LookupClassFrom(m, m.Qualify(name))
	return c
}
