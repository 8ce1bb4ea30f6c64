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

// storageWrites are storage calls that change state: keyed on something
// else than the event id, a replay repeats them.
var storageWrites = map[string]bool{"create": true, "update_or_create": true, "bulk_create": true, "insert": true,
	"insert_one": true, "put_item": true, "execute": true, "add": true}

// dedupeNameRE: helpers named for de-duplication.
var dedupeNameRE = regexp.MustCompile(`(?i)processed|dedup|idempot|already|seen|handled_before|is_duplicate|duplicate|record_event|claim`)

// eventIDHolderRE: plain names that hold the event itself, whose id is
// the event id (event["data"]["object"]["id"] is another object's).
var eventIDHolderRE = regexp.MustCompile(`(?i)^(self\.)?(event|evt|stripe_event|webhook_event|event_data|event_json|event_obj|payload|data|body|json_body|message|notification|delivery|e)$`)

func isEventVar(m *pyast.Module, n *pyast.Node) bool {
	n = pyast.Unparen(n)
	return n != nil && (n.Kind == "identifier" || n.Kind == "attribute") && eventIDHolderRE.MatchString(m.Text(n))
}

// sideEffectCalls do something a replay would repeat.
var sideEffectCalls = map[string]bool{"save": true, "delay": true, "apply_async": true, "send_task": true, "enqueue": true,
	"send_mail": true, "send_email": true, "modify": true, "capture": true, "refund": true, "fulfil": true, "fulfill": true,
	"commit": true, "update": true, "delete": true, "charge": true}

// checkIdempotency marks the idempotency mitigation for one webhook handler.
func (a *analysis) checkIdempotency(h *handler) {
	f, m := h.f, h.f.Module
	at, kind, effects := a.dedupeBefore(f, 3, map[*pyast.Func]bool{})
	switch {
	case kind == dedupeDecided:
		a.sink.Observation(&finding.Observation{Mitigation: MitigationIdempotent, State: finding.InPlace,
			Detail: fmt.Sprintf("handler %s records processed event ids (%s)", f.Qual, strings.TrimSpace(firstLine(at.m.Text(at.n)))), File: at.m.Path, Line: at.n.Line})
	case effects:
		key := MitigationIdempotent + "\x00missing\x00" + m.Path + "\x00" + fmt.Sprint(f.Node.Line)
		if a.observed[key] {
			return
		}
		a.observed[key] = true
		a.sink.Observation(&finding.Observation{Mitigation: MitigationIdempotent, State: finding.Missing,
			Detail: fmt.Sprintf("handler %s acts on events without checking their ids against those already processed, so a redelivered or replayed event is processed again", f.Qual), File: m.Path, Line: f.Node.Line})
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

// dedupe kinds: how a record of the event id steers processing.
const (
	dedupeNone     = 0
	dedupeReturned = 1 // the record's result is returned to the caller
	dedupeDecided  = 2 // the function branches on it (skips duplicates)
)

// dedupeBefore walks f's calls in source order: it reports the first
// record of an event id that steers processing before any side effect,
// and whether side effects happen. Recording an id without looking at
// the result (INSERT … ON CONFLICT DO NOTHING, then processing anyway)
// does not skip duplicates.
func (a *analysis) dedupeBefore(f *pyast.Func, depth int, visiting map[*pyast.Func]bool) (at, int, bool) {
	if visiting[f] || depth < 0 {
		return at{}, dedupeNone, false
	}
	visiting[f] = true
	defer delete(visiting, f)
	m := f.Module
	var found at
	kind, effects := dedupeNone, false
	walkOwn(f, func(n *pyast.Node) bool {
		if kind != dedupeNone || effects {
			return false
		}
		switch n.Kind {
		case "comparison_operator":
			// event.id in processed / event_id not in seen
			kids := n.NamedChildren()
			if len(kids) == 2 {
				op := strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start]))
				if (op == "in" || op == "not in") && a.refersToEventID(m, f, kids[0]) {
					if k := steers(m, f, n); k != dedupeNone {
						found, kind = at{m, n}, k
						return false
					}
				}
			}
		case "call":
			q := m.CallName(n)
			last := pyast.LastSegment(q)
			if a.verifyKind(m, f, n) != "" || pyast.IsLogCall(q) {
				return false
			}
			if (storageCalls[last] || dedupeNameRE.MatchString(last)) && a.argsReferEventID(m, f, n) {
				if k := steers(m, f, n); k != dedupeNone {
					found, kind = at{m, n}, k
					return false
				}
				return true // recorded, not checked: neither a dedupe nor an effect
			}
			gs := a.callees(m, f, n)
			for _, g := range gs {
				if g == f {
					continue
				}
				x, k, eff := a.dedupeBefore(g, depth-1, visiting)
				switch {
				case k == dedupeDecided:
					found, kind = x, dedupeDecided
					return false
				case k == dedupeReturned:
					if k2 := steers(m, f, n); k2 != dedupeNone {
						found, kind = x, k2
						return false
					}
				case eff:
					effects = true
					return false
				}
			}
			if sideEffectCalls[last] || storageWrites[last] && !arrivalLog(m, f, n) || strings.HasPrefix(q, "stripe.") && stripeMutations[last] || len(gs) > 0 && a.passesEvent(m, f, n) {
				effects = true
				return false
			}
		}
		return true
	})
	return found, kind, effects
}

// steers: how the value of n decides what f does next — tested by an if
// (directly, or through the variables it is assigned to, or a cursor's
// rowcount), or returned to the caller.
func steers(m *pyast.Module, f *pyast.Func, n *pyast.Node) int {
	for c := n; c != nil && c != f.Node; c = c.Parent {
		p := c.Parent
		if p == nil {
			break
		}
		switch {
		case (p.Kind == "if_statement" || p.Kind == "elif_clause" || p.Kind == "while_statement") && c.FieldIs("condition"):
			return dedupeDecided
		case p.Kind == "assert_statement":
			return dedupeDecided
		case p.Kind == "return_statement":
			return dedupeReturned
		case p.Kind == "block" || p.Kind == "module":
			// n is a statement of its own: look at what the next
			// statements test.
			var names []string
			if c.Kind == "expression_statement" {
				if as := c.NamedChildren(); len(as) == 1 && as[0].Kind == "assignment" {
					as[0].Child("left").Walk(func(x *pyast.Node) bool {
						if x.Kind == "identifier" {
							names = append(names, m.Text(x))
						}
						return true
					})
				}
			}
			if r := receiver(m, n); r != nil {
				names = append(names, m.Text(r)+".rowcount")
			}
			for _, s := range following(f, c) {
				if s.Kind != "if_statement" {
					continue
				}
				cond := m.Text(s.Child("condition"))
				for _, nm := range names {
					if nm != "_" && containsWord(cond, nm) {
						return dedupeDecided
					}
				}
			}
			return dedupeNone
		}
	}
	return dedupeNone
}

func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !identChar(s[j-1])
		after := j+len(w) >= len(s) || !identChar(s[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func identChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// arrivalLog: the write records the delivery itself (a webhook log or
// trigger row), not a business side effect.
func arrivalLog(m *pyast.Module, f *pyast.Func, call *pyast.Node) bool {
	owner := ""
	if fn := pyast.Unparen(call.Child("function")); fn != nil && fn.Kind == "attribute" {
		owner = strings.TrimSuffix(m.DottedName(fn.Child("object")), ".objects")
	}
	if owner == "cls" && f != nil && f.Class != nil {
		owner = f.Class.Name
	}
	return arrivalLogRE.MatchString(pyast.LastSegment(owner))
}

var arrivalLogRE = regexp.MustCompile(`(?i)log|trigger|webhook|delivery|audit|request|history|received`)

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
		return m.Text(x.Child("attribute")) == "id" && isEventVar(m, x.Child("object"))
	case "subscript":
		k, ok := m.StringValue(x.Child("subscript"))
		return ok && k == "id" && isEventVar(m, x.Child("value"))
	case "call":
		fn := pyast.Unparen(x.Child("function"))
		if fn != nil && fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "get" {
			k, ok := m.StringValue(m.Arg(x, 0, ""))
			return ok && k == "id" && isEventVar(m, fn.Child("object"))
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

// passesEvent: the call hands the event (or its payload) to the app's
// code: an argument that is the event variable itself.
func (a *analysis) passesEvent(m *pyast.Module, f *pyast.Func, call *pyast.Node) bool {
	for _, arg := range call.Child("arguments").NamedChildren() {
		if arg.Kind == "keyword_argument" {
			arg = arg.Child("value")
		}
		arg = pyast.Unparen(arg)
		if arg == nil {
			continue
		}
		name := ""
		switch arg.Kind {
		case "identifier":
			name = m.Text(arg)
		case "attribute":
			name = m.Text(arg.Child("attribute"))
		case "subscript":
			// event["data"]["object"]
			if r := pyast.Root(arg); r != nil && r.Kind == "identifier" {
				name = m.Text(r)
			}
		}
		if eventVarRE.MatchString(name) {
			return true
		}
	}
	return false
}

// eventVarRE: names handlers give the event they process.
var eventVarRE = regexp.MustCompile(`(?i)^(event|evt|stripe_event|webhook_event|event_data|event_json|payload|data|body|json_body|obj|message|notification|session|intent|invoice|subscription)$`)
