package codekeys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// TestRealCodeNoPanic runs the analysis, without the gate, over a slice of
// CPython's library: real code of every shape must not panic, and nothing
// there exposes a Stripe key.
func TestRealCodeNoPanic(t *testing.T) {
	lib := ""
	for _, d := range []string{"/usr/lib/python3.11", "/usr/lib/python3.12", "/usr/lib/python3.13", "/root/.pyenv/versions/3.11.7/lib/python3.11"} {
		if _, err := os.Stat(filepath.Join(d, "os.py")); err == nil {
			lib = d
			break
		}
	}
	if lib == "" {
		testutil.Unavailable(t, "no CPython standard library found")
	}
	var mods []*pyast.Module
	var size int
	_ = filepath.WalkDir(lib, func(p string, d os.DirEntry, err error) error {
		if err != nil || size > 3<<20 {
			return filepath.SkipDir
		}
		if d.IsDir() && (d.Name() == "test" || d.Name() == "site-packages" || d.Name() == "dist-packages") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".py") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		m, err := pyast.ParseModule(strings.TrimPrefix(p, lib+"/"), src, 5*time.Second)
		if err == nil {
			mods = append(mods, m)
			size += len(src)
		}
		return nil
	})
	if len(mods) < 50 {
		t.Fatalf("only %d modules parsed", len(mods))
	}
	var c finding.Collector
	start := time.Now()
	Analyze(pyast.NewProject(mods), &c)
	for _, f := range c.Findings {
		t.Errorf("unexpected finding in CPython: %s %s:%d %s", f.RuleID, f.File, f.Line, f.Message)
	}
	t.Logf("%d modules, %d bytes, analysis %v", len(mods), size, time.Since(start))
}
