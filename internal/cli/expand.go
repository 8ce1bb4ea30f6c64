package cli

import (
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/expand"
)

// expander wires archive and bytecode expansion into scans.
func expander(f *source.File, emit func(*source.File), warn func(*finding.Warning)) bool {
	return expand.Expand(f, expand.Limits{}, emit, warn)
}
