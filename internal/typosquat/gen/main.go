// Command gen builds internal/typosquat/popular.txt, the compact list of the
// most-downloaded PyPI projects that the typosquat check protects and treats
// as known-legitimate, from hugovk/top-pypi-packages' JSON dump (a copy lives
// in the shared data directory). It keeps only the PEP 503 names, in download
// order (the line number is the rank); download counts are dropped.
//
//	go run ./internal/typosquat/gen -in ../shared/data/top-pypi-packages/top-pypi-packages.json
//
// The output is deterministic for a given input, and a test checks that the
// committed list is what this generator makes from the shared data.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/stripeguard/stripeguard/internal/typosquat/toplist"
)

func main() {
	in := flag.String("in", "../shared/data/top-pypi-packages/top-pypi-packages.json", "top-pypi-packages JSON dump")
	out := flag.String("out", "internal/typosquat/popular.txt", "list to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	text, err := toplist.Build(data)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, text, 0o644)
}
