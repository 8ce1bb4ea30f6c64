package filekind

import "testing"

func TestIsTestCode(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"tests/test_webhooks.py", true},
		{"tests/unit/subscriptions/helpers.py", true},
		{"src/billing/tests.py", true},
		{"conftest.py", true},
		{"app/conftest.py", true},
		{"test_payments.py", true},
		{"billing/signing_test.py", true},
		{"billing/api_tests.py", true},
		{"tests_integration/flows.py", true},
		{"pkg/fixtures/events.json", true},
		{"internal/testdata/app/settings.py", true},
		{"web/__tests__/checkout.test.js", true},
		{"web/src/checkout.spec.ts", true},
		{`tests\windows\paths.py`, true},
		{"Tests/Mixed.py", true},
		{"notebooks/test_keys.ipynb", true},
		// Safe twins: "test" inside other words, or beside the name.
		{"billing/latest.py", false},
		{"contest/app.py", false},
		{"attestation/verify.py", false},
		{"app/testimonials.py", false},
		{"shop/settings.py", false},
		{"testapp_settings.py", false},
		{"protest/tests_helper.txt", false},
		{"docs/testing-guide.md", false},
		{"manifest.py", false},
	} {
		if got := IsTestCode(tc.path); got != tc.want {
			t.Errorf("IsTestCode(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
