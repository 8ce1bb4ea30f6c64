package broker

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzRoutes is a small allow-list the path fuzzer checks against a
// reference implementation (each pattern as a regular expression).
var fuzzRoutes = []string{
	"GET /v1/customers/*", "GET /v1/customers/cus_*", "POST /v1/checkout/sessions",
	"GET /v1/events/*", "GET /v1/files/**", "GET /v2/core/events/*",
}

func routeRegexp(pattern string) *regexp.Regexp {
	p := strings.Fields(pattern)[1]
	var b strings.Builder
	b.WriteString("^")
	for _, seg := range strings.Split(p[1:], "/") {
		b.WriteString("/")
		switch {
		case seg == "**":
			b.WriteString(`[^/]+(/[^/]+)*`)
		case seg == "*":
			b.WriteString(`[^/]+`)
		case strings.HasSuffix(seg, "*"):
			b.WriteString(regexp.QuoteMeta(strings.TrimSuffix(seg, "*")) + `[^/]+`)
		default:
			b.WriteString(regexp.QuoteMeta(seg))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// FuzzSplitPath: an accepted path is one every reader agrees on. Its
// segments are what Go's standard URL decoder yields, no normaliser
// (path.Clean, backslash folding, a second decode) changes it, and the
// matcher agrees with a regular-expression reference on every route.
func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/v1/customers/cus_1", "/v1/customers/%2e%2e/payouts", "/v1/customers/..%2fpayouts",
		"/v1/files/a/b/c", "/v1/coupons/SUMMER%20SALE", "/v1/customers/cus_%252e", "/v1/customers/%c0%ae",
		"//v1/customers", "/v1/customers/", "/v2/core/events/evt_1", "/v1/checkout/sessions", "/v1/customers/a+b",
		"/v1/customers/%5c..%5cpayouts", "/v1/customers/%00"} {
		f.Add(s)
	}
	var res []*regexp.Regexp
	var routes []*Route
	for _, r := range fuzzRoutes {
		res = append(res, routeRegexp(r))
		rt, err := ParseRoute(r)
		if err != nil {
			f.Fatal(err)
		}
		routes = append(routes, rt)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		segs, err := SplitPath(raw)
		if err != nil {
			return
		}
		for _, s := range segs {
			if s == "" || strings.ContainsAny(s, "/\\%\x00") || strings.Trim(s, ".") == "" || !utf8.ValidString(s) {
				t.Fatalf("%q: bad segment %q", raw, s)
			}
			for _, r := range s {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("%q: control character in %q", raw, s)
				}
			}
		}
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			t.Fatalf("%q accepted but net/url refuses it: %v", raw, err)
		}
		decoded := "/" + strings.Join(segs, "/")
		if u.Path != decoded {
			t.Fatalf("%q: segments %q disagree with net/url's %q", raw, segs, u.Path)
		}
		if path.Clean(decoded) != decoded || path.Clean(strings.ReplaceAll(decoded, "\\", "/")) != decoded {
			t.Fatalf("%q: a normaliser would change %q", raw, decoded)
		}
		if again, err := url.PathUnescape(decoded); err == nil && again != decoded && strings.Contains(again, "/") {
			t.Fatalf("%q: a second decode changes the path structure", raw)
		}
		for i, rt := range routes {
			if got, want := rt.Match(segs), res[i].MatchString(decoded); got != want {
				t.Fatalf("%q against %s: matcher %v, reference %v", raw, fuzzRoutes[i], got, want)
			}
		}
	})
}

// referenceForm is an independent, naive reading of a form body: split on
// & and ;, drop leading spaces, url.QueryUnescape, name runs by regexp.
func referenceForm(b string) ([][2]string, bool) {
	var out [][2]string
	runs := regexp.MustCompile(`[^\[\]]+`)
	for _, pair := range regexp.MustCompile(`[&;]`).Split(b, -1) {
		pair = strings.TrimLeft(pair, " ")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		kd, err1 := url.QueryUnescape(k)
		vd, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, false
		}
		out = append(out, [2]string{strings.Join(runs.FindAllString(kd, -1), "."), vd})
	}
	return out, true
}

// FuzzFormParams: the form reader agrees with the reference reading, and a
// body the limits accept holds no over-limit amount and no other currency
// under any reading (ours, the reference, net/url's '&'-only one).
func FuzzFormParams(f *testing.F) {
	for _, s := range []string{"amount=100&currency=usd", "a=1;amount=99999", "am%6Funt=5000", "[amount]=7000",
		"line_items[0][price_data][unit_amount]=1&line_items[0][quantity]=2", "metadata[amount]=x", "metadata]amount=9999",
		"amount=1e9", "amount=%2B5", "x=1& amount=99999", "currency_options[jpy][unit_amount]=1", "amount=5&amount=50000",
		"unit_amount_decimal=999.5", "a=%zz", "+amount=5000"} {
		f.Add([]byte(s))
	}
	lim, _ := limitsOf(1000, []string{"usd"})
	f.Fuzz(func(t *testing.T, body []byte) {
		var ours [][2]string
		err := FormParams(body, func(p *Param) error {
			ours = append(ours, [2]string{strings.Clone(strings.Join(p.Name, ".")), strings.Clone(p.Value)}) // p aliases reused buffers
			return nil
		})
		ref, refOK := referenceForm(string(body))
		if (err == nil) != refOK && !(err == errTooMany || err == errDepth) {
			t.Fatalf("%q: ours err=%v, reference ok=%v", body, err, refOK)
		}
		if err == nil && refOK && !equalPairs(ours, ref) {
			t.Fatalf("%q: ours %q, reference %q", body, ours, ref)
		}
		if d := checkLimits(lim, "", body, "application/x-www-form-urlencoded"); d != nil {
			return
		}
		// Accepted: no reading may show a violation.
		readings := [][][2]string{ref}
		if q, err := url.ParseQuery(string(body)); err == nil {
			var pairs [][2]string
			for k, vs := range q {
				for _, v := range vs {
					pairs = append(pairs, [2]string{strings.Join(regexp.MustCompile(`[^\[\]]+`).FindAllString(k, -1), "."), v})
				}
			}
			readings = append(readings, pairs)
		}
		for _, reading := range readings {
			for _, kv := range reading {
				name := kv[0]
				leaf := name[strings.LastIndexByte(name, '.')+1:]
				if strings.HasPrefix(name, "metadata.") && strings.Count(name, ".") == 1 {
					continue
				}
				if isMoneyName(leaf) && kv[1] != "" && !strings.HasSuffix(leaf, "_decimal") {
					n, err := strconv.ParseInt(strings.TrimSpace(kv[1]), 10, 64)
					if err == nil && n > 1000 {
						t.Fatalf("%q accepted with %s=%s", body, name, kv[1])
					}
				}
				if isCurrencyName(leaf) && kv[1] != "" && strings.ToLower(kv[1]) != "usd" {
					t.Fatalf("%q accepted with %s=%s", body, name, kv[1])
				}
			}
		}
	})
}

func equalPairs(a, b [][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzJSONParams: never panics, and an accepted JSON body has no
// over-limit amount anywhere.
func FuzzJSONParams(f *testing.F) {
	for _, s := range []string{`{"amount":100}`, `{"amount":{"value":5000,"currency":"usd"}}`, `[{"unit_amount":99999}]`,
		`{"a":{"b":{"amount":"70000"}}}`, `{"amount":1,"amount":2}`, `{"metadata":{"amount":"999999"}}`} {
		f.Add([]byte(s))
	}
	lim, _ := limitsOf(1000, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		if d := checkLimits(lim, "", body, "application/json"); d != nil {
			return
		}
		JSONParams(body, func(p *Param) error {
			leaf := p.Leaf()
			if p.Metadata || p.Other {
				return nil
			}
			money := isMoneyName(leaf) || leaf == "value" && len(p.Name) >= 2 && isMoneyName(p.Name[len(p.Name)-2])
			if money && !strings.HasSuffix(leaf, "_decimal") {
				if n, err := strconv.ParseFloat(p.Value, 64); err == nil && n > 1000 {
					t.Fatalf("%q accepted with %v=%s", body, p.Name, p.Value)
				}
			}
			return nil
		})
	})
}
