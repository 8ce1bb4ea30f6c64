package report

import (
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Two analyzers reading the same manifest report its problems once.
func TestFinalizeDropsDuplicateWarnings(t *testing.T) {
	w := func(file, msg string) *finding.Warning {
		return &finding.Warning{File: file, Line: 3, Kind: finding.WarnParse, Message: msg}
	}
	r := &Report{Warnings: []*finding.Warning{w("b.txt", "x"), w("a.txt", "bad"), w("b.txt", "x"), w("a.txt", "bad"), w("a.txt", "other")}}
	r.Finalize()
	if len(r.Warnings) != 3 {
		t.Fatalf("%d warnings, want 3", len(r.Warnings))
	}
	if r.Warnings[0].File != "a.txt" || r.Warnings[2].File != "b.txt" {
		t.Errorf("order: %+v %+v %+v", r.Warnings[0], r.Warnings[1], r.Warnings[2])
	}
}
