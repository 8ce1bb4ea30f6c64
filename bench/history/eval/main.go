// Command eval scores history scanners against the ground truth written by
// bench/history/gen and prints the side-by-side table of
// bench/history/run.sh.
//
//	eval -truth truth.json [-goals] [-md out.md] LABEL=FORMAT=PREFIX...
//
// FORMAT is "stripeguard" or "gitleaks". Run i of a tool wrote its JSON
// report to PREFIX.i.json and /usr/bin/time -v's output to PREFIX.i.time.
// A planted key counts as found by stripeguard when a history finding has
// its fingerprint (one finding per distinct secret) and as correctly
// attributed when that finding's commit, path and line are the truth's; it
// counts as found by gitleaks when a finding's secret is the key, and as
// attributed when one of them is in the introducing commit.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
)

type key struct {
	Key      string `json:"key"`
	Shape    string `json:"shape"`
	Standard bool   `json:"standard"`
	Commit   string `json:"commit"`
	Path     string `json:"path"`
	Line     int    `json:"line"`
}

type truth struct {
	Repo         string `json:"repo"`
	Commits      int    `json:"commits"`
	Keys         []key  `json:"keys"`
	Placeholders []struct {
		Text string `json:"text"`
	} `json:"placeholders"`
}

// result is what one run of a tool reported, normalised.
type result struct {
	found    map[string]bool // key -> reported
	exact    map[string]bool // key -> reported where it was introduced
	holders  int             // placeholders reported
	other    int             // findings about no planted key
	wall     float64
	rssMB    float64
	parseErr error
}

type tool struct {
	label, format, prefix string
	runs                  []result
}

func main() {
	truthPath := flag.String("truth", "", "ground truth from gen")
	goals := flag.Bool("goals", false, "exit 1 when stripeguard misses a goal")
	md := flag.String("md", "", "also write the table as Markdown to this file")
	flag.Parse()
	data, err := os.ReadFile(*truthPath)
	if err != nil {
		fatal(err)
	}
	var t truth
	if err := json.Unmarshal(data, &t); err != nil {
		fatal(err)
	}
	var tools []*tool
	for _, a := range flag.Args() {
		p := strings.SplitN(a, "=", 3)
		if len(p) != 3 {
			fatal(fmt.Errorf("argument %q: want LABEL=FORMAT=PREFIX", a))
		}
		tl := &tool{label: p[0], format: p[1], prefix: p[2]}
		for i := 1; ; i++ {
			base := fmt.Sprintf("%s.%d", tl.prefix, i)
			if _, err := os.Stat(base + ".json"); err != nil {
				break
			}
			tl.runs = append(tl.runs, score(&t, tl.format, base))
		}
		if len(tl.runs) == 0 {
			fatal(fmt.Errorf("no runs for %s (%s.1.json)", tl.label, tl.prefix))
		}
		tools = append(tools, tl)
	}
	var out strings.Builder
	w := io.MultiWriter(os.Stdout, &out)
	ok := report(w, &t, tools)
	if *md != "" {
		_ = os.WriteFile(*md, []byte(out.String()), 0o644)
	}
	if *goals && !ok {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "eval:", err)
	os.Exit(2)
}

func historyFingerprint(k string) string {
	f := &finding.Finding{Secret: k, History: &finding.History{}}
	f.SetFingerprint(0)
	return f.Fingerprint
}

func score(t *truth, format, base string) result {
	r := result{found: map[string]bool{}, exact: map[string]bool{}}
	r.wall, r.rssMB = timing(base + ".time")
	data, err := os.ReadFile(base + ".json")
	if err != nil {
		r.parseErr = err
		return r
	}
	holder := map[string]bool{}
	for _, p := range t.Placeholders {
		holder[p.Text] = true
	}
	switch format {
	case "stripeguard":
		var doc struct {
			Findings []struct {
				File, Commit, Fingerprint, Evidence string
				Line                                int
				History                             *struct{} `json:"history"`
			} `json:"findings"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			r.parseErr = err
			return r
		}
		byFP := map[string]key{}
		for _, k := range t.Keys {
			byFP[historyFingerprint(k.Key)] = k
		}
		phFP := map[string]bool{}
		for p := range holder {
			phFP[historyFingerprint(p)] = true
		}
		for _, f := range doc.Findings {
			if f.History == nil {
				continue
			}
			k, ok := byFP[f.Fingerprint]
			switch {
			case ok:
				r.found[k.Key] = true
				if f.Commit == k.Commit && f.File == k.Path && f.Line == k.Line {
					r.exact[k.Key] = true
				}
			case phFP[f.Fingerprint]:
				r.holders++
			default:
				r.other++
			}
		}
	case "gitleaks":
		var doc []struct {
			Secret, Match, Commit, File, RuleID string
			StartLine                           int
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			r.parseErr = err
			return r
		}
		for _, f := range doc {
			hit := false
			for _, k := range t.Keys {
				if f.Secret == k.Key || strings.Contains(f.Match, k.Key) {
					hit = true
					r.found[k.Key] = true
					if f.Commit == k.Commit {
						r.exact[k.Key] = true
					}
				}
			}
			if hit {
				continue
			}
			isHolder := false
			for p := range holder {
				if f.Secret == p || strings.Contains(f.Match, p) {
					isHolder = true
				}
			}
			if isHolder {
				r.holders++
			} else {
				r.other++
			}
		}
	default:
		r.parseErr = fmt.Errorf("unknown format %q", format)
	}
	return r
}

// timing reads wall time (s) and peak RSS (MB) from /usr/bin/time -v.
func timing(path string) (wall, rss float64) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "Elapsed (wall clock) time"):
			v := line[strings.LastIndex(line, " ")+1:]
			parts := strings.Split(v, ":")
			for _, p := range parts {
				f, _ := strconv.ParseFloat(p, 64)
				wall = wall*60 + f
			}
		case strings.HasPrefix(line, "Maximum resident set size"):
			f, _ := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
			rss = f / 1024
		}
	}
	return wall, rss
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(w io.Writer, t *truth, tools []*tool) bool {
	std, all := 0, len(t.Keys)
	for _, k := range t.Keys {
		if k.Standard {
			std++
		}
	}
	fmt.Fprintf(w, "repository: %s (%d commits); planted: %d keys (%d standard, %d extended), %d placeholders\n\n",
		filepath.Base(t.Repo), t.Commits, all, std, all-std, len(t.Placeholders))
	fmt.Fprintln(w, "| tool | runs | median wall | commits/s | peak RSS | standard keys | all keys | at the introducing commit | placeholders | other findings |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	walls := map[string]float64{}
	recall := map[string][2]int{}
	for _, tl := range tools {
		var ws, rs []float64
		for _, r := range tl.runs {
			if r.parseErr != nil {
				fmt.Fprintf(w, "| %s | run failed: %v |\n", tl.label, r.parseErr)
			}
			ws = append(ws, r.wall)
			rs = append(rs, r.rssMB)
		}
		// Recall from the last run (the runs see the same repository; a
		// difference between runs would be a bug, so it is checked).
		last := tl.runs[len(tl.runs)-1]
		for _, r := range tl.runs {
			if len(r.found) != len(last.found) {
				fmt.Fprintf(w, "| %s | runs disagree: %d vs %d keys found |\n", tl.label, len(r.found), len(last.found))
			}
		}
		s, a, ex := 0, 0, 0
		for _, k := range t.Keys {
			if last.found[k.Key] {
				a++
				if k.Standard {
					s++
				}
			}
			if last.exact[k.Key] {
				ex++
			}
		}
		mw := median(ws)
		walls[tl.label] = mw
		recall[tl.label] = [2]int{s, a}
		cps := 0.0
		if mw > 0 {
			cps = float64(t.Commits) / mw
		}
		fmt.Fprintf(w, "| %s | %d | %.2f s | %.0f | %.0f MB | %d/%d | %d/%d | %d/%d | %d | %d |\n",
			tl.label, len(tl.runs), mw, cps, median(rs), s, std, a, all, ex, a, last.holders, last.other)
	}

	// Which shapes each tool finds.
	shapes := []string{}
	seen := map[string]bool{}
	for _, k := range t.Keys {
		if !seen[k.Shape] {
			seen[k.Shape] = true
			shapes = append(shapes, k.Shape)
		}
	}
	fmt.Fprintf(w, "\n| shape |")
	for _, tl := range tools {
		fmt.Fprintf(w, " %s |", tl.label)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(tools)))
	for _, sh := range shapes {
		fmt.Fprintf(w, "| %s |", sh)
		for _, tl := range tools {
			last := tl.runs[len(tl.runs)-1]
			n, f := 0, 0
			for _, k := range t.Keys {
				if k.Shape == sh {
					n++
					if last.found[k.Key] {
						f++
					}
				}
			}
			fmt.Fprintf(w, " %d/%d |", f, n)
		}
		fmt.Fprintln(w)
	}

	// Goals: stripeguard finds every planted key, no placeholder, at least
	// the standard keys every other tool finds, and is >= 2x faster than
	// each gitleaks configuration.
	ok := true
	var sg *tool
	for _, tl := range tools {
		if tl.format == "stripeguard" {
			sg = tl
		}
	}
	if sg == nil {
		return true
	}
	fmt.Fprintln(w)
	last := sg.runs[len(sg.runs)-1]
	goal := func(pass bool, format string, args ...any) {
		mark := "PASS"
		if !pass {
			mark, ok = "MISS", false
		}
		fmt.Fprintf(w, "goal %s: %s\n", mark, fmt.Sprintf(format, args...))
	}
	goal(recall[sg.label][1] == all, "stripeguard finds every planted key (%d/%d)", recall[sg.label][1], all)
	exact := 0
	for _, k := range t.Keys {
		if last.exact[k.Key] {
			exact++
		}
	}
	goal(exact == all, "stripeguard attributes every key to the commit, path and line that introduced it (%d/%d)", exact, all)
	goal(last.holders == 0, "no placeholder reported (%d)", last.holders)
	for _, tl := range tools {
		if tl.format != "gitleaks" {
			continue
		}
		goal(recall[sg.label][0] >= recall[tl.label][0], "standard recall at least %s's (%d vs %d of %d)", tl.label, recall[sg.label][0], recall[tl.label][0], std)
		ratio := 0.0
		if walls[sg.label] > 0 {
			ratio = walls[tl.label] / walls[sg.label]
		}
		goal(ratio >= 2, "at least 2x faster than %s: %.1fx (median %.2f s vs %.2f s)", tl.label, ratio, walls[sg.label], walls[tl.label])
	}
	return ok
}
