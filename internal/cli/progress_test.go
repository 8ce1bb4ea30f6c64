package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/stripeguard/stripeguard/internal/source/githistory"
)

// Progress is drawn only on a terminal: CI logs and redirected output
// stay clean.
func TestProgressOnlyOnTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if newProgress(&buf) != nil || newProgress(f) != nil || newHistoryProgress(&buf) != nil || newHistoryProgress(f) != nil {
		t.Error("a progress bar on a file or buffer")
	}
}

// The history bar starts as a spinner with the count of listed commits and
// becomes a bar of commits done out of the total once it is known.
func TestHistoryProgressPhases(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &historyProgress{w: &buf, start: clock, now: func() time.Time { return clock },
		bar: progressbar.NewOptions(-1, progressbar.OptionSetWriter(&buf), progressbar.OptionSetDescription("git history: listing commits"))}
	p.update(githistory.Progress{Commits: 120})
	_ = p.bar.Add(0)
	clock = clock.Add(2 * time.Second)
	p.update(githistory.Progress{Commits: 500, Listed: true, CommitsDone: 100})
	clock = clock.Add(2 * time.Second)
	p.update(githistory.Progress{Commits: 500, Listed: true, CommitsDone: 400})
	// The unreachable pass adds commits after the listing.
	p.update(githistory.Progress{Commits: 510, Listed: true, CommitsDone: 510})
	out := buf.String()
	for _, want := range []string{"listing commits (120)", "(400/500)", "100 commits/s, 1s left", "(400/510)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	p.done()
}
