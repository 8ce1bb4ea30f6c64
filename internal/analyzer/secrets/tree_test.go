package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

type expectation struct {
	Ignored  []string `json:"ignored"`
	Findings []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		RuleID  string `json:"rule_id"`
		Context string `json:"context"`
	} `json:"findings"`
	WithShowPublishable []struct {
		File   string `json:"file"`
		Line   int    `json:"line"`
		RuleID string `json:"rule_id"`
	} `json:"with_show_publishable"`
	Observations []struct {
		File       string `json:"file"`
		Line       int    `json:"line"`
		Mitigation string `json:"mitigation"`
		State      string `json:"state"`
	} `json:"observations"`
}

// scanTree runs the analyzer over a materialised fixture tree the way the
// walker would hand it over.
func scanTree(t *testing.T, root string, ignored []string, opts analyzer.Options) *finding.Collector {
	t.Helper()
	a := New(opts)
	c := &finding.Collector{}
	ign := map[string]bool{}
	for _, p := range ignored {
		ign[p] = true
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f := &source.File{Rel: rel, Abs: p, Mode: info.Mode(), Size: info.Size(), Data: data, Ignored: ign[rel]}
		if a.Wants(f) {
			a.File(context.Background(), f, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadExpected(t *testing.T) expectation {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectation
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestFixtureTree(t *testing.T) {
	exp := loadExpected(t)
	root, err := secretstest.Materialize(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, show := range []bool{false, true} {
		t.Run(fmt.Sprintf("show_publishable=%v", show), func(t *testing.T) {
			c := scanTree(t, root, exp.Ignored, analyzer.Options{ShowPublishable: show})
			var want, got []string
			for _, f := range exp.Findings {
				want = append(want, fmt.Sprintf("%s:%d %s [%s]", f.File, f.Line, f.RuleID, f.Context))
			}
			ctxWanted := map[string]bool{}
			for _, f := range exp.Findings {
				if f.Context != "" {
					ctxWanted[fmt.Sprintf("%s:%d %s", f.File, f.Line, f.RuleID)] = true
				}
			}
			if show {
				for _, f := range exp.WithShowPublishable {
					want = append(want, fmt.Sprintf("%s:%d %s []", f.File, f.Line, f.RuleID))
				}
			}
			for _, f := range c.Findings {
				ctx := ""
				if ctxWanted[fmt.Sprintf("%s:%d %s", f.File, f.Line, f.RuleID)] {
					ctx = f.Context
				}
				got = append(got, fmt.Sprintf("%s:%d %s [%s]", f.File, f.Line, f.RuleID, ctx))
				checkFinding(t, f)
			}
			sort.Strings(want)
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings differ\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, o := range exp.Observations {
				if !hasObservation(c, o.File, o.Line, o.Mitigation, o.State) {
					t.Errorf("missing observation %s:%d %s %s", o.File, o.Line, o.Mitigation, o.State)
				}
			}
		})
	}
}

func hasObservation(c *finding.Collector, file string, line int, mit, state string) bool {
	for _, o := range c.Observations {
		if o.File == file && (line == 0 || o.Line == line) && o.Mitigation == mit && string(o.State) == state {
			return true
		}
	}
	return false
}

// checkFinding holds for every finding: complete, located, and no full key
// anywhere but Secret.
func checkFinding(t *testing.T, f *finding.Finding) {
	t.Helper()
	if f.RuleID == "" || f.Threat != finding.KeyExposure || f.Severity == finding.SeverityUnknown || f.Message == "" || f.Mitigation == "" || f.Line < 1 {
		t.Errorf("incomplete finding %+v", f)
	}
	if f.Secret != "" {
		if f.Column < 1 || f.EndLine < f.Line {
			t.Errorf("%s:%d bad span col=%d endline=%d", f.File, f.Line, f.Column, f.EndLine)
		}
		for _, s := range []string{f.Evidence, f.Message, f.Mitigation, f.Context} {
			if strings.Contains(s, f.Secret) {
				t.Errorf("%s:%d full key leaked into output text", f.File, f.Line)
			}
		}
		if !strings.Contains(f.Evidence, finding.Redact(f.Secret)) {
			t.Errorf("%s:%d evidence lacks redacted key: %q", f.File, f.Line, f.Evidence)
		}
	}
	for _, k := range secretstest.Keys {
		for _, s := range []string{f.Evidence, f.Message, f.Mitigation, f.Context} {
			if strings.Contains(s, k) {
				t.Errorf("%s:%d a fixture key appears in output text", f.File, f.Line)
			}
		}
	}
}

// TestConcurrentFiles: the engine calls File from many goroutines on one
// analyzer; results must equal a sequential run (run with -race).
func TestConcurrentFiles(t *testing.T) {
	exp := loadExpected(t)
	root, err := secretstest.Materialize(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seq := scanTree(t, root, exp.Ignored, analyzer.Options{})
	var files []*source.File
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		data, _ := os.ReadFile(p)
		info, _ := d.Info()
		files = append(files, &source.File{Rel: filepath.ToSlash(rel), Abs: p, Mode: info.Mode(), Data: data, Ignored: filepath.ToSlash(rel) == ".env"})
		return nil
	})
	a := New(analyzer.Options{})
	c := &finding.Collector{}
	done := make(chan struct{})
	for _, f := range files {
		go func() {
			a.File(context.Background(), f, c)
			done <- struct{}{}
		}()
	}
	for range files {
		<-done
	}
	if len(c.Findings) != len(seq.Findings) || len(c.Observations) != len(seq.Observations) {
		t.Fatalf("concurrent run: %d findings %d observations, sequential %d/%d",
			len(c.Findings), len(c.Observations), len(seq.Findings), len(seq.Observations))
	}
}
