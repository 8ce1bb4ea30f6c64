package pyast

import (
	"bytes"
	"testing"
	"time"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

func benchSource(b *testing.B) []byte {
	src := readFile(b, "testdata/sample.py")
	return bytes.Repeat(src, 40) // ~40 KB, a large view module
}

// BenchmarkParse is parse + flatten into Go nodes (MB/s via SetBytes).
func BenchmarkParse(b *testing.B) {
	src := benchSource(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse(src, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseTreeSitterOnly is the floor: the C parse without building
// Go nodes, to show what the flattening costs.
func BenchmarkParseTreeSitterOnly(b *testing.B) {
	src := benchSource(b)
	p := sitter.NewParser()
	defer p.Close()
	if err := p.SetLanguage(lang); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		p.Parse(src, nil).Close()
	}
}

// BenchmarkParseModule adds the module model (imports, defs, globals).
func BenchmarkParseModule(b *testing.B) {
	src := benchSource(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseModule("bench.py", src, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGateBits is the gate every Python file pays (a file that does
// not match is the worst case: every needle is searched).
func BenchmarkGateBits(b *testing.B) {
	// Realistic text that matches nothing: every anchor byte still occurs.
	src := benchSource(b)
	for _, r := range [][2]string{{"tripe", "tryp"}, {"ebhook", "ebhuk"}, {"whsec_", "wh_"}} {
		src = bytes.ReplaceAll(src, []byte(r[0]), []byte(r[1]))
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if GateBits(src) != 0 {
			b.Fatal("matched")
		}
	}
}

func BenchmarkOrigins(b *testing.B) {
	p := loadProject(b, "testdata/proj")
	var helpers *Module
	for _, m := range p.Modules {
		if m.Path == "shop/helpers.py" {
			helpers = m
		}
	}
	verify := helpers.ByName["verify"]
	arg := helpers.Arg(findCall(helpers, verify, "construct_event"), 2, "secret")
	for b.Loop() {
		if len(p.Origins(helpers, verify, arg, 6)) == 0 {
			b.Fatal("no origins")
		}
	}
}

// BenchmarkSharedGet is the second analyzer's cost for a file the first
// one parsed: hash + lookup.
func BenchmarkSharedGet(b *testing.B) {
	src := benchSource(b)
	c := NewCache()
	m, err := c.Get("bench.py", src, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if got, _ := c.Get("bench.py", src, time.Minute); got != m {
			b.Fatal("re-parsed")
		}
	}
}

// BenchmarkScanFacts is the token pass every gated Python file gets.
func BenchmarkScanFacts(b *testing.B) {
	src := benchSource(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		ScanFacts(src)
	}
}

// BenchmarkOutline is the block pass of codekeys' driver files.
func BenchmarkOutline(b *testing.B) {
	src := benchSource(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		OutlineOf(src)
	}
}

// BenchmarkParseModuleSkipping is codekeys' driver parse with every
// function body left out (SetBytes counts the whole file).
func BenchmarkParseModuleSkipping(b *testing.B) {
	src := benchSource(b)
	bodies := OutlineOf(src).Bodies
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseModuleSkipping("bench.py", src, bodies, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
