package pyast

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The C parse-and-flatten bypasses go-tree-sitter; this pins its output to
// what the bindings themselves report, node for node (named nodes).
func TestFlattenMatchesBindings(t *testing.T) {
	for _, name := range []string{"testdata/sample.py", "testdata/proj/shop/views.py"} {
		src := readFile(t, name)
		root, err := Parse(src, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		root.Walk(func(n *Node) bool {
			got = append(got, n.Kind+"|"+n.FieldName()+"|"+itoa(int(n.Start))+"-"+itoa(int(n.End))+"|"+itoa(n.Line))
			return true
		})

		p := sitter.NewParser()
		if err := p.SetLanguage(lang); err != nil {
			t.Fatal(err)
		}
		tree := p.Parse(src, nil)
		c := tree.Walk()
		var want []string
		var rec func()
		rec = func() {
			n := c.Node()
			kind := n.Kind()
			if n.IsError() {
				kind = "ERROR"
			}
			// build keeps named nodes (but comments and string quotes)
			// and error/missing ones only.
			dropped := kind == "comment" || kind == "string_start" || kind == "string_end"
			if (n.IsNamed() && !dropped) || n.IsError() || n.IsMissing() || n.Parent() == nil {
				want = append(want, kind+"|"+c.FieldName()+"|"+itoa(int(n.StartByte()))+"-"+itoa(int(n.EndByte()))+"|"+itoa(int(n.StartPosition().Row)+1))
			}
			if c.GotoFirstChild() {
				rec()
				for c.GotoNextSibling() {
					rec()
				}
				c.GotoParent()
			}
		}
		rec()
		c.Close()
		tree.Close()
		p.Close()
		if !reflect.DeepEqual(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("%s: node %d: got %s want %s", name, i, got[i], want[i])
				}
			}
			t.Fatalf("%s: %d nodes, bindings have %d", name, len(got), len(want))
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestParseBadInput(t *testing.T) {
	big := bytes.Repeat([]byte("x = 1\n"), MaxFileSize/6+10)
	random := make([]byte, 64<<10)
	seed := uint32(1)
	for i := range random {
		seed = seed*1664525 + 1013904223
		random[i] = byte(seed>>24) | 1 // never NUL
	}
	tests := []struct {
		name     string
		src      []byte
		deadline time.Duration
		err      error
		hasError int // 0 no, 1 yes, 2 either: only "analysed without panic" matters
	}{
		{"nul bytes", []byte("import stripe\x00\x01"), 0, ErrBinary, 0},
		{"too large", big, 0, ErrTooLarge, 0},
		{"empty", nil, 0, nil, 0},
		{"unclosed paren", []byte("class Half(\n    def f(self):\n        stripe.Webhook.construct_event(a, b, c)\n"), 0, nil, 1},
		{"unterminated string", []byte("x = '''never closed\nimport stripe\n"), 0, nil, 1},
		{"deep nesting", append(bytes.Repeat([]byte("("), 20000), '1'), 0, nil, 1},
		{"deep indentation", deepIndent(500), 0, nil, 2},
		{"random bytes", random, 0, nil, 1},
		{"python 2", []byte("print 'hello'\nexec code\n"), 0, nil, 0},
		{"expired deadline", bytes.Repeat([]byte("def f(a, b):\n    return [x for x in a if x in b]\n"), 20000), time.Nanosecond, ErrTimeout, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseModule("x.py", tc.src, tc.deadline)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if tc.hasError != 2 && m.HasError != (tc.hasError == 1) {
				t.Errorf("HasError = %v, want %v", m.HasError, tc.hasError)
			}
		})
	}
	// The pooled parser is reusable after a cancelled parse.
	m, err := ParseModule("ok.py", []byte("import stripe\n"), 0)
	if err != nil || m.Imports["stripe"] != "stripe" {
		t.Fatalf("parse after timeout: %v %v", err, m)
	}
}

func deepIndent(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat(" ", i) + "if x:\n")
	}
	b.WriteString(strings.Repeat(" ", n) + "pass\n")
	return b.Bytes()
}

func TestModuleModel(t *testing.T) {
	m, err := ParseModule("pkg/sub/sample.py", readFile(t, "testdata/sample.py"), 0)
	if err != nil {
		t.Fatal(err)
	}
	wantImports := map[string]string{
		"os": "os", "j": "json", "s": "stripe", "W": "stripe.Webhook", "StripeClient": "stripe.StripeClient",
		"v": "pkg.sub.helpers.verify", "other": "pkg.sub.helpers.other", "thing": "pkg.pkg.mod.thing",
	}
	if !reflect.DeepEqual(m.Imports, wantImports) {
		t.Errorf("imports = %v\nwant %v", m.Imports, wantImports)
	}
	quals := []struct{ in, want string }{
		{"s.Webhook.construct_event", "stripe.Webhook.construct_event"},
		{"W.construct_event", "stripe.Webhook.construct_event"},
		{"local.thing", "local.thing"},
	}
	for _, q := range quals {
		if got := m.Qualify(q.in); got != q.want {
			t.Errorf("Qualify(%q) = %q, want %q", q.in, got, q.want)
		}
	}
	var names []string
	for _, f := range m.Funcs {
		names = append(names, f.Qual)
	}
	sort.Strings(names)
	if want := []string{"View.helper", "View.post", "handler", "inner"}; !reflect.DeepEqual(names, want) {
		t.Errorf("funcs = %v, want %v", names, want)
	}
	h := m.ByName["handler"]
	if h == nil || len(h.Decorators) != 2 || !h.Async {
		t.Fatalf("handler = %+v", h)
	}
	var params []string
	for _, p := range h.Params {
		params = append(params, p.Name)
	}
	if want := []string{"request", "x", "y"}; !reflect.DeepEqual(params, want) {
		t.Errorf("params = %v, want %v", params, want)
	}
	if m.Text(h.Params[0].Annotation) != "Request" {
		t.Errorf("annotation = %q", m.Text(h.Params[0].Annotation))
	}
	c := m.Classes["View"]
	if c == nil || !reflect.DeepEqual(c.Bases, []string{"Base"}) || c.Methods["post"] == nil || c.Attrs["attr"] == nil {
		t.Fatalf("class = %+v", c)
	}
	if len(m.Globals["SECRET"]) != 1 || len(m.Globals["A"]) != 1 || len(m.Globals["B"]) != 1 {
		t.Errorf("globals = %v", m.Globals)
	}
	el, ok := m.AsEnvLookup(m.Globals["SECRET"][0])
	if !ok || el.Name != "X" || !el.HasDefault {
		t.Errorf("env lookup = %+v %v", el, ok)
	}
	// Escapes are decoded and implicit concatenation joined.
	var lit string
	m.ByName["View.helper"].Body().Walk(func(n *Node) bool {
		if n.Kind == "concatenated_string" {
			lit, _ = m.StringValue(n)
			return false
		}
		return true
	})
	if lit != "Aéb" {
		t.Errorf("string value = %q", lit)
	}
	if m.HasError {
		t.Error("sample has no syntax error")
	}
}

func loadProject(t testing.TB, dir string) *Project {
	t.Helper()
	var mods []*Module
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m, err := ParseModule(filepath.ToSlash(rel), readFile(t, p), 0)
		if err != nil {
			return err
		}
		mods = append(mods, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return NewProject(mods)
}

func TestOriginsAcrossFiles(t *testing.T) {
	p := loadProject(t, "testdata/proj")
	var helpers, views *Module
	for _, m := range p.Modules {
		switch m.Path {
		case "shop/helpers.py":
			helpers = m
		case "shop/views.py":
			views = m
		}
	}
	verify := helpers.ByName["verify"]
	if verify == nil {
		t.Fatal("verify not indexed")
	}
	callers := p.CallersOf(verify)
	if len(callers) != 2 {
		t.Fatalf("callers of verify = %d, want 2", len(callers))
	}
	// The secret parameter resolves through both call sites to the
	// settings module and the helpers constant.
	call := findCall(helpers, verify, "construct_event")
	var got []string
	for _, o := range p.Origins(helpers, verify, helpers.Arg(call, 2, "secret"), 6) {
		got = append(got, o.M.Path+":"+strings.TrimSpace(o.M.Text(o.N)))
	}
	sort.Strings(got)
	want := []string{`shop/helpers.py:"literal"`, `shop/settings.py:os.environ["STRIPE_WEBHOOK_SECRET"]`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("secret origins = %v\nwant %v", got, want)
	}
	got = nil
	for _, o := range p.Origins(helpers, verify, helpers.Arg(call, 0, "payload"), 6) {
		got = append(got, strings.TrimSpace(o.M.Text(o.N)))
	}
	sort.Strings(got)
	if want := []string{"request.body", "request.body"}; !reflect.DeepEqual(got, want) {
		t.Errorf("payload origins = %v, want %v", got, want)
	}
	// svc = Service(); svc.run() resolves to the method; self.key follows
	// the assignment in __init__.
	view := views.ByName["view"]
	run := p.ResolveCall(views, view, findCall(views, view, "run"))
	if run == nil || run.Qual != "Service.run" {
		t.Fatalf("svc.run() resolved to %v", run)
	}
	ret := run.Body().NamedChildren()[0].NamedChildren()[0]
	o := p.Origins(helpers, run, ret, 4)
	if len(o) != 1 || helpers.Text(o[0].N) != `"literal"` {
		t.Errorf("self.key origins = %+v", o)
	}
}

func findCall(m *Module, f *Func, name string) *Node {
	var out *Node
	f.Body().Walk(func(n *Node) bool {
		if out == nil && n.Kind == "call" && LastSegment(m.DottedName(n.Child("function"))) == name {
			out = n
		}
		return out == nil
	})
	return out
}

func TestCacheSharesOneParse(t *testing.T) {
	c := &Cache{m: map[cacheKey]*cacheEntry{}}
	src := []byte("import stripe\n")
	a, err := c.Get("a.py", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	src[0] = 'X' // the caller may reuse its buffer
	b, _ := c.Get("a.py", []byte("import stripe\n"), 0)
	if a != b {
		t.Error("same content parsed twice")
	}
	if a.Imports["stripe"] != "stripe" {
		t.Error("cached module saw the caller's buffer change")
	}
	d, _ := c.Get("a.py", []byte("import os\n"), 0)
	if d == a {
		t.Error("changed content served from cache")
	}
	if _, err := c.Get("bin.py", []byte{0}, 0); !errors.Is(err, ErrBinary) {
		t.Errorf("err = %v", err)
	}
}

func TestDeadCode(t *testing.T) {
	src := []byte("def f():\n    a()\n    if False:\n        b()\n    return 1\n    c()\n")
	m, err := ParseModule("d.py", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := m.ByName["f"]
	want := map[string]bool{"a": false, "b": true, "c": true}
	for name, dead := range want {
		if got := m.Dead(findCall(m, f, name), f.Node); got != dead {
			t.Errorf("Dead(%s()) = %v, want %v", name, got, dead)
		}
	}
}

func TestGateBits(t *testing.T) {
	all := GateStripe | GateWebhook | GateLiveKey | GateWhsec
	tests := []struct {
		src  string
		want uint8
	}{
		{"import stripe", all},
		{"KEY = settings.STRIPE_SECRET_KEY", all},
		{"@app.post('/webhook')\nif event['type'] == 'invoice.paid': pass", GateWebhook},
		{"requests.post('https://webhook.internal/x')", 0}, // no Stripe event: not a Stripe handler
		{"k = 'sk_" + "live_abc'", GateLiveKey},
		{"s = 'whsec_" + "abc'\n@hook", GateWhsec},
		{"import os", 0},
	}
	for _, tc := range tests {
		if got := GateBits([]byte(tc.src)); got != tc.want {
			t.Errorf("GateBits(%q) = %b, want %b", tc.src, got, tc.want)
		}
	}
}

func TestGatesPerFile(t *testing.T) {
	f := &source.File{Rel: "a.py", Data: []byte("import stripe")}
	// Asked twice, as the two analyzers do: both get the bits.
	for i := 0; i < 2; i++ {
		if Gates(f)&GateStripe == 0 {
			t.Fatalf("call %d: stripe not seen", i+1)
		}
	}
	// Same struct, new content (a reused buffer): not served stale.
	f.Data = []byte("import os")
	if Gates(f) != 0 {
		t.Error("stale gate bits")
	}
}

// The anchored gate must agree with plain substring search.
func TestGateBitsMatchesContains(t *testing.T) {
	ref := func(d []byte) uint8 {
		if bytes.Contains(d, []byte("tripe")) || bytes.Contains(d, []byte("TRIPE")) {
			return GateStripe | GateWebhook | GateLiveKey | GateWhsec
		}
		var g uint8
		if bytes.Contains(d, []byte("ebhook")) && (bytes.Contains(d, []byte("'invoice.")) || bytes.Contains(d, []byte("'evt_"))) {
			g |= GateWebhook
		}
		if bytes.Contains(d, []byte("k_live_")) {
			g |= GateLiveKey
		}
		if bytes.Contains(d, []byte("whsec_")) {
			g |= GateWhsec
		}
		return g
	}
	pieces := []string{"p", "e", "stri", "Stri", "tripe", "k", "_live_", "ebhoo", "webhook", "whsec_", "x", "TRIP", "E", "'invoice.", "'evt_", "invoice."}
	seed := uint32(7)
	for n := 0; n < 5000; n++ {
		var b []byte
		for k := 0; k < 6; k++ {
			seed = seed*1664525 + 1013904223
			b = append(b, pieces[int(seed>>16)%len(pieces)]...)
		}
		if got, want := GateBits(b), ref(b); got != want {
			t.Fatalf("GateBits(%q) = %b, want %b", b, got, want)
		}
	}
}

func TestColumn(t *testing.T) {
	s := &Source{Src: []byte("import stripe\n\n    stripe.api_key = KEY\n\tx = 1")}
	cases := []struct {
		line   int
		needle string
		want   int
	}{{1, "", 1}, {1, "stripe", 8}, {3, "", 5}, {3, "KEY", 22}, {3, "absent", 5}, {4, "", 2}, {2, "", 1}, {9, "", 0}, {0, "", 0}}
	for _, c := range cases {
		if got := s.Column(c.line, c.needle); got != c.want {
			t.Errorf("Column(%d, %q) = %d, want %d", c.line, c.needle, got, c.want)
		}
	}
}

// Memory stays bounded: past the budget, the cross-file pass leaves
// modules out with a warning.
func TestStreamBudget(t *testing.T) {
	defer func(old *Cache) { Shared = old }(Shared)
	Shared = NewCache()
	analyze := func(p *Project, sink finding.Sink) {
		// Every module looks up "helpers": no local run can conclude.
		p.ModulesNamed("helpers")
		for _, m := range p.Modules {
			sink.Finding(&finding.Finding{RuleID: "t/seen", File: m.Path, Line: 1})
		}
	}
	run := func(budget int64) *finding.Collector {
		var c finding.Collector
		s := &Stream{Budget: budget, Want: GateStripe, Analyze: analyze}
		for _, name := range []string{"a.py", "b.py", "c.py", "helpers.py"} {
			s.File(context.Background(), &source.File{Rel: name, Data: []byte("import stripe  # 20 bytes\n")[:20]}, &c)
		}
		s.Finish(context.Background(), &c)
		return &c
	}
	// helpers.py concludes alone; the three others are analysed again,
	// two within a 40-byte budget; the look-up of helpers.py is refused.
	c := run(40)
	if n := len(c.Findings); n != 3 {
		t.Errorf("analysed %d modules, want 3", n)
	}
	if len(c.Warnings) != 2 || c.Warnings[0].Kind != WarnBudget || !strings.Contains(c.Warnings[0].Message, "--python-budget") {
		t.Errorf("warnings %+v", c.Warnings)
	}
	if c := run(-1); len(c.Findings) != 4 || len(c.Warnings) != 0 {
		t.Errorf("unlimited: %d findings, %+v", len(c.Findings), c.Warnings)
	}
}
