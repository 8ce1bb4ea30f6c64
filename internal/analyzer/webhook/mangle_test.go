package webhook

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

// TestBrokenInputNoPanic: error-recovered trees have missing fields and
// odd shapes; the analysis must cope with all of them.
func TestBrokenInputNoPanic(t *testing.T) {
	var files []string
	for _, g := range []string{"testdata/*/*.py", "testdata/*/*/*.py"} {
		more, _ := filepath.Glob(g)
		files = append(files, more...)
	}
	expect.MangledProjects(t, files, 40, func(seed uint32, mods []*pyast.Module) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("seed %d: panic: %v", seed, r)
			}
		}()
		Analyze(pyast.NewProject(mods), &finding.Collector{})
	})
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
