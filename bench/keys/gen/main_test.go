package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateDeterministicAndTruthful(t *testing.T) {
	dir := t.TempDir()
	var truths [2][]byte
	var tr *Truth
	for i := range truths {
		tr = generate(filepath.Join(dir, "tree"), filepath.Join(dir, "truth.json"), 3<<20, 7)
		if i == 0 {
			// A tiny tree has fewer files of a type than plants and
			// placeholders of it: the generator must add files.
			tiny := generate(filepath.Join(dir, "tiny"), filepath.Join(dir, "tiny.json"), 10<<10, 1)
			if len(tiny.Keys) != len(tr.Keys) || len(tiny.Placeholders) != len(tr.Placeholders) {
				t.Errorf("tiny tree: %d keys %d placeholders", len(tiny.Keys), len(tiny.Placeholders))
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
		if err != nil {
			t.Fatal(err)
		}
		truths[i] = b
	}
	if !bytes.Equal(truths[0], truths[1]) {
		t.Fatal("same seed, different ground truth")
	}
	if tr.Bytes < 3<<20 || len(tr.Keys) < 50 || len(tr.Placeholders) < 20 {
		t.Fatalf("tree too small: %d bytes, %d keys, %d placeholders", tr.Bytes, len(tr.Keys), len(tr.Placeholders))
	}
	kinds := map[string]int{}
	lineOf := func(rel string, n int) string {
		b, err := os.ReadFile(filepath.Join(dir, "tree", filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		if n < 1 || n > len(lines) {
			return ""
		}
		return lines[n-1]
	}
	checked := 0
	for _, k := range tr.Keys {
		kinds[k.Kind]++
		// Archive members, bytecode and encodings are checked by
		// bench/keys/eval -verify, which needs internal/source/expand.
		if strings.Contains(k.File, "!") || strings.Contains(k.Position, "base64") || k.EndLine > 0 || strings.Contains(k.Position, "adjacent") {
			continue
		}
		if l := lineOf(k.File, k.Line); !strings.Contains(l, k.Key) {
			t.Errorf("%s:%d does not hold the %s key: %q", k.File, k.Line, k.Kind, l)
		}
		checked++
	}
	for _, p := range tr.Placeholders {
		if l := lineOf(p.File, p.Line); l != p.Text {
			t.Errorf("%s:%d = %q, want placeholder %q", p.File, p.Line, l, p.Text)
		}
	}
	for _, want := range []string{"sk_live_old", "sk_live_new", "rk_live", "sk_test", "rk_test", "whsec"} {
		if kinds[want] == 0 {
			t.Errorf("no %s key planted", want)
		}
	}
	if checked < 30 {
		t.Errorf("only %d keys checked", checked)
	}
}
