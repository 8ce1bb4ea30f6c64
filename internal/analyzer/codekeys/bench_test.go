package codekeys

import (
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

func BenchmarkAnalyze(b *testing.B) {
	var projects []*pyast.Project
	for _, app := range []string{"testdata/flask_app", "testdata/django_app"} {
		fx, err := expect.Load(app, "codekeys/")
		if err != nil {
			b.Fatal(err)
		}
		projects = append(projects, fx.Project)
	}
	for b.Loop() {
		for _, p := range projects {
			Analyze(pyast.NewProject(p.Modules), &finding.Collector{})
		}
	}
}
