// Command genenv writes a virtualenv-shaped tree with N installed
// distributions for the RECORD-verification benchmark: real Python source
// files (copied from a source tree, by default the interpreter's standard
// library) spread over packages whose sizes follow a skewed distribution
// like a real environment's (most packages small, a few huge), each with a
// pip-style .dist-info and RECORD (sha256, urlsafe base64, no padding).
// Deterministic for a given source tree and seed.
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	src := flag.String("src", "/usr/lib/python3.11", "directory of .py files to copy")
	out := flag.String("out", "bench/work/record/env", "environment to create (removed first)")
	n := flag.Int("n", 300, "distributions")
	seed := flag.Uint64("seed", 20261206, "random seed")
	flag.Parse()
	if err := run(*src, *out, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genenv:", err)
		os.Exit(1)
	}
}

func run(src, out string, n int, seed uint64) error {
	var files []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == "__pycache__" || d.Name() == "site-packages" || d.Name() == "dist-packages") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".py") && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(files) < 10 {
		return fmt.Errorf("%s: only %d .py files", src, len(files))
	}
	sort.Strings(files)
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	site := filepath.Join(out, "lib", "python3.12", "site-packages")
	if err := os.MkdirAll(site, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "pyvenv.cfg"), []byte("home = /usr/bin\nversion = 3.12.1\n"), 0o644); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	next := 0
	totalFiles, totalBytes := 0, int64(0)
	for i := 0; i < n; i++ {
		// Log-normal file counts: median ~35, long tail (a few packages
		// with thousands of files, like botocore or numpy).
		count := int(math.Exp(math.Log(35) + 1.3*r.NormFloat64()))
		count = max(2, min(count, 3000))
		name := fmt.Sprintf("pkg_%03d", i)
		version := fmt.Sprintf("%d.%d.%d", 1+i%7, i%13, i%5)
		var rows []string
		for j := 0; j < count; j++ {
			srcPath := files[next%len(files)]
			next++
			data, err := os.ReadFile(srcPath)
			if err != nil {
				return err
			}
			// About a dozen modules per directory, as in real
			// packages.
			rel := fmt.Sprintf("%s/sub%02d/m%04d_%s", name, j/12, j, filepath.Base(srcPath))
			if err := write(filepath.Join(site, filepath.FromSlash(rel)), data); err != nil {
				return err
			}
			rows = append(rows, record(rel, data))
			totalFiles++
			totalBytes += int64(len(data))
		}
		init := []byte("__version__ = \"" + version + "\"\n")
		if err := write(filepath.Join(site, name, "__init__.py"), init); err != nil {
			return err
		}
		rows = append(rows, record(name+"/__init__.py", init))
		di := fmt.Sprintf("%s-%s.dist-info", name, version)
		meta := []byte(fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: benchmark package %d\n\nbenchmark\n", strings.ReplaceAll(name, "_", "-"), version, i))
		for fn, data := range map[string][]byte{"METADATA": meta, "WHEEL": []byte("Wheel-Version: 1.0\nGenerator: genenv\nRoot-Is-Purelib: true\nTag: py3-none-any\n"), "INSTALLER": []byte("pip\n"), "top_level.txt": []byte(name + "\n")} {
			if err := write(filepath.Join(site, di, fn), data); err != nil {
				return err
			}
			rows = append(rows, record(di+"/"+fn, data))
		}
		sort.Strings(rows)
		rows = append(rows, di+"/RECORD,,")
		if err := write(filepath.Join(site, di, "RECORD"), []byte(strings.Join(rows, "\n")+"\n")); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d distributions, %d files, %.0f MB\n", out, n, totalFiles, float64(totalBytes)/1e6)
	return nil
}

func record(rel string, data []byte) string {
	sum := sha256.Sum256(data)
	return fmt.Sprintf("%s,sha256=%s,%d", rel, base64.RawURLEncoding.EncodeToString(sum[:]), len(data))
}

func write(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}
