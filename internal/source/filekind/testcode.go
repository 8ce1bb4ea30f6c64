package filekind

import (
	"path"
	"strings"
)

// IsTestCode reports whether a '/'-separated path is test code or test
// data by the conventions of Python projects (pytest, unittest, Django)
// and of most others: a directory named tests, test, testing, spec,
// fixtures, testdata, __tests__ (or tests_unit, unit_tests, …) anywhere
// in the path, or a file named test_*.py, *_test.py, *_tests.py, tests.py,
// conftest.py, *.test.js / *.spec.ts and the like. Values there sign
// requests in unit tests and seed fake accounts: analyzers keep them
// visible at low severity with the context "test fixture" instead of
// treating them like production configuration. For archive members pass
// the path inside the archive.
func IsTestCode(p string) bool {
	p = strings.ToLower(strings.ReplaceAll(p, `\`, "/"))
	dir, base := path.Split(p)
	for _, d := range strings.Split(strings.Trim(dir, "/"), "/") {
		if isTestDir(d) {
			return true
		}
	}
	return isTestFile(base)
}

func isTestDir(d string) bool {
	switch d {
	case "test", "tests", "testing", "spec", "specs", "fixture", "fixtures", "testdata", "test_data", "test-data",
		"__tests__", "__fixtures__", "e2e", "integration_tests", "unit_tests", "functional_tests", "acceptance_tests":
		return true
	}
	return strings.HasPrefix(d, "tests_") || strings.HasPrefix(d, "test_") || strings.HasSuffix(d, "_tests")
}

func isTestFile(base string) bool {
	stem := base
	ext := path.Ext(base)
	if ext != "" {
		stem = strings.TrimSuffix(base, ext)
	}
	switch {
	case base == "conftest.py" || base == "tests.py" || base == "test.py" || base == "testing.py":
		return true
	case ext == ".py" || ext == ".pyi" || ext == ".ipynb":
		return strings.HasPrefix(stem, "test_") || strings.HasSuffix(stem, "_test") || strings.HasSuffix(stem, "_tests")
	}
	// foo.test.js, foo.spec.ts, foo_test.go, foo_spec.rb
	inner := path.Ext(stem)
	return inner == ".test" || inner == ".spec" || strings.HasSuffix(stem, "_test") || strings.HasSuffix(stem, "_spec")
}
