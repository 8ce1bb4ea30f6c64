package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// One scan, several files (--report FORMAT=FILE), and several baselines
// whose union hides findings (--baseline A --baseline B): what the GitHub
// Action relies on.
func TestExtraReportsAndBaselines(t *testing.T) {
	dir, _ := materialize(t, "../../testdata/shop")
	out := t.TempDir()
	p := func(n string) string { return filepath.Join(out, n) }
	_, stderr, code := run(t, dir, "scan", "--skip-analyzers", "deps", "--format", "json", "--output", p("r.json"),
		"--report", "sarif="+p("r.sarif"), "--report", "markdown="+p("r.md"), "--report", "counts="+p("counts.txt"),
		"--report", "codequality="+p("cq.json"), "--report", "html="+p("r.html"), ".")
	if code != 1 {
		t.Fatalf("exit %d (%s)", code, stderr)
	}
	var doc struct {
		Findings []struct {
			Fingerprint string `json:"fingerprint"`
			File        string `json:"file"`
		} `json:"findings"`
	}
	data, _ := os.ReadFile(p("r.json"))
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Findings) == 0 {
		t.Fatalf("json report: %v", err)
	}
	for _, n := range []string{"r.sarif", "r.md", "r.html", "cq.json"} {
		if st, err := os.Stat(p(n)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", n, err)
		}
	}
	counts, _ := os.ReadFile(p("counts.txt"))
	if !strings.Contains(string(counts), "findings="+itoa(len(doc.Findings))+"\n") {
		t.Errorf("counts disagree with the JSON report (%d findings):\n%s", len(doc.Findings), counts)
	}

	// Two baselines, each holding part of the findings: together they
	// hide all of them.
	var a, b []map[string]string
	for i, f := range doc.Findings {
		e := map[string]string{"fingerprint": f.Fingerprint, "rule_id": "x", "file": f.File}
		if i%2 == 0 {
			a = append(a, e)
		} else {
			b = append(b, e)
		}
	}
	for name, entries := range map[string][]map[string]string{"a.json": a, "b.json": b} {
		data, _ := json.Marshal(map[string]any{"version": 1, "findings": entries})
		if err := os.WriteFile(p(name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := run(t, dir, "scan", "--skip-analyzers", "deps", "--format", "counts", "--baseline", p("a.json"), ".")
	if code != 1 || !strings.Contains(stdout, "baselined="+itoa(len(a))+"\n") {
		t.Errorf("one baseline: exit %d, %s %s", code, stdout, stderr)
	}
	stdout, stderr, code = run(t, dir, "scan", "--skip-analyzers", "deps", "--format", "counts", "--baseline", p("a.json"), "--baseline", p("b.json"), ".")
	if code != 0 || !strings.HasPrefix(stdout, "findings=0\n") {
		t.Errorf("two baselines: exit %d, %s %s", code, stdout, stderr)
	}
	for _, bad := range []string{"sarif", "=x.sarif", "yaml=x.yaml"} {
		if _, stderr, code := run(t, dir, "scan", "--report", bad, "."); code != 2 || !strings.Contains(stderr, "--report") {
			t.Errorf("--report %s: exit %d %q", bad, code, stderr)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
