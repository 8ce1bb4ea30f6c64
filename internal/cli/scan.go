package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/history"
	"github.com/stripeguard/stripeguard/internal/atomicfile"
	"github.com/stripeguard/stripeguard/internal/baseline"
	"github.com/stripeguard/stripeguard/internal/config"
	"github.com/stripeguard/stripeguard/internal/engine"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/report"
	"github.com/stripeguard/stripeguard/internal/verify"
)

func init() {
	Register(&Command{Name: "scan", Summary: "scan a source tree and print its Stripe threat-model report", Run: runScan})
	Register(&Command{Name: "history", Summary: "find Stripe keys in the working tree and its whole git history (scan --history --analyzers secrets)", Run: runHistory})
}

func runScan(args []string, std Stdio) int { return scanCommand("scan", args, std) }

// runHistory is `scan --history` limited, unless told otherwise, to the
// key detectors: the question is "which keys did we ever expose".
func runHistory(args []string, std Stdio) int { return scanCommand("history", args, std) }

func scanCommand(name string, args []string, std Stdio) int {
	fs := newFlagSet(name, name+" [flags] [PATH]", std.Err)
	format := fs.String("format", "text", "output format: "+fmt.Sprint(report.FormatNames()))
	output := fs.String("output", "", "write the report to `FILE` instead of standard output")
	failOn := fs.String("fail-on", "", "lowest `severity` that makes the exit code 1: critical, high, medium, low, info (default high, or fail_on in the config)")
	cfgPath := fs.String("config", "", "configuration `FILE` (default PATH/.stripeguard.toml)")
	var exclude, only, skip, pyEnvs listFlag
	fs.Var(&exclude, "exclude", "gitignore-style `pattern` to leave out (repeatable)")
	fs.Var(&only, "analyzers", "run only these `analyzers` (comma-separated)")
	fs.Var(&skip, "skip-analyzers", "do not run these `analyzers`")
	includeVendored := fs.Bool("include-vendored", false, "also scan virtualenvs and node_modules for keys")
	maxSize := fs.Int64("max-file-size", 0, "skip files larger than `BYTES` with a warning (default 10 MiB)")
	showSecrets := fs.Bool("show-secrets", false, "print full secrets in evidence (default: redacted)")
	showPublishable := fs.Bool("show-publishable", false, "also report publishable pk_ keys (info)")
	var baselines, extraReports guardListFlag
	fs.Var(&baselines, "baseline", "report only findings not recorded in this baseline `FILE` (repeatable: findings in any of them are hidden)")
	fs.Var(&extraReports, "report", "also write the report as `FORMAT=FILE` (repeatable), e.g. --report sarif=results.sarif --report html=report.html")
	writeBaseline := fs.String("write-baseline", "", "record the current findings' fingerprints in `FILE`")
	staged := fs.Bool("staged", false, "scan only what is staged for commit (pre-commit hook): the findings and one summary line")
	checklist := fs.Bool("checklist", true, "print the threat-model checklist (default: yes, except with --staged)")
	db := fs.String("db", "", "advisory data: OSV zip, directory of records, or cache (default: the user cache)")
	fs.Var(&pyEnvs, "python-env", "virtualenv or site-packages `PATH` to audit (repeatable)")
	targetPython := fs.String("target-python", "", "evaluate environment markers for this Python `version` (e.g. 3.11)")
	targetPlatform := fs.String("target-platform", "", "evaluate environment markers for this `sys_platform` (linux, darwin, win32)")
	noColor := fs.Bool("no-color", false, "never colour the text report")
	pyBudget := fs.Int64("python-budget", 0, "MiB of Python source parsed at once by the cross-file pass of the Python analyzers (default 24; -1 = unlimited); bounds memory on huge trees")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile to `FILE` (for performance reports)")
	withHistory := fs.Bool("history", name == "history", "also scan every commit of the git history (all refs, and objects no ref reaches) for keys")
	var branches listFlag
	fs.Var(&branches, "branch", "with --history: walk only the history of this `ref` (repeatable; default every ref)")
	since := fs.String("since", "", "with --history: only commits after this `DATE or REV` (2024-01-01, RFC 3339, 2 weeks ago, or a revision such as v2.0)")
	maxCommits := fs.Int("max-commits", 0, "with --history: only the newest `N` commits")
	unreachable := fs.Bool("unreachable", true, "with --history: also scan commits and blobs no ref reaches (reflog, dangling); -unreachable=false to skip")
	doVerify := fs.Bool("verify", false, "ask the Stripe API whether each secret key found still works (one read-only GET /v1/balance per key)")
	apiBase := fs.String("stripe-api-base", verify.DefaultBase, "with --verify: Stripe API base `URL` (https, or http to a loopback address such as stripe-mock)")
	verifyTimeout := fs.Duration("verify-timeout", verify.DefaultTimeout, "with --verify: timeout of each request")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		return Fail(std, err)
	}
	if len(pos) > 1 {
		return Fail(std, fmt.Errorf("scan takes one PATH, got %d", len(pos)))
	}
	root := "."
	if len(pos) == 1 {
		root = pos[0]
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return Fail(std, fmt.Errorf("%s is not a directory", root))
	}
	cfg, err := config.Load(root, *cfgPath)
	if err != nil {
		return Fail(std, err)
	}
	threshold := finding.High
	if cfg.FailOnSev != finding.SeverityUnknown {
		threshold = cfg.FailOnSev
	}
	if *failOn != "" {
		if threshold, err = finding.ParseSeverity(*failOn); err != nil {
			return Fail(std, fmt.Errorf("--fail-on: %v", err))
		}
	}
	out := std.Out
	color := !*noColor && os.Getenv("NO_COLOR") == "" && isTerminal(std.Out)
	if *output != "" {
		color = false
	}
	// A hook prints the findings and one line; the checklist is for full
	// scans, or when asked for.
	brief := *staged
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "checklist" {
			brief = !*checklist
		}
	})
	width := 80
	if *output == "" {
		width = textWidth(std.Out)
	}
	f, err := report.Lookup(*format, report.Options{Color: color, Width: width, Brief: brief})
	if err != nil {
		return Fail(std, err)
	}
	opt := engine.Options{
		Root:            root,
		Config:          cfg,
		Exclude:         exclude,
		MaxFileSize:     *maxSize,
		IncludeVendored: *includeVendored,
		Staged:          *staged,
		ShowSecrets:     *showSecrets,
		Only:            only,
		Skip:            skip,
		Expand:          expander,
		Tool:            report.Tool{Name: "stripeguard", Version: Version},
		Analyzer: analyzer.Options{
			ShowPublishable: *showPublishable,
			DBPath:          *db,
			PythonEnvs:      pyEnvs,
			TargetPython:    *targetPython,
			TargetPlatform:  *targetPlatform,
			Offline:         true,
			PythonBudget:    budgetBytes(*pyBudget),
		},
	}
	for _, p := range baselines {
		b, err := baseline.Load(p)
		if err != nil {
			return Fail(std, err)
		}
		if opt.Baseline == nil {
			opt.Baseline = b
			continue
		}
		for fp := range b {
			opt.Baseline[fp] = true
		}
	}
	extra, err := parseExtraReports(extraReports)
	if err != nil {
		return Fail(std, err)
	}
	if !*withHistory && (len(branches) > 0 || *since != "" || *maxCommits != 0) {
		return Fail(std, errors.New("--branch, --since and --max-commits need --history"))
	}
	if *maxCommits < 0 {
		return Fail(std, errors.New("--max-commits must be positive"))
	}
	if *withHistory {
		if name == "history" && len(only) == 0 && len(skip) == 0 {
			opt.Only = []string{"secrets"}
		}
		opt.History = &history.Options{Revs: branches, Since: *since, MaxCommits: *maxCommits, Unreachable: *unreachable}
	}
	if *doVerify {
		v, err := verify.New(verify.Options{Base: *apiBase, Timeout: *verifyTimeout, UserAgent: "stripeguard/" + Version})
		if err != nil {
			return Fail(std, err)
		}
		opt.Verify = v
	} else if *apiBase != verify.DefaultBase || *verifyTimeout != verify.DefaultTimeout {
		return Fail(std, errors.New("--stripe-api-base and --verify-timeout need --verify"))
	}
	// The bar is cleared as soon as the scan ends, before the report or an
	// error is written to the same terminal.
	barDone := func() {}
	if opt.History != nil {
		if bar := newHistoryProgress(std.Err); bar != nil {
			opt.History.Progress = bar.update
			barDone = bar.done
		}
	} else if bar := newProgress(std.Err); bar != nil {
		opt.Progress = bar.file
		barDone = bar.done
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return Fail(std, err)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return Fail(std, err)
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := engine.Run(ctx, opt)
	barDone()
	if err != nil {
		return Fail(std, err)
	}
	r.Target = displayTarget(root)
	if !*staged { // staged scans read the index: the working tree is another text
		r.Source = os.DirFS(root)
	}
	if *writeBaseline != "" {
		if err := baseline.Write(*writeBaseline, r.Findings); err != nil {
			return Fail(std, err)
		}
		fmt.Fprintf(std.Err, "stripeguard: recorded %d findings in %s\n", len(r.Findings), *writeBaseline)
	}
	if err := writeReport(f, r, out, *output); err != nil {
		return Fail(std, err)
	}
	for _, x := range extra {
		if err := writeReport(x.format, r, nil, x.path); err != nil {
			return Fail(std, err)
		}
	}
	return exitFor(r, threshold)
}

type extraReport struct {
	format report.Format
	path   string
}

// parseExtraReports reads --report FORMAT=FILE values: one scan, several
// files (CI wants SARIF for code scanning, Markdown for the job summary
// and a human report from the same run).
func parseExtraReports(values []string) ([]extraReport, error) {
	var out []extraReport
	for _, v := range values {
		name, path, ok := strings.Cut(v, "=")
		if !ok || name == "" || path == "" {
			return nil, fmt.Errorf("--report %q: want FORMAT=FILE, e.g. sarif=results.sarif", v)
		}
		f, err := report.Lookup(name, report.Options{})
		if err != nil {
			return nil, fmt.Errorf("--report: %v", err)
		}
		out = append(out, extraReport{format: f, path: path})
	}
	return out, nil
}

// budgetBytes converts --python-budget (MiB; negative = unlimited).
func budgetBytes(mib int64) int64 {
	if mib < 0 {
		return -1
	}
	return mib << 20
}

func displayTarget(root string) string {
	if abs, err := filepath.Abs(root); err == nil {
		return filepath.Base(abs)
	}
	return root
}

// writeReport writes to FILE atomically or to out.
func writeReport(f report.Format, r *report.Report, out io.Writer, path string) error {
	if path == "" {
		return f.Write(out, r)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return f.Write(w, r) })
}

// exitFor is 1 when any finding is at or above the threshold.
func exitFor(r *report.Report, threshold finding.Severity) int {
	for _, f := range r.Findings {
		if f.Severity >= threshold {
			return ExitFindings
		}
	}
	return ExitOK
}
