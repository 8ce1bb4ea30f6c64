package codekeys

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// The engine runs both Python analyzers on the same files and their
// Finish steps concurrently; they share parsed modules through
// pyast.Shared. Run with -race.
func TestSharedModulesConcurrentFinish(t *testing.T) {
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
	whMods, ckMods := wh.Modules(), ck.col.Modules()
	shared := 0
	for _, a := range whMods {
		for _, b := range ckMods {
			if a == b {
				shared++
			}
		}
	}
	if shared == 0 || shared != len(ckMods) {
		t.Errorf("modules shared: %d of %d", shared, len(ckMods))
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
