package cli

// The analyzers and report formats this build contains. Each package
// registers itself from init (analyzer.Register, report.RegisterFormat); the
// command line, which wires sources, analyzers and formats together, is the
// one place that decides what a build links. Nothing below internal/cli
// imports an analyzer or a format package, so dependencies only point down:
// cli -> engine -> analyzers -> finding, and cli -> formats -> report.
import (
	_ "github.com/stripeguard/stripeguard/internal/analyzer/codekeys"
	_ "github.com/stripeguard/stripeguard/internal/analyzer/deps"
	_ "github.com/stripeguard/stripeguard/internal/analyzer/secrets"
	_ "github.com/stripeguard/stripeguard/internal/analyzer/supplychain"
	_ "github.com/stripeguard/stripeguard/internal/analyzer/webhook"

	_ "github.com/stripeguard/stripeguard/internal/report/codequality"
	_ "github.com/stripeguard/stripeguard/internal/report/counts"
	_ "github.com/stripeguard/stripeguard/internal/report/cyclonedx"
	_ "github.com/stripeguard/stripeguard/internal/report/htmlfmt"
	_ "github.com/stripeguard/stripeguard/internal/report/jsonfmt"
	_ "github.com/stripeguard/stripeguard/internal/report/markdown"
	_ "github.com/stripeguard/stripeguard/internal/report/sarif"
	_ "github.com/stripeguard/stripeguard/internal/report/text"
)
