package webhook

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/stripeguard/stripeguard/internal/analyzer/secrets"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// maxTolerance is the largest replay window (seconds) not reported: Stripe
// uses 300 s; an hour still bounds replays, more is effectively none.
const maxTolerance = 3600

// forEachVerifyCall visits every live Stripe verification call.
func (a *analysis) forEachVerifyCall(fn func(m *pyast.Module, f *pyast.Func, call *pyast.Node, kind string)) {
	for _, m := range a.p.Modules {
		if isTestModule(m.Path) {
			continue
		}
		for _, f := range m.Funcs {
			if a.testOnly(f) {
				continue
			}
			for _, c := range a.directVerifies(f) {
				fn(m, f, c, a.verifyKind(m, f, c))
			}
		}
	}
}

// testOnly: every call of f is in test code or drops its coroutine (a verification utility kept
// for the test suite, beside a handler that verifies on its own:
// Music-Legends-Final's verify_stripe_signature). A function nothing calls
// may be an entry point and is checked. So is a function that reads the
// incoming request itself: a handler routed outside Python (connexion's
// operationId in swagger.yaml: mozilla/subhub's view()) that the tests
// also call directly.
func (a *analysis) testOnly(f *pyast.Func) bool {
	if a.entries[f] {
		return false
	}
	cs := a.p.CallersOf(f)
	if len(cs) == 0 {
		return false
	}
	dropped := false
	for _, c := range cs {
		switch {
		case discardedCoroutine(f, c.Call):
			dropped = true
		case !isTestModule(c.M.Path):
			return false
		}
	}
	// A production caller that drops the coroutine: it never runs,
	// whatever it reads.
	return dropped || !a.readsRequest(f)
}

// readsRequest: f's own body reads the incoming request (request.data,
// request.headers[…], self.request.body, …).
func (a *analysis) readsRequest(f *pyast.Func) bool {
	m, found := f.Module, false
	walkOwn(f, func(n *pyast.Node) bool {
		if found {
			return false
		}
		if (n.Kind == "attribute" || n.Kind == "subscript") && a.requestRooted(m, f, n) {
			found = true
			return false
		}
		return true
	})
	return found
}

// discardedCoroutine: call creates f's coroutine and drops it (an async
// method called as a bare statement, without await): its body never runs
// (Simple2B/cortex-backend: the route calls service.webhook(...) without
// await, so the verification inside, and its placeholder secret, never
// run).
func discardedCoroutine(f *pyast.Func, call *pyast.Node) bool {
	if !f.Async || call.Parent == nil || call.Parent.Kind != "expression_statement" {
		return false
	}
	return len(call.Parent.NamedChildren()) == 1
}

// verifyCallChecks checks the arguments of every verification call
// (wherever it is: handler, helper, decorator, dependency) and the try
// around it.
func (a *analysis) verifyCallChecks() {
	// The try around any verification, also a helper call that verifies
	// further down (lenient wrappers around a strict helper).
	for _, m := range a.p.Modules {
		if isTestModule(m.Path) {
			// A test that calls verification under mock.patch and expects
			// it to raise is not served: its try/except is not a swallowed
			// error (samuraifrenchienft/Music-Legends-Final tests/).
			continue
		}
		for _, f := range m.Funcs {
			if a.testOnly(f) {
				continue
			}
			sites := a.verifyingCalls(f, callDepth)
			if len(sites) == 0 {
				continue
			}
			srcs := a.sources(f)
			for _, c := range sites {
				a.checkFailure(m, f, c, srcs)
			}
			a.checkSwitchOff(m, f, sites[0])
		}
	}
	a.forEachVerifyCall(func(m *pyast.Module, f *pyast.Func, call *pyast.Node, kind string) {
		a.checkSecret(m, f, call)
		a.checkTolerance(m, f, call, kind)
		a.checkPayload(m, f, call)
	})
}

func (a *analysis) checkSecret(m *pyast.Module, f *pyast.Func, call *pyast.Node) {
	arg := m.Arg(call, 2, "secret")
	if arg == nil {
		return
	}
	clean := true
	refused := a.secretRefused(m, f, call, arg)
	if d := m.Qualify(m.DottedName(arg)); d == "stripe.api_key" || strings.HasSuffix(d, ".api_key") || strings.Contains(d, ".") && wrongName(pyast.LastSegment(d)) {
		a.emit(WrongSecretKind, m, arg.Line, d, fmt.Sprintf("The webhook signing secret is %s, an API key, not the endpoint's whsec_ secret", d), evidence(m, arg))
		return
	}
	for _, o := range a.secretOrigins(m, f, arg) {
		n := pyast.Unparen(o.N)
		om := o.M
		if o.Param != "" {
			continue
		}
		if v, ok := om.StringValue(n); ok {
			switch {
			case (v == "" || placeholderSecret(v)) && (refused || filekind.IsTestCode(om.Path)):
				// Refused before verification, or a test's own throwaway
				// value: nothing deployed verifies with it.
			case v == "":
				clean = false
				a.emit(EmptySecret, om, n.Line, "", "The webhook signing secret can be an empty string here: stripe-python then accepts events signed by anyone"+viaText(o), evidence(om, n))
			case placeholderSecret(v):
				clean = false
				a.emit(EmptySecret, om, n.Line, "", fmt.Sprintf("The webhook signing secret is the placeholder %q here, a value anyone who reads the code can sign events with", v)+viaText(o), evidence(om, n))
			case strings.HasPrefix(v, "whsec_"):
				// Hard-coded, but the right kind: codekeys reports it.
			default:
				clean = false
				a.emit(WrongSecretKind, om, n.Line, "", fmt.Sprintf("The webhook signing secret is %s, not a whsec_ signing secret", describeLiteral(v)), evidence(om, n))
			}
			continue
		}
		if el, ok := om.AsEnvLookup(n); ok {
			name := a.lookupName(o, n, el)
			bad := false
			if el.HasDefault {
				for _, d := range a.p.OriginsAt(o, el.Default, callDepth) {
					v, ok := d.M.StringValue(d.N)
					if !ok {
						continue
					}
					at, atM := n, om
					if d.M != om || d.N.Line != n.Line {
						// The default is chosen at a call of a settings
						// helper: report it there.
						at, atM = d.N, d.M
					}
					switch {
					case (v == "" || placeholderSecret(v)) && (refused || a.refusedAtStartup(om, n)):
						// The empty or placeholder value never reaches
						// verification: a check refuses it first.
					case v == "":
						bad = true
						a.emit(EmptySecret, atM, at.Line, name, fmt.Sprintf("The webhook signing secret %s defaults to an empty string when unset; stripe-python then accepts events signed by anyone", nameOr(name)), evidence(atM, at))
					case placeholderSecret(v):
						bad = true
						a.emit(EmptySecret, atM, at.Line, name, fmt.Sprintf("The webhook signing secret %s defaults to the placeholder %q when unset, a value anyone who reads the code can sign events with", nameOr(name), v), evidence(atM, at))
					case !strings.HasPrefix(v, "whsec_"):
						bad = true
						a.emit(WrongSecretKind, atM, at.Line, name, fmt.Sprintf("The webhook signing secret %s defaults to %s, not a whsec_ signing secret", nameOr(name), describeLiteral(v)), evidence(atM, at))
					}
				}
			}
			if bad {
				clean = false
				continue
			}
			if wrongName(name) {
				clean = false
				a.emit(WrongSecretKind, om, n.Line, name, fmt.Sprintf("The webhook signing secret is read from %s, which names an API key, not the endpoint's whsec_ secret", name), evidence(om, n))
			}
			continue
		}
		if a.originFromRequest(o, 3) {
			clean = false
			when := ""
			if c := enclosingCondition(om, o.F, n); c != "" {
				when = " when " + c
			}
			a.emit(SecretFromRequest, om, n.Line, "", "The webhook signing secret is taken from the request itself (directly or through an object the request filled)"+when+", so the sender chooses the key", evidence(om, n))
			continue
		}
		d := om.Qualify(om.DottedName(n))
		if d == "stripe.api_key" || strings.HasSuffix(d, ".api_key") || wrongName(pyast.LastSegment(d)) {
			clean = false
			a.emit(WrongSecretKind, om, n.Line, d, fmt.Sprintf("The webhook signing secret is %s, an API key, not the endpoint's whsec_ secret", d), evidence(om, n))
		}
	}
	if clean {
		a.observe(MitigationSecret, m, call.Line, "signing secret passed to "+m.DottedName(call.Child("function"))+" comes from configuration")
	}
}

// placeholderSecret: a whsec_ value that is not a plausible real secret
// (the bare prefix, "whsec_...", "whsec_xxx", "whsec_test", a repeated
// word): it is public, so whoever reads the code can sign with it.
func placeholderSecret(v string) bool {
	return strings.HasPrefix(v, "whsec_") && !secrets.IsRealKey(v)
}

// secretRefused: before the verification call, f refuses an empty signing
// secret: an if that tests the secret argument for emptiness (not x,
// x is None, x == "", len(x) == 0, not x.startswith("whsec_")) and ends
// the request (raise, abort, return an error).
func (a *analysis) secretRefused(m *pyast.Module, f *pyast.Func, call, arg *pyast.Node) bool {
	name := m.DottedName(pyast.Unparen(arg))
	if name == "" || f == nil {
		return false
	}
	for _, s := range preceding(f, pyast.StatementOf(call)) {
		if s.Kind == "if_statement" && emptinessTest(m, s.Child("condition"), name) && terminatesOrRejects(m, s.Child("consequence")) {
			return true
		}
	}
	return false
}

// refusedAtStartup: n (a settings look-up) is assigned at module level to
// a name that a later module-level if refuses when empty (if not X: raise
// ImproperlyConfigured(...)).
func (a *analysis) refusedAtStartup(m *pyast.Module, n *pyast.Node) bool {
	st := pyast.StatementOf(n)
	if st == nil || st.Parent == nil || st.Parent.Kind != "module" || st.Kind != "expression_statement" {
		return false
	}
	as := st.NamedChildren()
	if len(as) != 1 || as[0].Kind != "assignment" {
		return false
	}
	name := m.DottedName(as[0].Child("left"))
	if name == "" {
		return false
	}
	after := false
	for _, s := range st.Parent.NamedChildren() {
		if s == st {
			after = true
			continue
		}
		if after && s.Kind == "if_statement" && emptinessTest(m, s.Child("condition"), name) && raises(s.Child("consequence")) {
			return true
		}
	}
	return false
}

func raises(blk *pyast.Node) bool {
	if blk == nil {
		return false
	}
	for _, s := range blk.NamedChildren() {
		if s.Kind == "raise_statement" {
			return true
		}
	}
	return false
}

// preceding lists the statements that run before n in f: earlier siblings
// in n's block and in each enclosing block.
func preceding(f *pyast.Func, n *pyast.Node) []*pyast.Node {
	var out []*pyast.Node
	for c := n; c != nil && c != f.Node; c = c.Parent {
		p := c.Parent
		if p == nil || p.Kind != "block" {
			continue
		}
		for _, s := range p.NamedChildren() {
			if s == c {
				break
			}
			out = append(out, s)
		}
		if p == f.Body() {
			break
		}
	}
	return out
}

// emptinessTest: cond is true when name is empty or unset (not name,
// name is None, name == "", name in ("", None), len(name) == 0,
// not name.startswith("whsec_")), possibly one operand of an or.
func emptinessTest(m *pyast.Module, cond *pyast.Node, name string) bool {
	cond = pyast.Unparen(cond)
	if cond == nil {
		return false
	}
	switch cond.Kind {
	case "boolean_operator":
		if strings.TrimSpace(string(m.Src[cond.NamedChildren()[0].End:cond.NamedChildren()[1].Start])) != "or" {
			return false
		}
		for _, k := range cond.NamedChildren() {
			if emptinessTest(m, k, name) {
				return true
			}
		}
	case "not_operator":
		x := pyast.Unparen(cond.Child("argument"))
		if x == nil {
			return false
		}
		if m.DottedName(x) == name {
			return true
		}
		// not name.startswith("whsec_")
		if x.Kind == "call" {
			if fn := pyast.Unparen(x.Child("function")); fn != nil && fn.Kind == "attribute" &&
				m.Text(fn.Child("attribute")) == "startswith" && m.DottedName(fn.Child("object")) == name {
				return true
			}
		}
	case "comparison_operator":
		kids := cond.NamedChildren()
		if len(kids) != 2 {
			return false
		}
		op := strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start]))
		subj, other := pyast.Unparen(kids[0]), pyast.Unparen(kids[1])
		if m.DottedName(subj) != name {
			// len(name) == 0 / len(name) < 32
			if subj.Kind == "call" && m.CallName(subj) == "len" && m.DottedName(pyast.Unparen(m.Arg(subj, 0, ""))) == name {
				return op == "==" || op == "<" || op == "<="
			}
			return false
		}
		empty := func(x *pyast.Node) bool {
			if v, ok := m.StringValue(x); ok {
				return v == ""
			}
			return m.Text(x) == "None"
		}
		switch op {
		case "==", "is":
			return empty(other)
		case "in":
			if other.Kind == "tuple" || other.Kind == "list" || other.Kind == "set" {
				for _, e := range other.NamedChildren() {
					if empty(e) {
						return true
					}
				}
			}
		}
	}
	return false
}

// enclosingCondition is the condition of the innermost if (or
// conditional expression) that guards n in f, "" when none.
func enclosingCondition(m *pyast.Module, f *pyast.Func, n *pyast.Node) string {
	for c := n; c != nil && c.Parent != nil; c = c.Parent {
		if f != nil && c == f.Node {
			return ""
		}
		p := c.Parent
		switch {
		case p.Kind == "if_statement" && c.FieldIs("consequence"):
			return strings.TrimSpace(m.Text(p.Child("condition")))
		case p.Kind == "conditional_expression":
			if k := p.NamedChildren(); len(k) == 3 && k[0] == c {
				return strings.TrimSpace(m.Text(k[1]))
			}
		}
	}
	return ""
}

// secretOrigins follows the secret argument, also through the wrappers
// that tidy a possibly missing value: str(x), x.strip(), x.encode().
func (a *analysis) secretOrigins(m *pyast.Module, f *pyast.Func, arg *pyast.Node) []pyast.Origin {
	var out []pyast.Origin
	work := a.p.Origins(m, f, arg, callDepth)
	for i := 0; i < len(work) && i < 64; i++ {
		o := work[i]
		n := pyast.Unparen(o.N)
		out = append(out, o)
		if n.Kind != "call" {
			continue
		}
		fn := pyast.Unparen(n.Child("function"))
		switch {
		case fn.Kind == "identifier" && o.M.Text(fn) == "str":
			if x := o.M.Arg(n, 0, ""); x != nil {
				work = append(work, a.p.OriginsAt(o, x, callDepth)...)
			}
		case fn.Kind == "attribute":
			switch o.M.Text(fn.Child("attribute")) {
			case "strip", "encode", "decode", "rstrip", "lstrip":
				work = append(work, a.p.OriginsAt(o, fn.Child("object"), callDepth)...)
			case "get":
				// A settings helper's mapping look-up, INI.get(name, default)
				// or values.get(key, default): the default is a value the
				// secret takes when the key is absent (CriativoDevs/
				// salonix-backend: env_get("STRIPE_WEBHOOK_SECRET", "")
				// returns os.getenv(name), else the INI section's
				// .get(name, default)). Environment and settings look-ups
				// are AsEnvLookup's; request look-ups are the sender's.
				if _, env := o.M.AsEnvLookup(n); env || a.originFromRequest(o, 3) {
					break
				}
				pos, kw := o.M.CallArgs(n)
				d := kw["default"]
				if len(pos) > 1 {
					d = pos[1]
				}
				if d != nil {
					work = append(work, a.p.OriginsAt(o, d, callDepth)...)
				}
			}
		}
	}
	return out
}

// lookupName names the setting or variable an environment/settings
// look-up reads, also when the name is a parameter of a settings helper.
func (a *analysis) lookupName(o pyast.Origin, n *pyast.Node, el pyast.EnvLookup) string {
	if el.Name != "" {
		return el.Name
	}
	var key *pyast.Node
	switch n.Kind {
	case "subscript":
		key = n.Child("subscript")
	case "call":
		if pyast.LastSegment(o.M.CallName(n)) == "getattr" {
			key = o.M.Arg(n, 1, "")
		} else {
			key = o.M.Arg(n, 0, "key")
		}
	}
	if key == nil {
		return ""
	}
	for _, k := range a.p.OriginsAt(o, key, callDepth) {
		if v, ok := k.M.StringValue(k.N); ok {
			return v
		}
	}
	return ""
}

// viaText names the helper a value came through, if any.
func viaText(o pyast.Origin) string {
	if o.Via == nil {
		return ""
	}
	return " (the value a helper function returns)"
}

func nameOr(n string) string {
	if n == "" {
		return "look-up"
	}
	return n
}

// wrongName: a setting or variable name that designates an API key.
func wrongName(name string) bool {
	u := strings.ToUpper(name)
	if u == "" || strings.Contains(u, "WEBHOOK") || strings.Contains(u, "WHSEC") || strings.Contains(u, "SIGNING") || strings.Contains(u, "ENDPOINT") || strings.Contains(u, "HOOK") {
		return false
	}
	return strings.Contains(u, "SECRET_KEY") || strings.Contains(u, "API_KEY") || strings.Contains(u, "PUBLISHABLE") || strings.Contains(u, "PUBLIC_KEY") || u == "SECRET_KEY"
}

func describeLiteral(v string) string {
	for _, p := range []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_"} {
		if strings.HasPrefix(v, p) {
			return "a " + p[:3] + " API key (" + finding.Redact(v) + ")"
		}
	}
	if len(v) > 24 {
		v = finding.Redact(v)
	}
	return "the literal " + strconv.Quote(v)
}

func (a *analysis) checkTolerance(m *pyast.Module, f *pyast.Func, call *pyast.Node, kind string) {
	arg := m.Arg(call, 3, "tolerance")
	if arg == nil {
		if kind == "verify_header" {
			a.emit(ReplayWindowDisabled, m, call.Line, "", "WebhookSignature.verify_header is called without a tolerance; its default is None, so the timestamp is never checked and deliveries can be replayed", evidence(m, call))
			return
		}
		a.observe(MitigationReplayWindow, m, call.Line, m.DottedName(call.Child("function"))+" keeps the default 300 s tolerance")
		return
	}
	for _, o := range a.p.Origins(m, f, arg, callDepth) {
		n := pyast.Unparen(o.N)
		if n.Kind == "none" {
			a.emit(ReplayWindowDisabled, o.M, n.Line, "", "tolerance=None disables the timestamp check, so captured deliveries can be replayed", evidence(o.M, n))
			return
		}
		if v, ok := o.M.IntValue(n); ok {
			switch {
			case v == 0:
				a.emit(ReplayWindowDisabled, o.M, n.Line, "", "tolerance=0 is falsy, so stripe-python skips the timestamp check and deliveries can be replayed", evidence(o.M, n))
				return
			case v > maxTolerance:
				a.emit(ReplayWindowDisabled, o.M, n.Line, "", fmt.Sprintf("tolerance=%d s accepts deliveries replayed long after they were signed", v), evidence(o.M, n))
				return
			}
		}
		if n.Kind == "false" {
			a.emit(ReplayWindowDisabled, o.M, n.Line, "", "tolerance=False disables the timestamp check", evidence(o.M, n))
			return
		}
	}
	a.observe(MitigationReplayWindow, m, call.Line, "verification passes an explicit tolerance")
}

func (a *analysis) checkPayload(m *pyast.Module, f *pyast.Func, call *pyast.Node) {
	arg := m.Arg(call, 0, "payload")
	if arg == nil {
		return
	}
	for _, o := range a.p.Origins(m, f, arg, callDepth) {
		if why := a.notRaw(o); why != "" {
			a.emit(BodyNotRaw, o.M, o.N.Line, "", "The payload passed to signature verification is "+why+", not the raw request bytes, so signatures of real deliveries do not match", evidence(o.M, o.N))
			return
		}
	}
	a.observe(MitigationRawBody, m, call.Line, "verification receives the raw request body")
}

// notRaw explains why an expression is not the raw request body, or "".
func (a *analysis) notRaw(o pyast.Origin) string {
	m, n := o.M, pyast.Unparen(o.N)
	switch n.Kind {
	case "dictionary":
		return "a dict"
	case "call":
		q := m.CallName(n)
		switch pyast.LastSegment(q) {
		case "dumps":
			return "re-serialised JSON (" + q + ")"
		case "str", "repr":
			if q == "str" || q == "repr" {
				return q + "(...) of the request"
			}
		case "loads":
			return "parsed JSON"
		case "get_json":
			return "request.get_json() (parsed JSON)"
		case "body", "read", "text", "json", "data", "get_data":
			// Starlette/aiohttp/Quart readers are coroutines; Bottle's
			// request.body.read() and Falcon's stream.read() are not, and
			// are called from plain functions.
			fn := n.Child("function")
			if fn != nil && fn.Kind == "attribute" && a.requestRooted(m, o.F, fn.Child("object")) && o.F != nil && o.F.Async {
				if n.Parent == nil || n.Parent.Kind != "await" {
					return m.Text(n) + " without await (a coroutine)"
				}
			}
		}
		if d := a.asSource(m, o.F, n); d != "" {
			return d
		}
	case "attribute":
		attr := m.Text(n.Child("attribute"))
		if !a.requestRooted(m, o.F, n.Child("object")) {
			return ""
		}
		switch {
		case attr == "json":
			return "request.json (parsed JSON)"
		case attr == "data" && isDRF(o.F):
			return "DRF request.data (parsed JSON)"
		case attr == "POST" || attr == "form":
			return "form data"
		}
	case "await":
		if c := n.NamedChildren(); len(c) > 0 && c[0].Kind == "call" {
			if fn := c[0].Child("function"); fn != nil && fn.Kind == "attribute" && m.Text(fn.Child("attribute")) == "json" {
				return "await request.json() (parsed JSON)"
			}
		}
	}
	return ""
}

// headerChecks: request.META["HTTP_STRIPE_SIGNATURE"] raises KeyError.
func (a *analysis) headerChecks() {
	for _, m := range a.p.Modules {
		m.Root.Walk(func(n *pyast.Node) bool {
			if n.Kind != "subscript" {
				return true
			}
			v := pyast.LastSegment(m.DottedName(n.Child("value")))
			if v != "META" && v != "headers" && v != "environ" {
				return true
			}
			key, ok := m.StringValue(n.Child("subscript"))
			if !ok {
				return true
			}
			k := strings.ToLower(key)
			if k != "http_stripe_signature" && k != "stripe-signature" && k != "stripe_signature" {
				return true
			}
			// An assignment target is a write (tests building requests).
			if n.FieldIs("left") {
				return true
			}
			if f := m.FuncAt(n); f != nil && m.Dead(n, f.Node) {
				return true
			}
			if guardedByMembership(m, n, key) {
				return true // if "Stripe-Signature" in request.headers: …
			}
			a.emit(HeaderNoDefault, m, n.Line, key, fmt.Sprintf("%s raises KeyError when the Stripe-Signature header is missing, answering 500 instead of 400", m.Text(n)), evidence(m, n))
			return true
		})
	}
}

// ---- hand-rolled verification ----
//
// HMAC verification written by hand in modules that deal with Stripe. A
// function that only computes the HMAC is a signing helper; the function
// that compares its result (== or compare_digest) is the verifier judged.
// Both are decided per function on demand, so that a verifier in a module
// loaded only for a look-up is recognised.

// macFacts is what one function does with HMACs.
type macFacts struct {
	mac           *pyast.Node // first hmac.new/HMAC/digest call
	compareDigest bool
	compares      bool
}

func (a *analysis) macFactsOf(f *pyast.Func) macFacts {
	m := f.Module
	var mf macFacts
	walkOwn(f, func(n *pyast.Node) bool {
		switch n.Kind {
		case "call":
			switch m.CallName(n) {
			case "hmac.new", "hmac.HMAC", "hmac.digest":
				if mf.mac == nil {
					mf.mac = n
				}
			case "hmac.compare_digest", "secrets.compare_digest":
				mf.compareDigest = true
			}
		case "comparison_operator":
			mf.compares = true
		}
		return true
	})
	return mf
}

// stripeModule: a module that deals with Stripe and is not a vendored
// copy of stripe-python (the reference, not the app).
func (a *analysis) stripeModule(m *pyast.Module) bool {
	if v, ok := a.stripeMods[m]; ok {
		return v
	}
	v := !(m.Name == "stripe" || strings.HasPrefix(m.Name, "stripe.") || strings.Contains(m.Path, "/stripe/")) && mentionsStripe(m.Src)
	a.stripeMods[m] = v
	return v
}

// mentionsStripe: "stripe" in any case.
func mentionsStripe(b []byte) bool {
	for i := 0; i+6 <= len(b); i++ {
		j := bytes.IndexAny(b[i:], "sS")
		if j < 0 {
			return false
		}
		i += j
		if i+6 <= len(b) && strings.EqualFold(string(b[i:i+6]), "stripe") {
			return true
		}
	}
	return false
}

// isSigner: f computes an HMAC and compares nothing.
func (a *analysis) isSigner(f *pyast.Func) bool {
	if f == nil {
		return false
	}
	if v, ok := a.signers[f]; ok {
		return v == 2
	}
	a.signers[f] = 1
	if f.Module.Facts().Anchors&pyast.AHmac == 0 {
		return false
	}
	mf := a.macFactsOf(f)
	if mf.mac != nil && !mf.compares && !mf.compareDigest && a.stripeModule(f.Module) {
		a.signers[f] = 2
		return true
	}
	return false
}

// handRolled: f verifies a signature by hand (an HMAC it computes or gets
// from a signing helper, compared with == or compare_digest). The site is
// the HMAC computation or the signing helper call.
func (a *analysis) handRolled(f *pyast.Func) bool {
	_, ok := a.handRolledSite(f)
	return ok
}

func (a *analysis) handRolledSite(f *pyast.Func) (*pyast.Node, bool) {
	if v, ok := a.handRoll[f]; ok && v == 1 {
		return nil, false
	}
	if f.Module.Facts().Anchors&(pyast.AHmac|pyast.ASignature) == 0 || !a.stripeModule(f.Module) {
		a.handRoll[f] = 1
		return nil, false
	}
	mf := a.macFactsOf(f)
	if mf.mac != nil && !mf.compares && !mf.compareDigest {
		a.handRoll[f] = 1 // a signer
		return nil, false
	}
	if mf.mac == nil && !mf.compareDigest && !mf.compares {
		a.handRoll[f] = 1
		return nil, false
	}
	site := mf.mac
	if site == nil {
		// compare over a signing helper's result.
		m := f.Module
		walkOwn(f, func(n *pyast.Node) bool {
			if site == nil && n.Kind == "call" && a.isSigner(a.p.ResolveCall(m, f, n)) {
				site = n
			}
			return site == nil
		})
	}
	// A verifier compares the MAC itself (not merely anything, such as a
	// test's status code after posting a signed request, or a `secret is
	// None` check before signing), and checks Stripe's scheme: GitHub,
	// Shopify or an app's own outgoing signatures in a module that also
	// talks to Stripe are not Stripe verification.
	if site == nil || !a.comparesMAC(f) || !a.stripeScheme(f, site) {
		a.handRoll[f] = 1
		return nil, false
	}
	a.handRoll[f] = 2
	return site, true
}

// compareFuncs compare two digests in constant time (or not).
var compareFuncs = map[string]bool{"compare_digest": true, "constant_time_compare": true, "secure_compare": true,
	"safe_str_cmp": true, "safe_compare": true, "const_time_compare": true, "timing_safe_compare": true}

// comparesMAC: f compares a MAC value (an HMAC or digest it computes, or a
// signing helper's result) with == / != / in, or passes one to a
// comparison function.
func (a *analysis) comparesMAC(f *pyast.Func) bool {
	m := f.Module
	hit := false
	walkOwn(f, func(n *pyast.Node) bool {
		if hit {
			return false
		}
		var operands []*pyast.Node
		switch n.Kind {
		case "comparison_operator":
			kids := n.NamedChildren()
			if len(kids) != 2 {
				return true
			}
			switch strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start])) {
			case "==", "!=", "in", "not in":
				operands = kids
			}
		case "call":
			if compareFuncs[pyast.LastSegment(m.CallName(n))] {
				operands, _ = m.CallArgs(n)
			}
		}
		for _, side := range operands {
			if a.isMACValue(m, f, side) {
				hit = true
				break
			}
		}
		return true
	})
	return hit
}

// isMACValue: the value of n is a MAC: hmac.new(…).hexdigest(), a digest,
// a signing helper's result, or a string built from one ("sha256=" + …,
// base64 of it) — through assignments. An attribute of something that
// was built with a MAC inside (a test client's response) is not.
func (a *analysis) isMACValue(m *pyast.Module, f *pyast.Func, n *pyast.Node) bool {
	for _, o := range a.p.Origins(m, f, n, 2) {
		if a.macExpr(o.M, o.F, pyast.Unparen(o.N), 3) {
			return true
		}
	}
	return false
}

func (a *analysis) macExpr(m *pyast.Module, f *pyast.Func, n *pyast.Node, depth int) bool {
	if n == nil || depth < 0 {
		return false
	}
	switch n.Kind {
	case "call":
		q := m.CallName(n)
		switch q {
		case "hmac.new", "hmac.HMAC", "hmac.digest":
			return true
		}
		fn := pyast.Unparen(n.Child("function"))
		if fn != nil && fn.Kind == "attribute" {
			switch m.Text(fn.Child("attribute")) {
			case "hexdigest", "digest":
				return true
			case "decode", "encode", "lower", "strip":
				return a.macExpr(m, f, pyast.Unparen(fn.Child("object")), depth-1)
			}
		}
		switch pyast.LastSegment(q) {
		case "b64encode", "urlsafe_b64encode", "hexlify", "str", "bytes":
			if arg := m.Arg(n, 0, ""); arg != nil {
				return a.macExpr(m, f, pyast.Unparen(arg), depth-1)
			}
		}
		return a.isSigner(a.p.ResolveCall(m, f, n))
	case "binary_operator":
		for _, k := range n.NamedChildren() {
			if a.macExpr(m, f, pyast.Unparen(k), depth-1) {
				return true
			}
		}
	case "string":
		for _, c := range n.Children {
			if c.Kind == "interpolation" {
				for _, k := range c.NamedChildren() {
					if a.macExpr(m, f, pyast.Unparen(k), depth-1) {
						return true
					}
				}
			}
		}
	}
	return false
}

// stripeScheme: the hand-made check is Stripe's: the verifier, the
// signing helper it calls or the arguments its callers pass name Stripe
// or a whsec_ secret, or parse the v1 signature of a Stripe-Signature
// header ("t=…,v1=…").
func (a *analysis) stripeScheme(f *pyast.Func, site *pyast.Node) bool {
	if stripeTokens(f.Module, f.Body()) {
		return true
	}
	// Module constants the verifier reads (a compiled header pattern, the
	// secret's setting name).
	hit := false
	walkOwn(f, func(n *pyast.Node) bool {
		if hit || n.Kind != "identifier" {
			return !hit
		}
		for _, o := range a.p.Origins(f.Module, f, n, 1) {
			if o.F == nil && o.N != n && stripeTokens(o.M, o.N) {
				hit = true
			}
		}
		return !hit
	})
	if hit {
		return true
	}
	if g := a.p.ResolveCall(f.Module, f, site); g != nil && stripeTokens(g.Module, g.Body()) {
		return true
	}
	for _, cs := range a.p.CallersOf(f) {
		if stripeTokens(cs.M, cs.Call.Child("arguments")) {
			return true
		}
	}
	return false
}

// stripeTokens: an identifier or string under n names Stripe or a whsec_
// secret, or a string is the v1 scheme ("v1", "v1=…", r"t=(\d+),v1=…").
func stripeTokens(m *pyast.Module, n *pyast.Node) bool {
	if n == nil {
		return false
	}
	hit := false
	n.Walk(func(x *pyast.Node) bool {
		if hit {
			return false
		}
		switch x.Kind {
		case "identifier", "string_content":
			t := strings.ToLower(m.Text(x))
			if strings.Contains(t, "stripe") || strings.Contains(t, "whsec") {
				hit = true
			}
			if x.Kind == "string_content" && (t == "v1" || strings.Contains(t, "v1=")) {
				hit = true
			}
		}
		return !hit
	})
	return hit
}

// handRolledChecks reports hand-rolled verifiers of the driven modules:
// == instead of a constant-time comparison, or no timestamp check.
func (a *analysis) handRolledChecks() {
	for _, m := range a.p.Modules {
		if !a.stripeModule(m) {
			continue
		}
		for _, f := range m.Funcs {
			site, ok := a.handRolledSite(f)
			if !ok {
				continue
			}
			a.judgeHandRolled(f, site, a.macFactsOf(f).compareDigest)
		}
	}
}

func (a *analysis) judgeHandRolled(f *pyast.Func, site *pyast.Node, compareDigest bool) {
	m := f.Module
	var bad *pyast.Node
	timeCheck := false
	walkOwn(f, func(n *pyast.Node) bool {
		if n.Kind != "comparison_operator" {
			return true
		}
		t := strings.ToLower(m.Text(n))
		if strings.Contains(t, "time") || strings.Contains(t, "now") || strings.Contains(t, "tolerance") {
			timeCheck = true
		}
		kids := n.NamedChildren()
		if len(kids) != 2 {
			return true
		}
		op := strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start]))
		if op != "==" && op != "!=" && op != "in" && op != "not in" {
			return true
		}
		for _, side := range kids {
			for _, o := range a.p.Origins(m, f, side, 2) {
				on := pyast.Unparen(o.N)
				ot := o.M.Text(on)
				isMac := strings.Contains(ot, "digest(") || strings.Contains(ot, "hmac.")
				on.Walk(func(x *pyast.Node) bool {
					if x.Kind == "call" && a.isSigner(a.p.ResolveCall(o.M, o.F, x)) {
						isMac = true
					}
					return !isMac
				})
				if isMac && bad == nil {
					bad = n
				}
			}
		}
		return true
	})
	switch {
	case bad != nil:
		a.emit(HandRolled, m, bad.Line, f.Qual, fmt.Sprintf("%s verifies the Stripe signature by hand and compares it with %q, which is not constant time", f.Qual, "=="), evidence(m, bad))
	case !timeCheck:
		a.emit(HandRolled, m, site.Line, f.Qual, fmt.Sprintf("%s verifies the Stripe signature by hand without checking the timestamp, so deliveries can be replayed", f.Qual), evidence(m, site))
	case compareDigest:
		a.observe(MitigationVerified, m, site.Line, f.Qual+" verifies by hand with hmac.compare_digest and a timestamp check")
	}
}

// guardedByMembership: n runs only when the header is known to be there
// (if "Stripe-Signature" in request.headers: …).
func guardedByMembership(m *pyast.Module, n *pyast.Node, key string) bool {
	k := strings.ToLower(key)
	for c := n; c != nil && c.Parent != nil; c = c.Parent {
		p := c.Parent
		if p.Kind == "function_definition" {
			return false
		}
		if p.Kind == "if_statement" && c.FieldIs("consequence") {
			cond := strings.ToLower(m.Text(p.Child("condition")))
			if strings.Contains(cond, k) && strings.Contains(cond, " in ") && !strings.Contains(cond, "not in") {
				return true
			}
		}
	}
	return false
}
