package webhook

import (
	"fmt"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Depth of interprocedural following (helper → helper → …). Real apps put
// verification one or two calls below the view; 4 leaves margin while
// bounding work on large projects.
const callDepth = 4

type analysis struct {
	p             *pyast.Project
	sink          finding.Sink
	emitted       map[string]bool
	observed      map[string]bool
	memo          map[*pyast.Func]int8 // 1 in progress, 2 verifies
	noUpTo        map[*pyast.Func]int  // does not verify within this depth
	handRoll      map[*pyast.Func]int8 // 1 no, 2 yes
	signers       map[*pyast.Func]int8
	count         int // findings emitted, to tell whether a handler is clean
	routes        map[string]string
	hooks         *[]requestHook
	raises        map[*pyast.Func]bool
	calleeMemo    map[*pyast.Node][]*pyast.Func
	stripeMods    map[*pyast.Module]bool
	guardFunc     *pyast.Func // the hook the last guard() found verifying
	regInto       map[string][]string
	apps          map[string]bool
	handlersFound []*handler
	entries       map[*pyast.Func]bool // handlers found, for the 5xx check
	// errHandler: 0 not computed, 1 no, 2 an app-level handler answers
	// SignatureVerificationError.
	errHandler int8
}

// Analyze runs the webhook-forgery rules over a project.
func Analyze(p *pyast.Project, sink finding.Sink) {
	// Secrets and payloads reach verification through settings helpers.
	p.FollowReturns = true
	a := &analysis{p: p, sink: sink, emitted: map[string]bool{}, observed: map[string]bool{},
		memo: map[*pyast.Func]int8{}, noUpTo: map[*pyast.Func]int{}, handRoll: map[*pyast.Func]int8{}, signers: map[*pyast.Func]int8{},
		raises: map[*pyast.Func]bool{}, entries: map[*pyast.Func]bool{}, calleeMemo: map[*pyast.Node][]*pyast.Func{}, stripeMods: map[*pyast.Module]bool{}}
	handlers := a.findHandlers()
	for _, h := range handlers {
		a.entries[h.f] = true
	}
	a.handRolledChecks()
	a.verifyCallChecks()
	a.headerChecks()
	for _, h := range handlers {
		a.checkHandler(h)
	}
}

func (a *analysis) emit(r *rules.Rule, m *pyast.Module, line int, key, msg, evidence string, related ...finding.Location) {
	id := r.ID + "\x00" + m.Path + "\x00" + fmt.Sprint(line)
	if a.emitted[id] {
		return
	}
	a.emitted[id] = true
	a.count++
	f := r.New()
	f.File, f.Line, f.Key, f.Message, f.Evidence = m.Path, line, key, msg, evidence
	f.Column, f.EndLine = m.Column(line, ""), line
	f.Related = related
	a.sink.Finding(f)
}

func (a *analysis) observe(mit string, m *pyast.Module, line int, detail string) {
	id := mit + "\x00" + m.Path + "\x00" + fmt.Sprint(line)
	if a.observed[id] {
		return
	}
	a.observed[id] = true
	a.sink.Observation(&finding.Observation{Mitigation: mit, State: finding.InPlace, Detail: detail, File: m.Path, Line: line})
}

// evidence quotes the first line of the statement, keys masked.
func evidence(m *pyast.Module, n *pyast.Node) string {
	s := pyast.RedactKeys(strings.TrimSpace(m.Text(pyast.StatementOf(n))))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// walkOwn visits f's body without descending into nested defs and classes.
func walkOwn(f *pyast.Func, fn func(*pyast.Node) bool) {
	f.Body().Walk(func(n *pyast.Node) bool {
		if n.Kind == "function_definition" || n.Kind == "class_definition" {
			return false
		}
		return fn(n)
	})
}

// ---- recognising Stripe verification ----

// verifyKind names the Stripe verification a call performs, "" if none.
func (a *analysis) verifyKind(m *pyast.Module, f *pyast.Func, call *pyast.Node) string {
	fn := pyast.Unparen(call.Child("function"))
	if fn == nil {
		return ""
	}
	var method string
	var recv *pyast.Node
	switch fn.Kind {
	case "identifier":
		method = m.Text(fn)
		q := m.Qualify(method)
		if !strings.HasPrefix(q, "stripe.") {
			return ""
		}
		method = pyast.LastSegment(q)
	case "attribute":
		method = m.Text(fn.Child("attribute"))
		recv = fn.Child("object")
	default:
		return ""
	}
	switch method {
	case "construct_event", "verify_header", "parse_event_notification", "parse_thin_event":
	default:
		return ""
	}
	if recv == nil {
		return method
	}
	// A project class with a construct_event method is not Stripe's,
	// whatever it is called; verifies() follows it instead.
	if a.p.ResolveCall(m, f, call) != nil {
		return ""
	}
	for _, o := range a.p.Origins(m, f, recv, 3) {
		on := pyast.Unparen(o.N)
		if on.Kind == "call" {
			if strings.HasSuffix(o.M.CallName(on), "StripeClient") {
				return "client." + method
			}
			continue
		}
		q := o.M.Qualify(o.M.DottedName(on))
		if strings.HasSuffix(q, "StripeClient") {
			return "client." + method
		}
		if strings.HasSuffix(q, "Webhook") || strings.HasSuffix(q, "WebhookSignature") ||
			strings.HasPrefix(q, "stripe.") && strings.Contains(strings.ToLower(q), "webhook") {
			return method
		}
	}
	return ""
}

// directVerifies lists the live Stripe verification calls in f's own body.
func (a *analysis) directVerifies(f *pyast.Func) []*pyast.Node {
	var out []*pyast.Node
	m := f.Module
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind == "call" && a.verifyKind(m, f, n) != "" && !m.Dead(n, f.Node) {
			out = append(out, n)
		}
		return true
	})
	return out
}

// verifies reports whether calling f verifies a signature, directly, by
// hand, or through helpers, decorators and FastAPI dependencies.
func (a *analysis) verifies(f *pyast.Func, depth int) bool {
	if f == nil || depth < 0 {
		return false
	}
	switch a.memo[f] {
	case 1:
		return false // recursion
	case 2:
		return true
	}
	if d, ok := a.noUpTo[f]; ok && depth <= d {
		return false
	}
	a.memo[f] = 1
	ok := len(a.directVerifies(f)) > 0 || a.handRolled(f)
	if !ok {
		ok = len(a.verifyingCalls(f, depth)) > 0
	}
	if !ok {
		// A decorator factory's inner wrapper verifies.
		for _, g := range f.Module.Funcs {
			if g.Outer == f && a.verifies(g, depth-1) {
				ok = true
				break
			}
		}
	}
	if ok {
		a.memo[f] = 2
		return true
	}
	// "No" holds for this depth and less; asked with more depth left (from
	// a caller nearer the handler) it is computed again.
	delete(a.memo, f)
	if d, seen := a.noUpTo[f]; !seen || depth > d {
		a.noUpTo[f] = depth
	}
	return false
}

// verifyingCalls are the live calls in f's body that verify: Stripe calls
// and calls of project functions that verify.
func (a *analysis) verifyingCalls(f *pyast.Func, depth int) []*pyast.Node {
	var out []*pyast.Node
	m := f.Module
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind != "call" || m.Dead(n, f.Node) {
			return true
		}
		if a.verifyKind(m, f, n) != "" {
			out = append(out, n)
			return true
		}
		if a.callVerifies(m, f, n, depth) {
			out = append(out, n)
		}
		return true
	})
	return out
}

// wrapperVerifies: a decorator applied below the route (so it wraps the
// registered view) or a FastAPI dependency verifies.
func (a *analysis) wrapperVerifies(h *handler) (bool, string) {
	f, m := h.f, h.f.Module
	for i, d := range f.Decorators {
		if h.routeDeco >= 0 && i <= h.routeDeco {
			continue
		}
		name := m.DottedName(d)
		if d.Kind == "call" {
			name = m.DottedName(d.Child("function"))
		}
		if g := a.resolveName(m, f, name); g != nil && a.verifies(g, callDepth) {
			a.guardFunc = g
			return true, "decorator @" + name
		}
	}
	// Depends(dep) in parameters or in the route decorator.
	var found string
	check := func(n *pyast.Node) {
		n.Walk(func(x *pyast.Node) bool {
			if found != "" {
				return false
			}
			if x.Kind == "call" {
				if l := pyast.LastSegment(m.DottedName(x.Child("function"))); l == "Depends" || l == "Security" {
					if dep := m.Arg(x, 0, "dependency"); dep != nil {
						if g := a.depTarget(m, f, dep); g != nil && a.verifies(g, callDepth) {
							found = "dependency " + m.Text(dep)
							a.guardFunc = g
						}
					}
				}
			}
			return true
		})
	}
	if ps := f.Node.Child("parameters"); ps != nil {
		check(ps)
	}
	for _, d := range f.Decorators {
		check(d)
	}
	return found != "", found
}

// depTarget is the function FastAPI runs for Depends(dep): a function,
// the __call__ of an instance (Depends(EventGetter(secret)), or a module
// variable holding one), or the class's __init__ for Depends(SomeClass).
func (a *analysis) depTarget(m *pyast.Module, f *pyast.Func, dep *pyast.Node) *pyast.Func {
	dep = pyast.Unparen(dep)
	if dep == nil {
		return nil
	}
	if g := a.resolveName(m, f, m.DottedName(dep)); g != nil {
		return g
	}
	classOf := func(mm *pyast.Module, name string) (*pyast.Module, *pyast.Class) {
		if name == "" {
			return nil, nil
		}
		if c := mm.Classes[name]; c != nil {
			return mm, c
		}
		return a.p.LookupClassFrom(mm, mm.Qualify(name))
	}
	exprs := []pyast.Origin{{M: m, F: f, N: dep}}
	if dep.Kind == "identifier" || dep.Kind == "attribute" {
		exprs = append(exprs, a.p.Origins(m, f, dep, 2)...)
	}
	for _, o := range exprs {
		n := pyast.Unparen(o.N)
		switch n.Kind {
		case "call":
			if cm, c := classOf(o.M, o.M.DottedName(n.Child("function"))); c != nil {
				if g := a.p.Method(cm, c, "__call__"); g != nil {
					return g
				}
			}
		case "identifier", "attribute":
			if cm, c := classOf(o.M, o.M.DottedName(n)); c != nil {
				if g := a.p.Method(cm, c, "__init__"); g != nil {
					return g
				}
			}
		}
	}
	return nil
}

func (a *analysis) resolveName(m *pyast.Module, f *pyast.Func, name string) *pyast.Func {
	if name == "" {
		return nil
	}
	if g := m.ByName[name]; g != nil {
		return g
	}
	if f != nil && f.Class != nil && strings.HasPrefix(name, "self.") {
		return f.Class.Methods[strings.TrimPrefix(name, "self.")]
	}
	return a.p.LookupFuncFrom(m, m.Qualify(name))
}

// sources lists unverified payload reads in h and in the helpers it calls
// (helpers that verify are skipped: what they parse is checked).
func (a *analysis) sources(h *pyast.Func) []src {
	var out []src
	seen := map[*pyast.Func]bool{}
	var visit func(f *pyast.Func, anchor *pyast.Node, depth int)
	visit = func(f *pyast.Func, anchor *pyast.Node, depth int) {
		if seen[f] || depth < 0 {
			return
		}
		seen[f] = true
		m := f.Module
		var inVerify []*pyast.Node
		walkOwn(f, func(n *pyast.Node) bool {
			if n.Kind == "call" && a.verifyKind(m, f, n) != "" {
				inVerify = append(inVerify, n)
			}
			return true
		})
		walkOwn(f, func(n *pyast.Node) bool {
			if m.Dead(n, f.Node) {
				return false
			}
			for _, v := range inVerify {
				if v.Contains(n) && v != n {
					return true
				}
			}
			if d := a.asSource(m, f, n); d != "" {
				anc := anchor
				if anc == nil {
					anc = n
				}
				s := src{m: m, f: f, n: n, anchor: anc, desc: d}
				if st := pyast.StatementOf(n); st.Kind == "expression_statement" {
					if as := st.NamedChildren(); len(as) == 1 && as[0].Kind == "assignment" && as[0].Child("right").Contains(n) {
						s.varName = m.DottedName(as[0].Child("left"))
					}
				}
				out = append(out, s)
				return false
			}
			if n.Kind == "call" && depth > 0 {
				for _, g := range a.callees(m, f, n) {
					if a.verifies(g, callDepth) {
						continue
					}
					anc := anchor
					if anc == nil {
						anc = n
					}
					visit(g, anc, depth-1)
				}
			}
			return true
		})
	}
	out = append(out, a.bodyParams(h)...)
	visit(h, nil, 3)
	// FastAPI dependencies run before the handler and hand it the event.
	for _, dep := range a.dependencies(h) {
		if !a.verifies(dep.f, callDepth) {
			visit(dep.f, dep.at, 2)
		}
	}
	return out
}

type dependency struct {
	f  *pyast.Func
	at *pyast.Node
}

// dependencies resolves Depends(x)/Security(x) in f's parameters.
func (a *analysis) dependencies(f *pyast.Func) []dependency {
	var out []dependency
	m := f.Module
	ps := f.Node.Child("parameters")
	if ps == nil {
		return nil
	}
	ps.Walk(func(x *pyast.Node) bool {
		if x.Kind == "call" {
			if l := pyast.LastSegment(m.DottedName(x.Child("function"))); l == "Depends" || l == "Security" {
				if dep := m.Arg(x, 0, "dependency"); dep != nil {
					if g := a.depTarget(m, f, dep); g != nil {
						out = append(out, dependency{g, x})
					}
				}
			}
		}
		return true
	})
	return out
}

// bodyParams: FastAPI fills a parameter annotated dict / a model from the
// parsed JSON body, which is the event taken on trust.
func (a *analysis) bodyParams(f *pyast.Func) []src {
	m := f.Module
	fastapi := false
	for _, d := range f.Decorators {
		if d.Kind == "call" {
			switch pyast.LastSegment(m.DottedName(d.Child("function"))) {
			case "post", "put", "patch", "api_route":
				fastapi = true
			}
		}
	}
	if !fastapi {
		return nil
	}
	var out []src
	for _, p := range f.Params {
		if p.Annotation == nil {
			continue
		}
		if p.Default != nil && pyast.Unparen(p.Default).Kind == "call" {
			continue // Depends(...), Header(...), Query(...)
		}
		ann := m.Text(p.Annotation)
		if ann == "dict" || strings.HasPrefix(ann, "Dict") || strings.HasPrefix(ann, "dict[") || ann == "Any" ||
			strings.Contains(ann, "Event") && !strings.Contains(ann, "Request") {
			out = append(out, src{m: m, f: f, n: p.Node, anchor: p.Node, desc: "body parsed into parameter " + p.Name, varName: p.Name})
		}
	}
	return out
}
