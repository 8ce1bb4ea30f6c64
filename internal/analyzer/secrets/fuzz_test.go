package secrets

import (
	"bytes"
	"context"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// FuzzScan: the detector entry point never panics, every match lies in
// bounds and is a well-formed key, and the analyzer never puts a full key
// into text a reporter prints.
func FuzzScan(f *testing.F) {
	f.Add([]byte("k = '"+secretstest.Key(skLive, 24, 1)+"'"), true)
	f.Add([]byte(`K = ("`+secretstest.Key(skTest, 99, 2)[:30]+`"`+"\n"+`"`+secretstest.Key(skTest, 99, 2)[30:]+`")`), true)
	f.Add([]byte(`"sk_" "live_" "`), true)
	f.Add([]byte("whsec_"+secretstest.Hex(64, 3)), false)
	f.Add([]byte("%3Dsk_live_\\nsk_test_'\"'"), true)
	f.Fuzz(func(t *testing.T, data []byte, python bool) {
		for _, m := range Scan(data, python) {
			if m.Start < 0 || m.End > len(data) || m.Start >= m.End {
				t.Fatalf("match out of bounds: %d:%d of %d", m.Start, m.End, len(data))
			}
			if c, n := parseKey([]byte(m.Key)); c != m.Cred || n != len(m.Key) {
				t.Fatalf("match is not a well-formed key")
			}
			if !m.Split && !bytes.Equal(data[m.Start:m.End], []byte(m.Key)) {
				t.Fatalf("unsplit match does not frame its key")
			}
		}
		for _, rel := range []string{"a.py", "n.ipynb", "k.yaml", "Dockerfile", ".env"} {
			c := &finding.Collector{}
			New(analyzer.Options{ShowPublishable: true}).File(context.Background(),
				&source.File{Rel: rel, Abs: "/x/" + rel, Mode: 0o644, Data: data}, c)
			for _, x := range c.Findings {
				if x.Secret != "" && (bytes.Contains([]byte(x.Evidence+x.Message+x.Context+x.Mitigation), []byte(x.Secret))) {
					t.Fatalf("full key in printable text")
				}
				if x.Line < 1 || (x.Secret != "" && (x.Column < 1 || x.EndLine < x.Line)) {
					t.Fatalf("bad location %d:%d-%d", x.Line, x.Column, x.EndLine)
				}
			}
		}
	})
}

// FuzzNotebook: the notebook reader never panics and its spans are
// ordered and in bounds whatever the input.
func FuzzNotebook(f *testing.F) {
	f.Add([]byte(`{"cells": [{"source": ["a"], "outputs": [{"text": "b"}]}]}`))
	f.Add([]byte(`{"cells": [{"source": "x"}, {"outputs": []}], "metadata": {"a": [1, {"b": null}]}}`))
	f.Add([]byte(`{"cells": {}}`))
	f.Add([]byte(`[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		spans, _ := notebookSpans(data)
		prev, cell := 0, 0
		for _, s := range spans {
			if s.Start < prev || s.End < s.Start || s.End > len(data) || s.Cell < cell || s.Cell < 1 {
				t.Fatalf("bad span %+v after %d (len %d)", s, prev, len(data))
			}
			prev, cell = s.End, s.Cell
		}
	})
}
