package pyast

import (
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Root returns the innermost receiver of an attribute/subscript/call chain:
// request for request.headers.get("x")["y"].
func Root(n *Node) *Node {
	for {
		n = Unparen(n)
		if n == nil {
			return nil
		}
		switch n.Kind {
		case "attribute":
			n = n.Child("object")
		case "subscript":
			n = n.Child("value")
		case "call":
			n = n.Child("function")
		case "await":
			c := n.NamedChildren()
			if len(c) == 0 {
				return n
			}
			n = c[0]
		default:
			return n
		}
	}
}

// CallName is the dotted callee of a call, qualified through the module's
// imports ("" when the callee is computed).
func (m *Module) CallName(call *Node) string {
	if call == nil || call.Kind != "call" {
		return ""
	}
	return m.Qualify(m.DottedName(call.Child("function")))
}

// LastSegment is what follows the last dot.
func LastSegment(d string) string {
	if i := strings.LastIndexByte(d, '.'); i >= 0 {
		return d[i+1:]
	}
	return d
}

// EnvLookup describes os.environ.get("X", default) and friends.
type EnvLookup struct {
	Name       string // the variable or setting name, "" when computed
	Default    *Node  // nil when there is none
	HasDefault bool
	// Strict lookups raise when the name is missing (os.environ["X"]).
	Strict bool
	// Settings is set for getattr(settings, "X", d) and config.get("X").
	Settings bool
}

// AsEnvLookup recognises environment, settings and config look-ups.
func (m *Module) AsEnvLookup(n *Node) (EnvLookup, bool) {
	n = Unparen(n)
	if n == nil {
		return EnvLookup{}, false
	}
	switch n.Kind {
	case "subscript":
		v := m.Qualify(m.DottedName(n.Child("value")))
		if v == "os.environ" || strings.HasSuffix(v, ".config") || v == "environ" {
			name, _ := m.StringValue(n.Child("subscript"))
			return EnvLookup{Name: name, Strict: true, Settings: v != "os.environ" && v != "environ"}, true
		}
	case "call":
		q := m.CallName(n)
		pos, kw := m.CallArgs(n)
		var name string
		var def *Node
		switch {
		case q == "os.environ.get" || q == "os.getenv" || q == "environ.get" || q == "getenv" ||
			strings.HasSuffix(q, ".environ.get") || q == "os.environ.setdefault":
			if len(pos) > 0 {
				name, _ = m.StringValue(pos[0])
			}
			if len(pos) > 1 {
				def = pos[1]
			} else if d, ok := kw["default"]; ok {
				def = d
			}
			return EnvLookup{Name: name, Default: def, HasDefault: def != nil}, true
		case q == "getattr" && len(pos) >= 2:
			obj := LastSegment(m.Qualify(m.DottedName(pos[0])))
			if obj != "settings" && obj != "config" && obj != "conf" {
				return EnvLookup{}, false
			}
			name, _ = m.StringValue(pos[1])
			if len(pos) > 2 {
				def = pos[2]
			}
			return EnvLookup{Name: name, Default: def, HasDefault: def != nil, Strict: def == nil, Settings: true}, true
		case strings.HasSuffix(q, "config.get") || strings.HasSuffix(q, "settings.get") || q == "config" ||
			q == "env" || q == "env.str" || q == "decouple.config":
			if len(pos) > 0 {
				name, _ = m.StringValue(pos[0])
			}
			if len(pos) > 1 && q != "env" && q != "env.str" {
				def = pos[1]
			} else if d, ok := kw["default"]; ok {
				def = d
			}
			return EnvLookup{Name: name, Default: def, HasDefault: def != nil, Settings: true}, true
		}
	}
	return EnvLookup{}, false
}

// stripeEventRE matches Stripe event type names ("checkout.session.completed").
var stripeEventRE = regexp.MustCompile(`^(account|application_fee|balance|billing|billing_portal|capability|cash_balance|charge|checkout|climate|coupon|credit_note|customer|customer_cash_balance_transaction|entitlements|file|financial_connections|identity|invoice|invoiceitem|issuing_authorization|issuing_card|issuing_cardholder|issuing_dispute|issuing_transaction|mandate|payment_intent|payment_link|payment_method|payout|person|plan|price|product|promotion_code|quote|radar|refund|reporting|review|setup_intent|sigma|source|subscription_schedule|tax|tax_rate|terminal|test_helpers|topup|transfer|treasury)\.[a-z_]+(\.[a-z_]+)*$`)

// IsStripeEventType reports whether s names a Stripe event type.
func IsStripeEventType(s string) bool { return len(s) < 80 && stripeEventRE.MatchString(s) }

// Dead reports whether n sits in code that never runs: under `if False:` /
// `if 0:` or after a return/raise in the same or an enclosing block of its
// function.
func (m *Module) Dead(n *Node, stop *Node) bool {
	for c := n; c != nil && c != stop; c = c.Parent {
		p := c.Parent
		if p == nil {
			return false
		}
		if p.Kind == "block" {
			for _, s := range p.Children {
				if s == c {
					break
				}
				if s.Kind == "return_statement" || s.Kind == "raise_statement" {
					return true
				}
			}
		}
		if p.Kind == "if_statement" && c.FieldIs("consequence") {
			cond := strings.TrimSpace(m.Text(p.Child("condition")))
			if cond == "False" || cond == "0" || cond == "None" {
				return true
			}
		}
	}
	return false
}

// Strings calls f for every plain string literal under n.
func (m *Module) Strings(n *Node, f func(s string, at *Node)) {
	n.Walk(func(x *Node) bool {
		if x.Kind == "string" || x.Kind == "concatenated_string" {
			if v, ok := m.StringValue(x); ok {
				f(v, x)
			}
			return false
		}
		return true
	})
}

// StatementOf is the statement that contains n (a child of a block or the
// module).
func StatementOf(n *Node) *Node {
	for c := n; c != nil; c = c.Parent {
		if c.Parent == nil || c.Parent.Kind == "block" || c.Parent.Kind == "module" {
			return c
		}
	}
	return n
}

// keyRE matches Stripe credentials that may sit in source text quoted as
// evidence.
var keyRE = regexp.MustCompile(`(sk|rk|pk)_(live|test)_[0-9A-Za-z]{8,}|whsec_[0-9A-Za-z+/=]{8,}`)

// RedactKeys masks every Stripe credential in s with finding.Redact's
// format, so evidence quoted from code never carries a full secret.
func RedactKeys(s string) string {
	return keyRE.ReplaceAllStringFunc(s, finding.Redact)
}

// logMethods are the methods of logging.Logger (and loguru/structlog
// loggers) that write a record.
var logMethods = map[string]bool{"debug": true, "info": true, "warning": true, "warn": true, "error": true,
	"exception": true, "critical": true, "log": true, "fatal": true}

// IsLoggerCall: q (a qualified call name) writes a log record through a
// logger: logging.info, logger.warning, self.log.error, structlog's log.msg
// is not one.
func IsLoggerCall(q string) bool {
	i := strings.LastIndexByte(q, '.')
	if i < 0 {
		return false
	}
	recv, meth := strings.ToLower(q[:i]), q[i+1:]
	return logMethods[meth] && strings.Contains(recv, "log")
}

// IsLogCall: q prints or logs its arguments (print, pprint, click.echo,
// rich.print, a logger call) and does nothing else.
func IsLogCall(q string) bool {
	switch q {
	case "print", "pprint", "pprint.pprint", "sys.stdout.write", "sys.stderr.write", "click.echo", "rich.print":
		return true
	}
	return IsLoggerCall(q)
}
