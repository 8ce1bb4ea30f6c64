// Package codekeys finds Stripe keys exposed through Python code: literals
// that reach the Stripe client, real keys as environment defaults,
// hard-coded webhook secrets, and keys logged or returned to clients.
// Raw key literals as such are internal/analyzer/secrets' job; findings
// here carry the same File/Line/Secret so the engine merges the two.
package codekeys

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// Name is the analyzer name and rule id prefix.
const Name = "codekeys"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: func(o analyzer.Options) (analyzer.Analyzer, error) {
		a := New()
		a.col.Budget = o.PythonBudget
		a.col.KeepSource = o.KeepPythonSource
		return a, nil
	}})
}

// Analyzer analyses gated Python modules as the walk yields them; Finish
// analyses again, with the whole tree, the modules whose values come from
// other files (settings modules, config classes). See pyast.Stream.
type Analyzer struct {
	col    pyast.Stream
	broker *brokerFacts
}

// New returns an analyzer for one scan. Files the webhook analyzer also
// reads get their warnings from it.
func New() *Analyzer {
	a := &Analyzer{broker: newBrokerFacts()}
	a.col = pyast.Stream{Want: gateBits, Quiet: pyast.GateStripe | pyast.GateWebhook, Driver: IsDriver, Skip: SkipBody,
		Analyze: func(p *pyast.Project, sink finding.Sink) { analyze(p, sink, a.broker) }}
	return a
}

// SkipBody decides which function bodies of a driver file its own run can
// leave unparsed: a body matters only if it names a key, or logs, raises
// or returns a value that may carry one (a module-level name assigned from
// a key or imported from the project, or an attribute of a class that
// names a key). A body that only logs its own values matters through what
// callers pass it. Calls keep callers and callees together (Skippable).
func SkipBody(o *pyast.Outline, b *pyast.FuncBody) pyast.SkipDecision {
	if b.Anchors&pyast.AKeyName != 0 {
		return pyast.SkipDecision{}
	}
	if b.Anchors&pyast.ALogCall == 0 {
		return pyast.SkipDecision{Drop: true}
	}
	if b.Class != "" && o.KeyishClasses[b.Class] || o.Refs(b, o.Taint) {
		return pyast.SkipDecision{}
	}
	return pyast.SkipDecision{Drop: true, NeedsCallers: true}
}

// IsDriver: a file can hold something this analyzer reports only if it
// holds a key literal (sk_…, rk_…, whsec_… tokens), names a key (api_key, StripeClient, *SECRET*,
// *KEY*), or imports names from elsewhere and logs or returns values.
func IsDriver(gate uint8, a pyast.Anchor) bool {
	return a&pyast.AKeyName != 0 ||
		a&pyast.AFromImport != 0 && a&pyast.ALogCall != 0
}

func (*Analyzer) Name() string { return Name }

// Wants Python files git does not ignore: an ignored local settings file
// (local_settings.py) is where keys belong; the secrets analyzer checks
// its permissions.
func (*Analyzer) Wants(f *source.File) bool { return pyast.WantsPython(f) && !f.Ignored }

// Everything this analyzer reports names Stripe (stripe.api_key, STRIPE_*
// settings) or holds a live key or webhook secret literal.
const gateBits = pyast.GateStripe | pyast.GateLiveKey | pyast.GateWhsec

// Gate is the byte prefilter for this analyzer.
func Gate(data []byte) bool { return pyast.GateBits(data)&gateBits != 0 }

func (a *Analyzer) File(ctx context.Context, f *source.File, sink finding.Sink) {
	a.col.File(ctx, f, sink)
}

func (a *Analyzer) Finish(ctx context.Context, _ *source.Project, sink finding.Sink) {
	a.col.Finish(ctx, sink)
	if ctx.Err() == nil {
		a.broker.decide(sink) // broker.go: needs every file's key configuration
	}
}

var (
	apiKeyRE = regexp.MustCompile(`^(sk|rk)_(live|test)_[0-9A-Za-z]{10,}$`)
	whsecRE  = regexp.MustCompile(`^whsec_[0-9A-Za-z+/=]{10,}$`)
	// Environment/setting names that hold secret Stripe values.
	secretNameRE = regexp.MustCompile(`(?i)(stripe.*(secret|api_?key|restricted|whsec|signing|endpoint))|^(stripe_)?(secret_key|api_key|webhook_secret|endpoint_secret|signing_secret)$`)
	publicNameRE = regexp.MustCompile(`(?i)publishable|public|pk_`)
)

// Placeholders ("sk_live_XXXX…") and Stripe's documentation keys are not
// keys: the secrets analyzer's classifier decides, so both agree.
func isAPIKey(s string) bool { return apiKeyRE.MatchString(s) && secrets.IsRealKey(s) }
func isWhsec(s string) bool  { return whsecRE.MatchString(s) && secrets.IsRealKey(s) }

type analysis struct {
	forwarded map[*pyast.Func]bool
	p         *pyast.Project
	sink      finding.Sink
	emitted   map[string]bool
	broker    *brokerFacts
	config    map[string][]origin // setting name → values (Flask config, classes)
}

type origin struct {
	m *pyast.Module
	n *pyast.Node
}

// Analyze runs the codekeys rules over a whole project.
func Analyze(p *pyast.Project, sink finding.Sink) {
	b := newBrokerFacts()
	analyze(p, sink, b)
	b.decide(sink)
}

// analyze runs the rules over a project (the whole tree, or the part of it
// the streamed analysis hands over), recording the broker facts in b.
func analyze(p *pyast.Project, sink finding.Sink, b *brokerFacts) {
	a := &analysis{p: p, sink: sink, emitted: map[string]bool{}, forwarded: map[*pyast.Func]bool{}, broker: b}
	for _, m := range p.Modules {
		a.module(m)
	}
	a.brokerSetup() // broker.go
}

func (a *analysis) emit(r *rules.Rule, m *pyast.Module, line int, secret, key, msg, ev string, sev finding.Severity, related *finding.Location) {
	id := r.ID + "\x00" + m.Path + "\x00" + fmt.Sprint(line) + "\x00" + secret + "\x00" + key
	if a.emitted[id] {
		return
	}
	a.emitted[id] = true
	f := r.New()
	f.File, f.Line, f.Secret, f.Key, f.Message, f.Evidence = m.Path, line, secret, key, msg, ev
	f.Column, f.EndLine = m.Column(line, secret), line
	if sev != finding.SeverityUnknown {
		f.Severity = sev
	}
	if secret != "" && filekind.IsTestCode(m.Path) {
		// A webhook secret or test key in test code signs requests in
		// unit tests: visible, low, like the raw detector reports it
		// (the engine merges the two). A live key stays critical.
		if ts := secrets.TestFixtureSeverity(credOf(secret)); ts != finding.SeverityUnknown {
			f.Severity = ts
			f.Context = secrets.TestFixtureContext
			f.Message += ", in test code (a test fixture; if it is also the real secret of a deployed endpoint or account, roll it)"
		}
	}
	if secret != "" && f.Context == "" && secrets.ExampleSeverity(credOf(secret)) != finding.SeverityUnknown {
		if at := m.LineStart(line); at >= 0 && f.Column > 0 && secrets.InExample(m.Src, at+f.Column-1) {
			// Field(examples=["whsec_…"]): the schema documents the
			// format; the raw detector lowers it the same way.
			f.Severity = secrets.ExampleSeverity(credOf(secret))
			f.Context = secrets.ExampleContext
			f.Message += secrets.ExampleNote
		}
	}
	if related != nil {
		f.Related = []finding.Location{*related}
	}
	a.sink.Finding(f)
}

func (a *analysis) observe(m *pyast.Module, line int, detail string) {
	id := "obs\x00" + m.Path + "\x00" + fmt.Sprint(line)
	if a.emitted[id] {
		return
	}
	a.emitted[id] = true
	a.sink.Observation(&finding.Observation{Mitigation: MitigationFromEnvironment, State: finding.InPlace, Detail: detail, File: m.Path, Line: line})
}

// credOf classifies a key literal for the severity rules shared with the
// secrets analyzer.
func credOf(k string) secrets.Cred {
	for _, m := range secrets.Scan([]byte(k), false) {
		return m.Cred
	}
	return secrets.CredNone
}

// evidence shows the source line holding n (the key literal, or the
// expression reported), with any key redacted. For a statement spread over
// lines that is the line the finding points at, not the statement's first.
func evidence(m *pyast.Module, n *pyast.Node, secrets ...string) string {
	s := strings.TrimSpace(lineOf(m, n))
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, finding.Redact(sec))
		}
	}
	s = pyast.RedactKeys(s)
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// lineOf is the text of the source line where n starts.
func lineOf(m *pyast.Module, n *pyast.Node) string {
	src := m.Src
	start := int(n.Start)
	if start < 0 || start > len(src) {
		return m.Text(pyast.StatementOf(n))
	}
	ls := bytes.LastIndexByte(src[:start], '\n') + 1
	le := len(src)
	if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
		le = start + i
	}
	return string(src[ls:le])
}

func keySeverity(k string) finding.Severity {
	if strings.Contains(k, "_live_") || strings.HasPrefix(k, "whsec_") {
		return finding.SeverityUnknown // the rule default
	}
	return finding.Medium
}

// configOf returns the values assigned to a configuration key anywhere in
// the project, indexing on first use: most modules never read app.config,
// and the index needs every module that could define a key.
func (a *analysis) configOf(k string) []origin {
	if a.config == nil {
		a.config = map[string][]origin{}
		a.indexConfig()
	}
	return a.config[k]
}

// indexConfig collects Flask-style configuration: app.config["K"] = v,
// config classes (class Config: STRIPE_SECRET_KEY = ...), so that
// app.config["K"] can be followed to its literal.
func (a *analysis) indexConfig() {
	for _, m := range a.p.WithAnchor(pyast.AConfig | pyast.AClass) {
		for _, c := range m.Classes {
			for k, v := range c.Attrs {
				if strings.ToUpper(k) == k {
					a.config[k] = append(a.config[k], origin{m, v})
				}
			}
		}
		m.Root.Walk(func(n *pyast.Node) bool {
			if n.Kind != "assignment" {
				return true
			}
			l := n.Child("left")
			if l != nil && l.Kind == "subscript" && strings.HasSuffix(m.DottedName(l.Child("value")), "config") {
				if k, ok := m.StringValue(l.Child("subscript")); ok && n.Child("right") != nil {
					a.config[k] = append(a.config[k], origin{m, n.Child("right")})
				}
			}
			return true
		})
	}
}

// values resolves an expression to its possible origins, including Flask
// config look-ups.
func (a *analysis) values(m *pyast.Module, f *pyast.Func, n *pyast.Node) []pyast.Origin {
	var out []pyast.Origin
	for _, o := range a.p.Origins(m, f, n, 4) {
		on := pyast.Unparen(o.N)
		if on.Kind == "subscript" && strings.HasSuffix(o.M.DottedName(on.Child("value")), "config") {
			if k, ok := o.M.StringValue(on.Child("subscript")); ok {
				for _, c := range a.configOf(k) {
					out = append(out, a.p.Origins(c.m, nil, c.n, 3)...)
				}
				continue
			}
		}
		if on.Kind == "call" {
			// app.config.get("K") / config.get("K")
			if q := o.M.DottedName(on.Child("function")); strings.HasSuffix(q, "config.get") {
				if k, ok := o.M.StringValue(o.M.Arg(on, 0, "")); ok && len(a.configOf(k)) > 0 {
					for _, c := range a.configOf(k) {
						out = append(out, a.p.Origins(c.m, nil, c.n, 3)...)
					}
				}
			}
		}
		out = append(out, o)
	}
	return out
}

func (a *analysis) module(m *pyast.Module) {
	m.Root.Walk(func(n *pyast.Node) bool {
		switch n.Kind {
		case "assignment":
			a.assignment(m, n)
		case "call":
			a.call(m, n)
		case "string":
			a.stringLiteral(m, n)
			return false
		case "return_statement":
			a.returned(m, n)
		case "raise_statement":
			a.raised(m, n)
		}
		return true
	})
}

// stringLiteral reports whsec_ literals used as values (not docstrings).
func (a *analysis) stringLiteral(m *pyast.Module, n *pyast.Node) {
	v, ok := m.StringValue(n)
	if !ok || !isWhsec(v) {
		return
	}
	if p := n.Parent; p != nil && p.Kind == "expression_statement" {
		return // docstring or bare string
	}
	if el, ok := a.envDefaultOf(m, n); ok {
		a.emit(HardcodedWebhookSecret, m, n.Line, v, "", fmt.Sprintf("Webhook signing secret %s is hard-coded as the default of %s", finding.Redact(v), nameOr(el.Name)), evidence(m, n, v), finding.SeverityUnknown, nil)
		return
	}
	a.emit(HardcodedWebhookSecret, m, n.Line, v, "", fmt.Sprintf("Webhook signing secret %s is hard-coded in the code", finding.Redact(v)), evidence(m, n, v), finding.SeverityUnknown, nil)
}

func nameOr(s string) string {
	if s == "" {
		return "an environment look-up"
	}
	return s
}

// envDefaultOf: n is the default argument of an env look-up.
func (a *analysis) envDefaultOf(m *pyast.Module, n *pyast.Node) (pyast.EnvLookup, bool) {
	for p := n.Parent; p != nil && p.Kind != "expression_statement" && p.Kind != "block"; p = p.Parent {
		if p.Kind == "call" {
			if el, ok := m.AsEnvLookup(p); ok && el.Default != nil && el.Default.Contains(n) {
				return el, true
			}
			return pyast.EnvLookup{}, false
		}
	}
	return pyast.EnvLookup{}, false
}

// sink describes where a value is used as the Stripe API key.
type sinkUse struct {
	m    *pyast.Module
	f    *pyast.Func
	n    *pyast.Node // the value expression
	what string
}

func (a *analysis) assignment(m *pyast.Module, n *pyast.Node) {
	left, right := n.Child("left"), n.Child("right")
	if left == nil || right == nil {
		return
	}
	d := m.Qualify(m.DottedName(left))
	if d == "stripe.api_key" || strings.HasPrefix(d, "stripe.") && strings.HasSuffix(d, ".api_key") {
		a.keySink(sinkUse{m, m.FuncAt(n), right, "stripe.api_key"})
	}
}

func (a *analysis) call(m *pyast.Module, n *pyast.Node) {
	q := m.CallName(n)
	f := m.FuncAt(n)
	if el, ok := m.AsEnvLookup(n); ok && el.Default != nil {
		if v, ok := m.StringValue(el.Default); ok && isAPIKey(v) {
			a.emit(EnvDefaultKey, m, el.Default.Line, v, "", fmt.Sprintf("%s falls back to the hard-coded key %s", nameOr(el.Name), finding.Redact(v)), evidence(m, el.Default, v), keySeverity(v), nil)
		}
	}
	pos, kw := m.CallArgs(n)
	if strings.HasSuffix(q, "StripeClient") && len(pos) > 0 {
		a.keySink(sinkUse{m, f, pos[0], "StripeClient(...)"})
	}
	if v, ok := kw["api_key"]; ok && (strings.HasPrefix(q, "stripe") || strings.HasSuffix(q, "StripeClient") || m.ImportsStripe()) {
		a.keySink(sinkUse{m, f, v, "api_key= of " + m.DottedName(n.Child("function"))})
	}
	if pyast.IsLogCall(q) {
		for _, arg := range n.Child("arguments").NamedChildren() {
			a.leak(m, f, arg, KeyLogged, "logged by "+m.DottedName(n.Child("function")))
		}
	}
	if responseCalls[pyast.LastSegment(q)] {
		for _, arg := range n.Child("arguments").NamedChildren() {
			a.leak(m, f, arg, KeyInResponse, "returned by "+m.DottedName(n.Child("function")))
		}
	}
	a.forward(m, f, n)
}

// forward follows a key handed to a function of another module into it:
// that module may not name a key anywhere, so its own analysis never
// looks at what it logs. The leak is found from the callee's side (its
// parameter's callers), as if the callee's module had been analysed.
func (a *analysis) forward(m *pyast.Module, f *pyast.Func, n *pyast.Node) {
	args := n.Child("arguments")
	if args == nil || !keyishText(m.Text(args)) {
		return
	}
	g := a.p.ResolveCall(m, f, n)
	if g == nil || g.Module == m || a.forwarded[g] {
		return
	}
	a.forwarded[g] = true
	gm := g.Module
	g.Body().Walk(func(x *pyast.Node) bool {
		if x.Kind == "function_definition" || x.Kind == "class_definition" {
			return false
		}
		switch x.Kind {
		case "call":
			a.call(gm, x)
		case "return_statement":
			a.returned(gm, x)
		case "raise_statement":
			a.raised(gm, x)
		}
		return true
	})
}

// keyishText: the arguments' text names a key (cheap filter before the
// value flow).
func keyishText(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "key") || strings.Contains(l, "secret") || strings.Contains(l, "whsec") || strings.Contains(l, "sk_") || strings.Contains(l, "rk_")
}

// keySink follows the value used as the API key back to literals (hard
// coded) or environment/secret-manager reads (positive evidence).
func (a *analysis) keySink(s sinkUse) {
	rel := &finding.Location{File: s.m.Path, Line: s.n.Line, Message: "used as " + s.what}
	for _, o := range a.values(s.m, s.f, s.n) {
		on := pyast.Unparen(o.N)
		if v, ok := o.M.StringValue(on); ok {
			if isAPIKey(v) {
				if _, isDef := a.envDefaultOf(o.M, on); isDef {
					continue // reported as key-in-env-default
				}
				r := rel
				where := fmt.Sprintf(" (%s:%d)", s.m.Path, s.n.Line)
				if o.M == s.m && on.Line == s.n.Line {
					// Used where it is written: no place to point at.
					r, where = nil, ""
				}
				a.emit(HardcodedKey, o.M, on.Line, v, "", fmt.Sprintf("Stripe key %s is hard-coded and used as %s%s", finding.Redact(v), s.what, where), evidence(o.M, on, v), keySeverity(v), r)
			}
			continue
		}
		if el, ok := o.M.AsEnvLookup(on); ok {
			if d, ok := o.M.StringValue(el.Default); ok && isAPIKey(d) {
				continue
			}
			src := "the environment"
			if el.Settings {
				src = "configuration"
			}
			a.observe(s.m, s.n.Line, fmt.Sprintf("%s is read from %s (%s)", s.what, src, nameOr(el.Name)))
			continue
		}
		// sm.get_secret_value(...)["SecretString"], json.loads(...)[k]…
		for c := on; c != nil; {
			if c.Kind == "call" && secretManagerCall(o.M.DottedName(c.Child("function"))) {
				a.observe(s.m, s.n.Line, s.what+" comes from a secret manager")
				break
			}
			switch c.Kind {
			case "subscript":
				c = c.Child("value")
			case "attribute":
				c = c.Child("object")
			case "call":
				c = c.Child("function")
			default:
				c = nil
			}
		}
	}
}

func secretManagerCall(q string) bool {
	l := pyast.LastSegment(q)
	return l == "get_secret_value" || l == "access_secret_version" || l == "get_secret" || l == "read_secret" || l == "read_secret_version"
}

var responseCalls = map[string]bool{"jsonify": true, "JsonResponse": true, "HttpResponse": true, "JSONResponse": true,
	"PlainTextResponse": true, "make_response": true, "json_response": true, "Response": true, "HTMLResponse": true}

var routeDecorators = map[string]bool{"route": true, "get": true, "post": true, "put": true, "patch": true,
	"delete": true, "api_route": true, "api_view": true, "view_config": true, "action": true, "csrf_exempt": true}

// isRoute: an HTTP handler (a @property or @lru_cache returning the key is
// not a response).
func isRoute(m *pyast.Module, f *pyast.Func) bool {
	for _, d := range f.Decorators {
		if d.Kind == "call" {
			d = d.Child("function")
		}
		if routeDecorators[pyast.LastSegment(m.DottedName(d))] {
			return true
		}
	}
	return f.Class != nil && f.Outer == nil && (f.Name == "get" || f.Name == "post")
}

// returned: a route handler returning a key in a dict/str/tuple.
func (a *analysis) returned(m *pyast.Module, n *pyast.Node) {
	f := m.FuncAt(n)
	if f == nil || !isRoute(m, f) {
		return
	}
	for _, v := range n.NamedChildren() {
		if v.Kind == "call" && responseCalls[pyast.LastSegment(m.CallName(v))] {
			continue // handled at the call
		}
		a.leak(m, f, v, KeyInResponse, "returned by "+f.Qual)
	}
}

func (a *analysis) raised(m *pyast.Module, n *pyast.Node) {
	f := m.FuncAt(n)
	for _, v := range n.NamedChildren() {
		if v.Kind == "call" {
			for _, arg := range v.Child("arguments").NamedChildren() {
				a.leak(m, f, arg, KeyLogged, "put into the message of "+m.DottedName(v.Child("function")))
			}
		}
	}
}

// leak reports key-valued expressions inside a logged or returned value.
func (a *analysis) leak(m *pyast.Module, f *pyast.Func, arg *pyast.Node, r *rules.Rule, how string) {
	a.leakPart(m, f, arg, r, how, 0)
}

// leakPart is leak for a value of which only the first (or last) part
// characters are shown (0: the whole value).
func (a *analysis) leakPart(m *pyast.Module, f *pyast.Func, arg *pyast.Node, r *rules.Rule, how string, part int) {
	sev, note := finding.SeverityUnknown, ""
	if part > 0 {
		// key[:15]: the type prefix and a few random characters, far
		// from usable (Stripe itself shows the last 4); still more than a
		// log should hold.
		sev = finding.Low
		note = fmt.Sprintf(" (only %d characters of it: not usable, but more than the sk_live_ prefix or the last 4 that Stripe shows)", part)
	}
	arg.Walk(func(x *pyast.Node) bool {
		// print(os.environ["STRIPE_SECRET_KEY"]) logs the key directly.
		// (A short slice around it was cut off above: the walk is top-down.)
		if el, ok := m.AsEnvLookup(x); ok && el.Name != "" && secretNameRE.MatchString(el.Name) && !publicNameRE.MatchString(el.Name) {
			a.emit(r, m, x.Line, "", f2(f)+":"+m.Text(x), fmt.Sprintf("%s (read from %s) is %s", m.Text(x), el.Name, how)+note, evidence(m, x), sev, nil)
			return false
		}
		switch x.Kind {
		case "call":
			// len(key), hash(key), mask(key)…: not the key itself.
			switch pyast.LastSegment(m.DottedName(x.Child("function"))) {
			case "len", "bool", "type", "isinstance", "hash", "mask", "redact", "sha256", "md5", "id":
				return false
			}
			return true
		case "comparison_operator", "not_operator", "boolean_operator":
			return false
		case "conditional_expression":
			// "yes" if key else "no": the condition is only tested for
			// truth; the branches are what gets logged (cinfacol/
			// Econline-Api logged 'Webhook secret configured: Yes/No').
			if c := x.NamedChildren(); len(c) == 3 {
				a.leak(m, f, c[0], r, how)
				a.leak(m, f, c[2], r, how)
				return false
			}
			return true
		case "subscript":
			if short, ok := shortSlice(m, x); ok {
				if !short && part == 0 {
					if n := partialSlice(m, x); n > 0 {
						a.leakPart(m, f, x.Child("value"), r, how, n)
						return false
					}
				}
				return !short
			}
			return true
		case "identifier", "attribute":
			if x.Kind == "identifier" && x.Parent != nil && x.Parent.Kind == "attribute" {
				return true
			}
			if x.Parent != nil && x.Parent.Kind == "call" && x.FieldIs("function") {
				return true
			}
			if x.Parent != nil && x.Parent.Kind == "keyword_argument" && x.FieldIs("name") {
				return false
			}
			if what, ok := a.isKey(m, f, x); ok {
				a.emit(r, m, x.Line, "", f2(f)+":"+m.Text(x), fmt.Sprintf("%s (%s) is %s", m.Text(x), what, how)+note, evidence(m, x), sev, nil)
				return false
			}
			return x.Kind == "attribute"
		}
		return true
	})
}

func f2(f *pyast.Func) string {
	if f == nil {
		return ""
	}
	return f.Qual
}

// shortSlice: key[:N] with N ≤ 8 or key[-N:] with N ≤ 8 shows only a
// prefix/suffix; ok is false when the subscript is not a slice.
func shortSlice(m *pyast.Module, x *pyast.Node) (short, ok bool) {
	s := x.Child("subscript")
	if s == nil || s.Kind != "slice" {
		return false, false
	}
	parts := strings.Split(m.Text(s), ":")
	if len(parts) < 2 {
		return false, true
	}
	lo, hi := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	atoi := func(t string) (int, bool) {
		var v int
		_, err := fmt.Sscan(t, &v)
		return v, err == nil
	}
	switch {
	case lo == "" && hi != "":
		v, ok := atoi(hi)
		return ok && v >= 0 && v <= 8, true
	case hi == "" && lo != "":
		v, ok := atoi(lo)
		return ok && v < 0 && v >= -8, true
	}
	return false, true
}

// maxPartial is the longest prefix or suffix slice reported as a partial
// key: sk_live_ plus 8 random characters leaves at least 16 unknown base-62
// characters (95 bits) of even the oldest 24-character keys.
const maxPartial = 16

// partialSlice: key[:N] or key[-N:] with 8 < N ≤ maxPartial shows a part
// of the key; 0 for anything else.
func partialSlice(m *pyast.Module, x *pyast.Node) int {
	s := x.Child("subscript")
	if s == nil || s.Kind != "slice" {
		return 0
	}
	parts := strings.Split(m.Text(s), ":")
	if len(parts) != 2 {
		return 0
	}
	lo, hi := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	var v int
	switch {
	case lo == "" && hi != "":
		if _, err := fmt.Sscan(hi, &v); err != nil {
			return 0
		}
	case hi == "" && lo != "":
		if _, err := fmt.Sscan(lo, &v); err != nil {
			return 0
		}
		v = -v
	default:
		return 0
	}
	if v > 8 && v <= maxPartial {
		return v
	}
	return 0
}

// isKey decides whether an expression holds a secret Stripe value.
func (a *analysis) isKey(m *pyast.Module, f *pyast.Func, x *pyast.Node) (string, bool) {
	d := m.Qualify(m.DottedName(x))
	if d == "" {
		return "", false
	}
	if d == "stripe.api_key" || strings.HasPrefix(d, "stripe.") && strings.HasSuffix(d, "api_key") {
		return "the Stripe secret key", true
	}
	for _, o := range a.values(m, f, x) {
		on := pyast.Unparen(o.N)
		if v, ok := o.M.StringValue(on); ok {
			if isAPIKey(v) || isWhsec(v) {
				return "holds " + finding.Redact(v), true
			}
			continue
		}
		if el, ok := o.M.AsEnvLookup(on); ok {
			if el.Name != "" && secretNameRE.MatchString(el.Name) && !publicNameRE.MatchString(el.Name) {
				return "read from " + el.Name, true
			}
			continue
		}
		if od := o.M.Qualify(o.M.DottedName(on)); od == "stripe.api_key" {
			return "copied from stripe.api_key", true
		} else if od != "" && o.Param == "" && strings.Contains(od, ".") {
			last := pyast.LastSegment(od)
			if secretNameRE.MatchString(last) && !publicNameRE.MatchString(last) && strings.ToUpper(last) == last {
				return "the setting " + last, true
			}
		}
	}
	return "", false
}
