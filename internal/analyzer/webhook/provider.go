package webhook

import (
	"strings"

	"github.com/stripeguard/stripeguard/internal/pyast"
)

// One route often serves several payment providers: `if provider ==
// "stripe": verify Stripe's signature …` next to `if provider == "paypal":
// verify PayPal's …`. The request body read in the PayPal branch is not a
// Stripe event trusted without verification: whoever posts a Stripe-shaped
// payload there meets PayPal's check. providerBranches finds, for a
// verification made under a Stripe provider test, the blocks of the same
// function that serve other providers (the same subject compared with a
// literal that does not name Stripe), so checkOptional can leave their
// payload reads out.

// providerTest reads `X == "lit"`, `X.lower() == "lit"`, `"lit" == X` and
// `X in ("a", "b")`: the subject's text and the literals.
func providerTest(m *pyast.Module, cond *pyast.Node) (string, []string, bool) {
	if cond == nil {
		return "", nil, false
	}
	cond = pyast.Unparen(cond)
	if cond.Kind != "comparison_operator" {
		return "", nil, false
	}
	kids := cond.NamedChildren()
	if len(kids) != 2 {
		return "", nil, false
	}
	op := strings.TrimSpace(string(m.Src[kids[0].End:kids[1].Start]))
	if op != "==" && op != "in" {
		return "", nil, false
	}
	lits := func(n *pyast.Node) []string {
		n = pyast.Unparen(n)
		if s, ok := m.StringValue(n); ok {
			return []string{s}
		}
		if n.Kind != "tuple" && n.Kind != "list" && n.Kind != "set" {
			return nil
		}
		var out []string
		for _, e := range n.NamedChildren() {
			s, ok := m.StringValue(e)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	subj, ls := kids[0], lits(kids[1])
	if ls == nil && op == "==" {
		subj, ls = kids[1], lits(kids[0])
	}
	if len(ls) == 0 {
		return "", nil, false
	}
	subj = pyast.Unparen(subj)
	// provider.lower() / provider.casefold() / provider.strip(): the
	// subject is the receiver.
	for subj.Kind == "call" {
		fn := subj.Child("function")
		if fn == nil || fn.Kind != "attribute" {
			break
		}
		switch m.Text(fn.Child("attribute")) {
		case "lower", "casefold", "upper", "strip":
			subj = pyast.Unparen(fn.Child("object"))
			continue
		}
		break
	}
	if subj.Kind != "identifier" && subj.Kind != "attribute" && subj.Kind != "subscript" {
		return "", nil, false
	}
	return m.Text(subj), ls, true
}

func namesStripe(lits []string) bool {
	for _, l := range lits {
		if strings.Contains(strings.ToLower(l), "stripe") {
			return true
		}
	}
	return false
}

// otherProviderBlocks: when the branch holding a verification is selected
// by a Stripe provider test, the blocks of f selected by a test of the same
// subject against other providers only.
func otherProviderBlocks(m *pyast.Module, f *pyast.Func, stripeCond *pyast.Node) []*pyast.Node {
	subj, lits, ok := providerTest(m, stripeCond)
	if !ok || !namesStripe(lits) {
		return nil
	}
	var out []*pyast.Node
	walkOwn(f, func(n *pyast.Node) bool {
		var cond, blk *pyast.Node
		switch n.Kind {
		case "if_statement":
			cond, blk = n.Child("condition"), n.Child("consequence")
		case "elif_clause":
			cond, blk = n.Child("condition"), n.Child("consequence")
		default:
			return true
		}
		if s, ls, ok := providerTest(m, cond); ok && s == subj && !namesStripe(ls) && blk != nil {
			out = append(out, blk)
		}
		return true
	})
	return out
}

// otherProvidersOf: the other providers' blocks of f when site (a
// verification) sits in a branch selected by a Stripe provider test.
func otherProvidersOf(m *pyast.Module, f *pyast.Func, site *pyast.Node) []*pyast.Node {
	for c := site; c != nil && c.Parent != nil; c = c.Parent {
		p := c.Parent
		if !c.FieldIs("consequence") || (p.Kind != "if_statement" && p.Kind != "elif_clause") {
			continue
		}
		if others := otherProviderBlocks(m, f, p.Child("condition")); others != nil {
			return others
		}
	}
	return nil
}

// within: n lies in one of blocks.
func within(n *pyast.Node, blocks []*pyast.Node) bool {
	for _, b := range blocks {
		if b.Contains(n) {
			return true
		}
	}
	return false
}
