package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedData returns the path of /work/shared-style reference data (the
// repository is cloned with a shared/ directory beside it, or above it for
// worktrees) by walking up from the test's directory; it skips the test on
// a laptop without it and fails in CI.
func SharedData(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "data", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	Unavailable(t, "shared data %s not found above the test directory", rel)
	return ""
}
