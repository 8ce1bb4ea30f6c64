package webhook

import (
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// ---- reading the request, per framework ----
//
// Raw body (what verification needs): Django/Pyramid/Sanic request.body,
// Flask request.data / get_data(), Starlette/Litestar await request.body(),
// Quart await request.get_data(), aiohttp await request.read()/text(),
// Bottle request.body.read(), Falcon req.bounded_stream.read() /
// req.stream.read(), Chalice app.current_request.raw_body, Tornado
// self.request.body, Lambda event["body"].
// Parsed body (the event taken on trust): request.json, get_json(),
// await request.json(), DRF request.data, Pyramid/Chalice json_body,
// Falcon req.media / get_media(), json.loads(raw).

var requestNames = map[string]bool{"request": true, "req": true}

// wrapperRE: calls that copy or wrap a value without choosing another
// (a look-up keyed by request data is not one of them).
var wrapperRE = regexp.MustCompile(`^(dict|str|bytes|list|copy|deepcopy|[A-Za-z]*(Mapping|Dict|Headers|MultiDict))$`)

// requestRooted reports whether an expression reads the incoming request.
func (a *analysis) requestRooted(m *pyast.Module, f *pyast.Func, n *pyast.Node) bool {
	t := m.Text(n)
	// Tornado's self.request; Chalice's app.current_request.
	if strings.HasPrefix(t, "self.request.") || strings.HasPrefix(t, "self.request[") || t == "self.request" ||
		strings.Contains(t, ".current_request") {
		return true
	}
	r := pyast.Root(n)
	if r == nil || r.Kind != "identifier" {
		return false
	}
	name := m.Text(r)
	if requestNames[name] {
		return true
	}
	if f == nil {
		return false
	}
	for _, p := range f.Params {
		if p.Name != name {
			continue
		}
		if p.Annotation != nil && strings.Contains(m.Text(p.Annotation), "Request") {
			return true
		}
		if isLambdaEvent(f, name) {
			return strings.Contains(t, "body") || strings.Contains(t, "headers") || strings.Contains(t, "queryStringParameters")
		}
	}
	return false
}

// isLambdaEvent: name is the event parameter of an AWS Lambda handler.
func isLambdaEvent(f *pyast.Func, name string) bool {
	return name == "event" && f != nil && f.Class == nil && (f.Name == "lambda_handler" || len(f.Params) == 2 && f.Params[1].Name == "context")
}

// fromRequest follows n through assignments, parameters and object
// attributes and reports whether it may come from the request: a header
// saved on self or on a model in one method and read in another counts.
func (a *analysis) fromRequest(m *pyast.Module, f *pyast.Func, n *pyast.Node) bool {
	return a.fromRequestDepth(m, f, n, 3)
}

func (a *analysis) fromRequestDepth(m *pyast.Module, f *pyast.Func, n *pyast.Node, depth int) bool {
	if depth < 0 {
		return false
	}
	for _, o := range a.p.Origins(m, f, n, callDepth) {
		if a.originFromRequest(o, depth) {
			return true
		}
	}
	return false
}

// originFromRequest: one origin reads the request, directly or through
// the object it is read from (self.headers.get(…) where self.headers was
// set from request.headers).
func (a *analysis) originFromRequest(o pyast.Origin, depth int) bool {
	on := pyast.Unparen(o.N)
	if a.requestRooted(o.M, o.F, on) {
		return true
	}
	inner := on
	if on.Kind == "await" {
		if c := on.NamedChildren(); len(c) > 0 {
			inner = c[0]
		}
	}
	if inner != on && a.requestRooted(o.M, o.F, inner) {
		return true
	}
	// dict(request.headers), CaseInsensitiveMapping(self.headers): a copy
	// or a view of request data is request data.
	if inner.Kind == "call" && depth > 0 {
		if fn := pyast.Unparen(inner.Child("function")); fn != nil && (fn.Kind == "identifier" || fn.Kind == "attribute") {
			if name := pyast.LastSegment(o.M.DottedName(fn)); wrapperRE.MatchString(name) {
				if arg := o.M.Arg(inner, 0, ""); arg != nil && a.fromRequestDepth(o.M, o.F, arg, depth-1) {
					return true
				}
			}
		}
	}
	// The receiver the value is read from: request.headers → request,
	// self.headers.get("x") → self.headers, body.decode() → body.
	base := receiver(o.M, inner)
	if base != nil && base != inner && depth > 0 {
		return a.fromRequestDepth(o.M, o.F, base, depth-1)
	}
	return false
}

// receiver is the longest plain name (a, a.b, self.x) an expression reads
// from through calls, subscripts and attribute accesses, or nil.
func receiver(m *pyast.Module, n *pyast.Node) *pyast.Node {
	for c := pyast.Unparen(n); c != nil; {
		switch c.Kind {
		case "identifier":
			return c
		case "attribute":
			if m.DottedName(c) != "" && c != n {
				return c
			}
			c = pyast.Unparen(c.Child("object"))
		case "subscript":
			c = pyast.Unparen(c.Child("value"))
		case "call":
			fn := pyast.Unparen(c.Child("function"))
			if fn == nil || fn.Kind != "attribute" {
				return nil
			}
			c = pyast.Unparen(fn.Child("object"))
		case "await":
			k := c.NamedChildren()
			if len(k) == 0 {
				return nil
			}
			c = pyast.Unparen(k[0])
		default:
			return nil
		}
	}
	return nil
}

// isDRF: request.data is DRF's parsed body here, not Flask's raw bytes.
// A helper in a module that uses DRF gets DRF requests.
func isDRF(f *pyast.Func) bool {
	if f == nil {
		return false
	}
	if f.Class != nil && isDRFClass(f.Class) {
		return true
	}
	for _, q := range f.Module.Imports {
		if strings.HasPrefix(q, "rest_framework") {
			return true
		}
	}
	for _, d := range f.Decorators {
		if strings.Contains(f.Module.Text(d), "api_view") {
			return true
		}
	}
	return false
}

var jsonModules = map[string]bool{"json": true, "orjson": true, "ujson": true, "simplejson": true, "rapidjson": true}

// asSource classifies n as an unverified event source.
func (a *analysis) asSource(m *pyast.Module, f *pyast.Func, n *pyast.Node) string {
	switch n.Kind {
	case "call":
		q := m.CallName(n)
		last := pyast.LastSegment(q)
		switch {
		case last == "loads" && (jsonModules[strings.TrimSuffix(q, ".loads")] || q == "loads"):
			if arg := m.Arg(n, 0, "s"); arg != nil && a.fromRequest(m, f, arg) {
				return "json.loads of the request body"
			}
		case last == "construct_from" && (strings.Contains(q, "Event") || strings.HasPrefix(q, "stripe")):
			return "stripe.Event.construct_from on posted data"
		case last == "construct_event_without_verification":
			return "construct_event_without_verification"
		case last == "convert_to_stripe_object":
			return "convert_to_stripe_object on posted data"
		case last == "get_json" || last == "json" || last == "get_media":
			fn := n.Child("function")
			if fn != nil && fn.Kind == "attribute" && a.requestRooted(m, f, fn.Child("object")) {
				switch {
				case last == "get_media":
					return "req.get_media() (parsed body)"
				case last == "json":
					if n.Parent != nil && n.Parent.Kind == "await" {
						return "await request.json()"
					}
					return ""
				}
				return "request.get_json()"
			}
		case last == "parse_obj" || last == "model_validate" || last == "parse_raw" || last == "model_validate_json":
			if arg := m.Arg(n, 0, ""); arg != nil && a.fromRequest(m, f, arg) {
				return "model parsed from the request body"
			}
		}
	case "attribute":
		attr := m.Text(n.Child("attribute"))
		if n.Parent != nil && n.Parent.Kind == "call" && n.FieldIs("function") {
			return ""
		}
		if !a.requestRooted(m, f, n.Child("object")) {
			return ""
		}
		switch {
		case attr == "data" && isDRF(f):
			return "DRF request.data"
		case attr == "json":
			return "request.json"
		case attr == "json_body":
			return "request.json_body (parsed body)"
		case attr == "media":
			return "req.media (parsed body)"
		}
	}
	return ""
}

// src is a place where the posted payload is taken as an event without
// verification.
type src struct {
	m       *pyast.Module
	f       *pyast.Func
	n       *pyast.Node
	anchor  *pyast.Node // the node in the handler that leads to it
	desc    string
	varName string // the local it is assigned to, if any
}
