package codekeys

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// An application configured for `stripeguard broker` holds a broker token
// (sk_broker_…, or read from a variable named for the broker) where the
// Stripe key would be, and points the library's API base (stripe.api_base,
// StripeClient(base_addresses={"api": …})) away from api.stripe.com. When
// every key the code configures is such a token and the base is
// redirected, the key never reaches the application: in place. When the
// app uses a broker token somewhere but another code path still configures
// a real key, the key is still in the application: missing. Test code
// (filekind.IsTestCode) pointing at stripe-mock is left out.

const brokerTokenPrefix = "sk_broker_"

type brokerUse struct {
	path   string
	line   int
	what   string // "stripe.api_key", "StripeClient(...)", "stripe.api_base"
	detail string // where the value comes from
	ev     string // the source line, keys redacted
}

// brokerFacts gathers the key, token and API-base configurations of the
// whole scan. The streamed analysis (pyast.Stream) runs Analyze on one file
// or one group of files at a time, and the token may be set in one module
// while another still configures a real key, so the decision waits for
// every file (decide, from Finish).
type brokerFacts struct {
	mu                  sync.Mutex
	seen                map[string]bool
	tokens, keys, bases []brokerUse
}

func newBrokerFacts() *brokerFacts { return &brokerFacts{seen: map[string]bool{}} }

func (b *brokerFacts) add(kind string, u brokerUse) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// A module analysed alone and again in the cross-file pass is seen twice.
	id := kind + "\x00" + u.path + "\x00" + fmt.Sprint(u.line) + "\x00" + u.what + "\x00" + u.detail
	if b.seen[id] {
		return
	}
	b.seen[id] = true
	switch kind {
	case "token":
		b.tokens = append(b.tokens, u)
	case "key":
		b.keys = append(b.keys, u)
	case "base":
		b.bases = append(b.bases, u)
	}
}

// brokerSetup records how this project configures keys and the API base.
func (a *analysis) brokerSetup() {
	for _, m := range a.p.Modules {
		if filekind.IsTestCode(m.Path) {
			continue
		}
		m.Root.Walk(func(n *pyast.Node) bool {
			switch n.Kind {
			case "assignment":
				l, r := n.Child("left"), n.Child("right")
				if l == nil || r == nil {
					return true
				}
				switch m.Qualify(m.DottedName(l)) {
				case "stripe.api_key":
					a.classifyKey(m, m.FuncAt(n), r, n.Line, "stripe.api_key")
				case "stripe.api_base":
					a.classifyBase(m, m.FuncAt(n), r, n.Line, "stripe.api_base")
				}
			case "call":
				q := m.CallName(n)
				pos, kw := m.CallArgs(n)
				f := m.FuncAt(n)
				if strings.HasSuffix(q, "StripeClient") {
					if len(pos) > 0 {
						a.classifyKey(m, f, pos[0], n.Line, "StripeClient(...)")
					} else if v := kw["api_key"]; v != nil {
						a.classifyKey(m, f, v, n.Line, "StripeClient(...)")
					}
					if ba := kw["base_addresses"]; ba != nil {
						for _, o := range a.p.Origins(m, f, ba, 3) {
							on := pyast.Unparen(o.N)
							if on.Kind != "dictionary" {
								continue
							}
							for _, p := range on.NamedChildren() {
								if k, ok := o.M.StringValue(p.Child("key")); ok && k == "api" && p.Child("value") != nil {
									a.classifyBase(o.M, o.F, p.Child("value"), n.Line, "StripeClient base_addresses")
								}
							}
						}
					}
				} else if v := kw["api_key"]; v != nil && strings.HasPrefix(q, "stripe.") {
					a.classifyKey(m, f, v, n.Line, "api_key= of "+m.DottedName(n.Child("function")))
				}
			}
			return true
		})
	}
}

// decide turns the whole scan's facts into the keys.never-in-application
// state: in place when every configured key is a broker token and the API
// base is redirected; missing (with the codekeys/key-held-by-application
// info finding when no broker is in sight at all) when a real key is
// configured.
func (b *brokerFacts) decide(sink finding.Sink) {
	b.mu.Lock()
	defer b.mu.Unlock()
	byPlace := func(us []brokerUse) {
		sort.Slice(us, func(i, j int) bool {
			if us[i].path != us[j].path {
				return us[i].path < us[j].path
			}
			return us[i].line < us[j].line
		})
	}
	byPlace(b.tokens)
	byPlace(b.keys)
	byPlace(b.bases)
	if len(b.tokens) == 0 {
		if len(b.keys) > 0 {
			// Advice about the application as a whole: no single line is
			// wrong, so the finding has no location of its own and lists
			// where the key is configured.
			k := b.keys[0]
			f := KeyHeldByApp.New()
			f.Key = "broker"
			more := ""
			if n := len(b.keys) - 1; n > 0 {
				more = fmt.Sprintf(" (and %d more place%s)", n, map[bool]string{true: "", false: "s"}[n == 1])
			}
			f.Message = fmt.Sprintf("The application holds its Stripe secret key: %s is %s at %s:%d%s. Anything that can read the process's environment, memory, logs or crash dumps can use the whole key", k.what, k.detail, k.path, k.line, more)
			f.Evidence = k.ev
			for i, u := range b.keys {
				if i == 10 {
					break
				}
				f.Related = append(f.Related, finding.Location{File: u.path, Line: u.line, Message: u.what + " " + u.detail})
			}
			sink.Finding(f)
		}
		return // no broker in sight
	}
	if len(b.keys) > 0 {
		for _, k := range b.keys {
			sink.Observation(&finding.Observation{Mitigation: mitigation.KeysNotInApp, State: finding.Missing, File: k.path, Line: k.line,
				Detail: fmt.Sprintf("%s still gets a real Stripe key (%s) although %s:%d uses a broker token", k.what, k.detail, b.tokens[0].path, b.tokens[0].line)})
		}
		return
	}
	if len(b.bases) == 0 {
		return // a token but calls still go to api.stripe.com: misconfigured, not a key in the app
	}
	for _, t := range b.tokens {
		sink.Observation(&finding.Observation{Mitigation: mitigation.KeysNotInApp, State: finding.InPlace, File: t.path, Line: t.line,
			Detail: fmt.Sprintf("%s is a broker token (%s); the API base points at the broker (%s, %s:%d)", t.what, t.detail, b.bases[0].detail, b.bases[0].path, b.bases[0].line)})
	}
}

// classifyKey sorts the value used as an API key into broker tokens and
// real keys. Values it cannot trace (a parameter, a computed string) count
// as neither.
func (a *analysis) classifyKey(m *pyast.Module, f *pyast.Func, n *pyast.Node, line int, what string) {
	tok, key := "", ""
	for _, o := range a.values(m, f, n) {
		on := pyast.Unparen(o.N)
		if v, ok := o.M.StringValue(on); ok {
			switch {
			case strings.HasPrefix(v, brokerTokenPrefix):
				tok = "a literal sk_broker_ token"
			case isAPIKey(v):
				key = "hard-coded " + finding.Redact(v)
			}
			continue
		}
		if el, ok := o.M.AsEnvLookup(on); ok {
			if d, ok := o.M.StringValue(el.Default); ok && isAPIKey(d) {
				key = "hard-coded default " + finding.Redact(d)
				continue
			}
			switch {
			case el.Name == "":
			case strings.Contains(strings.ToUpper(el.Name), "BROKER"):
				tok = "read from " + el.Name
			default:
				key = "read from " + el.Name
			}
		}
	}
	u := brokerUse{path: m.Path, line: line, what: what, ev: evidence(m, n)}
	switch {
	case key != "":
		u.detail = key
		a.broker.add("key", u)
	case tok != "":
		u.detail = tok
		a.broker.add("token", u)
	}
}

// classifyBase notes an API base that is not Stripe's.
func (a *analysis) classifyBase(m *pyast.Module, f *pyast.Func, n *pyast.Node, line int, what string) {
	for _, o := range a.values(m, f, n) {
		on := pyast.Unparen(o.N)
		if v, ok := o.M.StringValue(on); ok {
			if v != "" && !strings.Contains(v, "stripe.com") {
				a.broker.add("base", brokerUse{path: m.Path, line: line, what: what, detail: v})
				return
			}
			continue
		}
		if el, ok := o.M.AsEnvLookup(on); ok && el.Name != "" {
			if d, ok := o.M.StringValue(el.Default); ok && strings.Contains(d, "stripe.com") && !strings.Contains(strings.ToUpper(el.Name), "BROKER") {
				continue // STRIPE_API_BASE defaulting to api.stripe.com: only sometimes redirected
			}
			a.broker.add("base", brokerUse{path: m.Path, line: line, what: what, detail: "from " + el.Name})
			return
		}
	}
}
