package cli

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows a spinner with a file count on stderr, only on a terminal,
// so CI logs and redirected output stay clean.
type progress struct {
	bar *progressbar.ProgressBar
}

func newProgress(w io.Writer) *progress {
	if !isTerminal(w) {
		return nil
	}
	p := &progress{bar: progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("scanning"),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
	)}
	return p
}

func (p *progress) file(string) { _ = p.bar.Add(1) }

func (p *progress) done() { _ = p.bar.Finish(); _ = p.bar.Clear() }
