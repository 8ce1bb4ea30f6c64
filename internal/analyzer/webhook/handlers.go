package webhook

import (
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// handler is an HTTP (or Lambda) entry point.
type handler struct {
	f     *pyast.Func
	route string
	// routeDeco is the index of the routing decorator in f.Decorators, -1
	// when the route is wired elsewhere (urls.py, add_url_rule): only
	// decorators below it wrap the registered view.
	routeDeco int
}

var (
	routeDecorators = map[string]bool{
		"route": true, "post": true, "put": true, "patch": true, "api_route": true, "api_view": true,
		"csrf_exempt": true, "require_POST": true, "require_http_methods": true, "view_config": true,
		"action": true,
	}
	viewBases = map[string]bool{
		"View": true, "APIView": true, "GenericAPIView": true, "MethodView": true, "Resource": true,
		"HTTPEndpoint": true, "ViewSet": true, "GenericViewSet": true, "ModelViewSet": true,
		"HTTPMethodView": true, "RequestHandler": true, "TemplateView": true, "FormView": true,
	}
	drfBases = map[string]bool{"APIView": true, "GenericAPIView": true, "ViewSet": true, "GenericViewSet": true, "ModelViewSet": true}
	// Wiring calls and the positional index of the view argument.
	wiringCalls = map[string]int{"add_url_rule": 2, "path": 1, "re_path": 1, "url": 1, "add_post": 1,
		"add_route": 2, "add_api_route": 1, "Route": 1, "add_resource": 0}
	webhookNameRE = regexp.MustCompile(`(?i)webhook|stripe|hook`)
	stripeNameRE  = regexp.MustCompile(`(?i)stripe`)
)

func (a *analysis) findHandlers() []*handler {
	seen := map[*pyast.Func]*handler{}
	var out []*handler
	add := func(f *pyast.Func, route string, idx int) {
		if f == nil {
			return
		}
		if h := seen[f]; h != nil {
			if h.route == "" {
				h.route = route
			}
			return
		}
		h := &handler{f: f, route: route, routeDeco: idx}
		seen[f] = h
		out = append(out, h)
	}
	for _, m := range a.p.Modules {
		for _, f := range m.Funcs {
			for i, d := range f.Decorators {
				name, call := m.DottedName(d), (*pyast.Node)(nil)
				if d.Kind == "call" {
					call = d
					name = m.DottedName(d.Child("function"))
				}
				last := pyast.LastSegment(name)
				if !routeDecorators[last] {
					continue
				}
				route := ""
				if call != nil {
					if r := m.Arg(call, 0, "path"); r != nil {
						route, _ = m.StringValue(r)
					}
					if route == "" {
						if r := m.Arg(call, 0, "rule"); r != nil {
							route, _ = m.StringValue(r)
						}
					}
				}
				idx := i
				if last == "csrf_exempt" || last == "require_POST" || last == "require_http_methods" {
					idx = -1 // Django wires the view in urls.py; these wrap it.
				}
				add(f, route, idx)
				break
			}
			if f.Class != nil && f.Outer == nil && (f.Name == "post" || f.Name == "put" || f.Name == "patch" || f.Name == "create") {
				for _, b := range f.Class.Bases {
					l := pyast.LastSegment(b)
					// DRF viewsets route POST to create().
					if viewBases[l] && (f.Name != "create" || strings.HasSuffix(l, "ViewSet")) {
						add(f, "", -1)
						break
					}
				}
				// A view class derived from a project base class.
				if f.Name == "post" && webhookNameRE.MatchString(f.Class.Name) && len(f.Params) > 1 && requestNames[f.Params[1].Name] {
					add(f, "", -1)
				}
			}
			if f.Outer == nil && f.Class == nil && (f.Name == "lambda_handler" || (len(f.Params) == 2 && f.Params[0].Name == "event" && f.Params[1].Name == "context")) {
				add(f, "", -1)
			}
		}
	}
	for name, idx := range wiringCalls {
		for _, cs := range a.p.Calls(name) {
			m := cs.M
			kw := "view_func"
			if name != "add_url_rule" {
				kw = "view"
			}
			v := m.Arg(cs.Call, idx, kw)
			if v == nil && name == "add_api_route" {
				v = m.Arg(cs.Call, -1, "endpoint")
			}
			if v == nil && name == "add_url_rule" {
				v = m.Arg(cs.Call, 2, "")
			}
			if v == nil {
				continue
			}
			route := ""
			if r := m.Arg(cs.Call, 0, ""); r != nil {
				route, _ = m.StringValue(r)
			}
			if name == "add_resource" {
				if r := m.Arg(cs.Call, 1, ""); r != nil {
					route, _ = m.StringValue(r)
				}
			}
			for _, f := range a.viewFuncs(m, cs.F, v) {
				add(f, route, -1)
			}
		}
	}
	// Undecorated function views wired in ways not recognised: a
	// module-level function named like a webhook taking a request.
	for _, m := range a.p.Modules {
		for _, f := range m.Funcs {
			if seen[f] != nil || f.Outer != nil || f.Class != nil || !webhookNameRE.MatchString(f.Name) {
				continue
			}
			if len(f.Params) > 0 && (f.Params[0].Name == "request" || f.Params[0].Name == "req") && len(a.p.CallersOf(f)) == 0 {
				add(f, "", -1)
			}
		}
	}
	return out
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
// dotted path to one, or Class.as_view().
func (a *analysis) viewFuncs(m *pyast.Module, f *pyast.Func, v *pyast.Node) []*pyast.Func {
	v = pyast.Unparen(v)
	if v.Kind == "call" {
		fn := v.Child("function")
		if fn != nil && fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "as_view" {
			cls := m.DottedName(fn.Child("object"))
			c := m.Classes[cls]
			if c == nil {
				_, c = a.p.LookupClass(m.Qualify(cls))
			}
			if c == nil {
				return nil
			}
			var out []*pyast.Func
			for _, n := range []string{"post", "put", "patch"} {
				if mf := c.Methods[n]; mf != nil {
					out = append(out, mf)
				}
			}
			return out
		}
		return nil
	}
	if s, ok := m.StringValue(v); ok && strings.Contains(s, ".") {
		if fn := a.p.LookupFunc(s); fn != nil {
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
	if c := m.Classes[name]; c != nil { // flask-restful add_resource(Class, "/x")
		var out []*pyast.Func
		for _, n := range []string{"post", "put", "patch"} {
			if mf := c.Methods[n]; mf != nil {
				out = append(out, mf)
			}
		}
		return out
	}
	q := m.Qualify(name)
	if fn := a.p.LookupFunc(q); fn != nil {
		return []*pyast.Func{fn}
	}
	if _, c := a.p.LookupClass(q); c != nil {
		var out []*pyast.Func
		for _, n := range []string{"post", "put", "patch"} {
			if mf := c.Methods[n]; mf != nil {
				out = append(out, mf)
			}
		}
		return out
	}
	return nil
}
