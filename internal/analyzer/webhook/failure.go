package webhook

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// ---- what a failed verification leads to ----
//
// A failed verification must stop the request with a 4xx. The checks
// below look at the try around each verification site (a Stripe call or a
// call of a helper that verifies):
//   - the except block falls back to the unverified payload, or goes on
//     processing, or — in a gate that decides whether the view runs (a DRF
//     permission, a before_request hook, a middleware, a decorator's
//     wrapper) — lets the request through: swallowed-verification-error;
//   - it answers 2xx: failure-answered-2xx;
//   - the error escapes as an exception (no except clause, a re-raise,
//     Flask's `return e`): failure-answered-5xx, since Stripe retries 5xx
//     answers for days and a forged delivery becomes a stream of 500s;
//   - only SignatureVerificationError is caught, while construct_event
//     also raises ValueError: verification-error-unhandled.

type issue struct {
	rule *rules.Rule
	m    *pyast.Module
	at   *pyast.Node
	key  string
	msg  string
}

// checkFailure reports the issues of one verification site.
func (a *analysis) checkFailure(m *pyast.Module, f *pyast.Func, site *pyast.Node, srcs []src) {
	for _, is := range a.failureIssues(m, f, site) {
		a.emit(is.rule, is.m, is.at.Line, is.key, is.msg, evidence(is.m, is.at))
	}
}

// failsClosed: no issue at any verification site of f.
func (a *analysis) failsClosed(f *pyast.Func) bool {
	for _, s := range a.verifyingCalls(f, callDepth) {
		if len(a.failureIssues(f.Module, f, s)) > 0 {
			return false
		}
	}
	return true
}

// enclosingTry is the try statement whose body holds site within f, or
// nil; inHandler is set when site is in an except/else/finally block.
func enclosingTry(f *pyast.Func, site *pyast.Node) (try *pyast.Node, inHandler bool) {
	for c := site; c != nil && c != f.Node; c = c.Parent {
		if c.Kind == "except_clause" || c.Kind == "finally_clause" || c.Kind == "else_clause" && c.Parent != nil && c.Parent.Kind == "try_statement" {
			return nil, true
		}
		if c.Kind == "try_statement" {
			if b := c.Child("body"); b != nil && b.Contains(site) {
				return c, false
			}
			return nil, false
		}
	}
	return nil, false
}

func (a *analysis) failureIssues(m *pyast.Module, f *pyast.Func, site *pyast.Node) []issue {
	var out []issue
	try, inHandler := enclosingTry(f, site)
	if inHandler {
		return nil
	}
	if esc, at, how := a.escapes(m, f, site, try); esc && a.isEntry(f) && !a.errorHandlerRegistered() {
		out = append(out, issue{FailureAnswered5xx, m, at, f.Qual,
			fmt.Sprintf("%s lets a failed verification escape as an exception (%s): a forged delivery is answered 500, and Stripe retries 5xx answers for up to 3 days; catch SignatureVerificationError and ValueError and return 400", f.Qual, how)})
	}
	if try == nil {
		return out
	}
	verifiedVar := ""
	if st := pyast.StatementOf(site); st.Kind == "expression_statement" {
		if as := st.NamedChildren(); len(as) == 1 && as[0].Kind == "assignment" {
			verifiedVar = m.DottedName(as[0].Child("left"))
		}
	}
	gate := a.gateKind(f)
	catchesValue, sveClause := false, (*pyast.Node)(nil)
	for _, e := range try.Children {
		if e.Kind != "except_clause" {
			continue
		}
		types := exceptTypes(m, e)
		if len(types) == 0 {
			catchesValue = true
		}
		for _, t := range types {
			switch pyast.LastSegment(t) {
			case "ValueError", "Exception", "BaseException", "JSONDecodeError", "UnicodeDecodeError":
				catchesValue = true
			case "SignatureVerificationError":
				if sveClause == nil {
					sveClause = e
				}
			}
		}
		blk := lastBlock(e)
		fallback := false
		blk.Walk(func(x *pyast.Node) bool {
			if fallback || x.Kind == "function_definition" {
				return false
			}
			if a.asSource(m, f, x) != "" {
				fallback = true
			}
			return true
		})
		what := strings.Join(types, ", ")
		if what == "" {
			what = "any exception"
		}
		switch {
		case fallback:
			out = append(out, issue{SwallowedError, m, e, f.Qual,
				fmt.Sprintf("%s falls back to the unverified payload when verification fails (except %s)", f.Qual, what)})
		case gate != gateNone && catchesSVE(types) && a.allows(m, f, gate, blk, try):
			out = append(out, issue{SwallowedError, m, e, f.Qual,
				fmt.Sprintf("%s lets the request through to the view when verification fails (except %s)", f.Qual, what)})
		case gate == gateNone && !terminates(m, blk) && a.continuesAfter(m, f, try, verifiedVar):
			out = append(out, issue{SwallowedError, m, e, f.Qual,
				fmt.Sprintf("%s catches the verification failure (except %s) and goes on processing the payload", f.Qual, what)})
		case gate == gateNone && (a.returns2xx(m, blk) || !terminates(m, blk) && a.nextReturn2xx(m, f, try, verifiedVar)):
			out = append(out, issue{FailureAnswered2xx, m, e, f.Qual,
				fmt.Sprintf("%s answers a failed verification (except %s) with a 2xx status", f.Qual, what)})
		}
	}
	// In a helper the caller's try decides what a ValueError becomes; the
	// handler-level check looks at the call site there.
	if sveClause != nil && !catchesValue && a.verifyKind(m, f, site) != "verify_header" && len(a.p.CallersOf(f)) == 0 {
		out = append(out, issue{ErrorUnhandled, m, sveClause, f.Qual,
			fmt.Sprintf("%s catches only SignatureVerificationError; a malformed body raises ValueError and is answered with 500", f.Qual)})
	}
	return out
}

// catchesSVE: an except clause with these types catches a failed
// verification.
func catchesSVE(types []string) bool {
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		switch pyast.LastSegment(t) {
		case "SignatureVerificationError", "StripeError", "StripeErrorWithParamCode", "Exception", "BaseException":
			return true
		}
	}
	return false
}

// ---- gates: functions that decide whether the view runs ----

type gateKindT int

const (
	gateNone       gateKindT = iota
	gatePermission           // DRF has_permission: a truthy return lets the request in
	gateAuth                 // DRF authenticate: None means "not this scheme", the request goes on
	gateHook                 // before_request, middleware, decorator wrapper: returning normally calls the view
)

func (a *analysis) gateKind(f *pyast.Func) gateKindT {
	switch f.Name {
	case "has_permission", "has_object_permission":
		return gatePermission
	case "authenticate":
		if f.Class != nil {
			return gateAuth
		}
	}
	for _, hk := range a.requestHooks() {
		if hk.f == f {
			return gateHook
		}
	}
	if f.Class != nil && f.Name == "prepare" {
		return gateHook
	}
	if a.isWrapper(f) {
		return gateHook
	}
	return gateNone
}

// isWrapper: f is the inner function of a decorator (it calls a parameter
// of the function that defines and returns it).
func (a *analysis) isWrapper(f *pyast.Func) bool {
	o := f.Outer
	if o == nil {
		return false
	}
	params := map[string]bool{}
	for _, p := range o.Params {
		params[p.Name] = true
	}
	calls := false
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind == "call" && params[f.Module.DottedName(n.Child("function"))] {
			calls = true
		}
		return !calls
	})
	return calls
}

var passThroughRE = regexp.MustCompile(`(?i)^(await\s+)?(self\.)?(get_response|call_next|next_|view|view_func|func|fn|f|handler|wrapped|callback|app)\b`)

// allows: after the except block, the gate lets the request through.
func (a *analysis) allows(m *pyast.Module, f *pyast.Func, gate gateKindT, blk, try *pyast.Node) bool {
	var stmts []*pyast.Node
	stmts = append(stmts, blk.NamedChildren()...)
	if !terminates(m, blk) {
		stmts = append(stmts, following(f, try)...)
	}
	for _, s := range stmts {
		switch s.Kind {
		case "raise_statement":
			return false
		case "return_statement":
			v := s.NamedChildren()
			val := ""
			if len(v) > 0 {
				val = strings.TrimSpace(m.Text(v[0]))
			}
			switch gate {
			case gatePermission:
				return val != "" && val != "False" && val != "None" && val != "0"
			case gateAuth:
				return val == "" || val == "None"
			case gateHook:
				return val == "" || val == "None" || passThroughRE.MatchString(val)
			}
			return false
		case "expression_statement":
			if c := s.NamedChildren(); len(c) == 1 && c[0].Kind == "call" {
				switch pyast.LastSegment(m.DottedName(c[0].Child("function"))) {
				case "abort", "exit", "_exit":
					return false
				}
			}
		}
	}
	// Fell off the end: None.
	return gate == gateHook || gate == gateAuth
}

// ---- failures that escape as exceptions ----

// httpErrorRE: raising these answers 4xx in their framework.
var httpErrorRE = regexp.MustCompile(`(?i)HTTP|BadRequest|Forbidden|Unauthori[sz]ed|PermissionDenied|AuthenticationFailed|NotAuthenticated|ValidationError|SuspiciousOperation|SanicException|NotAuthorized|ClientError|abort|InvalidSignature|Unprocessable|RequestError`)

// escapes: a failed verification at site leaves f as an exception the
// framework answers with 500. at is where (the site, a re-raise, a
// `return e`), how explains.
func (a *analysis) escapes(m *pyast.Module, f *pyast.Func, site *pyast.Node, try *pyast.Node) (bool, *pyast.Node, string) {
	if a.verifyKind(m, f, site) == "" && !a.helperRaises(m, f, site) {
		return false, nil, ""
	}
	for t := try; ; {
		if t == nil {
			if tt, _ := enclosingTry(f, site); tt == nil {
				return true, site, "no except clause catches SignatureVerificationError"
			}
			return true, site, "no except clause catches SignatureVerificationError"
		}
		for _, e := range t.Children {
			if e.Kind != "except_clause" || !catchesSVE(exceptTypes(m, e)) {
				continue
			}
			blk := lastBlock(e)
			exVar := exceptVar(m, e)
			for _, s := range blk.NamedChildren() {
				switch s.Kind {
				case "raise_statement":
					v := s.NamedChildren()
					if len(v) == 0 || exVar != "" && strings.TrimSpace(m.Text(v[0])) == exVar {
						return true, s, "the except block re-raises it"
					}
					if httpErrorRE.MatchString(m.Text(v[0])) {
						return false, nil, ""
					}
					return true, s, "the except block raises " + strings.TrimSpace(m.DottedName(callee(v[0])))
				case "return_statement":
					if v := s.NamedChildren(); len(v) > 0 && exVar != "" {
						t := strings.TrimSpace(m.Text(v[0]))
						if t == exVar || t == "("+exVar+")" {
							return true, s, "the except block returns the exception object, which Flask cannot turn into a response"
						}
					}
				}
			}
			return false, nil, ""
		}
		// Not caught here: an enclosing try may.
		var outer *pyast.Node
		for c := t.Parent; c != nil && c != f.Node; c = c.Parent {
			if c.Kind == "try_statement" && c.Child("body") != nil && c.Child("body").Contains(t) {
				outer = c
				break
			}
		}
		if outer == nil {
			return true, site, "no except clause catches SignatureVerificationError"
		}
		t = outer
	}
}

func callee(n *pyast.Node) *pyast.Node {
	n = pyast.Unparen(n)
	if n.Kind == "call" {
		return n.Child("function")
	}
	return n
}

// exceptVar is the name bound by `except X as e`.
func exceptVar(m *pyast.Module, e *pyast.Node) string {
	for _, c := range e.NamedChildren() {
		if c.Kind == "as_pattern" {
			if t := c.Child("alias"); t != nil {
				return strings.TrimSpace(m.Text(t))
			}
		}
	}
	return ""
}

// helperRaises: the call at site reaches a project function whose failed
// verification escapes it.
func (a *analysis) helperRaises(m *pyast.Module, f *pyast.Func, site *pyast.Node) bool {
	for _, g := range a.callees(m, f, site) {
		if g == f || !a.verifies(g, callDepth) {
			continue
		}
		if a.raisesOnFailure(g, callDepth) {
			return true
		}
	}
	return false
}

func (a *analysis) raisesOnFailure(g *pyast.Func, depth int) bool {
	if depth < 0 {
		return false
	}
	if v, ok := a.raises[g]; ok {
		return v
	}
	a.raises[g] = false
	res := false
	for _, s := range a.verifyingCalls(g, depth) {
		if a.verifyKind(g.Module, g, s) == "" {
			raises := false
			for _, h := range a.callees(g.Module, g, s) {
				if h != g && a.verifies(h, depth-1) && a.raisesOnFailure(h, depth-1) {
					raises = true
				}
			}
			if !raises {
				continue
			}
		}
		try, inHandler := enclosingTry(g, s)
		if inHandler {
			continue
		}
		if esc, _, _ := a.escapesRaw(g.Module, g, s, try); esc {
			res = true
			break
		}
	}
	a.raises[g] = res
	return res
}

// escapesRaw is escapes for a site already known to raise on failure.
func (a *analysis) escapesRaw(m *pyast.Module, f *pyast.Func, site, try *pyast.Node) (bool, *pyast.Node, string) {
	if try == nil {
		return true, site, ""
	}
	for _, e := range try.Children {
		if e.Kind != "except_clause" || !catchesSVE(exceptTypes(m, e)) {
			continue
		}
		exVar := exceptVar(m, e)
		for _, s := range lastBlock(e).NamedChildren() {
			if s.Kind == "raise_statement" {
				v := s.NamedChildren()
				if len(v) == 0 || exVar != "" && strings.TrimSpace(m.Text(v[0])) == exVar || !httpErrorRE.MatchString(m.Text(v[0])) {
					return true, s, ""
				}
			}
		}
		return false, nil, ""
	}
	return true, site, ""
}

// isEntry: the framework calls f for a request (a handler or a gate), so
// an exception escaping it becomes the HTTP answer.
func (a *analysis) isEntry(f *pyast.Func) bool {
	if a.gateKind(f) != gateNone {
		return true
	}
	return a.entries[f]
}

// errorHandlerRegistered: the app turns SignatureVerificationError (or
// every exception) into a response itself.
func (a *analysis) errorHandlerRegistered() bool {
	if a.errHandler != 0 {
		return a.errHandler == 2
	}
	a.errHandler = 1
	handles := func(m *pyast.Module, n *pyast.Node) bool {
		if n == nil {
			return false
		}
		l := pyast.LastSegment(m.Qualify(m.DottedName(n)))
		return l == "SignatureVerificationError" || l == "StripeError" || l == "Exception" || l == "ValueError"
	}
	for _, m := range a.p.WithAnchor(pyast.AErrorHandler) {
		m.Root.Walk(func(n *pyast.Node) bool {
			if n.Kind != "call" {
				return true
			}
			switch pyast.LastSegment(m.DottedName(n.Child("function"))) {
			case "errorhandler", "app_errorhandler", "exception_handler", "register_error_handler", "add_exception_handler", "add_error_handler", "exception":
				if handles(m, m.Arg(n, 0, "")) {
					a.errHandler = 2
				}
			}
			return a.errHandler != 2
		})
		if a.errHandler == 2 {
			return true
		}
	}
	return false
}

// ---- helpers shared by the checks ----

func lastBlock(n *pyast.Node) *pyast.Node {
	for i := len(n.Children) - 1; i >= 0; i-- {
		if n.Children[i].Kind == "block" {
			return n.Children[i]
		}
	}
	return nil
}

// exceptTypes lists the exception classes an except clause names, qualified
// through the imports; none means a bare except (catches everything). A
// module-level tuple (ERRORS = (ValueError, SignatureVerificationError))
// is expanded.
func exceptTypes(m *pyast.Module, e *pyast.Node) []string {
	kids := e.NamedChildren()
	if len(kids) == 0 || kids[0].Kind == "block" {
		return nil
	}
	c := kids[0]
	if c.Kind == "as_pattern" {
		c = c.NamedChildren0()
	}
	var out []string
	var add func(t *pyast.Node, depth int)
	add = func(t *pyast.Node, depth int) {
		t = pyast.Unparen(t)
		if t.Kind == "tuple" || t.Kind == "expression_list" || t.Kind == "list" {
			for _, x := range t.NamedChildren() {
				add(x, depth)
			}
			return
		}
		d := m.DottedName(t)
		if d == "" {
			return
		}
		if vals := m.Globals[d]; len(vals) == 1 && depth < 2 {
			if v := pyast.Unparen(vals[0]); v.Kind == "tuple" || v.Kind == "list" {
				add(v, depth+1)
				return
			}
		}
		out = append(out, m.Qualify(d))
	}
	add(c, 0)
	return out
}

// following returns the statements that run after n in f (same block and
// enclosing blocks).
func following(f *pyast.Func, n *pyast.Node) []*pyast.Node {
	var out []*pyast.Node
	for c := n; c != nil && c != f.Node; c = c.Parent {
		p := c.Parent
		if p == nil || p.Kind != "block" {
			continue
		}
		after := false
		for _, s := range p.NamedChildren() {
			if after {
				out = append(out, s)
			}
			if s == c {
				after = true
			}
		}
		if p == f.Body() {
			break
		}
	}
	return out
}

// guard: `if event is None: return 400` right after the try.
func guard(m *pyast.Module, s *pyast.Node, verifiedVar string) bool {
	return s.Kind == "if_statement" && verifiedVar != "" &&
		strings.Contains(m.Text(s.Child("condition")), verifiedVar) && terminates(m, s.Child("consequence"))
}

func (a *analysis) continuesAfter(m *pyast.Module, f *pyast.Func, try *pyast.Node, verifiedVar string) bool {
	for i, s := range following(f, try) {
		if i == 0 && guard(m, s, verifiedVar) {
			return false
		}
		switch s.Kind {
		case "return_statement", "pass_statement":
			continue
		}
		return true
	}
	return false
}

func (a *analysis) nextReturn2xx(m *pyast.Module, f *pyast.Func, try *pyast.Node, verifiedVar string) bool {
	for i, s := range following(f, try) {
		if i == 0 && guard(m, s, verifiedVar) {
			return false
		}
		if s.Kind == "return_statement" {
			return status2xx(m, s)
		}
	}
	return false
}

func (a *analysis) returns2xx(m *pyast.Module, blk *pyast.Node) bool {
	if blk == nil {
		return false
	}
	for _, s := range blk.NamedChildren() {
		if s.Kind == "return_statement" {
			return status2xx(m, s)
		}
	}
	return false
}

var (
	statusRE   = regexp.MustCompile(`HTTP_(\d{3})`)
	errRespRE  = regexp.MustCompile(`(?i)BadRequest|Forbidden|Unauthori[sz]ed|NotFound|ServerError|NotAllowed|Error|HTTPException`)
	okRespName = map[string]bool{"jsonify": true, "JsonResponse": true, "HttpResponse": true, "Response": true,
		"JSONResponse": true, "PlainTextResponse": true, "json_response": true, "make_response": true, "web.Response": true}
)

// status2xx decides whether a return statement answers 2xx; unknown
// shapes answer false so that no finding is guessed.
func status2xx(m *pyast.Module, ret *pyast.Node) bool {
	vals := ret.NamedChildren()
	if len(vals) == 0 {
		return false
	}
	v := pyast.Unparen(vals[0])
	if v.Kind == "expression_list" || v.Kind == "tuple" {
		items := v.NamedChildren()
		if len(items) == 0 {
			return false
		}
		if code, ok := statusOf(m, items[len(items)-1]); ok {
			return code >= 200 && code < 300
		}
		v = pyast.Unparen(items[0])
	}
	switch v.Kind {
	case "dictionary":
		// Lambda proxy responses carry the status in the dict.
		for _, pair := range v.NamedChildren() {
			if pair.Kind != "pair" {
				continue
			}
			if k, _ := m.StringValue(pair.Child("key")); k == "statusCode" || k == "status_code" || k == "status" {
				code, ok := statusOf(m, pair.Child("value"))
				return ok && code >= 200 && code < 300
			}
		}
		return true
	case "string", "concatenated_string":
		return true
	case "call":
		name := m.DottedName(v.Child("function"))
		if errRespRE.MatchString(name) {
			return false
		}
		_, kw := m.CallArgs(v)
		for _, k := range []string{"status", "status_code"} {
			if s, ok := kw[k]; ok {
				code, ok := statusOf(m, s)
				return ok && code >= 200 && code < 300
			}
		}
		if pos, _ := m.CallArgs(v); len(pos) >= 2 {
			if code, ok := statusOf(m, pos[1]); ok {
				return code >= 200 && code < 300
			}
		}
		return okRespName[pyast.LastSegment(name)] || okRespName[name]
	}
	return false
}

func statusOf(m *pyast.Module, n *pyast.Node) (int, bool) {
	if v, ok := m.IntValue(n); ok {
		return int(v), true
	}
	t := m.Text(n)
	if s := statusRE.FindStringSubmatch(t); s != nil {
		v, _ := strconv.Atoi(s[1])
		return v, true
	}
	switch pyast.LastSegment(t) {
	case "OK", "ACCEPTED", "NO_CONTENT", "CREATED":
		return 200, true
	case "BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN":
		return 400, true
	}
	return 0, false
}

// branchBlock is the block of an if statement's consequence, elif or else.
func branchBlock(ch *pyast.Node) *pyast.Node {
	switch ch.Kind {
	case "block":
		return ch
	case "elif_clause":
		return ch.Child("consequence")
	case "else_clause":
		return ch.Child("body")
	}
	return nil
}

var rejectRE = regexp.MustCompile(`\b[45]\d\d\b|BadRequest|Forbidden|Unauthori[sz]ed|HTTP_[45]\d\d|BAD_REQUEST|FORBIDDEN|UNAUTHORIZED`)

// rejects: the block ends the request with an error (raise, abort, a 4xx or
// 5xx response).
func rejects(m *pyast.Module, blk *pyast.Node) bool {
	if blk == nil {
		return false
	}
	for _, s := range blk.NamedChildren() {
		switch s.Kind {
		case "raise_statement":
			return true
		case "return_statement":
			return rejectRE.MatchString(m.Text(s))
		case "expression_statement":
			if c := s.NamedChildren(); len(c) == 1 && c[0].Kind == "call" && pyast.LastSegment(m.DottedName(c[0].Child("function"))) == "abort" {
				return true
			}
		}
	}
	return false
}
