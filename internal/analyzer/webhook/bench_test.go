package webhook

import (
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/pyast/expect"
)

// BenchmarkAnalyze is the Finish step over every fixture app (parsing
// excluded: it is BenchmarkParse in pyast).
func BenchmarkAnalyze(b *testing.B) {
	var projects []*pyast.Project
	for _, app := range []string{"testdata/flask_app", "testdata/django_app", "testdata/fastapi_app", "testdata/misc_app"} {
		fx, err := expect.Load(app, "webhook/")
		if err != nil {
			b.Fatal(err)
		}
		projects = append(projects, fx.Project)
	}
	for b.Loop() {
		for _, p := range projects {
			// A fresh project: Analyze caches per project.
			Analyze(pyast.NewProject(p.Modules), &finding.Collector{})
		}
	}
}
