package webhook

import (
	"regexp"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// A handler that serves several payment providers often verifies through
// the provider object picked at run time: `gateway = get_gateway(name);
// if not gateway.verify_webhook_signature(payload, signature): return 400`,
// and only then parses the body. The implementation is not visible (or is
// another provider's), so the analyzer cannot prove the Stripe check, but
// the payload read after that gate is not "trusted without verification"
// either (srivatsan0611/django-saas-launchpad was reported critical).
// Such a handler gets no unverified-payload finding and no credit.

// providerVerifierRE names a provider object's signature check.
var providerVerifierRE = regexp.MustCompile(`(?i)^(verify|validate|check|is_valid)_?(webhook_?|request_?|payload_?)?(signature|sig|webhook)s?(_valid)?$`)

// providerVerifierGate is the gating call that precedes the payload read
// at, or nil: an if whose condition negates a provider-object call named
// like a signature check (directly or through a local holding its result),
// given the payload and the header, and whose block ends the request. A
// call that resolves to a Stripe-related project function which does not
// verify is no gate: that function is analysed, not trusted for its name.
func (a *analysis) providerVerifierGate(f *pyast.Func, at *pyast.Node) *pyast.Node {
	m := f.Module
	var gate *pyast.Node
	walkOwn(f, func(n *pyast.Node) bool {
		if gate != nil {
			return false
		}
		if n.Kind != "if_statement" || n.End > at.Start || !terminatesOrRejects(m, n.Child("consequence")) {
			return true
		}
		if c := a.negatedVerifierCall(f, n.Child("condition"), n); c != nil {
			gate = c
			return false
		}
		return true
	})
	return gate
}

func (a *analysis) negatedVerifierCall(f *pyast.Func, cond, ifStmt *pyast.Node) *pyast.Node {
	m := f.Module
	cond = pyast.Unparen(cond)
	if cond == nil || cond.Kind != "not_operator" {
		return nil
	}
	x := pyast.Unparen(cond.Child("argument"))
	if x == nil {
		return nil
	}
	var calls []*pyast.Node
	switch x.Kind {
	case "call":
		calls = append(calls, x)
	case "identifier":
		for _, v := range localsOf(f)[m.Text(x)] {
			if v = pyast.Unparen(v); v.Kind == "call" && v.End <= ifStmt.Start {
				calls = append(calls, v)
			}
		}
	}
	for _, c := range calls {
		fn := pyast.Unparen(c.Child("function"))
		if fn == nil || fn.Kind != "attribute" || !providerVerifierRE.MatchString(m.Text(fn.Child("attribute"))) {
			continue
		}
		if pos, _ := m.CallArgs(c); len(pos) < 2 {
			continue
		}
		ok := true
		for _, g := range a.callees(m, f, c) {
			if stripeRelated(g) && !a.verifies(g, callDepth) {
				ok = false
			}
		}
		if ok {
			return c
		}
	}
	return nil
}
