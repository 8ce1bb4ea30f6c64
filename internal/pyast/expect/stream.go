package expect

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/source"
)

// Streamed runs an analyzer the way a scan does (pyast.Stream: each file
// analysed alone during the walk, the cross-file pass over what could not
// conclude) on a fixture directory and returns what it emitted.
func Streamed(t testing.TB, dir string, st *pyast.Stream) *finding.Collector {
	t.Helper()
	var c finding.Collector
	ctx := context.Background()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".py") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		// Materialized keys differ from the bytes on disk, so the bytes
		// are kept (Abs empty), as for staged content.
		st.File(ctx, &source.File{Rel: filepath.ToSlash(rel), Data: Materialize(src)}, &c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Finish(ctx, &c)
	return &c
}

// SameResults fails when the streamed run of every fixture app does not
// report exactly what the whole-project run reports: the local runs and
// the cross-file pass must add up to the closed analysis.
func SameResults(t *testing.T, glob, prefix string, analyze func(*pyast.Project, finding.Sink), newStream func() *pyast.Stream) {
	t.Helper()
	SameResultsThen(t, glob, prefix, analyze, func() (*pyast.Stream, func(finding.Sink)) { return newStream(), nil })
}

// SameResultsThen is SameResults for an analyzer whose Finish does more
// after the stream's cross-file pass (then, called with the streamed
// results' sink): scan-wide decisions such as codekeys' broker check.
func SameResultsThen(t *testing.T, glob, prefix string, analyze func(*pyast.Project, finding.Sink), newStream func() (*pyast.Stream, func(finding.Sink))) {
	t.Helper()
	apps, err := filepath.Glob(glob)
	if err != nil || len(apps) == 0 {
		t.Fatalf("no fixture apps: %v", err)
	}
	for _, app := range apps {
		t.Run(filepath.Base(app), func(t *testing.T) {
			fx, err := Load(app, prefix)
			if err != nil {
				t.Fatal(err)
			}
			var closed finding.Collector
			analyze(fx.Project, &closed)
			st, then := newStream()
			streamed := Streamed(t, app, st)
			if then != nil {
				then(streamed)
			}
			want, got := resultSet(&closed), resultSet(streamed)
			for k := range want {
				if !got[k] {
					t.Errorf("streamed run misses %s", k)
				}
			}
			for k := range got {
				if !want[k] {
					t.Errorf("streamed run adds %s", k)
				}
			}
			if n := st.Parsed(); n == 0 && len(want) > 0 {
				t.Errorf("no file was analysed as a driver")
			}
		})
	}
}

func resultSet(c *finding.Collector) map[string]bool {
	out := map[string]bool{}
	for _, f := range c.Findings {
		out[fmt.Sprintf("finding %s %s:%d %s", f.RuleID, f.File, f.Line, f.Key)] = true
	}
	for _, o := range c.Observations {
		out[fmt.Sprintf("observation %s %s %s:%d", o.Mitigation, o.State, o.File, o.Line)] = true
	}
	return out
}
