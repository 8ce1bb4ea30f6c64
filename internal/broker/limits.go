package broker

import (
	"strconv"
	"strings"
)

// Limits are a rule's caps on request parameters.
//
// Money: every parameter whose name contains "amount" (amount, unit_amount,
// application_fee_amount, amount_to_capture, amount_off, flat_amount,
// unit_amount_decimal, a v2 {"amount": {"value": …}} …) must be a whole
// number (a decimal for *_decimal) not above MaxAmount, in the currency's
// smallest unit. The few enum/boolean fields with "amount" in their name
// (amount_type, amount_tax_display, …) and amount_percent are not money.
// Currencies: every currency, default_currency, *_currency, currencies,
// and the keys of currency_options[…] / *_by_currency[…] must be listed.
// metadata entries are free-form text and never checked.
type Limits struct {
	MaxAmount  int64           // > 0: cap on every money amount
	Currencies map[string]bool // non-nil: allowed currencies (lower case)
}

func (l Limits) active() bool { return l.MaxAmount > 0 || l.Currencies != nil }

// narrow returns the limits that satisfy both l and o (a rule can only
// tighten its application's limits).
func (l Limits) narrow(o Limits) Limits {
	out := l
	if o.MaxAmount > 0 && (out.MaxAmount == 0 || o.MaxAmount < out.MaxAmount) {
		out.MaxAmount = o.MaxAmount
	}
	switch {
	case o.Currencies == nil:
	case out.Currencies == nil:
		out.Currencies = o.Currencies
	default:
		both := map[string]bool{}
		for c := range o.Currencies {
			if out.Currencies[c] {
				both[c] = true
			}
		}
		out.Currencies = both
	}
	return out
}

// violation is why a request breaks a rule's limits.
type violation struct {
	code, param, msg string
}

// Fields named like amounts that are not money.
var notMoney = map[string]bool{
	"amount_type": true, "amount_tax_display": true, "amount_includes_iof": true,
	"is_amount_controllable": true, "amount_percent": true,
}

func isCurrencyName(s string) bool {
	if s == "default_for_currency" { // a boolean
		return false
	}
	return s == "currency" || s == "currencies" || strings.HasSuffix(s, "_currency") || strings.HasSuffix(s, "_currencies")
}

func isMoneyName(s string) bool {
	return strings.Contains(s, "amount") && !notMoney[s] && !isCurrencyName(s)
}

// check returns the first way p breaks the limits, or nil.
func (l Limits) check(p *Param) *violation {
	if p.Metadata || len(p.Name) == 0 {
		return nil
	}
	// A copy: p's strings may alias the request buffers (FormParams).
	name := strings.Clone(strings.Join(p.Name, "."))
	if l.Currencies != nil {
		// Currency codes used as keys: currency_options[eur][…],
		// minimum_balance_by_currency[usd].
		for i := 0; i+1 < len(p.Name); i++ {
			if r := p.Name[i]; r == "currency_options" || strings.HasSuffix(r, "_by_currency") {
				if v := l.currency(p.Name[i+1], name); v != nil {
					return v
				}
			}
		}
	}
	if p.Other {
		return nil
	}
	leaf := p.Leaf()
	if isCurrencyName(leaf) {
		if l.Currencies == nil || p.Value == "" {
			return nil
		}
		if p.Number {
			return &violation{"broker_currency_not_allowed", name, "currency " + p.Value + " is not a currency code"}
		}
		return l.currency(p.Value, name)
	}
	money := isMoneyName(leaf) || leaf == "value" && len(p.Name) >= 2 && isMoneyName(p.Name[len(p.Name)-2])
	if !money || l.MaxAmount <= 0 || p.Value == "" {
		return nil
	}
	over, ok := exceeds(p.Value, l.MaxAmount, strings.HasSuffix(leaf, "_decimal"))
	if !ok {
		return &violation{"broker_amount_not_allowed", name, name + " is not a plain number (" + quoteShort(p.Value) + ")"}
	}
	if over {
		return &violation{"broker_amount_over_limit", name, name + " " + quoteShort(p.Value) + " is above the limit of " + strconv.FormatInt(l.MaxAmount, 10) + " for this endpoint"}
	}
	return nil
}

func (l Limits) currency(c, name string) *violation {
	if l.Currencies[strings.ToLower(c)] && len(c) == 3 {
		return nil
	}
	return &violation{"broker_currency_not_allowed", name, "currency " + quoteShort(c) + " is not allowed for this endpoint"}
}

// exceeds parses a whole number (or, if decimal, a plain decimal) and
// reports whether it is above max. ok is false for anything else: exponents,
// hex, spaces, signs other than a leading '-', more than 18 digits.
func exceeds(v string, max int64, decimal bool) (over, ok bool) {
	neg := strings.HasPrefix(v, "-")
	if neg {
		v = v[1:]
	}
	whole, frac := v, ""
	if decimal {
		if i := strings.IndexByte(v, '.'); i >= 0 {
			whole, frac = v[:i], v[i+1:]
			if frac == "" || len(frac) > 12 || !digits(frac) {
				return false, false
			}
		}
	}
	if whole == "" || len(whole) > 18 || !digits(whole) {
		return false, false
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return false, false
	}
	if neg {
		return false, true
	}
	return n > max || n == max && strings.Trim(frac, "0") != "", true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// IsMoneyParam reports whether a parameter name (its last segment) is a
// money amount the limits cap.
func IsMoneyParam(name string) bool { return isMoneyName(name) }

// IsCurrencyParam reports whether a parameter name is a currency the
// limits check.
func IsCurrencyParam(name string) bool { return isCurrencyName(name) }
