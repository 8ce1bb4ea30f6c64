package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/stripeguard/stripeguard/internal/source/githistory"
)

// progress shows a spinner with a file count on stderr, only on a terminal,
// so CI logs and redirected output stay clean.
type progress struct {
	bar *progressbar.ProgressBar
}

// interactive: a terminal, and not a CI job (some CI runners give jobs a
// pseudo-terminal; their logs would fill with redraws).
func interactive(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("CI") == ""
}

func newProgress(w io.Writer) *progress {
	if !interactive(w) {
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
// unknown: a spinner shows how many were listed, then the bar replaces it.
// Rate and time left are computed here from the start of the walk (the
// bar's own would count from the moment it appeared, when many commits
// were already done).
type historyProgress struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	max      int
	start    time.Time
	now      func() time.Time
	throttle time.Duration
}

func newHistoryProgress(w io.Writer) *historyProgress {
	if !interactive(w) {
		return nil
	}
	return &historyProgress{w: w, start: time.Now(), now: time.Now, throttle: 100 * time.Millisecond, bar: progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("git history: listing commits"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
	)}
}

func (p *historyProgress) update(pr githistory.Progress) {
	if !pr.Listed {
		p.bar.Describe(fmt.Sprintf("git history: listing commits (%d)", pr.Commits))
		return
	}
	if p.max == 0 {
		// Finish stops the spinner's own redraw goroutine and clears it.
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.max = max(pr.Commits, 1)
		p.bar = progressbar.NewOptions(p.max,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("git history"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(p.throttle),
			progressbar.OptionClearOnFinish(),
		)
	}
	// Commits no ref reaches, walked after the log, raise the total.
	if pr.Commits > p.max {
		p.max = pr.Commits
		p.bar.ChangeMax(p.max)
	}
	done := min(pr.CommitsDone, p.max)
	desc := "git history"
	if el := p.now().Sub(p.start).Seconds(); el > 0.5 && done > 0 {
		rate := float64(done) / el
		desc = fmt.Sprintf("git history %.0f commits/s, %s left", rate, (time.Duration(float64(p.max-done)/rate) * time.Second).Round(time.Second))
	}
	p.bar.Describe(desc)
	_ = p.bar.Set(done)
}

func (p *historyProgress) done() { _ = p.bar.Finish(); _ = p.bar.Clear() }
