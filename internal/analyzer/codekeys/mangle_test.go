package codekeys

import (
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
	for _, g := range []string{"../webhook/testdata/*/*.py", "testdata/*/*/*.py", "testdata/*/*.py"} {
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
