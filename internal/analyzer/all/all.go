// Package all links every analyzer and output format into the binary. Their
// packages register themselves from init; importing this package is the one
// place that decides what a build contains.
package all

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
