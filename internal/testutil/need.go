// Package testutil holds helpers shared by tests.
package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// InCI is true when the CI script runs the tests; there a missing program is
// a failure, not a skip, because .ci/run installs everything.
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips the test on a laptop and fails it in CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("required in CI: "+format, args...)
	}
	t.Skipf("skipped (not installed here): "+format, args...)
}

// NeedProgram returns the path of a program on PATH or skips/fails.
func NeedProgram(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "program %q not on PATH", name)
	}
	return p
}

// SystemPython is Debian's interpreter, which has python3-stripe, -flask,
// -fastapi; the pyenv python3 on PATH does not.
const SystemPython = "/usr/bin/python3"

// NeedPython checks that /usr/bin/python3 can import every module named and
// returns its path.
func NeedPython(t testing.TB, modules ...string) string {
	t.Helper()
	if _, err := os.Stat(SystemPython); err != nil {
		Unavailable(t, "%s missing", SystemPython)
	}
	if len(modules) > 0 {
		code := "import " + strings.Join(modules, ", ")
		if out, err := exec.Command(SystemPython, "-c", code).CombinedOutput(); err != nil {
			Unavailable(t, "%s cannot %q: %s", SystemPython, code, strings.TrimSpace(string(out)))
		}
	}
	return SystemPython
}
