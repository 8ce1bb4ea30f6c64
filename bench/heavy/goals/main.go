// Command goals summarises bench/heavy/run.sh: medians of wall time, CPU
// time and peak RSS per tool from /usr/bin/time -v files, the ratios to
// gitleaks, and the goals. Exit 1 when a goal is missed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type sample struct{ wall, cpu, rssMB float64 }

func parseTime(path string) (sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return sample{}, err
	}
	defer f.Close()
	var s sample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		val := line[strings.LastIndexByte(line, ' ')+1:]
		switch {
		case strings.HasPrefix(line, "Elapsed (wall clock) time"):
			s.wall = clock(val)
		case strings.HasPrefix(line, "User time"), strings.HasPrefix(line, "System time"):
			v, _ := strconv.ParseFloat(val, 64)
			s.cpu += v
		case strings.HasPrefix(line, "Maximum resident set size"):
			v, _ := strconv.ParseFloat(val, 64)
			s.rssMB = v / 1024
		}
	}
	return s, sc.Err()
}

// clock parses h:mm:ss or m:ss.cc.
func clock(v string) float64 {
	var t float64
	for _, p := range strings.Split(v, ":") {
		x, _ := strconv.ParseFloat(p, 64)
		t = t*60 + x
	}
	return t
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type stats struct {
	n               int
	wall, cpu, rss  float64
	walls, cpus, rs []float64
}

func load(dir, prefix string) (stats, error) {
	files, _ := filepath.Glob(filepath.Join(dir, prefix+".*.time"))
	var st stats
	for _, f := range files {
		s, err := parseTime(f)
		if err != nil {
			return st, err
		}
		st.walls = append(st.walls, s.wall)
		st.cpus = append(st.cpus, s.cpu)
		st.rs = append(st.rs, s.rssMB)
	}
	st.n = len(files)
	st.wall, st.cpu, st.rss = median(st.walls), median(st.cpus), median(st.rs)
	return st, nil
}

// keysFound counts planted keys the stripeguard reports point at (any
// line of a key's range, any severity).
func keysFound(truthPath string, reports []string) (int, int, error) {
	var t struct {
		Keys []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			EndLine int    `json:"end_line"`
		} `json:"keys"`
	}
	b, err := os.ReadFile(truthPath)
	if err != nil {
		return 0, 0, err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return 0, 0, err
	}
	minFound := len(t.Keys)
	for _, r := range reports {
		var rep struct {
			Findings []struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"findings"`
		}
		b, err := os.ReadFile(r)
		if err != nil {
			return 0, 0, err
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", r, err)
		}
		at := map[string]bool{}
		for _, f := range rep.Findings {
			at[f.File+":"+strconv.Itoa(f.Line)] = true
		}
		found := 0
		for _, k := range t.Keys {
			end := k.EndLine
			if end < k.Line {
				end = k.Line
			}
			for l := k.Line; l <= end; l++ {
				if at[k.File+":"+strconv.Itoa(l)] {
					found++
					break
				}
			}
		}
		minFound = min(minFound, found)
	}
	return minFound, len(t.Keys), nil
}

func main() {
	small := flag.String("small", "bench/work/heavy/small", "small tree run directory")
	big := flag.String("big", "", "1 GB tree run directory (optional)")
	truthPath := flag.String("truth", "bench/work/heavy/small/truth.json", "ground truth of the small tree")
	md := flag.String("md", "", "also write the table as Markdown here")
	flag.Parse()

	sg, err1 := load(*small, "sg")
	gls, err2 := load(*small, "gls")
	gld, err3 := load(*small, "gld")
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if sg.n == 0 || gls.n == 0 || gld.n == 0 {
		fmt.Fprintln(os.Stderr, "goals: missing runs")
		os.Exit(2)
	}
	reports, _ := filepath.Glob(filepath.Join(*small, "sg.*.json"))
	found, total, err := keysFound(*truthPath, reports)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| tool (Stripe-heavy tree, medians of %d runs) | wall | CPU (user+sys) | peak RSS |\n|---|---|---|---|\n", sg.n)
	row := func(name string, s stats) {
		fmt.Fprintf(&b, "| %s | %.2f s | %.2f s | %.0f MB |\n", name, s.wall, s.cpu, s.rss)
	}
	row("stripeguard scan (all analyzers)", sg)
	row("gitleaks, Stripe rule only", gls)
	row("gitleaks, default config", gld)
	var bigStats stats
	if *big != "" {
		var err error
		bigStats, err = load(*big, "sg")
		if err != nil || bigStats.n == 0 {
			fmt.Fprintln(os.Stderr, "goals: no runs on the 1 GB tree", err)
			os.Exit(2)
		}
		row(fmt.Sprintf("stripeguard scan, 1 GB tree (%d runs)", bigStats.n), bigStats)
	}
	fmt.Fprintf(&b, "\nwall-clock ratios: gitleaks-default / stripeguard = %.2fx, gitleaks-stripe / stripeguard = %.2fx\n", gld.wall/sg.wall, gls.wall/sg.wall)
	fmt.Fprintf(&b, "CPU ratios:        gitleaks-default / stripeguard = %.2fx, gitleaks-stripe / stripeguard = %.2fx\n", gld.cpu/sg.cpu, gls.cpu/sg.cpu)
	fmt.Fprintf(&b, "planted keys found by stripeguard (worst run): %d/%d\n", found, total)

	ok := true
	goal := func(name string, pass bool, detail string) {
		mark := "ok  "
		if !pass {
			mark = "MISS"
			ok = false
		}
		fmt.Fprintf(&b, "  [%s] %s (%s)\n", mark, name, detail)
	}
	b.WriteString("\ngoals:\n")
	goal("peak RSS <= 200 MB on the small tree", sg.rss <= 200, fmt.Sprintf("%.0f MB", sg.rss))
	if *big != "" {
		goal("peak RSS <= 300 MB on the 1 GB tree", bigStats.rss <= 300, fmt.Sprintf("%.0f MB", bigStats.rss))
	}
	goal(">= 3x faster than gitleaks' default scan", gld.wall/sg.wall >= 3, fmt.Sprintf("%.2fx wall, %.2fx CPU", gld.wall/sg.wall, gld.cpu/sg.cpu))
	goal("not slower than gitleaks with its Stripe rule only", gls.wall/sg.wall >= 1, fmt.Sprintf("%.2fx wall, %.2fx CPU", gls.wall/sg.wall, gls.cpu/sg.cpu))
	goal("every planted key found", found == total, fmt.Sprintf("%d/%d", found, total))
	fmt.Print(b.String())
	if *md != "" {
		_ = os.WriteFile(*md, []byte(b.String()), 0o644)
	}
	if !ok {
		os.Exit(1)
	}
}
