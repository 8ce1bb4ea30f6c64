package webhook

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
)

// ---- per handler ----

func (a *analysis) checkHandler(h *handler) {
	f, m := h.f, h.f.Module
	before := a.count
	how, wrapped := a.guard(h)
	direct := a.verifies(f, callDepth)
	srcs := a.sources(f)
	if !a.isWebhook(h, direct || wrapped, srcs) {
		return
	}
	name := f.Qual
	if !direct && !wrapped {
		if len(srcs) == 0 {
			return
		}
		s := srcs[0]
		var rel []finding.Location
		if s.f != f {
			// The payload is read in a helper or dependency: point back at
			// the route that reaches it.
			rel = append(rel, finding.Location{File: m.Path, Line: s.anchor.Line, Message: "reached from handler " + name})
		}
		if a.refetchOnly(f, srcs) {
			a.emit(RefetchUnverified, s.m, s.n.Line, name,
				fmt.Sprintf("Webhook handler %s does not verify the Stripe-Signature; it only takes the event id from the posted payload and re-fetches the event from the API", name), evidence(s.m, s.n), rel...)
			return
		}
		a.emit(UnverifiedPayload, s.m, s.n.Line, name,
			fmt.Sprintf("Webhook handler %s acts on the posted event without verifying its signature (%s)", name, s.desc), evidence(s.m, s.n), rel...)
		return
	}
	if !direct {
		a.observe(MitigationVerified, m, f.Node.Line, fmt.Sprintf("handler %s is verified by %s", name, how))
		return
	}
	sites := a.verifyingCalls(f, callDepth)
	a.checkOptional(h, sites, srcs)
	for _, s := range sites {
		a.checkFailure(m, f, s, srcs)
	}
	if a.count == before && len(sites) > 0 {
		kind := a.verifyKind(m, f, sites[0])
		if kind == "" {
			kind = "helper " + m.DottedName(sites[0].Child("function"))
		}
		a.observe(MitigationVerified, m, sites[0].Line, fmt.Sprintf("handler %s verifies with %s", name, kind))
		a.observe(MitigationFailsClosed, m, sites[0].Line, fmt.Sprintf("handler %s stops on verification failure", name))
	}
}

// refetchOnly: the payload is used only for its id, which goes to a
// Stripe retrieve call.
func (a *analysis) refetchOnly(f *pyast.Func, srcs []src) bool {
	m := f.Module
	retrieve := false
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind == "call" && pyast.LastSegment(m.CallName(n)) == "retrieve" {
			retrieve = true
		}
		return true
	})
	if !retrieve {
		return false
	}
	for _, s := range srcs {
		if s.f != f {
			return false
		}
		if s.varName == "" {
			if !idUse(m, s.n) {
				return false
			}
			continue
		}
		ok := true
		walkOwn(f, func(n *pyast.Node) bool {
			if n.Kind != "identifier" || m.Text(n) != s.varName || n.FieldIs("left") && n.Parent.Kind == "assignment" {
				return true
			}
			if n.Parent != nil && n.Parent.Kind == "attribute" && n.FieldIs("attribute") {
				return true
			}
			if !idUse(m, n) {
				ok = false
			}
			return true
		})
		if !ok {
			return false
		}
	}
	return true
}

// idUse: n is only read for an "id" key (n["id"], n.get("id"), n.id, or a
// chain of such lookups ending in "id").
func idUse(m *pyast.Module, n *pyast.Node) bool {
	last := ""
	for c := n; c.Parent != nil; {
		p := c.Parent
		switch {
		case p.Kind == "subscript" && c.FieldIs("value"):
			last, _ = m.StringValue(p.Child("subscript"))
			c = p
			continue
		case p.Kind == "attribute" && c.FieldIs("object"):
			if m.Text(p.Child("attribute")) == "get" && p.Parent != nil && p.Parent.Kind == "call" && p.FieldIs("function") {
				last, _ = m.StringValue(m.Arg(p.Parent, 0, ""))
				c = p.Parent
				continue
			}
			last = m.Text(p.Child("attribute"))
			c = p
			continue
		}
		break
	}
	return last == "id"
}

// checkOptional finds verification that a condition can skip while the
// unverified payload is still used.
func (a *analysis) checkOptional(h *handler, sites []*pyast.Node, srcs []src) {
	f, m := h.f, h.f.Module
	body := f.Body()
	vars := map[string]bool{}
	var local []src
	for _, s := range srcs {
		if s.varName != "" && s.f == f {
			vars[s.varName] = true
		}
		local = append(local, s)
	}
	usesOutside := func(inside *pyast.Node) bool {
		for _, s := range local {
			if !inside.Contains(s.anchor) {
				return true
			}
		}
		return false
	}
	for _, site := range sites {
		for c := site; c != nil && c != body; c = c.Parent {
			if c.Kind == "conditional_expression" {
				if kids := c.NamedChildren(); len(local) > 0 && len(kids) == 3 {
					a.emit(OptionalVerification, m, c.Line, f.Qual, fmt.Sprintf("Webhook handler %s verifies the signature only under a condition (%s)", f.Qual, m.Text(kids[1])), evidence(m, c))
				}
				break
			}
			p := c.Parent
			if p == nil || p.Kind != "if_statement" && p.Kind != "elif_clause" && p.Kind != "else_clause" {
				continue
			}
			if c.FieldIs("condition") {
				// if not verify(...): abort(400) — the check always runs.
				break
			}
			ifn := p
			if p.Kind != "if_statement" {
				ifn = p.Parent
			}
			branch := c
			if p.Kind != "if_statement" {
				branch = p
			}
			if ifn == nil || ifn.Kind != "if_statement" {
				continue
			}
			if a.otherPathsTerminate(m, ifn, branch) || !usesOutside(branch) {
				break
			}
			a.emit(OptionalVerification, m, ifn.Line, f.Qual,
				fmt.Sprintf("Webhook handler %s verifies the signature only when %s; otherwise it trusts the posted payload", f.Qual, condText(m, ifn, branch)), evidence(m, ifn))
			break
		}
	}
	if len(sites) == 0 {
		return
	}
	first := sites[0]
	// Bypass before verification: if DEBUG / test event: handle payload.
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind != "if_statement" || n.Start >= first.Start || n.Contains(first) {
			return true
		}
		hit := false
		for _, ch := range n.Children {
			if ch.FieldIs("condition") || rejects(m, branchBlock(ch)) {
				continue // a branch that answers 4xx only logs the payload
			}
			for _, s := range local {
				if ch.Contains(s.anchor) {
					hit = true
				}
			}
			ch.Walk(func(x *pyast.Node) bool {
				if x.Kind == "identifier" && vars[m.Text(x)] {
					hit = true
				}
				return !hit
			})
		}
		if hit {
			a.emit(OptionalVerification, m, n.Line, f.Qual,
				fmt.Sprintf("Webhook handler %s processes the posted payload before verifying it when %s", f.Qual, m.Text(n.Child("condition"))), evidence(m, n))
			return false
		}
		return true
	})
}

func condText(m *pyast.Module, ifn, branch *pyast.Node) string {
	c := m.Text(ifn.Child("condition"))
	if branch.Kind == "else_clause" {
		return "not (" + c + ")"
	}
	if branch.Kind == "elif_clause" {
		return m.Text(branch.Child("condition"))
	}
	return c
}

// otherPathsTerminate: every branch of ifn other than branch returns or
// raises, and there is an else (otherwise falling through is a path).
func (a *analysis) otherPathsTerminate(m *pyast.Module, ifn, branch *pyast.Node) bool {
	hasElse := false
	for _, ch := range ifn.Children {
		if ch == branch {
			continue
		}
		var blk *pyast.Node
		switch {
		case ch.FieldIs("consequence"):
			blk = ch
		case ch.Kind == "elif_clause":
			blk = ch.Child("consequence")
		case ch.Kind == "else_clause":
			hasElse = true
			blk = ch.Child("body")
		default:
			continue
		}
		if !terminates(m, blk) {
			return false
		}
	}
	return hasElse || branch.Kind == "else_clause"
}

func terminates(m *pyast.Module, blk *pyast.Node) bool {
	if blk == nil {
		return false
	}
	for _, s := range blk.NamedChildren() {
		switch s.Kind {
		case "return_statement", "raise_statement":
			return true
		case "expression_statement":
			if c := s.NamedChildren(); len(c) == 1 && c[0].Kind == "call" {
				switch pyast.LastSegment(m.DottedName(c[0].Child("function"))) {
				case "abort", "exit", "_exit", "HTTPException":
					return true
				}
			}
		case "if_statement":
			if terminates(m, s.Child("consequence")) {
				if el := s.Child("alternative"); el != nil && el.Kind == "else_clause" && terminates(m, el.Child("body")) {
					return true
				}
			}
		}
	}
	return false
}

// checkFailure looks at the try around one verification site.
func (a *analysis) checkFailure(m *pyast.Module, f *pyast.Func, site *pyast.Node, srcs []src) {
	var try *pyast.Node
	for c := site; c != nil && c != f.Node; c = c.Parent {
		if c.Kind == "except_clause" || c.Kind == "finally_clause" || c.Kind == "else_clause" && c.Parent != nil && c.Parent.Kind == "try_statement" {
			return
		}
		if c.Kind == "try_statement" {
			if b := c.Child("body"); b != nil && b.Contains(site) {
				try = c
			}
			break
		}
	}
	if try == nil {
		return
	}
	verifiedVar := ""
	if st := pyast.StatementOf(site); st.Kind == "expression_statement" {
		if as := st.NamedChildren(); len(as) == 1 && as[0].Kind == "assignment" {
			verifiedVar = m.DottedName(as[0].Child("left"))
		}
	}
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
			a.emit(SwallowedError, m, e.Line, f.Qual,
				fmt.Sprintf("%s falls back to the unverified payload when verification fails (except %s)", f.Qual, what), evidence(m, e))
		case !terminates(m, blk) && a.continuesAfter(m, f, try, verifiedVar):
			a.emit(SwallowedError, m, e.Line, f.Qual,
				fmt.Sprintf("%s catches the verification failure (except %s) and goes on processing the payload", f.Qual, what), evidence(m, e))
		case a.returns2xx(m, blk) || !terminates(m, blk) && a.nextReturn2xx(m, f, try, verifiedVar):
			a.emit(FailureAnswered2xx, m, e.Line, f.Qual,
				fmt.Sprintf("%s answers a failed verification (except %s) with a 2xx status", f.Qual, what), evidence(m, e))
		}
	}
	// In a helper the caller's try decides what a ValueError becomes; the
	// handler-level check looks at the call site there.
	if sveClause != nil && !catchesValue && a.verifyKind(m, f, site) != "verify_header" && len(a.p.CallersOf(f)) == 0 {
		a.emit(ErrorUnhandled, m, sveClause.Line, f.Qual,
			fmt.Sprintf("%s catches only SignatureVerificationError; a malformed body raises ValueError and is answered with 500", f.Qual), evidence(m, sveClause))
	}
}

func lastBlock(n *pyast.Node) *pyast.Node {
	for i := len(n.Children) - 1; i >= 0; i-- {
		if n.Children[i].Kind == "block" {
			return n.Children[i]
		}
	}
	return nil
}

// exceptTypes lists the exception classes an except clause names, qualified
// through the imports; none means a bare except (catches everything).
func exceptTypes(m *pyast.Module, e *pyast.Node) []string {
	kids := e.NamedChildren()
	if len(kids) == 0 || kids[0].Kind == "block" {
		return nil
	}
	c := kids[0]
	if c.Kind == "as_pattern" {
		c = c.NamedChildren0()
	}
	c = pyast.Unparen(c)
	items := []*pyast.Node{c}
	if c.Kind == "tuple" || c.Kind == "expression_list" {
		items = c.NamedChildren()
	}
	var out []string
	for _, t := range items {
		if d := m.DottedName(t); d != "" {
			out = append(out, m.Qualify(d))
		}
	}
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
