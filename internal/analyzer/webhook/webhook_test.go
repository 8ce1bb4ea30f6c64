package webhook

import (
	"testing"

	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

// TestFixtures scores every rule on the fixture apps (precision and recall
// must be 1.00 on this suite).
func TestFixtures(t *testing.T) {
	expect.RunSuite(t, "testdata/*_app", "webhook/", Rules, Analyze, nil)
}
