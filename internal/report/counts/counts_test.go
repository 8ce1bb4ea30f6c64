package counts

import (
	"errors"
	"testing"

	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/report/reporttest"
)

func TestCounts(t *testing.T) {
	got := string(reporttest.Render(t, "counts", report.Options{}, reporttest.Sample()))
	want := `findings=10
critical=3
high=2
medium=3
low=1
info=1
key-exposure=4
webhook-forgery=4
stripe-vulnerability=1
dependency-vulnerability=1
malicious-package=0
suppressed=2
baselined=1
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := string(reporttest.Render(t, "counts", report.Options{}, reporttest.Empty())); got[:11] != "findings=0\n" {
		t.Errorf("empty: %q", got)
	}
	if err := (Format{}).Write(reporttest.FailingWriter{}, reporttest.Sample()); !errors.Is(err, reporttest.ErrWrite) {
		t.Errorf("err = %v", err)
	}
}
