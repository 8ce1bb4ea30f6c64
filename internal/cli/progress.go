package cli

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/stripeguard/stripeguard/internal/source/githistory"
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

// historyProgress is the git-history bar: commits done of the total, rate
// and time left. While `git log` is still listing commits the total is
// unknown and it shows a spinner with the count.
type historyProgress struct {
	bar *progressbar.ProgressBar
	max int
}

func newHistoryProgress(w io.Writer) *historyProgress {
	if !isTerminal(w) {
		return nil
	}
	return &historyProgress{bar: progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("git history"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("commits"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
	)}
}

func (p *historyProgress) update(pr githistory.Progress) {
	// The total is known once the log is listed; commits no ref reaches,
	// walked afterwards, raise it.
	if pr.Listed && pr.Commits != p.max {
		p.max = max(pr.Commits, 1)
		p.bar.ChangeMax(p.max)
	}
	_ = p.bar.Set(pr.CommitsDone)
}

func (p *historyProgress) done() { _ = p.bar.Finish(); _ = p.bar.Clear() }
