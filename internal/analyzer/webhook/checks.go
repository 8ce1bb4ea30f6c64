package webhook

import (
	"fmt"
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
	a.checkIdempotency(h)
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
		if s.f == f && a.providerVerifierGate(f, s.n) != nil {
			return
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
		if g := a.guardFunc; g != nil && a.failsClosed(g) {
			a.observe(MitigationFailsClosed, m, f.Node.Line, fmt.Sprintf("handler %s: %s stops the request on verification failure", name, how))
		}
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
	if !a.retrieves(f, 2) {
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

// retrieves: f re-fetches an event from the API: it calls a retrieve
// method (stripe.Event.retrieve, client.events.retrieve), or a project
// helper that does (htk's retrieve_event(event_id) passes
// stripe.Event.retrieve to a retry wrapper), up to depth calls deep.
func (a *analysis) retrieves(f *pyast.Func, depth int) bool {
	m := f.Module
	found := false
	walkOwn(f, func(n *pyast.Node) bool {
		if found {
			return false
		}
		switch n.Kind {
		case "call":
			if pyast.LastSegment(m.CallName(n)) == "retrieve" {
				found = true
				return false
			}
			if depth > 0 {
				for _, g := range a.callees(m, f, n) {
					if g != f && a.retrieves(g, depth-1) {
						found = true
						return false
					}
				}
			}
		case "attribute":
			// A reference handed to a wrapper: call(stripe.Event.retrieve, id).
			if strings.HasSuffix(m.Qualify(m.DottedName(n)), "Event.retrieve") {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// refetchKeys are the payload keys a re-fetching handler may read without
// trusting the payload: the event id, and what selects how to fetch it
// (livemode picks the key, account the Connect account; a forged value
// can only make the retrieve fail).
var refetchKeys = map[string]bool{"id": true, "livemode": true, "account": true}

// idUse: n is only read for a re-fetch key (n["id"], n.get("livemode"),
// n.id, or a chain of such lookups ending in one), or is handed to a
// logging call, which records it without acting on it.
func idUse(m *pyast.Module, n *pyast.Node) bool {
	if loggedArg(m, n) {
		return true
	}
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
	return refetchKeys[last]
}

// loggedArg: n is an argument of a logging call (logger.info(…),
// logging.warning(…), log_event(…)).
func loggedArg(m *pyast.Module, n *pyast.Node) bool {
	p := n.Parent
	if p != nil && p.Kind == "keyword_argument" {
		p = p.Parent
	}
	if p == nil || p.Kind != "argument_list" || p.Parent == nil || p.Parent.Kind != "call" {
		return false
	}
	name := m.CallName(p.Parent)
	last := pyast.LastSegment(name)
	if strings.HasPrefix(last, "log_") || strings.HasSuffix(last, "_log") {
		return true
	}
	return pyast.IsLoggerCall(name)
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
	usesOutside := func(inside *pyast.Node, except []*pyast.Node) bool {
	next:
		for _, s := range local {
			if inside.Contains(s.anchor) {
				continue
			}
			for _, e := range except {
				if e.Contains(s.anchor) {
					continue next // another provider's branch (provider.go)
				}
			}
			return true
		}
		return false
	}
	for _, site := range sites {
		for c := site; c != nil && c != body; c = c.Parent {
			if c.Kind == "conditional_expression" {
				if kids := c.NamedChildren(); len(local) > 0 && len(kids) == 3 {
					a.emitOptional(m, f, c, kids[1], kids[0].Contains(site), nil,
						fmt.Sprintf("Webhook handler %s verifies the signature only under a condition (%s)", f.Qual, m.Text(kids[1])))
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
			if a.otherPathsTerminate(m, ifn, branch) || !usesOutside(branch, otherProvidersOf(m, f, site)) {
				break
			}
			var cond, fb *pyast.Node
			negated := false
			switch {
			case branch.FieldIs("consequence"):
				cond, negated = ifn.Child("condition"), true
				if el := ifn.Child("alternative"); el != nil && el.Kind == "else_clause" {
					fb = el.Child("body")
				}
			case branch.Kind == "else_clause":
				cond, fb = ifn.Child("condition"), ifn.Child("consequence")
			}
			a.emitOptional(m, f, ifn, cond, negated, fb,
				fmt.Sprintf("Webhook handler %s verifies the signature only when %s; otherwise it trusts the posted payload", f.Qual, condText(m, ifn, branch)))
			break
		}
	}
	if len(sites) == 0 {
		return
	}
	first := sites[0]
	others := otherProvidersOf(m, f, first)
	// Bypass before verification: if DEBUG / test event: handle payload.
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind != "if_statement" || n.Start >= first.Start || n.Contains(first) {
			return true
		}
		var hitBranch *pyast.Node
		for _, ch := range n.Children {
			if ch.FieldIs("condition") || rejects(m, branchBlock(ch)) {
				continue // a branch that answers 4xx only logs the payload
			}
			if blk := branchBlock(ch); blk != nil && within(blk, others) {
				continue // another payment provider's branch (provider.go)
			}
			hit := false
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
			if !hit && a.actsOnRequest(m, f, branchBlock(ch)) {
				hit = true
			}
			if hit && hitBranch == nil {
				hitBranch = ch
			}
		}
		if hitBranch != nil {
			cond, negated := n.Child("condition"), false
			if hitBranch.Kind == "elif_clause" {
				cond = hitBranch.Child("condition")
			} else if hitBranch.Kind == "else_clause" {
				negated = true
			}
			a.emitOptional(m, f, n, cond, negated, branchBlock(hitBranch),
				fmt.Sprintf("Webhook handler %s processes the posted payload before verifying it when %s", f.Qual, m.Text(cond)))
			return false
		}
		return true
	})
}

// secretGate: when the condition that switches verification off tests the
// signing secret itself (`if endpoint_secret:` around construct_event), an
// unset secret turns verification off, so the checklist must not call the
// secret "never empty" because it comes from configuration.
func (a *analysis) secretGate(f *pyast.Func, line int, conds ...*pyast.Node) {
	m := f.Module
	for _, site := range a.directVerifies(f) {
		name := m.DottedName(pyast.Unparen(m.Arg(site, 2, "secret")))
		if name == "" {
			continue
		}
		for _, c := range conds {
			if c == nil {
				continue
			}
			hit := false
			c.Walk(func(x *pyast.Node) bool {
				if (x.Kind == "identifier" || x.Kind == "attribute") && m.DottedName(x) == name {
					hit = true
				}
				return !hit
			})
			if hit {
				a.sink.Observation(&finding.Observation{Mitigation: MitigationSecret, State: finding.Missing, File: m.Path, Line: line,
					Detail: fmt.Sprintf("handler %s skips verification when the signing secret %s is empty or unset", f.Qual, name)})
				return
			}
		}
	}
}

// emitOptional reports verification a condition can skip: high, or low
// when the code shows the path that skips it is for development or tests.
func (a *analysis) emitOptional(m *pyast.Module, f *pyast.Func, at, cond *pyast.Node, negated bool, fallback *pyast.Node, msg string) {
	a.secretGate(f, at.Line, cond)
	b := a.classifyFallback(m, f, cond, negated, fallback)
	if b.devOnly {
		a.emit(DevOnlyFallback, m, at.Line, f.Qual, msg+"."+devOnlyMessage(b), evidence(m, at))
		return
	}
	a.emit(OptionalVerification, m, at.Line, f.Qual, msg, evidence(m, at))
}

// actsOnRequest: the block passes request data to the app's own code or
// to a Stripe API call (fulfilment on an unverified path).
func (a *analysis) actsOnRequest(m *pyast.Module, f *pyast.Func, blk *pyast.Node) bool {
	if blk == nil {
		return false
	}
	hit := false
	blk.Walk(func(x *pyast.Node) bool {
		if hit || x.Kind == "function_definition" {
			return false
		}
		if x.Kind != "call" {
			return true
		}
		q := m.CallName(x)
		stripeCall := strings.HasPrefix(q, "stripe.") && stripeMutations[pyast.LastSegment(q)]
		if !stripeCall && len(a.callees(m, f, x)) == 0 {
			return true
		}
		for _, arg := range x.Child("arguments").NamedChildren() {
			if arg.Kind == "keyword_argument" {
				arg = arg.Child("value")
			}
			if arg != nil && a.fromRequest(m, f, arg) {
				hit = true
				return false
			}
		}
		return true
	})
	return hit
}

// stripeMutations are Stripe API calls that act (fulfil, refund, modify).
var stripeMutations = map[string]bool{"create": true, "modify": true, "update": true, "capture": true, "confirm": true,
	"pay": true, "cancel": true, "finalize_invoice": true, "void_invoice": true, "refund": true, "delete": true}

func condText(m *pyast.Module, ifn, branch *pyast.Node) string {
	c := strings.TrimSpace(m.Text(ifn.Child("condition")))
	if branch.Kind == "else_clause" {
		return negateText(c)
	}
	if branch.Kind == "elif_clause" {
		return m.Text(branch.Child("condition"))
	}
	return c
}

// negateText renders "not (c)" readably.
func negateText(c string) string {
	if strings.HasPrefix(c, "not ") && !strings.ContainsAny(c[4:], " ") {
		return c[4:]
	}
	if !strings.ContainsAny(c, " ") {
		return "not " + c
	}
	return "not (" + c + ")"
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
