package cli

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/stripeguard/stripeguard/"

// TestImportsPointDown keeps the layering ARCHITECTURE.md describes: only
// the command line links (blank-imports) analyzers and report formats
// (internal/cli/builtin.go); analyzers never import the engine, reports or
// the command line; the report model and its formats never import analyzers
// or the engine. An import that runs from a lower layer up to a higher one
// fails here with the file that holds it.
func TestImportsPointDown(t *testing.T) {
	root := filepath.Join("..", "..")
	isAnalyzerImpl := func(p string) bool {
		rest, ok := strings.CutPrefix(p, "internal/analyzer/")
		return ok && rest != ""
	}
	isFormat := func(p string) bool {
		rest, ok := strings.CutPrefix(p, "internal/report/")
		return ok && rest != "" && rest != "reporttest"
	}
	checked := 0
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		pkg := path.Dir(filepath.ToSlash(rel))
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			dep, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			checked++
			blank := spec.Name != nil && spec.Name.Name == "_"
			var why string
			switch {
			case pkg == "internal/cli" || strings.HasPrefix(dep, pkg+"/"):
				// The command line wires everything; a package may use its own subpackages.
			case blank && (isAnalyzerImpl(dep) || isFormat(dep)):
				why = "only internal/cli links analyzers and formats (builtin.go)"
			case (pkg == "internal/report" || isFormat(pkg)) && (isAnalyzerImpl(dep) || dep == "internal/engine"):
				why = "the report model and formats read a finished report.Report only"
			case isAnalyzerImpl(pkg) && (strings.HasPrefix(dep, "internal/report") || dep == "internal/engine" || dep == "internal/cli"):
				why = "analyzers emit to a finding.Sink; they never see the engine or reports"
			case dep == "internal/cli" || strings.HasPrefix(dep, "cmd/"):
				why = "nothing imports the command line"
			}
			if why != "" {
				t.Errorf("%s imports %s: %s", rel, dep, why)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d module imports checked: is the walk looking at the tree?", checked)
	}
}
