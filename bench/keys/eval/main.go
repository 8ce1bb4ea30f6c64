// Command eval scores key scanners against the ground truth written by
// bench/keys/gen and prints a side-by-side table.
//
//	eval -truth truth.json -root TREE [-verify] [-goals] LABEL=FORMAT=PREFIX...
//
// FORMAT is "stripeguard" or "gitleaks". For each run i the tool's report
// is PREFIX.i.json and the output of /usr/bin/time -v is PREFIX.i.time.
// With -verify it first checks that every planted key is where the ground
// truth says (archive members and .pyc through internal/source/expand).
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/expand"
)

type key struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	EndLine  int    `json:"end_line"`
	Kind     string `json:"kind"`
	Position string `json:"position"`
	Key      string `json:"key"`
}

type placeholder struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Text string `json:"text"`
}

type truth struct {
	Files        int           `json:"files"`
	Bytes        int64         `json:"bytes"`
	Keys         []key         `json:"keys"`
	Placeholders []placeholder `json:"placeholders"`
}

// hit is one reported finding, normalised.
type hit struct {
	File      string
	Line      int
	AboveInfo bool
	Stripe    bool // about a Stripe credential (rule or matched text says so)
	Desc      string
}

type run struct {
	label, format, prefix string
}

type result struct {
	run
	runs     int
	walls    []float64
	rssKB    []int64
	found    map[int]bool // key index -> found (first report)
	fp       []string
	phAbove  int
	other    int
	tpCounts []int
	err      string
}

var stripeText = regexp.MustCompile(`(?:sk|rk)_(?:live|test|prod)_|whsec_`)

func main() {
	truthPath := flag.String("truth", "bench/work/keys/truth.json", "ground truth")
	root := flag.String("root", "bench/work/keys/tree", "scanned root as passed to the tools")
	verify := flag.Bool("verify", false, "check the ground truth against the tree first")
	goals := flag.Bool("goals", false, "exit 1 unless stripeguard meets the project goals")
	out := flag.String("md", "", "also write the table as Markdown here")
	flag.Parse()

	var t truth
	b, err := os.ReadFile(*truthPath)
	if err != nil {
		fatal(err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		fatal(err)
	}
	if *verify {
		if bad := verifyTruth(&t, *root); bad > 0 {
			fatal(fmt.Errorf("%d ground-truth entries do not match the tree", bad))
		}
		fmt.Printf("verify: %d keys and %d placeholders found where the ground truth says\n", len(t.Keys), len(t.Placeholders))
	}

	var results []*result
	for _, arg := range flag.Args() {
		p := strings.SplitN(arg, "=", 3)
		if len(p) != 3 {
			fatal(fmt.Errorf("bad run %q, want LABEL=FORMAT=PREFIX", arg))
		}
		results = append(results, score(run{p[0], p[1], p[2]}, &t, *root))
	}
	var md strings.Builder
	report(&md, &t, results)
	fmt.Print(md.String())
	if *out != "" {
		os.WriteFile(*out, []byte(md.String()), 0o644)
	}
	if *goals && !meetsGoals(&t, results) {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "eval:", err)
	os.Exit(2)
}

// ---------------------------------------------------------------- verify

func verifyTruth(t *truth, root string) int {
	texts := map[string][]string{} // file (with members) -> lines
	load := func(rel string) []string {
		if l, ok := texts[rel]; ok {
			return l
		}
		outer := rel
		if i := strings.IndexByte(rel, '!'); i >= 0 {
			outer = rel[:i]
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(outer)))
		if err != nil {
			texts[rel] = nil
			return nil
		}
		if outer == rel {
			texts[rel] = strings.Split(string(data), "\n")
			return texts[rel]
		}
		expand.Expand(&source.File{Rel: outer, Data: data}, expand.Limits{}, func(m *source.File) {
			texts[m.Rel] = strings.Split(string(m.Data), "\n")
		}, func(w *finding.Warning) { fmt.Fprintf(os.Stderr, "verify: %s: %s\n", w.File, w.Message) })
		return texts[rel]
	}
	at := func(rel string, from, to int) string {
		lines := load(rel)
		if to < from {
			to = from
		}
		if from < 1 || to > len(lines) {
			return ""
		}
		return strings.Join(lines[from-1:to], "\n")
	}
	bad := 0
	for _, k := range t.Keys {
		s := at(k.File, k.Line, k.EndLine)
		ok := strings.Contains(s, k.Key)
		if !ok && k.EndLine > k.Line || !ok && strings.Contains(k.Position, "adjacent") {
			ok = strings.Contains(strings.NewReplacer(`"`, "", " ", "", "\n", "").Replace(s), k.Key)
		}
		if !ok && strings.Contains(k.Position, "base64") {
			ok = strings.Contains(s, base64.StdEncoding.EncodeToString([]byte(k.Key)))
		}
		if !ok {
			bad++
			fmt.Fprintf(os.Stderr, "verify: key %s not at %s:%d (%q)\n", k.Kind, k.File, k.Line, s)
		}
	}
	for _, p := range t.Placeholders {
		if s := at(p.File, p.Line, p.Line); s != p.Text {
			bad++
			fmt.Fprintf(os.Stderr, "verify: placeholder not at %s:%d (%q)\n", p.File, p.Line, s)
		}
	}
	return bad
}

// ---------------------------------------------------------------- parse

func normFile(f, root string) string {
	f = filepath.ToSlash(f)
	r := strings.TrimSuffix(filepath.ToSlash(root), "/")
	if abs, err := filepath.Abs(root); err == nil {
		if strings.HasPrefix(f, filepath.ToSlash(abs)+"/") {
			return strings.TrimPrefix(f, filepath.ToSlash(abs)+"/")
		}
	}
	f = strings.TrimPrefix(f, r+"/")
	return strings.TrimPrefix(f, "./")
}

func parseReport(format, path, root string) ([]hit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var hits []hit
	switch format {
	case "gitleaks":
		var fs []struct {
			RuleID    string
			File      string
			StartLine int
			Secret    string
			Match     string
		}
		if err := json.Unmarshal(b, &fs); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		for _, f := range fs {
			hits = append(hits, hit{
				File: normFile(f.File, root), Line: f.StartLine, AboveInfo: true,
				Stripe: strings.Contains(f.RuleID, "stripe") || stripeText.MatchString(f.Secret) || stripeText.MatchString(f.Match),
				Desc:   f.RuleID,
			})
		}
	case "stripeguard":
		type sgFinding struct {
			RuleID   string `json:"rule_id"`
			Threat   string `json:"threat"`
			Severity string `json:"severity"`
			File     string `json:"file"`
			Line     int    `json:"line"`
			Evidence string `json:"evidence"`
		}
		var list []sgFinding
		if err := json.Unmarshal(b, &list); err != nil {
			var doc struct {
				Findings []sgFinding `json:"findings"`
			}
			if err2 := json.Unmarshal(b, &doc); err2 != nil {
				return nil, fmt.Errorf("%s: %v", path, err2)
			}
			list = doc.Findings
		}
		for _, f := range list {
			if f.Threat != "" && f.Threat != string(finding.KeyExposure) {
				continue
			}
			sev, _ := finding.ParseSeverity(f.Severity)
			hits = append(hits, hit{
				File: normFile(f.File, root), Line: f.Line, AboveInfo: sev > finding.Info,
				Stripe: true, Desc: f.RuleID + " " + f.Severity,
			})
		}
	default:
		return nil, fmt.Errorf("unknown format %q", format)
	}
	return hits, nil
}

var (
	reWall = regexp.MustCompile(`Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)`)
	reRSS  = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
)

func parseTime(path string) (wall float64, rss int64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	m := reWall.FindSubmatch(b)
	r := reRSS.FindSubmatch(b)
	if m == nil || r == nil {
		return 0, 0, fmt.Errorf("%s: no /usr/bin/time -v output", path)
	}
	for _, part := range strings.Split(string(m[1]), ":") {
		v, _ := strconv.ParseFloat(part, 64)
		wall = wall*60 + v
	}
	rss, _ = strconv.ParseInt(string(r[1]), 10, 64)
	return wall, rss, nil
}

// ---------------------------------------------------------------- score

func score(r run, t *truth, root string) *result {
	res := &result{run: r, found: map[int]bool{}}
	type loc struct {
		file string
		line int
	}
	keyAt := map[loc][]int{}
	for i, k := range t.Keys {
		end := k.EndLine
		if end < k.Line {
			end = k.Line
		}
		for l := k.Line; l <= end; l++ {
			keyAt[loc{k.File, l}] = append(keyAt[loc{k.File, l}], i)
		}
	}
	phAt := map[loc]bool{}
	for _, p := range t.Placeholders {
		phAt[loc{p.File, p.Line}] = true
	}
	for i := 1; ; i++ {
		rep := fmt.Sprintf("%s.%d.json", r.prefix, i)
		if _, err := os.Stat(rep); err != nil {
			break
		}
		res.runs++
		if w, rss, err := parseTime(fmt.Sprintf("%s.%d.time", r.prefix, i)); err == nil {
			res.walls = append(res.walls, w)
			res.rssKB = append(res.rssKB, rss)
		} else {
			res.err = err.Error()
		}
		hits, err := parseReport(r.format, rep, root)
		if err != nil {
			res.err = err.Error()
			continue
		}
		found := map[int]bool{}
		var fp []string
		ph, other := 0, 0
		for _, h := range hits {
			if ks := keyAt[loc{h.File, h.Line}]; len(ks) > 0 {
				for _, k := range ks {
					found[k] = true
				}
				continue
			}
			switch {
			case phAt[loc{h.File, h.Line}]:
				if h.AboveInfo {
					ph++
					fp = append(fp, fmt.Sprintf("placeholder %s:%d (%s)", h.File, h.Line, h.Desc))
				}
			case h.Stripe:
				if h.AboveInfo {
					fp = append(fp, fmt.Sprintf("%s:%d (%s)", h.File, h.Line, h.Desc))
				}
			default:
				other++
			}
		}
		res.tpCounts = append(res.tpCounts, len(found))
		if i == 1 {
			res.found, res.fp, res.phAbove, res.other = found, fp, ph, other
		}
	}
	if res.runs == 0 && res.err == "" {
		res.err = "no reports " + r.prefix + ".N.json"
	}
	return res
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(v []int64) int64 {
	var m int64
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	return m
}

func (r *result) recall(t *truth) float64 {
	return float64(len(r.found)) / float64(len(t.Keys))
}

func (r *result) precision() float64 {
	tp := len(r.found)
	if tp+len(r.fp) == 0 {
		return 0
	}
	return float64(tp) / float64(tp+len(r.fp))
}

func report(w *strings.Builder, t *truth, rs []*result) {
	fmt.Fprintf(w, "\nTree: %d files, %.1f MB, %d planted keys, %d placeholders\n\n", t.Files, float64(t.Bytes)/(1<<20), len(t.Keys), len(t.Placeholders))
	fmt.Fprintf(w, "| tool | runs | median wall (s) | peak RSS (MB) | recall | precision | placeholders > info | other findings |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		if r.err != "" && r.runs == 0 {
			fmt.Fprintf(w, "| %s | 0 | – | – | – | – | – | error: %s |\n", r.label, r.err)
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %.2f | %.0f | %d/%d = %.0f%% | %.0f%% | %d | %d |\n",
			r.label, r.runs, median(r.walls), float64(maxOf(r.rssKB))/1024,
			len(r.found), len(t.Keys), 100*r.recall(t), 100*r.precision(), r.phAbove, r.other)
	}
	fmt.Fprintf(w, "\n")
	for _, g := range rs {
		if g.format != "gitleaks" || len(g.walls) == 0 {
			continue
		}
		for _, s := range rs {
			if s.format != "stripeguard" || len(s.walls) == 0 || median(s.walls) == 0 {
				continue
			}
			fmt.Fprintf(w, "- time ratio %s / %s = %.2fx\n", g.label, s.label, median(g.walls)/median(s.walls))
		}
	}
	// Recall by position.
	positions := map[string][]int{}
	var names []string
	for i, k := range t.Keys {
		pos := k.Position
		if strings.Contains(k.File, "!") && !strings.HasPrefix(pos, "pyc") {
			pos += " [archive member]"
		}
		if _, ok := positions[pos]; !ok {
			names = append(names, pos)
		}
		positions[pos] = append(positions[pos], i)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "\n| position | keys |")
	for _, r := range rs {
		fmt.Fprintf(w, " %s |", r.label)
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---|", len(rs)))
	for _, n := range names {
		fmt.Fprintf(w, "| %s | %d |", n, len(positions[n]))
		for _, r := range rs {
			c := 0
			for _, i := range positions[n] {
				if r.found[i] {
					c++
				}
			}
			fmt.Fprintf(w, " %d |", c)
		}
		fmt.Fprintf(w, "\n")
	}
	for _, r := range rs {
		if r.err != "" {
			fmt.Fprintf(w, "\n%s: %s\n", r.label, r.err)
		}
		for _, c := range r.tpCounts {
			if c != len(r.found) {
				fmt.Fprintf(w, "\n%s: runs disagree on keys found: %v\n", r.label, r.tpCounts)
				break
			}
		}
		if len(r.fp) > 0 {
			fmt.Fprintf(w, "\n%s false positives (%d):\n", r.label, len(r.fp))
			for i, f := range r.fp {
				if i == 15 {
					fmt.Fprintf(w, "  ... %d more\n", len(r.fp)-15)
					break
				}
				fmt.Fprintf(w, "  %s\n", f)
			}
		}
	}
}

// meetsGoals checks the project's targets for every stripeguard run: ≥3x
// faster than gitleaks with only its Stripe rule (the run labelled
// gitleaks-stripe), 100% recall, no placeholder above info, ≤200 MB RSS. The
// first stripeguard run decides the result.
func meetsGoals(t *truth, rs []*result) bool {
	var gl *result
	for _, r := range rs {
		if r.label == "gitleaks-stripe" {
			gl = r
		}
	}
	first := true
	ok := true
	for _, sg := range rs {
		if sg.format != "stripeguard" {
			continue
		}
		good := true
		check := func(cond bool, format string, args ...any) {
			mark := "PASS"
			if !cond {
				mark, good = "FAIL", false
			}
			fmt.Printf("%s  %s: %s\n", mark, sg.label, fmt.Sprintf(format, args...))
		}
		fmt.Println()
		check(len(sg.found) == len(t.Keys), "recall 100%% (%d/%d)", len(sg.found), len(t.Keys))
		check(len(sg.fp) == 0, "no placeholder or non-key reported above info (%d)", len(sg.fp))
		check(len(sg.rssKB) > 0 && maxOf(sg.rssKB) <= 200*1024, "peak RSS <= 200 MB (%.0f MB)", float64(maxOf(sg.rssKB))/1024)
		if gl != nil && len(gl.walls) > 0 && len(sg.walls) > 0 {
			ratio := median(gl.walls) / median(sg.walls)
			check(ratio >= 3, ">= 3x faster than gitleaks-stripe (%.2fx)", ratio)
		}
		// The first stripeguard run (the full scan) decides the exit status.
		if first {
			ok = good
			first = false
		}
	}
	return ok
}
