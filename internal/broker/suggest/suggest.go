// Package suggest is `stripeguard broker policy suggest`: it reads an
// application's Python (with internal/pyast; nothing is imported or run),
// finds the Stripe API calls it makes and writes the minimal broker policy
// that allows exactly them.
//
// Calls are recognised in stripe-python's two styles, through imports,
// aliases and simple assignments:
//
//	stripe.Customer.create(...), stripe.checkout.Session.create(...)   resource classes
//	pi = stripe.PaymentIntent.retrieve(id); pi.confirm()               methods of a fetched object
//	client = StripeClient(...); client.checkout.sessions.create(...)   services (also client.v1…, client.v2…)
//	stripe.raw_request("post", "/v1/…") / client.raw_request(…)       raw requests with a literal path
//
// The mapping from method names to HTTP method and path is
// stripe_api.txt, generated from stripe-python's source (gen/gen_api.py).
package suggest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/stripeguard/stripeguard/internal/broker"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

//go:embed stripe_api.txt
var apiTable string

type endpoint struct{ method, path string }

var services, resources map[string]endpoint

// resourceClasses are the class paths of the table ("Customer",
// "checkout.Session"), to tell an unknown method of a known class.
var resourceClasses map[string]bool

func init() {
	services, resources, resourceClasses = map[string]endpoint{}, map[string]endpoint{}, map[string]bool{}
	for _, line := range strings.Split(apiTable, "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || strings.HasPrefix(line, "#") {
			continue
		}
		e := endpoint{f[2], f[3]}
		switch f[0] {
		case "S":
			services[f[1]] = e
		case "R":
			resources[f[1]] = e
			resourceClasses[f[1][:strings.LastIndexByte(f[1], '.')]] = true
		}
	}
}

// Site is one call in the source.
type Site struct {
	File string
	Line int
	Text string // the callee as written, e.g. "stripe.Customer.create"
	// Unproven: the receiver could not be traced to a StripeClient; the
	// call was taken because the module uses stripe.
	Unproven bool
}

// Route is one endpoint the application calls, with what its call sites
// pass.
type Route struct {
	Route string // "POST /v1/checkout/sessions", "GET /v1/customers/*"
	Sites []Site
	// Amounts: HasAmount when a money parameter is passed; MaxAmount is
	// the largest literal; AmountDynamic when any is computed.
	HasAmount     bool
	MaxAmount     int64
	AmountDynamic bool
	// Currencies passed as literals; CurrencyDynamic when any is computed.
	Currencies      map[string]bool
	CurrencyDynamic bool
}

// Result is what Scan found.
type Result struct {
	Routes []*Route
	// Unmapped are calls on Stripe objects whose method is not in the table.
	Unmapped []Site
	// APIVersions set with stripe.api_version = "…" / stripe_version="…".
	APIVersions []string
	// Accounts passed as stripe_account / stripe_context literals;
	// AccountDynamic when computed (Connect).
	Accounts       []string
	AccountDynamic bool
	AccountSites   []Site
	Files          int // Python files read
	Parsed         int // of which mention Stripe and were parsed
	TestFiles      int // test files left out
	Warnings       []string
}

// Options tune Scan.
type Options struct {
	// IncludeTests also reads test code (filekind.IsTestCode: tests/,
	// test_*.py, conftest.py, fixtures…), which calls Stripe through mocks
	// or stripe-mock, not through the broker.
	IncludeTests bool
}

// Scan reads the Python files under root (honouring .gitignore, skipping
// virtualenvs and, unless asked, tests) and finds the Stripe API calls.
func Scan(ctx context.Context, root string, opt Options) (*Result, error) {
	res := &Result{}
	w, err := source.NewWalker(root, source.WalkOptions{}, func(wn *finding.Warning) {
		res.Warnings = append(res.Warnings, wn.File+": "+wn.Message)
	})
	if err != nil {
		return nil, err
	}
	var mods []*pyast.Module
	w.Walk(ctx, func(e source.Entry) {
		if !strings.HasSuffix(e.Rel, ".py") || e.Ignored || e.Info.Size() > 4<<20 {
			return
		}
		if !opt.IncludeTests && filekind.IsTestCode(e.Rel) {
			res.TestFiles++
			return
		}
		data, err := os.ReadFile(e.Abs)
		if err != nil {
			res.Warnings = append(res.Warnings, e.Rel+": "+err.Error())
			return
		}
		res.Files++
		if pyast.GateBits(data)&pyast.GateStripe == 0 && !bytes.Contains(data, []byte("stripe")) {
			return
		}
		m, err := pyast.ParseModule(e.Rel, data, 5*time.Second)
		if err != nil {
			res.Warnings = append(res.Warnings, e.Rel+": "+err.Error())
			return
		}
		if m.HasError {
			res.Warnings = append(res.Warnings, e.Rel+": partly unparsable Python; calls in the broken part may be missed")
		}
		res.Parsed++
		mods = append(mods, m)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := &analysis{p: pyast.NewProject(mods), res: res, routes: map[string]*Route{}, versions: map[string]bool{}, accounts: map[string]bool{}}
	for _, m := range a.p.Modules {
		a.module(m)
	}
	for _, r := range a.routes {
		res.Routes = append(res.Routes, r)
	}
	sort.Slice(res.Routes, func(i, j int) bool { return routeLess(res.Routes[i].Route, res.Routes[j].Route) })
	for v := range a.versions {
		res.APIVersions = append(res.APIVersions, v)
	}
	sort.Strings(res.APIVersions)
	for v := range a.accounts {
		res.Accounts = append(res.Accounts, v)
	}
	sort.Strings(res.Accounts)
	sort.Slice(res.Unmapped, func(i, j int) bool {
		return res.Unmapped[i].File < res.Unmapped[j].File || res.Unmapped[i].File == res.Unmapped[j].File && res.Unmapped[i].Line < res.Unmapped[j].Line
	})
	return res, nil
}

// routeLess sorts by path, then method.
func routeLess(a, b string) bool {
	ma, pa, _ := strings.Cut(a, " ")
	mb, pb, _ := strings.Cut(b, " ")
	if pa != pb {
		return pa < pb
	}
	return ma < mb
}

type analysis struct {
	p        *pyast.Project
	res      *Result
	routes   map[string]*Route
	versions map[string]bool
	accounts map[string]bool
}

func (a *analysis) module(m *pyast.Module) {
	m.Root.Walk(func(n *pyast.Node) bool {
		switch n.Kind {
		case "call":
			a.call(m, n)
		case "assignment":
			// stripe.api_version = "2024-06-20"
			if l, r := n.Child("left"), n.Child("right"); l != nil && r != nil && m.Qualify(m.DottedName(l)) == "stripe.api_version" {
				if v, ok := m.StringValue(r); ok && v != "" {
					a.versions[v] = true
				}
			}
		}
		return true
	})
}

// attrChain splits a callee into its attribute names and the nodes they
// hang on: client.v1.customers.create → [v1 customers create], and the
// attribute nodes, innermost last; base is what the chain starts from.
func attrChain(m *pyast.Module, fn *pyast.Node) (names []string, nodes []*pyast.Node, base *pyast.Node) {
	n := pyast.Unparen(fn)
	for n != nil && n.Kind == "attribute" {
		names = append([]string{m.Text(n.Child("attribute"))}, names...)
		nodes = append([]*pyast.Node{n}, nodes...)
		n = pyast.Unparen(n.Child("object"))
	}
	return names, nodes, n
}

func (a *analysis) call(m *pyast.Module, call *pyast.Node) {
	fn := call.Child("function")
	if fn == nil {
		return
	}
	f := m.FuncAt(call)
	q := m.CallName(call)
	site := Site{File: m.Path, Line: call.Line, Text: short(m.Text(fn))}

	if strings.HasSuffix(q, "StripeClient") {
		a.params(m, call, nil) // stripe_version=, stripe_account= in the client options
		return
	}
	// Raw requests with a literal method and path.
	if pyast.LastSegment(q) == "raw_request" || strings.HasSuffix(m.DottedName(fn), ".raw_request") {
		verb, ok1 := m.StringValue(m.Arg(call, 0, "method_"))
		path, ok2 := m.StringValue(m.Arg(call, 1, "url_"))
		if ok1 && ok2 && strings.HasPrefix(path, "/v") {
			a.add(strings.ToUpper(verb), path, site, m, call)
		} else if strings.HasPrefix(q, "stripe.") || m.ImportsStripe() {
			site.Text += " (method or path not a literal)"
			a.res.Unmapped = append(a.res.Unmapped, site)
		}
		return
	}
	// Resource classes: stripe.Customer.create, stripe.checkout.Session.list.
	if rest, ok := strings.CutPrefix(q, "stripe."); ok {
		key := strings.TrimSuffix(rest, "_async")
		if key == "Account.retrieve" || key == "Account.modify" {
			if len(call.Child("arguments").NamedChildren()) == 0 || m.Arg(call, 0, "id") == nil {
				verb := "GET"
				if key == "Account.modify" {
					verb = "POST"
				}
				a.add(verb, "/v1/account", site, m, call)
				return
			}
		}
		if e, ok := resources[key]; ok {
			a.add(e.method, e.path, site, m, call)
			return
		}
		if i := strings.LastIndexByte(key, '.'); i > 0 && resourceClasses[key[:i]] {
			a.res.Unmapped = append(a.res.Unmapped, site)
			return
		}
		// stripe.checkout.sessions… is not a thing; other stripe.* calls
		// (Webhook.construct_event, util helpers) make no API request.
	}
	names, nodes, base := attrChain(m, fn)
	if len(names) == 0 || base == nil {
		return
	}
	// Services: find the longest suffix of the chain that is a service method.
	for k := 0; k+2 <= len(names); k++ {
		chain := names[k:]
		last := len(chain) - 1
		key := strings.Join(chain[:last], ".") + "." + strings.TrimSuffix(chain[last], "_async")
		e, ok := services[key]
		if !ok && chain[0] != "v1" && chain[0] != "v2" {
			e, ok = services["v1."+key]
		}
		if !ok {
			continue
		}
		recv := pyast.Unparen(nodes[k].Child("object"))
		switch a.isStripeClient(m, f, recv) {
		case yes:
			a.add(e.method, e.path, site, m, call)
		case maybe:
			site.Unproven = true
			a.add(e.method, e.path, site, m, call)
		}
		return
	}
	// Methods of a fetched object: pi = stripe.PaymentIntent.retrieve(id); pi.confirm().
	{
		recv := pyast.Unparen(nodes[len(nodes)-1].Child("object"))
		meth := strings.TrimSuffix(names[len(names)-1], "_async")
		if meth == "refresh" {
			meth = "retrieve"
		}
		for _, o := range a.p.Origins(m, f, recv, 4) {
			on := pyast.Unparen(o.N)
			if on.Kind == "await" && len(on.NamedChildren()) > 0 {
				on = on.NamedChildren()[0]
			}
			if on.Kind != "call" {
				continue
			}
			oq, ok := strings.CutPrefix(o.M.CallName(on), "stripe.")
			if !ok {
				continue
			}
			oq = strings.TrimSuffix(oq, "_async")
			if _, known := resources[oq]; !known {
				continue
			}
			cls := oq[:strings.LastIndexByte(oq, '.')]
			if e, ok := resources[cls+"."+meth]; ok {
				a.add(e.method, e.path, site, m, call)
				return
			}
		}
	}
}

type verdict int

const (
	no verdict = iota
	maybe
	yes
)

// isStripeClient: the receiver comes from StripeClient(...) (yes); or the
// module uses stripe and nothing says otherwise, or its name says stripe
// (maybe).
func (a *analysis) isStripeClient(m *pyast.Module, f *pyast.Func, recv *pyast.Node) verdict {
	if recv == nil {
		return no
	}
	for _, o := range a.p.Origins(m, f, recv, 5) {
		on := pyast.Unparen(o.N)
		if on.Kind == "call" && strings.HasSuffix(o.M.CallName(on), "StripeClient") {
			return yes
		}
		// StripeClient(...).v1 chained.
		if on.Kind == "attribute" || on.Kind == "call" {
			if b := pyast.Root(on); b != nil && b.Kind == "call" && strings.HasSuffix(o.M.CallName(b), "StripeClient") {
				return yes
			}
		}
	}
	if strings.Contains(strings.ToLower(m.Text(recv)), "stripe") || m.ImportsStripe() {
		return maybe
	}
	return no
}

// add records a call of METHOD path-template.
func (a *analysis) add(method, tmpl string, site Site, m *pyast.Module, call *pyast.Node) {
	route := method + " " + routePattern(tmpl)
	if _, err := broker.ParseRoute(route); err != nil {
		site.Text += " (" + err.Error() + ")"
		a.res.Unmapped = append(a.res.Unmapped, site)
		return
	}
	r := a.routes[route]
	if r == nil {
		r = &Route{Route: route, Currencies: map[string]bool{}}
		a.routes[route] = r
	}
	r.Sites = append(r.Sites, site)
	a.params(m, call, r)
}

// routePattern turns "/v1/customers/{customer}/sources/{id}" into
// "/v1/customers/*/sources/*".
func routePattern(tmpl string) string {
	segs := strings.Split(tmpl, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "*"
		}
	}
	return strings.Join(segs, "/")
}

// params notes the amounts, currencies, accounts and API versions a call
// passes, as keyword arguments or dictionary keys anywhere in its
// arguments (params={...}, line_items=[{"price_data": {...}}]).
func (a *analysis) params(m *pyast.Module, call *pyast.Node, r *Route) {
	args := call.Child("arguments")
	if args == nil {
		return
	}
	f := m.FuncAt(call)
	visit := func(name string, v *pyast.Node) {
		switch {
		case name == "stripe_account" || name == "stripe_context":
			ss, ok := a.literalStrings(m, f, v)
			for _, s := range ss {
				if s != "" {
					a.accounts[s] = true
				}
			}
			if !ok {
				a.res.AccountDynamic = true
			}
			a.res.AccountSites = append(a.res.AccountSites, Site{File: m.Path, Line: v.Line, Text: name})
		case name == "stripe_version":
			ss, _ := a.literalStrings(m, f, v)
			for _, s := range ss {
				if s != "" {
					a.versions[s] = true
				}
			}
		case r == nil:
		case broker.IsCurrencyParam(name):
			ss, ok := a.literalStrings(m, f, v)
			for _, s := range ss {
				r.Currencies[strings.ToLower(s)] = true
			}
			if !ok {
				r.CurrencyDynamic = true
			}
		case broker.IsMoneyParam(name):
			r.HasAmount = true
			ns, ok := a.literalInts(m, f, v)
			for _, n := range ns {
				if n > r.MaxAmount {
					r.MaxAmount = n
				}
			}
			if !ok {
				r.AmountDynamic = true
			}
		}
	}
	args.Walk(func(n *pyast.Node) bool {
		switch n.Kind {
		case "keyword_argument":
			if nm, v := n.Child("name"), n.Child("value"); nm != nil && v != nil {
				if m.Text(nm) == "metadata" {
					return false // free-form text, never money
				}
				visit(m.Text(nm), pyast.Unparen(v))
			}
		case "pair":
			if k, ok := m.StringValue(n.Child("key")); ok && n.Child("value") != nil {
				if k == "metadata" {
					return false
				}
				visit(k, pyast.Unparen(n.Child("value")))
			}
		case "dictionary_splat", "list_splat":
			// **params: unknown keys, so unknown amounts and currencies.
			if r != nil {
				r.AmountDynamic, r.CurrencyDynamic = true, true
			}
		case "lambda", "function_definition":
			return false
		}
		return true
	})
}

// literalStrings follows a value to its origins (assignments, constants,
// call sites of a parameter); ok is false when any origin is not a string
// literal (None is ignored: an unset optional parameter).
func (a *analysis) literalStrings(m *pyast.Module, f *pyast.Func, v *pyast.Node) (out []string, ok bool) {
	ok = true
	for _, o := range a.p.Origins(m, f, v, 4) {
		on := pyast.Unparen(o.N)
		if on.Kind == "none" {
			continue
		}
		if s, isStr := o.M.StringValue(on); isStr {
			out = append(out, s)
		} else {
			ok = false
		}
	}
	return out, ok
}

// literalInts is literalStrings for integer literals.
func (a *analysis) literalInts(m *pyast.Module, f *pyast.Func, v *pyast.Node) (out []int64, ok bool) {
	ok = true
	for _, o := range a.p.Origins(m, f, v, 4) {
		on := pyast.Unparen(o.N)
		if on.Kind == "none" {
			continue
		}
		if n, isInt := o.M.IntValue(on); isInt {
			out = append(out, n)
		} else {
			ok = false
		}
	}
	return out, ok
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), "")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// Policy renders the minimal policy for app (a TOML document that
// `stripeguard broker` loads once the token and key paths are real).
func (r *Result) Policy(app, root string) string {
	var b strings.Builder
	n := 0
	for _, rt := range r.Routes {
		n += len(rt.Sites)
	}
	fmt.Fprintf(&b, "# Broker policy for %s, suggested by `stripeguard broker policy suggest %s`.\n", app, filepath.ToSlash(root))
	fmt.Fprintf(&b, "# %d Stripe API call(s) in %d Python file(s) need %d route(s); everything else is denied.\n", n, r.Files, len(r.Routes))
	if r.TestFiles > 0 {
		fmt.Fprintf(&b, "# %d test file(s) left out (--include-tests to read them).\n", r.TestFiles)
	}
	b.WriteString("# Review it: set token_file and key_file, cap the amounts marked below, then\n")
	b.WriteString("# `stripeguard broker policy check` this file.\n")
	if len(r.Unmapped) > 0 {
		b.WriteString("#\n# Calls on Stripe objects that could not be mapped to an endpoint (add them by hand if needed):\n")
		for _, s := range r.Unmapped {
			fmt.Fprintf(&b, "#   %s:%d %s\n", s.File, s.Line, s.Text)
		}
	}
	b.WriteString("\nversion = 1\n\n")
	fmt.Fprintf(&b, "[app.%s]\n", tomlKey(app))
	fmt.Fprintf(&b, "token_file = %q   # the app's sk_broker_ token(s), one per line (`stripeguard broker token`)\n", "/run/secrets/"+app+"-broker-token")
	fmt.Fprintf(&b, "key_file = %q       # the real key: best a restricted key (rk_) limited to the resources below\n", "/run/secrets/"+app+"-stripe-key")
	b.WriteString("require_idempotency_key = true   # stripe-python sends one on every POST\n")
	if len(r.APIVersions) > 0 {
		fmt.Fprintf(&b, "api_versions = %s\n", tomlList(r.APIVersions))
	}
	switch {
	case r.AccountDynamic:
		b.WriteString("# The app acts on connected accounts (stripe_account=/stripe_context= computed at run time,")
		fmt.Fprintf(&b, " e.g. %s:%d).\n# List the accounts it may act for, or \"*\" for any:\n", r.AccountSites[0].File, r.AccountSites[0].Line)
		if len(r.Accounts) > 0 {
			fmt.Fprintf(&b, "stripe_accounts = %s\n", tomlList(r.Accounts))
		} else {
			b.WriteString("# stripe_accounts = [\"acct_…\"]\n")
		}
	case len(r.Accounts) > 0:
		fmt.Fprintf(&b, "stripe_accounts = %s\n", tomlList(r.Accounts))
	}
	for _, rt := range r.Routes {
		b.WriteString("\n")
		for i, s := range rt.Sites {
			if i == 5 {
				fmt.Fprintf(&b, "# … and %d more\n", len(rt.Sites)-5)
				break
			}
			note := ""
			if s.Unproven {
				note = "   (receiver not traced to a StripeClient)"
			}
			fmt.Fprintf(&b, "# %s:%d %s%s\n", s.File, s.Line, s.Text, note)
		}
		fmt.Fprintf(&b, "[[app.%s.allow]]\nroute = %q\n", tomlKey(app), rt.Route)
		if len(rt.Currencies) > 0 && !rt.CurrencyDynamic {
			var cs []string
			for c := range rt.Currencies {
				cs = append(cs, c)
			}
			sort.Strings(cs)
			fmt.Fprintf(&b, "currencies = %s\n", tomlList(cs))
		}
		switch {
		case rt.HasAmount && !rt.AmountDynamic && rt.MaxAmount > 0:
			fmt.Fprintf(&b, "max_amount = %d   # the largest literal amount in the code\n", rt.MaxAmount)
		case rt.HasAmount:
			b.WriteString("# max_amount = …   # amounts are computed: set the largest this app should ever send (smallest currency unit)\n")
		}
	}
	return b.String()
}

func tomlList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func tomlKey(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
