// Command python benchmarks the Python analyzers (webhook, codekeys) on a
// large real-world tree assembled from CPython's standard library plus the
// analyzers' fixture apps, side by side with the key-only scan.
//
//	go run ./bench/python                     # assemble bench/work/python-tree, 3 runs each
//	go run ./bench/python -runs 5 -parse-mb 20
//
// It reports wall time and process CPU time (user+sys): on a shared
// machine CPU seconds are the steadier figure.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/stripeguard/stripeguard/internal/analyzer/codekeys"
	_ "github.com/stripeguard/stripeguard/internal/analyzer/secrets"
	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/engine"
	"github.com/stripeguard/stripeguard/internal/pyast"
)

func main() {
	srcs := flag.String("src", "/usr/lib/python3.11,/root/.pyenv/versions/3.11.7/lib/python3.11", "comma-separated Python library directories to copy")
	work := flag.String("work", "bench/work/python-tree", "where the tree is assembled (gitignored)")
	fixtures := flag.String("fixtures", "internal/analyzer/webhook/testdata,internal/analyzer/codekeys/testdata", "fixture apps copied into the tree so the analyzers have work")
	runs := flag.Int("runs", 3, "scans per configuration (the best is reported)")
	parseMB := flag.Int("parse-mb", 8, "MB of the tree to parse for the parse-throughput figure")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the full scans here")
	flag.Parse()

	if err := assemble(*work, strings.Split(*srcs, ","), strings.Split(*fixtures, ",")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	files, total := pyFiles(*work)
	fmt.Printf("tree: %s, %d .py files, %.1f MB\n", *work, len(files), float64(total)/1e6)

	gateStats(files)
	parseThroughput(files, int64(*parseMB)<<20)

	configs := []struct {
		name string
		only []string
	}{
		{"key-only (secrets)", []string{"secrets"}},
		{"full (secrets+webhook+codekeys)", []string{"secrets", webhook.Name, codekeys.Name}},
	}
	best := map[string][2]time.Duration{}
	for i := 0; i < *runs; i++ {
		for j, c := range configs {
			if j == 1 && *cpuprofile != "" {
				pf, err := os.Create(*cpuprofile)
				if err == nil {
					_ = pprof.StartCPUProfile(pf)
				}
			}
			wall, cpu, n, err := scan(*work, c.only)
			if j == 1 && *cpuprofile != "" {
				pprof.StopCPUProfile()
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, c.name, err)
				os.Exit(1)
			}
			fmt.Printf("run %d %-34s wall %7.2fs cpu %7.2fs findings %d\n", i+1, c.name, wall.Seconds(), cpu.Seconds(), n)
			b, ok := best[c.name]
			if !ok || wall < b[0] {
				b[0] = wall
			}
			if !ok || cpu < b[1] {
				b[1] = cpu
			}
			best[c.name] = b
		}
	}
	k, f := best[configs[0].name], best[configs[1].name]
	fmt.Printf("best key-only: wall %.2fs cpu %.2fs | best full: wall %.2fs cpu %.2fs | ratio wall %.2fx cpu %.2fx\n",
		k[0].Seconds(), k[1].Seconds(), f[0].Seconds(), f[1].Seconds(), f[0].Seconds()/k[0].Seconds(), f[1].Seconds()/k[1].Seconds())
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func scan(root string, only []string) (wall, cpu time.Duration, findings int, err error) {
	c0, t0 := cpuTime(), time.Now()
	r, err := engine.Run(context.Background(), engine.Options{Root: root, Only: only})
	if err != nil {
		return 0, 0, 0, err
	}
	return time.Since(t0), cpuTime() - c0, len(r.Findings), nil
}

func gateStats(files []string) {
	var n, wh, ck, whBytes, ckBytes, total int
	var data [][]byte
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		data = append(data, b)
		total += len(b)
		n++
		if webhook.Gate(b) {
			wh++
			whBytes += len(b)
		}
		if codekeys.Gate(b) {
			ck++
			ckBytes += len(b)
		}
	}
	fmt.Printf("gate: webhook parses %d/%d files (%.2f MB), codekeys %d/%d (%.2f MB); shared parse cache serves both\n",
		wh, n, float64(whBytes)/1e6, ck, n, float64(ckBytes)/1e6)
	const reps = 5
	t0 := cpuTime()
	for i := 0; i < reps; i++ {
		for _, b := range data {
			pyast.GateBits(b) // computed once per file for both analyzers
		}
	}
	cpu := (cpuTime() - t0) / reps
	fmt.Printf("gate cost: shared gate over the tree %.3f CPU-s (%.0f MB/s)\n", cpu.Seconds(), float64(total)/1e6/cpu.Seconds())
}

// parseThroughput parses files (largest first, up to limit bytes) on one
// goroutine: parse + flatten + module model.
func parseThroughput(files []string, limit int64) {
	type f struct {
		p string
		b []byte
	}
	var all []f
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil && len(b) < pyast.MaxFileSize {
			all = append(all, f{p, b})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].p < all[j].p })
	var bytes int64
	c0, t0 := cpuTime(), time.Now()
	nerr := 0
	for _, x := range all {
		if bytes >= limit {
			break
		}
		if _, err := pyast.ParseModule(x.p, x.b, pyast.ParseDeadline); err != nil {
			nerr++
		}
		bytes += int64(len(x.b))
	}
	wall, cpu := time.Since(t0), cpuTime()-c0
	fmt.Printf("parse: %.1f MB in wall %.2fs (%.2f MB/s), cpu %.2fs (%.2f MB per CPU-s), %d not parsed\n",
		float64(bytes)/1e6, wall.Seconds(), float64(bytes)/1e6/wall.Seconds(), cpu.Seconds(), float64(bytes)/1e6/cpu.Seconds(), nerr)
}

func pyFiles(root string) ([]string, int64) {
	var out []string
	var total int64
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".py") {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
			out = append(out, p)
		}
		return nil
	})
	return out, total
}

// assemble copies the .py files of each source library (without
// site-packages) and the fixture apps into work, once.
func assemble(work string, libs, fixtures []string) error {
	if _, err := os.Stat(filepath.Join(work, ".complete")); err == nil {
		return nil
	}
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	for i, lib := range libs {
		dst := filepath.Join(work, fmt.Sprintf("lib%d", i))
		if err := copyPy(lib, dst, true); err != nil {
			return err
		}
	}
	for i, fx := range fixtures {
		if err := copyPy(fx, filepath.Join(work, fmt.Sprintf("apps%d", i)), false); err != nil {
			return err
		}
	}
	// The tree lives under bench/work/, which the repository's .gitignore
	// covers and the walker honours; its own (empty) repository makes it a
	// normal project again, as bench/keys/run.sh does.
	if out, err := exec.Command("git", "init", "-q", work).CombinedOutput(); err != nil {
		return fmt.Errorf("git init %s: %v: %s", work, err, out)
	}
	return os.WriteFile(filepath.Join(work, ".complete"), nil, 0o644)
}

func copyPy(src, dst string, skipPackages bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts of a system tree are skipped
		}
		if d.IsDir() {
			if skipPackages && (d.Name() == "site-packages" || d.Name() == "dist-packages" || d.Name() == "__pycache__") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(p, ".py") {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer in.Close()
		o, err := os.Create(out)
		if err != nil {
			return err
		}
		_, err = io.Copy(o, in)
		if cerr := o.Close(); err == nil {
			err = cerr
		}
		return err
	})
}
