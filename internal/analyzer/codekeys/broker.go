package codekeys

import (
	"fmt"
	"strings"

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
	m      *pyast.Module
	line   int
	what   string // "stripe.api_key", "StripeClient(...)", "stripe.api_base"
	detail string // where the value comes from
}

// brokerSetup decides the keys.never-in-application mitigation.
func (a *analysis) brokerSetup() {
	var tokens, keys, bases []brokerUse
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
					a.classifyKey(m, m.FuncAt(n), r, n.Line, "stripe.api_key", &tokens, &keys)
				case "stripe.api_base":
					a.classifyBase(m, m.FuncAt(n), r, n.Line, "stripe.api_base", &bases)
				}
			case "call":
				q := m.CallName(n)
				pos, kw := m.CallArgs(n)
				f := m.FuncAt(n)
				if strings.HasSuffix(q, "StripeClient") {
					if len(pos) > 0 {
						a.classifyKey(m, f, pos[0], n.Line, "StripeClient(...)", &tokens, &keys)
					} else if v := kw["api_key"]; v != nil {
						a.classifyKey(m, f, v, n.Line, "StripeClient(...)", &tokens, &keys)
					}
					if ba := kw["base_addresses"]; ba != nil {
						for _, o := range a.p.Origins(m, f, ba, 3) {
							on := pyast.Unparen(o.N)
							if on.Kind != "dictionary" {
								continue
							}
							for _, p := range on.NamedChildren() {
								if k, ok := o.M.StringValue(p.Child("key")); ok && k == "api" && p.Child("value") != nil {
									a.classifyBase(o.M, o.F, p.Child("value"), n.Line, "StripeClient base_addresses", &bases)
								}
							}
						}
					}
				} else if v := kw["api_key"]; v != nil && strings.HasPrefix(q, "stripe.") {
					a.classifyKey(m, f, v, n.Line, "api_key= of "+m.DottedName(n.Child("function")), &tokens, &keys)
				}
			}
			return true
		})
	}
	if len(tokens) == 0 {
		return // no broker in sight: the mitigation stays unproven
	}
	if len(keys) > 0 {
		for _, k := range keys {
			a.sink.Observation(&finding.Observation{Mitigation: mitigation.KeysNotInApp, State: finding.Missing, File: k.m.Path, Line: k.line,
				Detail: fmt.Sprintf("%s still gets a real Stripe key (%s) although %s:%d uses a broker token", k.what, k.detail, tokens[0].m.Path, tokens[0].line)})
		}
		return
	}
	if len(bases) == 0 {
		return // a token but calls still go to api.stripe.com: misconfigured, not a key in the app
	}
	for _, t := range tokens {
		a.sink.Observation(&finding.Observation{Mitigation: mitigation.KeysNotInApp, State: finding.InPlace, File: t.m.Path, Line: t.line,
			Detail: fmt.Sprintf("%s is a broker token (%s); the API base points at the broker (%s, %s:%d)", t.what, t.detail, bases[0].detail, bases[0].m.Path, bases[0].line)})
	}
}

// classifyKey sorts the value used as an API key into broker tokens and
// real keys. Values it cannot trace (a parameter, a computed string) count
// as neither.
func (a *analysis) classifyKey(m *pyast.Module, f *pyast.Func, n *pyast.Node, line int, what string, tokens, keys *[]brokerUse) {
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
	u := brokerUse{m: m, line: line, what: what}
	switch {
	case key != "":
		u.detail = key
		*keys = append(*keys, u)
	case tok != "":
		u.detail = tok
		*tokens = append(*tokens, u)
	}
}

// classifyBase notes an API base that is not Stripe's.
func (a *analysis) classifyBase(m *pyast.Module, f *pyast.Func, n *pyast.Node, line int, what string, bases *[]brokerUse) {
	for _, o := range a.values(m, f, n) {
		on := pyast.Unparen(o.N)
		if v, ok := o.M.StringValue(on); ok {
			if v != "" && !strings.Contains(v, "stripe.com") {
				*bases = append(*bases, brokerUse{m: m, line: line, what: what, detail: v})
				return
			}
			continue
		}
		if el, ok := o.M.AsEnvLookup(on); ok && el.Name != "" {
			if d, ok := o.M.StringValue(el.Default); ok && strings.Contains(d, "stripe.com") && !strings.Contains(strings.ToUpper(el.Name), "BROKER") {
				continue // STRIPE_API_BASE defaulting to api.stripe.com: only sometimes redirected
			}
			*bases = append(*bases, brokerUse{m: m, line: line, what: what, detail: "from " + el.Name})
			return
		}
	}
}
