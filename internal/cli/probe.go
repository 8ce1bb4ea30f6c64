package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/probe"
	"github.com/stripeguard/stripeguard/internal/report"
	_ "github.com/stripeguard/stripeguard/internal/report/jsonfmt" // output formats
	_ "github.com/stripeguard/stripeguard/internal/report/markdown"
	_ "github.com/stripeguard/stripeguard/internal/report/sarif"
	_ "github.com/stripeguard/stripeguard/internal/report/text"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

func init() {
	Register(&Command{Name: "probe", Summary: "send forged webhook deliveries to a running loopback/staging endpoint", Run: runProbe})
}

const probeHelp = `probe [flags] URL

Sends a battery of Stripe webhook deliveries to a RUNNING endpoint and reports
which ones it accepted (2xx): unsigned, garbage header, wrong secret, empty-key
signature, v0 only, non-ASCII signature and, with --secret, a valid control, a
replay of it, a tampered body, a v0 downgrade, stale (10 min, 1 day) and
future-dated signatures. Each delivery is a test-mode checkout.session.completed
event with a fresh id (evt_stripeguard_probe_...).

Point it at a loopback or staging deployment, e.g.
  stripeguard probe http://127.0.0.1:8000/webhooks/stripe --secret whsec_...
never at production: an endpoint that does not verify signatures will act on
the forged events. --secret is the endpoint's TEST-MODE signing secret (from
the dashboard or 'stripe listen'); it is never printed or sent, only used to
sign. Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage error or
endpoint unreachable.`

func runProbe(args []string, std Stdio) int {
	fs := newFlagSet("probe", probeHelp, std.Err)
	secret := fs.String("secret", "", "the endpoint's test-mode signing `secret` (whsec_...); enables the cases that need a valid signature")
	secretEnv := fs.String("secret-env", "", "read the signing secret from environment `VARIABLE` (keeps it out of the process list)")
	format := fs.String("format", "text", "output format: "+fmt.Sprint(report.FormatNames()))
	output := fs.String("output", "", "write the report to `FILE` instead of standard output")
	failOn := fs.String("fail-on", "high", "lowest `severity` that makes the exit code 1: critical, high, medium, low, info")
	timeout := fs.Duration("timeout", 5*time.Second, "timeout of each delivery")
	noColor := fs.Bool("no-color", false, "never colour the text report")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		return Fail(std, err)
	}
	if len(pos) != 1 {
		return Fail(std, fmt.Errorf("probe takes one URL, got %d (run 'stripeguard probe -h')", len(pos)))
	}
	target := pos[0]
	if _, err := probe.CheckURL(target); err != nil {
		return Fail(std, err)
	}
	if *secretEnv != "" {
		if *secret != "" {
			return Fail(std, errors.New("give --secret or --secret-env, not both"))
		}
		v, ok := os.LookupEnv(*secretEnv)
		if !ok || v == "" {
			return Fail(std, fmt.Errorf("--secret-env: %s is not set", *secretEnv))
		}
		*secret = v
	}
	if *secret != "" {
		if err := webhooksig.CheckSecret(*secret); err != nil {
			return Fail(std, fmt.Errorf("--secret: %v", err))
		}
	}
	threshold, err := finding.ParseSeverity(*failOn)
	if err != nil {
		return Fail(std, fmt.Errorf("--fail-on: %v", err))
	}
	if *timeout <= 0 {
		return Fail(std, errors.New("--timeout must be positive"))
	}
	color := !*noColor && *output == "" && os.Getenv("NO_COLOR") == "" && isTerminal(std.Out)
	f, err := report.Lookup(*format, report.Options{Color: color})
	if err != nil {
		return Fail(std, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	res, err := probe.Run(ctx, target, probe.Options{
		Secret:    *secret,
		Timeout:   *timeout,
		UserAgent: "stripeguard-probe/" + Version,
	})
	if err != nil {
		return Fail(std, err)
	}
	r := &report.Report{
		Tool:         report.Tool{Name: "stripeguard", Version: Version},
		Command:      "probe",
		Target:       res.Target,
		Findings:     res.Findings,
		Warnings:     res.Warnings,
		Observations: res.Observations,
		Analyzers:    []string{probe.Name},
		Notes:        res.Notes,
		Duration:     time.Since(start),
	}
	r.Finalize()
	for _, w := range res.Warnings {
		fmt.Fprintf(std.Err, "stripeguard: warning: %s\n", w.Message)
	}
	if err := writeReport(f, r, std.Out, *output); err != nil {
		return Fail(std, err)
	}
	return exitFor(r, threshold)
}
