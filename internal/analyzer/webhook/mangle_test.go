package webhook

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
)

// mangle derives broken variants of a valid file: truncated mid-token,
// lines dropped (unbalanced blocks and brackets), indentation shuffled.
func mangle(src []byte, seed uint32) []byte {
	next := func() uint32 { seed = seed*1664525 + 1013904223; return seed >> 8 }
	lines := bytes.Split(src, []byte("\n"))
	switch next() % 3 {
	case 0:
		return src[:int(next())%(len(src)+1)]
	case 1:
		var out [][]byte
		for _, l := range lines {
			if next()%7 != 0 {
				out = append(out, l)
			}
		}
		return bytes.Join(out, []byte("\n"))
	default:
		for i := range lines {
			if next()%5 == 0 {
				lines[i] = append([]byte("   "), lines[i]...)
			}
		}
		return bytes.Join(lines, []byte("\n"))
	}
}

// TestBrokenInputNoPanic: error-recovered trees have missing fields and
// odd shapes; the analysis must cope with all of them.
func TestBrokenInputNoPanic(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.py")
	more, _ := filepath.Glob("testdata/*/*/*.py")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for seed := uint32(1); seed <= 40; seed++ {
		var mods []*pyast.Module
		for i, p := range files {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m, err := pyast.ParseModule(p, mangle(src, seed*1000+uint32(i)), 0)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			mods = append(mods, m)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("seed %d: panic: %v", seed, r)
				}
			}()
			Analyze(pyast.NewProject(mods), &finding.Collector{})
		}()
	}
}

// TestDenseCallGraph: helpers that all call each other must not make the
// interprocedural following blow up (each function is judged once per
// depth); a regression shows up as a test timeout.
func TestDenseCallGraph(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("import json\nimport stripe\nfrom flask import request\n\n")
	const n = 150
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "def h%d(x):\n", i)
		for j := 1; j <= 15; j++ {
			fmt.Fprintf(&b, "    h%d(x)\n", (i+j)%n)
		}
		b.WriteString("    return x\n\n")
	}
	b.WriteString("@app.route('/stripe/webhook', methods=['POST'])\ndef hook():\n    event = json.loads(request.data)\n    h0(event)\n    return ''\n")
	m, err := pyast.ParseModule("dense.py", b.Bytes(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var c finding.Collector
	Analyze(pyast.NewProject([]*pyast.Module{m}), &c)
	if len(c.Findings) != 1 || c.Findings[0].RuleID != UnverifiedPayload.ID {
		t.Errorf("findings = %+v", c.Findings)
	}
}
