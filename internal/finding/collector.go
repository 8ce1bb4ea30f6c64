package finding

import "sync"

// Collector is a Sink that keeps everything in memory. The engine uses one
// per scan; tests use it to inspect an analyzer's output.
type Collector struct {
	mu           sync.Mutex
	Findings     []*Finding
	Observations []*Observation
	Warnings     []*Warning
	Packages     []*Package
	DataSources  []*DataSource
}

func (c *Collector) DataSource(d *DataSource) {
	c.mu.Lock()
	c.DataSources = append(c.DataSources, d)
	c.mu.Unlock()
}

func (c *Collector) Package(p *Package) {
	c.mu.Lock()
	c.Packages = append(c.Packages, p)
	c.mu.Unlock()
}

func (c *Collector) Finding(f *Finding) {
	c.mu.Lock()
	c.Findings = append(c.Findings, f)
	c.mu.Unlock()
}

func (c *Collector) Observation(o *Observation) {
	c.mu.Lock()
	c.Observations = append(c.Observations, o)
	c.mu.Unlock()
}

func (c *Collector) Warning(w *Warning) {
	c.mu.Lock()
	c.Warnings = append(c.Warnings, w)
	c.mu.Unlock()
}
