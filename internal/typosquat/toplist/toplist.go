// Package toplist turns hugovk/top-pypi-packages' JSON dump into the compact
// name list embedded by internal/typosquat (one PEP 503 name per line, most
// downloaded first, with an attribution header). The generator command and
// the test that keeps the committed list reproducible both call Build.
package toplist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Header lines start with '#'; the embedded reader skips them.
const attribution = `# Most-downloaded PyPI projects, PEP 503 names, most downloaded first
# (line order is the rank; download counts dropped).
# Derived from hugovk/top-pypi-packages, https://github.com/hugovk/top-pypi-packages
# (data from the public PyPI downloads dataset), snapshot %s, %d projects.
# That repository states no licence; this is a list of project names only.
# Regenerate: go run ./internal/typosquat/gen -in <top-pypi-packages.json>
`

type dump struct {
	LastUpdate string `json:"last_update"`
	Rows       []struct {
		Project string `json:"project"`
	} `json:"rows"`
}

var sepRE = regexp.MustCompile(`[-_.]+`)

// validRE is PEP 508's project name rule (after normalisation).
var validRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// Build returns the list text for one JSON dump.
func Build(data []byte) ([]byte, error) {
	var d dump
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	if len(d.Rows) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	seen := map[string]bool{}
	var names []string
	for _, r := range d.Rows {
		n := strings.ToLower(sepRE.ReplaceAllString(strings.TrimSpace(r.Project), "-"))
		if !validRE.MatchString(n) || seen[n] {
			continue
		}
		seen[n] = true
		names = append(names, n)
	}
	date := d.LastUpdate
	if i := strings.IndexByte(date, ' '); i > 0 {
		date = date[:i]
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, attribution, date, len(names))
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}
