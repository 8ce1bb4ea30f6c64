package webhook

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
)

// ---- processed event ids (idempotency) ----
//
// Stripe delivers at least once and redelivers on any doubt; a signed
// delivery can also be replayed within the 300 s window. A handler is
// idempotent when it records the event id before its side effects: a
// look-up or unique insert keyed on event.id / event["id"]
// (get_or_create, filter(...).exists(), an idempotency table, Redis SET
// NX, a "seen" set) in the handler or a function it calls first. The
// mitigation is marked in place where that is seen and missing for a
// webhook handler with side effects and no such record.

// storageCalls record or look up a key.
var storageCalls = map[string]bool{"get_or_create": true, "create": true, "filter": true, "exists": true, "get": true,
	"setnx": true, "sadd": true, "add": true, "set": true, "insert": true, "insert_one": true, "execute": true,
	"update_or_create": true, "filter_by": true, "first": true, "count": true, "one_or_none": true, "scalar": true,
	"put_item": true, "setdefault": true, "bulk_create": true}

// dedupeNameRE: helpers named for de-duplication.
var dedupeNameRE = regexp.MustCompile(`(?i)processed|dedup|idempot|already|seen|handled_before|is_duplicate|duplicate|record_event|claim`)

// eventRecvRE: names that hold the event in handlers.
var eventRecvRE = regexp.MustCompile(`(?i)event|evt|payload|data|body|webhook|notification|message|msg|delivery|obj`)

// sideEffectCalls do something a replay would repeat.
var sideEffectCalls = map[string]bool{"save": true, "delay": true, "apply_async": true, "send_task": true, "enqueue": true,
	"send_mail": true, "send": true, "modify": true, "capture": true, "refund": true, "fulfil": true, "fulfill": true,
	"commit": true, "update": true, "delete": true, "charge": true}

// checkIdempotency marks the idempotency mitigation for one webhook handler.
func (a *analysis) checkIdempotency(h *handler) {
	f, m := h.f, h.f.Module
	at, seen, effects := a.dedupeBefore(f, 3, map[*pyast.Func]bool{})
	switch {
	case seen:
		a.sink.Observation(&finding.Observation{Mitigation: MitigationIdempotent, State: finding.InPlace,
			Detail: fmt.Sprintf("handler %s records processed event ids (%s)", f.Qual, strings.TrimSpace(firstLine(at.m.Text(at.n)))), File: at.m.Path, Line: at.n.Line})
	case effects:
		key := MitigationIdempotent + "\x00missing\x00" + m.Path + "\x00" + fmt.Sprint(f.Node.Line)
		if a.observed[key] {
			return
		}
		a.observed[key] = true
		a.sink.Observation(&finding.Observation{Mitigation: MitigationIdempotent, State: finding.Missing,
			Detail: fmt.Sprintf("handler %s acts on events without recording their ids, so a redelivered or replayed event is processed again", f.Qual), File: m.Path, Line: f.Node.Line})
	}
}

type at struct {
	m *pyast.Module
	n *pyast.Node
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// dedupeBefore walks f's calls in source order: it reports the first
// record of an event id seen before any side effect (seen), and whether
// side effects happen (effects).
func (a *analysis) dedupeBefore(f *pyast.Func, depth int, visiting map[*pyast.Func]bool) (at, bool, bool) {
	if visiting[f] || depth < 0 {
		return at{}, false, false
	}
	visiting[f] = true
	defer delete(visiting, f)
	m := f.Module
	var found at
	seen, effects := false, false
	walkOwn(f, func(n *pyast.Node) bool {
		if seen || effects {
			return false
		}
		switch n.Kind {
		case "comparison_operator":
			// event.id in processed / event_id not in seen
			kids := n.NamedChildren()
			if len(kids) == 2 {
				op := strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start]))
				if (op == "in" || op == "not in") && a.refersToEventID(m, f, kids[0]) {
					found, seen = at{m, n}, true
					return false
				}
			}
		case "call":
			q := m.CallName(n)
			last := pyast.LastSegment(q)
			if a.verifyKind(m, f, n) != "" || isLogCall(q) {
				return false
			}
			if (storageCalls[last] || dedupeNameRE.MatchString(last)) && a.argsReferEventID(m, f, n) {
				found, seen = at{m, n}, true
				return false
			}
			gs := a.callees(m, f, n)
			for _, g := range gs {
				if g == f || a.verifies(g, callDepth) {
					continue
				}
				if x, ok, eff := a.dedupeBefore(g, depth-1, visiting); ok {
					found, seen = x, true
					return false
				} else if eff {
					effects = true
					return false
				}
			}
			if sideEffectCalls[last] || strings.HasPrefix(q, "stripe.") && stripeMutations[last] || len(gs) > 0 && a.passesEvent(m, f, n) {
				effects = true
				return false
			}
		}
		return true
	})
	return found, seen, effects
}

// argsReferEventID: an argument (or a key/value in one) is the event id.
func (a *analysis) argsReferEventID(m *pyast.Module, f *pyast.Func, call *pyast.Node) bool {
	hit := false
	call.Child("arguments").Walk(func(x *pyast.Node) bool {
		if hit {
			return false
		}
		if a.refersToEventID(m, f, x) {
			hit = true
			return false
		}
		return true
	})
	if !hit {
		// get_or_create on the event itself: Event.objects.get_or_create(stripe_event=event)
		fn := pyast.Unparen(call.Child("function"))
		if fn != nil && fn.Kind == "attribute" {
			hit = a.refersToEventID(m, f, fn.Child("object"))
		}
	}
	return hit
}

// refersToEventID: x is event.id / event["id"] / event.get("id"), a local
// assigned from one, or an f-string embedding one.
func (a *analysis) refersToEventID(m *pyast.Module, f *pyast.Func, x *pyast.Node) bool {
	x = pyast.Unparen(x)
	if x == nil {
		return false
	}
	switch x.Kind {
	case "attribute":
		return m.Text(x.Child("attribute")) == "id" && eventRecvRE.MatchString(m.Text(x.Child("object")))
	case "subscript":
		k, ok := m.StringValue(x.Child("subscript"))
		return ok && k == "id" && eventRecvRE.MatchString(m.Text(x.Child("value")))
	case "call":
		fn := pyast.Unparen(x.Child("function"))
		if fn != nil && fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "get" {
			k, ok := m.StringValue(m.Arg(x, 0, ""))
			return ok && k == "id" && eventRecvRE.MatchString(m.Text(fn.Child("object")))
		}
	case "string":
		hit := false
		for _, c := range x.Children {
			if c.Kind == "interpolation" {
				c.Walk(func(y *pyast.Node) bool {
					if !hit && y != c && a.refersToEventID(m, f, y) {
						hit = true
					}
					return !hit
				})
			}
		}
		return hit
	case "identifier":
		if f == nil {
			return false
		}
		name := m.Text(x)
		if strings.Contains(strings.ToLower(name), "event_id") || strings.ToLower(name) == "evt_id" {
			return true
		}
		for _, v := range localsOf(f)[name] {
			if v != x && a.refersToEventID(m, f, v) {
				return true
			}
		}
	}
	return false
}

var logMethods = map[string]bool{"debug": true, "info": true, "warning": true, "warn": true, "error": true,
	"exception": true, "critical": true, "log": true, "fatal": true}

// isLogCall: print and logger calls (no side effect a replay repeats).
func isLogCall(q string) bool {
	switch q {
	case "print", "pprint", "pprint.pprint", "sys.stdout.write", "sys.stderr.write", "click.echo":
		return true
	}
	i := strings.LastIndexByte(q, '.')
	if i < 0 {
		return false
	}
	recv, meth := strings.ToLower(q[:i]), q[i+1:]
	return logMethods[meth] && (strings.Contains(recv, "log") || recv == "logging" || strings.HasSuffix(recv, "logger"))
}

// passesEvent: the call hands the event (or something read from it) to
// the app's code.
func (a *analysis) passesEvent(m *pyast.Module, f *pyast.Func, call *pyast.Node) bool {
	hit := false
	call.Child("arguments").Walk(func(x *pyast.Node) bool {
		if hit {
			return false
		}
		if x.Kind == "identifier" && eventRecvRE.MatchString(m.Text(x)) {
			hit = true
		}
		return true
	})
	return hit
}
