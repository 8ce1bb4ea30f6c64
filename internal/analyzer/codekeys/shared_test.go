package codekeys

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/source"
)

// The engine runs both Python analyzers on the same files and their
// Finish steps concurrently; a file both analyse is parsed once, shared
// through pyast.Shared. Run with -race.
func TestSharedModulesConcurrentFinish(t *testing.T) {
	defer func(old *pyast.Cache) { pyast.Shared = old }(pyast.Shared)
	pyast.Shared = pyast.NewCache()
	ck, wh := New(), webhook.New()
	var sink finding.Collector
	ctx := context.Background()
	err := filepath.WalkDir("../webhook/testdata/flask_app", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f := &source.File{Rel: filepath.Base(p), Data: b}
		for _, a := range []interface {
			Wants(*source.File) bool
			File(context.Context, *source.File, finding.Sink)
		}{wh, ck} {
			if a.Wants(f) {
				a.File(ctx, f, &sink)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	both := wh.Stream().Parsed() + ck.col.Parsed()
	if parses := pyast.Shared.Parses(); parses == 0 || parses >= both || parses > int64(len(wh.Stream().Summaries())) {
		t.Errorf("%d parses for %d driver analyses of %d files: the parse is not shared", parses, both, len(wh.Stream().Summaries()))
	}
	var wg sync.WaitGroup
	for _, fin := range []func(){
		func() { wh.Finish(ctx, &source.Project{}, &sink) },
		func() { ck.Finish(ctx, &source.Project{}, &sink) },
	} {
		wg.Add(1)
		go func() { defer wg.Done(); fin() }()
	}
	wg.Wait()
	if len(sink.Findings) == 0 {
		t.Error("no findings")
	}
}
