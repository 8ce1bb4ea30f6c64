package pyast

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// WantsPython is the path gate of the Python analyzers: project source
// only, not archive members, bytecode or installed packages (the key and
// dependency analyzers cover those).
func WantsPython(f *source.File) bool {
	if f.Container != "" || strings.Contains(f.Rel, "!") {
		return false
	}
	p := f.Rel
	if !strings.HasSuffix(p, ".py") && !strings.HasSuffix(p, ".pyw") {
		return false
	}
	return !strings.Contains(p, "site-packages/") && !strings.Contains(p, "node_modules/")
}

// DefaultBudget bounds the Python source an analyzer keeps parsed for its
// cross-file pass (about 13 bytes of memory per source byte). Only files
// naming Stripe count, so real applications stay far below it; a tree
// above it is analysed up to the budget, with a warning, so that memory
// stays bounded whatever the tree size.
const DefaultBudget = 24 << 20

// Collector gathers the parsed modules of one scan for an analyzer's
// Finish step. Safe for concurrent File calls.
type Collector struct {
	// Budget is the most source bytes kept (0 = DefaultBudget, <0 = none).
	Budget int64

	mu       sync.Mutex
	mods     []*Module
	kept     int64
	overflow int
}

// Add parses f through the shared cache when its gate bits intersect want,
// and turns parse problems into warnings so the scan goes on. A file whose
// bits intersect quiet is left for another analyzer to warn about (one
// warning per file, decided without shared state).
func (c *Collector) Add(ctx context.Context, f *source.File, sink finding.Sink, want, quiet uint8) {
	bits := Gates(f)
	if ctx.Err() != nil || bits&want == 0 {
		return
	}
	if !c.reserve(int64(len(f.Data))) {
		if bits&quiet == 0 {
			sink.Warning(&finding.Warning{File: f.Rel, Kind: WarnBudget,
				Message: fmt.Sprintf("Python analysis skipped: over the budget of %d MiB of Stripe-related source kept for cross-file analysis (raise it with --python-budget, or scan a subdirectory)", c.budget()>>20)})
		}
		return
	}
	m, err := Shared.Get(f.Rel, f.Data, ParseDeadline)
	warn := bits&quiet == 0
	if err != nil {
		if !warn {
			return
		}
		kind := finding.WarnParse
		switch {
		case errors.Is(err, ErrTooLarge):
			kind = finding.WarnTooLarge
		case errors.Is(err, ErrBinary):
			kind = finding.WarnBinary
		case errors.Is(err, ErrTimeout):
			kind = finding.WarnTimeout
		}
		sink.Warning(&finding.Warning{File: f.Rel, Kind: kind, Message: "Python analysis skipped: " + err.Error()})
		return
	}
	if m.HasError && warn {
		sink.Warning(&finding.Warning{File: f.Rel, Kind: finding.WarnParse,
			Message: "Python syntax errors; the analysis used the parts that parsed"})
	}
	c.mu.Lock()
	c.mods = append(c.mods, m)
	c.mu.Unlock()
}

// WarnBudget is the warning kind for files left out by the budget.
const WarnBudget = "budget"

func (c *Collector) budget() int64 {
	if c.Budget == 0 {
		return DefaultBudget
	}
	return c.Budget
}

// reserve accounts for n more source bytes, refusing past the budget.
func (c *Collector) reserve(n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.budget(); b > 0 && c.kept+n > b {
		c.overflow++
		return false
	}
	c.kept += n
	return true
}

// Modules returns what was collected, in no particular order (NewProject
// sorts).
func (c *Collector) Modules() []*Module {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Module(nil), c.mods...)
}
