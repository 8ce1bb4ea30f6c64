package broker

import (
	"strings"
	"testing"
)

func collectForm(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	err := FormParams([]byte(s), func(p *Param) error {
		m := ""
		if p.Metadata {
			m = " (metadata)"
		}
		out = append(out, strings.Join(p.Name, ".")+"="+p.Value+m)
		return nil
	})
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return out
}

func TestFormParams(t *testing.T) {
	cases := map[string]string{
		"a=1&b=2":        "a=1|b=2",
		"a=1;b=2":        "a=1|b=2",
		"a=1& b=2&  c=3": "a=1|b=2|c=3",
		"a+b=c+d":        "a b=c d",
		"am%6Funt=5":     "amount=5",
		"line_items[0][price_data][unit_amount]=5": "line_items.0.price_data.unit_amount=5",
		"line_items%5B0%5D%5Bprice%5D=p":           "line_items.0.price=p",
		"[amount]=5":                               "amount=5",
		"amount[]=5&amount[]=6":                    "amount=5|amount=6",
		"a]b=1":                                    "a.b=1",
		"metadata[order]=7":                        "metadata.order=7 (metadata)",
		"subscription_data[metadata][k]=v":         "subscription_data.metadata.k=v (metadata)",
		"metadata]k=v":                             "metadata.k=v",
		"metadata[k][x]=v":                         "metadata.k.x=v",
		"flag":                                     "flag=",
		"&&a=1&&":                                  "a=1",
		"a==b":                                     "a==b",
		"":                                         "",
	}
	for in, want := range cases {
		if got := strings.Join(collectForm(t, in), "|"); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"a=%", "a=%2", "a=%zz", "%=1", strings.Repeat("a=1&", maxParams+1), strings.Repeat("[x]", maxDepth+1) + "=1"} {
		if err := FormParams([]byte(bad), func(*Param) error { return nil }); err == nil {
			t.Errorf("%.40q accepted", bad)
		}
	}
}

func TestJSONParams(t *testing.T) {
	var got []string
	err := JSONParams([]byte(`{"amount":{"value":5,"currency":"usd"},"items":[{"unit_amount":"7"},{"unit_amount":8}],"metadata":{"amount":"x"},"ok":true}`), func(p *Param) error {
		if !p.Other {
			got = append(got, strings.Join(p.Name, ".")+"="+p.Value)
		}
		return nil
	})
	want := "amount.value=5|amount.currency=usd|items.unit_amount=7|items.unit_amount=8|metadata.amount=x"
	if err != nil || strings.Join(got, "|") != want {
		t.Errorf("%v %q", err, strings.Join(got, "|"))
	}
	for _, bad := range []string{`{"a":1,"a":2}`, `{"a":1} x`, `{"a":`, strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2), `{1:2}`} {
		if err := JSONParams([]byte(bad), func(*Param) error { return nil }); err == nil {
			t.Errorf("%.40q accepted", bad)
		}
	}
}

func TestLimits(t *testing.T) {
	l, _ := limitsOf(1000, []string{"usd", "EUR"})
	cases := []struct {
		form string
		code string
	}{
		{"amount=1000", ""},
		{"amount=1001", CodeAmountOver},
		{"amount=-5000", ""},
		{"amount=", ""},
		{"amount=01000", ""},
		{"amount= 5", CodeAmountBad},
		{"amount=5.0", CodeAmountBad},
		{"unit_amount_decimal=999.999999", ""},
		{"unit_amount_decimal=1000.0000001", CodeAmountOver},
		{"unit_amount_decimal=1000.", CodeAmountBad},
		{"amount_off=2000", CodeAmountOver},
		{"transfer_data[amount]=2000", CodeAmountOver},
		{"amounts[]=1&amounts[]=5000", CodeAmountOver},
		{"amount_type=maximum", ""},
		{"amount_percent=50.5", ""},
		{"amount_tax_display=exclude_tax", ""},
		{"amount_details=", ""},
		{"currency=usd", ""},
		{"currency=eur", ""},
		{"currency=EUR", ""},
		{"currency=gbp", CodeCurrencyDenied},
		{"default_currency=gbp", CodeCurrencyDenied},
		{"supported_currencies[]=usd&supported_currencies[]=jpy", CodeCurrencyDenied},
		{"currency_options[gbp][unit_amount]=5", CodeCurrencyDenied},
		{"minimum_balance_by_currency[jpy]=5", CodeCurrencyDenied},
		{"default_for_currency=true", ""},
		{"minimum_amount_currency=jpy", CodeCurrencyDenied},
		{"metadata[currency]=btc&metadata[amount]=all", ""},
	}
	for _, c := range cases {
		var v *violation
		FormParams([]byte(c.form), func(p *Param) error {
			if v == nil {
				v = l.check(p)
			}
			return nil
		})
		code := ""
		if v != nil {
			code = v.code
		}
		if code != c.code {
			t.Errorf("%s: %q, want %q", c.form, code, c.code)
		}
	}
	if n := (Limits{MaxAmount: 5}).narrow(Limits{MaxAmount: 9}); n.MaxAmount != 5 {
		t.Error("narrow must keep the lower cap")
	}
	if n := (Limits{}).narrow(Limits{MaxAmount: 9}); n.MaxAmount != 9 {
		t.Error("narrow must take the rule's cap")
	}
}
