package engine

import (
	"context"
	"errors"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/history"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/githistory"
	"github.com/stripeguard/stripeguard/internal/verify"
)

// historyRun is a history scan running next to the working-tree walk.
type historyRun struct {
	bare bool
	done chan struct{}
	res  *history.Result
	err  error
}

// startHistory starts the git-history scan (opt.History) in the
// background, with fresh instances of the analyzers that read history.
func startHistory(ctx context.Context, opt Options, w *source.Walker, sink finding.Sink) (*historyRun, error) {
	if opt.History == nil {
		return nil, nil
	}
	if opt.Staged {
		return nil, errors.New("--history and --staged do not go together: --staged scans the next commit, --history the past ones")
	}
	var detectors []analyzer.FileAnalyzer
	for _, f := range analyzer.Factories() {
		a, err := f.New(opt.Analyzer)
		if err != nil {
			return nil, err
		}
		if ha, ok := a.(analyzer.HistoryAnalyzer); ok {
			detectors = append(detectors, ha)
		}
	}
	if len(detectors) == 0 {
		return nil, errors.New("--history: no analyzer in this build reads git history")
	}
	ho := *opt.History
	if ho.MaxBlobSize <= 0 {
		ho.MaxBlobSize = opt.MaxFileSize
	}
	excluded := w.Project().Excluded
	userExclude := ho.Exclude
	ho.Exclude = func(rel string) bool {
		return (excluded != nil && excluded(rel, false)) || (userExclude != nil && userExclude(rel))
	}
	if ho.Expand == nil && opt.Expand != nil {
		ho.Expand = opt.Expand
	}
	h := &historyRun{done: make(chan struct{}), bare: githistory.IsBare(ctx, opt.Root)}
	go func() {
		defer close(h.done)
		h.res, h.err = history.Scan(ctx, opt.Root, ho, detectors, sink.Warning)
	}()
	return h, nil
}

// finish waits for the history scan and emits its findings, telling it
// which secrets the working-tree scan found.
func (h *historyRun) finish(sink *finding.Collector) error {
	<-h.done
	if h.err != nil {
		return h.err
	}
	inTree := map[string]bool{}
	for _, f := range sink.Findings {
		if f.Secret != "" && f.History == nil {
			inTree[f.Secret] = true
		}
	}
	h.res.Emit(sink, func(s string) bool { return inTree[s] })
	return nil
}

// verifyFindings asks the Stripe API about the keys of the reported
// findings (not the suppressed ones) and lets history findings react.
func verifyFindings(ctx context.Context, v *verify.Verifier, r *report.Report) {
	v.Findings(ctx, r.Findings)
	for _, f := range r.Findings {
		if o := history.ApplyVerification(f); o != nil {
			r.Observations = append(r.Observations, o)
		}
	}
}
