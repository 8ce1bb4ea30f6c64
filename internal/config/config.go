// Package config reads .stripeguard.toml. Unknown keys are errors: a typo in
// a security tool's configuration must not silently turn a check off.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// FileName is looked up at the scanned root.
const FileName = ".stripeguard.toml"

// Config is the project configuration.
type Config struct {
	// Exclude holds gitignore-style patterns relative to the root.
	Exclude []string `toml:"exclude"`
	// Disable lists rule ids that are never reported.
	Disable []string `toml:"disable"`
	// Severity overrides a rule's severity: {"secrets/stripe-test-secret-key" = "low"}.
	Severity map[string]string `toml:"severity"`
	// FailOn is the lowest severity that makes the exit code 1.
	FailOn string `toml:"fail_on"`
	// IncludeVendored scans virtualenvs and node_modules for keys too.
	IncludeVendored bool `toml:"include_vendored"`
	// MaxFileSize in bytes (0 = default).
	MaxFileSize int64 `toml:"max_file_size"`
	// ShowPublishable reports pk_ keys as info.
	ShowPublishable bool `toml:"show_publishable"`
	// Typosquat extends the typosquat check.
	Typosquat Typosquat `toml:"typosquat"`

	// Path is where the configuration was read from ("" = none).
	Path string `toml:"-"`
	// Parsed forms.
	Overrides map[string]finding.Severity `toml:"-"`
	Disabled  map[string]bool             `toml:"-"`
	FailOnSev finding.Severity            `toml:"-"`
}

// validName is PEP 508's project name rule.
var validName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)

// Typosquat is the [typosquat] table.
type Typosquat struct {
	// Allow lists legitimate packages whose names look like a protected
	// one (never reported as typosquats).
	Allow []string `toml:"allow"`
	// Protect lists names to guard like stripe: every typo class and
	// added word (a company's internal packages, whose public look-alikes
	// are dependency-confusion squats).
	Protect []string `toml:"protect"`
}

// Load reads path, or FileName at root when path is "". A missing default
// file is not an error; a missing explicit one is.
func Load(root, path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		path = filepath.Join(root, FileName)
	}
	c := &Config{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		c.Path = path
		md, err := toml.Decode(string(data), c)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			var keys []string
			for _, k := range und {
				keys = append(keys, k.String())
			}
			sort.Strings(keys)
			return nil, fmt.Errorf("%s: unknown key %s (known: exclude, disable, severity, fail_on, include_vendored, max_file_size, show_publishable, typosquat.allow, typosquat.protect)", path, strings.Join(keys, ", "))
		}
	case errors.Is(err, os.ErrNotExist) && !explicit:
	default:
		return nil, fmt.Errorf("config: %v", err)
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	where := c.Path
	if where == "" {
		where = "config"
	}
	c.Disabled = map[string]bool{}
	for _, id := range c.Disable {
		if rules.Lookup(id) == nil {
			return fmt.Errorf("%s: disable: unknown rule id %q (see 'stripeguard rules')", where, id)
		}
		c.Disabled[id] = true
	}
	c.Overrides = map[string]finding.Severity{}
	for id, s := range c.Severity {
		if rules.Lookup(id) == nil {
			return fmt.Errorf("%s: severity: unknown rule id %q (see 'stripeguard rules')", where, id)
		}
		sev, err := finding.ParseSeverity(s)
		if err != nil {
			return fmt.Errorf("%s: severity.%q: %v", where, id, err)
		}
		c.Overrides[id] = sev
	}
	if c.FailOn != "" {
		sev, err := finding.ParseSeverity(c.FailOn)
		if err != nil {
			return fmt.Errorf("%s: fail_on: %v", where, err)
		}
		c.FailOnSev = sev
	}
	for _, list := range [][]string{c.Typosquat.Allow, c.Typosquat.Protect} {
		for _, n := range list {
			if !validName.MatchString(n) {
				return fmt.Errorf("%s: typosquat: %q is not a Python package name", where, n)
			}
		}
	}
	if c.MaxFileSize < 0 {
		return fmt.Errorf("%s: max_file_size must be positive", where)
	}
	return nil
}
