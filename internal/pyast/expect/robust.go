package expect

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// Robustness inputs shared by the Python analyzers' tests.

// StdlibModules parses up to maxBytes of CPython's standard library (tests
// excluded): real code of every shape, with no Stripe in it.
func StdlibModules(t testing.TB, maxBytes int) []*pyast.Module {
	t.Helper()
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
		if err != nil || size > maxBytes {
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
		if m, err := pyast.ParseModule(strings.TrimPrefix(p, lib+"/"), src, 5*time.Second); err == nil {
			mods = append(mods, m)
			size += len(src)
		}
		return nil
	})
	if len(mods) < 50 {
		t.Fatalf("only %d modules parsed", len(mods))
	}
	return mods
}

// Mangle derives a broken variant of a valid file: truncated mid-token,
// lines dropped (unbalanced blocks and brackets), or indentation shuffled.
func Mangle(src []byte, seed uint32) []byte {
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

// MangledProjects yields, for each of seeds, the files parsed after
// Mangle: error-recovered trees with missing fields and odd shapes.
func MangledProjects(t testing.TB, files []string, seeds int, each func(seed uint32, mods []*pyast.Module)) {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for seed := uint32(1); seed <= uint32(seeds); seed++ {
		var mods []*pyast.Module
		for i, p := range files {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m, err := pyast.ParseModule(p, Mangle(src, seed*1000+uint32(i)), 0)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			mods = append(mods, m)
		}
		each(seed, mods)
	}
}
