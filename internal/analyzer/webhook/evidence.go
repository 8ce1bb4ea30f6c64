package webhook

import (
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// ---- is this handler a Stripe webhook? ----
//
// A route that reads a JSON body is not a webhook. The evidence that it
// receives Stripe deliveries: it verifies, reads the Stripe-Signature
// header, builds a Stripe event from the payload or re-fetches it,
// dispatches on the payload's event type ("invoice.paid" compared with
// event["type"], a table keyed by event types, match/case), reads Stripe
// event fields (data.object, livemode, api_version, pending_webhooks), or
// is named a Stripe webhook and reads the body. A string that merely
// starts like an event type ("payment_intent.html", a template) is not
// evidence, and neither is a name alone.

// sigHeaderRE: reading the Stripe-Signature header marks a webhook handler.
var sigHeaderRE = regexp.MustCompile(`(?i)^(stripe-signature|http_stripe_signature|stripe_signature)$`)

// fileSuffixRE: "payment_intent.html" names a file, not an event type.
var fileSuffixRE = regexp.MustCompile(`\.(html?|js|css|json|txt|xml|csv|pdf|png|jpe?g|gif|svg|md|py|jinja2?|j2|tpl|tmpl|mjml|mako|haml|ya?ml|ico|webp|map)$`)

// isEventType: a Stripe event type literal, not a file name.
func isEventType(s string) bool { return pyast.IsStripeEventType(s) && !fileSuffixRE.MatchString(s) }

// eventFields are keys only a Stripe event payload has together.
var eventFields = map[string]bool{"livemode": true, "api_version": true, "pending_webhooks": true}

type evidenceKind int

const (
	noEvidence evidenceKind = iota
	weakTypeRead
	strongEvidence
)

func (a *analysis) isWebhook(h *handler, verified bool, srcs []src) bool {
	if verified {
		return true
	}
	for _, s := range srcs {
		if strings.Contains(s.desc, "construct") || strings.Contains(s.desc, "stripe") {
			return true
		}
	}
	ev := a.eventEvidence(h.f)
	if ev == strongEvidence {
		return true
	}
	f := h.f
	names := []string{h.route, f.Name}
	if f.Class != nil {
		names = append(names, f.Class.Name)
	}
	stripeNamed, hookNamed := false, false
	for _, n := range names {
		stripeNamed = stripeNamed || stripeNameRE.MatchString(n)
		hookNamed = hookNamed || hookNameRE.MatchString(n)
	}
	switch {
	case stripeNamed && hookNamed && len(srcs) > 0:
		// "stripe_webhook" reading the body.
		return true
	case hookNamed && (stripeNamed || f.Module.ImportsStripe()) && ev == weakTypeRead:
		// A webhook route of a Stripe module reading the payload's type.
		return true
	}
	return false
}

var hookNameRE = regexp.MustCompile(`(?i)webhook|hook`)

// eventEvidence looks in the handler and the functions it calls (two
// levels) for uses of the payload as a Stripe event.
func (a *analysis) eventEvidence(f *pyast.Func) evidenceKind {
	best := noEvidence
	seen := map[*pyast.Func]bool{}
	var look func(g *pyast.Func, depth int)
	look = func(g *pyast.Func, depth int) {
		if seen[g] || best == strongEvidence {
			return
		}
		seen[g] = true
		gm := g.Module
		walkOwn(g, func(n *pyast.Node) bool {
			if best == strongEvidence {
				return false
			}
			switch n.Kind {
			case "string":
				if v, ok := gm.StringValue(n); ok && sigHeaderRE.MatchString(v) {
					best = strongEvidence
				}
				return false
			case "comparison_operator":
				if a.typeComparison(gm, n) {
					best = strongEvidence
				}
			case "match_statement":
				if typeAccess(gm, n.Child("subject")) {
					n.Walk(func(x *pyast.Node) bool {
						if x.Kind == "string" {
							if v, ok := gm.StringValue(x); ok && isEventType(v) {
								best = strongEvidence
							}
						}
						return best != strongEvidence
					})
				}
			case "subscript":
				// HANDLERS[event["type"]] with event-type keys.
				if typeAccess(gm, n.Child("subscript")) && a.eventTypeTable(gm, g, n.Child("value")) {
					best = strongEvidence
				}
				if k, ok := gm.StringValue(n.Child("subscript")); ok {
					switch {
					case eventFields[k]:
						best = strongEvidence
					case k == "object" && dataAccess(gm, n.Child("value")):
						best = strongEvidence
					case k == "type" && best < weakTypeRead:
						best = weakTypeRead
					}
				}
			case "attribute":
				at := gm.Text(n.Child("attribute"))
				if at == "object" && dataAccess(gm, n.Child("object")) || eventFields[at] && !configAttribute(gm, n) {
					best = strongEvidence
				}
			case "call":
				q := gm.CallName(n)
				if strings.HasSuffix(q, "Event.retrieve") {
					best = strongEvidence
					return false
				}
				fn := pyast.Unparen(n.Child("function"))
				if fn != nil && fn.Kind == "attribute" && gm.Text(fn.Child("attribute")) == "get" {
					if k, ok := gm.StringValue(gm.Arg(n, 0, "")); ok {
						switch {
						case eventFields[k]:
							best = strongEvidence
						case k == "type" && best < weakTypeRead:
							best = weakTypeRead
						}
					}
					// HANDLERS.get(event["type"])
					if typeAccess(gm, gm.Arg(n, 0, "")) && a.eventTypeTable(gm, g, fn.Child("object")) {
						best = strongEvidence
					}
				}
				if depth > 0 {
					for _, c := range a.callees(gm, g, n) {
						if c != g {
							look(c, depth-1)
						}
					}
				}
			}
			return true
		})
	}
	look(f, 2)
	return best
}

// configAttribute: stripe.api_version = "2024-06-20" or settings.LIVEMODE
// configures the library or the app; it is not a read of an event's
// field. A view that sets stripe.api_version before creating a Checkout
// Session is not a webhook (CriativoDevs/salonix-backend: its checkout view
// was reported critical through get_stripe()'s stripe.api_version).
func configAttribute(m *pyast.Module, n *pyast.Node) bool {
	if n.Parent != nil && n.Parent.Kind == "assignment" && n.FieldIs("left") {
		return true
	}
	root := m.Text(pyast.Root(n))
	q := m.Qualify(root)
	return q == "stripe" || strings.HasPrefix(q, "stripe.") || q == "django.conf.settings" || root == "settings" || root == "config" || root == "conf"
}

// typeComparison: event["type"] == "invoice.paid", event.type in
// ("checkout.session.completed", …).
func (a *analysis) typeComparison(m *pyast.Module, n *pyast.Node) bool {
	kids := n.NamedChildren()
	if len(kids) != 2 {
		return false
	}
	hasType, hasEvent := false, false
	for _, k := range kids {
		if typeAccess(m, k) {
			hasType = true
		}
		k = pyast.Unparen(k)
		switch k.Kind {
		case "string", "concatenated_string":
			if v, ok := m.StringValue(k); ok && isEventType(v) {
				hasEvent = true
			}
		case "tuple", "list", "set":
			for _, e := range k.NamedChildren() {
				if v, ok := m.StringValue(e); ok && isEventType(v) {
					hasEvent = true
				}
			}
		case "identifier", "attribute":
			// EVENT = "invoice.paid"; if event.type == EVENT
			for _, o := range a.p.Origins(m, m.FuncAt(k), k, 2) {
				if v, ok := o.M.StringValue(o.N); ok && isEventType(v) {
					hasEvent = true
				}
			}
		}
	}
	return hasType && hasEvent
}

// typeAccess: x["type"], x.get("type"), x.type (also through a local
// assigned from one).
func typeAccess(m *pyast.Module, n *pyast.Node) bool {
	return typeAccessSeen(m, n, map[*pyast.Node]bool{})
}

// typeAccessSeen follows local assignments; seen holds the right-hand sides
// already followed, so `kind = kind or ""` or `a = b; b = a` ends instead of
// recursing until the stack overflows (PyZenMatt/lms_backend crashed the scan).
func typeAccessSeen(m *pyast.Module, n *pyast.Node, seen map[*pyast.Node]bool) bool {
	n = pyast.Unparen(n)
	if n == nil {
		return false
	}
	switch n.Kind {
	case "subscript":
		k, ok := m.StringValue(n.Child("subscript"))
		return ok && k == "type"
	case "attribute":
		return m.Text(n.Child("attribute")) == "type"
	case "call":
		fn := pyast.Unparen(n.Child("function"))
		if fn != nil && fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "get" {
			k, ok := m.StringValue(m.Arg(n, 0, ""))
			return ok && k == "type"
		}
	case "identifier":
		if f := m.FuncAt(n); f != nil {
			name := m.Text(n)
			for g := f; g != nil; g = g.Outer {
				for _, v := range localsOf(g)[name] {
					if seen[v] {
						continue
					}
					seen[v] = true
					if typeAccessSeen(m, v, seen) {
						return true
					}
				}
			}
		}
	}
	return false
}

// localsOf is a cheap per-function assignment index (no project needed).
func localsOf(f *pyast.Func) map[string][]*pyast.Node {
	out := map[string][]*pyast.Node{}
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind == "assignment" {
			if l := n.Child("left"); l != nil && l.Kind == "identifier" && n.Child("right") != nil {
				out[f.Module.Text(l)] = append(out[f.Module.Text(l)], n.Child("right"))
			}
		}
		return true
	})
	return out
}

// dataAccess: x["data"] or x.data (the event's data envelope).
func dataAccess(m *pyast.Module, n *pyast.Node) bool {
	n = pyast.Unparen(n)
	switch n.Kind {
	case "subscript":
		k, ok := m.StringValue(n.Child("subscript"))
		return ok && k == "data"
	case "attribute":
		return m.Text(n.Child("attribute")) == "data" && !requestNames[m.Text(pyast.Root(n))]
	case "call":
		fn := pyast.Unparen(n.Child("function"))
		if fn != nil && fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "get" {
			k, ok := m.StringValue(m.Arg(n, 0, ""))
			return ok && k == "data"
		}
	}
	return false
}

// eventTypeTable: the expression is a dict keyed by event types.
func (a *analysis) eventTypeTable(m *pyast.Module, f *pyast.Func, n *pyast.Node) bool {
	for _, o := range a.p.Origins(m, f, n, 2) {
		on := pyast.Unparen(o.N)
		if on.Kind != "dictionary" {
			continue
		}
		for _, pair := range on.NamedChildren() {
			if k, ok := o.M.StringValue(pair.Child("key")); ok && isEventType(k) {
				return true
			}
		}
	}
	return false
}
