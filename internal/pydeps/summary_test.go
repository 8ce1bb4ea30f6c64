package pydeps

import (
	"fmt"
	"os"
	"path"
	"strings"
	"testing"
)

// summary renders the fields of a requirement that tests compare.
func summary(r Requirement) string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s:%d %s", dash(r.Name), dash(r.Version), dash(r.Specifier), r.File, r.Line, r.Source)
	if r.Direct {
		b.WriteString(" direct")
	}
	if r.RawName != "" && r.RawName != r.Name {
		fmt.Fprintf(&b, " raw=%s", r.RawName)
	}
	if len(r.Extras) > 0 {
		fmt.Fprintf(&b, " x=%s", strings.Join(r.Extras, ","))
	}
	if r.Marker != "" {
		fmt.Fprintf(&b, " m=%s", r.Marker)
	}
	if r.URL != "" {
		fmt.Fprintf(&b, " url=%s", r.URL)
	}
	if r.Editable {
		b.WriteString(" editable")
	}
	if r.Index != "" {
		fmt.Fprintf(&b, " idx=%s", r.Index)
	}
	if len(r.Hashes) > 0 {
		fmt.Fprintf(&b, " h%d", len(r.Hashes))
	}
	if len(r.Requires) > 0 {
		fmt.Fprintf(&b, " req=%s", strings.Join(r.Requires, ","))
	}
	return b.String()
}

func idxSummary(s IndexSetting) string {
	return fmt.Sprintf("%s:%d %s %s", s.File, s.Line, s.Option, s.Value)
}

// readTestdata reads '/'-separated paths below testdata.
func readTestdata(rel string) ([]byte, error) {
	return os.ReadFile(path.Join("testdata", rel))
}

func parseFixture(t testing.TB, rel string, opt Options) Result {
	t.Helper()
	data, err := readTestdata(rel)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(rel, data, readTestdata, opt)
}
