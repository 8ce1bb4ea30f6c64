// Command typosquat measures the typosquat check: false positives over the
// 15,000 most-downloaded PyPI names and over Debian's Python package names,
// recall over constructed squats, and the same figures for GuardDog's rule
// (re-implemented in guarddog.go) on the same inputs. Run it with run.sh.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/stripeguard/stripeguard/internal/typosquat"
)

func main() {
	top := flag.String("top", "../shared/data/top-pypi-packages/top-pypi-packages.json", "top-pypi-packages JSON")
	legit := flag.String("legit", "internal/typosquat/testdata/debian-python3-names.txt", "legitimate names, one per line")
	squats := flag.String("squats", "internal/typosquat/testdata/squats.txt", "constructed squats: '<squat> <target>' per line")
	verbose := flag.Bool("v", false, "list every flag")
	flag.Parse()
	topNames, err := readTop(*top)
	check(err)
	legitNames, err := readLines(*legit)
	check(err)
	squatLines, err := readLines(*squats)
	check(err)

	sg := typosquat.New(typosquat.Options{})
	sgAll := typosquat.New(typosquat.Options{CheckPopular: true})
	gd := newGuardDog(topNames)

	fmt.Printf("inputs: %d top names, %d Debian names, %d constructed squats\n\n", len(topNames), len(legitNames), len(squatLines))
	fmt.Printf("%-44s %14s %14s\n", "", "stripeguard", "GuardDog")

	// 1. The top list itself, as declared dependencies (product behaviour:
	//    a popular name is legitimate by definition for both tools).
	sgTop, gdTop := 0, 0
	for _, n := range topNames {
		if _, ok := sg.Check(n); ok {
			sgTop++
		}
		if len(gd.check(n, "")) > 0 {
			gdTop++
		}
	}
	row("top-15000 as dependencies: flagged", sgTop, gdTop, len(topNames))

	// 2. Leave-one-out: each top name checked against all the others, with
	//    its own popularity ignored (how well the rules tell real projects
	//    apart).
	var sgLOO []string
	gdLOO := 0
	for _, n := range topNames {
		if m, ok := sgAll.Check(n); ok {
			sgLOO = append(sgLOO, fmt.Sprintf("%s -> %s (%s: %s)", n, m.Target, m.Class, m.Reason))
		}
		if len(gd.check(n, n)) > 0 {
			gdLOO++
		}
	}
	row("top-15000 leave-one-out: flagged", len(sgLOO), gdLOO, len(topNames))

	// 3. Debian's Python packages (legitimate, mostly less popular).
	var sgDeb []string
	gdDeb, checked := 0, 0
	t0 := time.Now()
	for _, n := range legitNames {
		if _, pop := typosquat.PopularRank(n); !pop {
			checked++
		}
		if m, ok := sg.Check(n); ok {
			sgDeb = append(sgDeb, fmt.Sprintf("%s -> %s (rank %d, %s: %s)", n, m.Target, m.Rank, m.Class, m.Reason))
		}
	}
	sgTime := time.Since(t0)
	t0 = time.Now()
	for _, n := range legitNames {
		if len(gd.check(n, "")) > 0 {
			gdDeb++
		}
	}
	gdTime := time.Since(t0)
	row("Debian python3-* names: flagged", len(sgDeb), gdDeb, len(legitNames))
	fmt.Printf("%-44s %14d\n", "  of which not in the top list", checked)

	// 4. Recall over constructed squats.
	sgHit, sgRight, gdHit, gdRight := 0, 0, 0, 0
	critN, sgCrit, gdCrit := 0, 0, 0
	addN, sgAdd, gdAdd := 0, 0, 0 // squats that contain the whole name they imitate (added words, suffixes)
	critical := map[string]bool{}
	for _, c := range typosquat.Critical {
		critical[c] = true
	}
	var missed []string
	for _, l := range squatLines {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		m, ok := sg.Check(f[0])
		if strings.Contains(typosquat.Normalize(f[0]), f[1]) {
			addN++
			if ok && m.Target == f[1] {
				sgAdd++
			}
			for _, t := range gd.check(f[0], "") {
				if t == f[1] {
					gdAdd++
					break
				}
			}
		}
		if critical[f[1]] {
			critN++
			if ok && m.Target == f[1] {
				sgCrit++
			}
			for _, t := range gd.check(f[0], "") {
				if t == f[1] {
					gdCrit++
					break
				}
			}
		}
		if ok {
			sgHit++
			if m.Target == f[1] {
				sgRight++
			}
		} else {
			missed = append(missed, f[0]+" ("+f[1]+")")
		}
		if ts := gd.check(f[0], ""); len(ts) > 0 {
			gdHit++
			for _, t := range ts {
				if t == f[1] {
					gdRight++
					break
				}
			}
		}
	}
	row("constructed squats: flagged", sgHit, gdHit, len(squatLines))
	row("  naming the imitated package", sgRight, gdRight, len(squatLines))
	row("  squats of stripe and its dependencies", sgCrit, gdCrit, critN)
	row("  squats containing the whole name", sgAdd, gdAdd, addN)
	fmt.Printf("%-44s %11.1f µs %11.1f µs\n", "time per name (Debian list)", us(sgTime, len(legitNames)), us(gdTime, len(legitNames)))

	fmt.Printf("\nstripeguard flags on Debian names (%d):\n", len(sgDeb))
	for _, s := range sgDeb {
		fmt.Println("  " + s)
	}
	fmt.Printf("\nconstructed squats stripeguard misses (%d):\n", len(missed))
	for _, s := range missed {
		fmt.Println("  " + s)
	}
	if *verbose {
		sort.Strings(sgLOO)
		fmt.Printf("\nstripeguard leave-one-out flags on top names (%d):\n", len(sgLOO))
		for _, s := range sgLOO {
			fmt.Println("  " + s)
		}
	}
}

func row(what string, a, b, n int) {
	fmt.Printf("%-44s %6d %6.2f%% %6d %6.2f%%\n", what, a, pct(a, n), b, pct(b, n))
}

func pct(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(a) / float64(n)
}

func us(d time.Duration, n int) float64 { return float64(d.Microseconds()) / float64(n) }

func readTop(p string) ([]string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var d struct {
		Rows []struct {
			Project string `json:"project"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range d.Rows {
		out = append(out, typosquat.Normalize(r.Project))
	}
	return out, nil
}

func readLines(p string) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		l := strings.TrimSpace(s.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out, s.Err()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "typosquat:", err)
		os.Exit(2)
	}
}
