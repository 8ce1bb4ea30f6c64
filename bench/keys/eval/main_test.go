package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

const timeOut = "\tElapsed (wall clock) time (h:mm:ss or m:ss): %s\n\tMaximum resident set size (kbytes): %s\n"

func TestParseTime(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		elapsed, rss string
		wall         float64
		kb           int64
	}{
		{"0:02.59", "29844", 2.59, 29844},
		{"1:25.57", "4350620", 85.57, 4350620},
		{"1:02:03", "1", 3723, 1},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, "x.time")
		write(t, p, "\tCommand being timed: \"x\"\n"+sprintf(timeOut, tc.elapsed, tc.rss))
		w, kb, err := parseTime(p)
		if err != nil || w < tc.wall-1e-9 || w > tc.wall+1e-9 || kb != tc.kb {
			t.Errorf("%s: got %v %v %v, want %v %v", tc.elapsed, w, kb, err, tc.wall, tc.kb)
		}
	}
	write(t, filepath.Join(dir, "bad.time"), "Command exited with non-zero status 2\n")
	if _, _, err := parseTime(filepath.Join(dir, "bad.time")); err == nil {
		t.Error("no error for a file without time -v output")
	}
}

func TestScore(t *testing.T) {
	tr := &truth{
		Keys: []key{
			{File: "a.py", Line: 3, Key: "k1", Position: "p"},
			{File: "b.zip!c/.env", Line: 1, Key: "k2", Position: "p"},
			{File: "s.py", Line: 5, EndLine: 7, Key: "k3", Position: "split"},
		},
		Placeholders: []placeholder{{File: "ph.py", Line: 2}, {File: "ph2.py", Line: 9}},
	}
	dir := t.TempDir()
	root := "bench/work/keys/tree"
	// gitleaks: paths carry the --source prefix; one placeholder hit, one
	// generic finding, one Stripe match at an unplanted line.
	write(t, filepath.Join(dir, "gl.1.json"), `[
 {"RuleID":"stripe-access-token","File":"bench/work/keys/tree/a.py","StartLine":3,"Secret":"sk_live_x"},
 {"RuleID":"stripe-access-token","File":"bench/work/keys/tree/ph.py","StartLine":2,"Secret":"sk_test_xxx"},
 {"RuleID":"generic-api-key","File":"bench/work/keys/tree/z.py","StartLine":1,"Secret":"abc"},
 {"RuleID":"generic-api-key","File":"bench/work/keys/tree/y.py","StartLine":4,"Secret":"rk_live_zzz"}
]`)
	write(t, filepath.Join(dir, "gl.1.time"), sprintf(timeOut, "0:10.00", "2048"))
	// stripeguard: report object; an info placeholder is fine, a medium
	// one is not; other threats are ignored; a split key is matched on
	// its second line.
	write(t, filepath.Join(dir, "sg.1.json"), `{"findings":[
 {"rule_id":"secrets/live","threat":"key-exposure","severity":"critical","file":"a.py","line":3},
 {"rule_id":"secrets/live","threat":"key-exposure","severity":"critical","file":"b.zip!c/.env","line":1},
 {"rule_id":"secrets/live","threat":"key-exposure","severity":"high","file":"s.py","line":6},
 {"rule_id":"secrets/placeholder","threat":"key-exposure","severity":"info","file":"ph.py","line":2},
 {"rule_id":"secrets/test","threat":"key-exposure","severity":"medium","file":"ph2.py","line":9},
 {"rule_id":"webhook/no-verify","threat":"webhook-forgery","severity":"high","file":"w.py","line":1}
]}`)
	write(t, filepath.Join(dir, "sg.1.time"), sprintf(timeOut, "0:02.00", "1024"))
	write(t, filepath.Join(dir, "sg.2.json"), `[]`)
	write(t, filepath.Join(dir, "sg.2.time"), sprintf(timeOut, "0:04.00", "4096"))

	tests := []struct {
		run                   run
		runs, found, fp, ph   int
		other                 int
		precision, medianWall float64
		peakKB                int64
	}{
		{run{"gl", "gitleaks", filepath.Join(dir, "gl")}, 1, 1, 2, 1, 1, 1.0 / 3, 10, 2048},
		{run{"sg", "stripeguard", filepath.Join(dir, "sg")}, 2, 3, 1, 1, 0, 3.0 / 4, 3, 4096},
	}
	for _, tc := range tests {
		r := score(tc.run, tr, root)
		if r.err != "" {
			t.Fatalf("%s: %s", tc.run.label, r.err)
		}
		if r.runs != tc.runs || len(r.found) != tc.found || len(r.fp) != tc.fp || r.phAbove != tc.ph || r.other != tc.other {
			t.Errorf("%s: runs %d found %d fp %v ph %d other %d", tc.run.label, r.runs, len(r.found), r.fp, r.phAbove, r.other)
		}
		if p := r.precision(); p < tc.precision-1e-9 || p > tc.precision+1e-9 {
			t.Errorf("%s: precision %v, want %v", tc.run.label, p, tc.precision)
		}
		if m := median(r.walls); m != tc.medianWall || maxOf(r.rssKB) != tc.peakKB {
			t.Errorf("%s: median %v peak %v", tc.run.label, m, maxOf(r.rssKB))
		}
	}
	if r := score(run{"none", "gitleaks", filepath.Join(dir, "missing")}, tr, root); r.err == "" {
		t.Error("no error for a run without reports")
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
