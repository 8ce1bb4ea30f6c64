// Command gen prepares the repository of the history benchmark
// (bench/history/run.sh): it can grow a synthetic Python project with a long
// history (-synthetic N commits, with feature branches and merges), and it
// plants Stripe keys in the history of any repository, writing the ground
// truth: for each key, the commit, path and line that introduced it.
//
//	gen -repo DIR -synthetic 20000 -truth truth.json   # synthetic project
//	gen -repo DIR -truth truth.json                   # plant into a clone
//
// Everything goes through `git fast-import`, so it is fast and
// deterministic for a seed. Planted shapes:
//
//	standard (any history scanner should find them; in added lines of
//	normal commits, followed by a quote or the end of the line):
//	  side-removed   on a side branch forked from an old commit, removed
//	                 in the next commit, never merged
//	  main-removed   on the main line, removed in the next commit
//	  main-present   on the main line, still in the working tree
//	  moved          added in one file, moved to another
//	  renamed        in a file that is then renamed
//	extended (what `git log -p --all` cannot show):
//	  message        in a commit message
//	  merge-only     in a merge resolution (in neither parent)
//	  dangling       in a commit no ref reaches any more
//	  zip            in a file inside a zip archive
//	  whsec          a webhook signing secret (no Stripe rule of gitleaks)
//
// Placeholders (sk_test_xxx…, Stripe's documentation key, sk_live_YOUR…)
// are planted too; they must not be reported.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
)

// Key is one planted credential.
type Key struct {
	Key      string `json:"key"`
	Shape    string `json:"shape"`
	Standard bool   `json:"standard"`
	Commit   string `json:"commit"`
	Path     string `json:"path"`
	Line     int    `json:"line"`
	InTree   bool   `json:"in_working_tree"`
	mark     int
}

// Placeholder is planted text that is not a key.
type Placeholder struct {
	Text   string `json:"text"`
	Commit string `json:"commit"`
	Path   string `json:"path"`
	mark   int
}

// Truth is what gen writes.
type Truth struct {
	Repo         string        `json:"repo"`
	Commits      int           `json:"commits"`
	Keys         []Key         `json:"keys"`
	Placeholders []Placeholder `json:"placeholders"`
}

var (
	repo      = flag.String("repo", "", "repository to create (-synthetic) or to plant into")
	synthetic = flag.Int("synthetic", 0, "first grow a synthetic project with this many commits")
	truthPath = flag.String("truth", "truth.json", "where to write the ground truth")
	seed      = flag.Uint64("seed", 20261206, "random seed")
	perShape  = flag.Int("keys", 6, "keys planted per standard shape (extended shapes get half)")
)

func main() {
	flag.Parse()
	if *repo == "" {
		fatal(fmt.Errorf("-repo is required"))
	}
	abs, err := filepath.Abs(*repo)
	if err != nil {
		fatal(err)
	}
	*repo = abs
	rng := rand.New(rand.NewPCG(*seed, *seed^0x5bd1e995))
	if *synthetic > 0 {
		if err := grow(*repo, *synthetic, rng); err != nil {
			fatal(err)
		}
	}
	t, err := plant(*repo, rng)
	if err != nil {
		fatal(err)
	}
	data, _ := json.MarshalIndent(t, "", "  ")
	if err := os.WriteFile(*truthPath, append(data, '\n'), 0o644); err != nil {
		fatal(err)
	}
	std, ext := 0, 0
	for _, k := range t.Keys {
		if k.Standard {
			std++
		} else {
			ext++
		}
	}
	fmt.Printf("gen: %s: %d commits; planted %d standard keys, %d extended, %d placeholders\n", *repo, t.Commits, std, ext, len(t.Placeholders))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(2)
}

func git(dir string, stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// stream builds a fast-import stream.
type stream struct {
	b    bytes.Buffer
	mark int
	when int64
}

func (s *stream) commit(ref, msg string, from string, merges []string, files map[string][]byte, deletes []string) int {
	s.mark++
	s.when += 3600
	fmt.Fprintf(&s.b, "commit %s\nmark :%d\n", ref, s.mark)
	fmt.Fprintf(&s.b, "author Bench Dev <dev@example.com> %d +0000\ncommitter Bench Dev <dev@example.com> %d +0000\n", s.when, s.when)
	fmt.Fprintf(&s.b, "data %d\n%s\n", len(msg), msg)
	if from != "" {
		fmt.Fprintf(&s.b, "from %s\n", from)
	}
	for _, m := range merges {
		fmt.Fprintf(&s.b, "merge %s\n", m)
	}
	for _, d := range deletes {
		fmt.Fprintf(&s.b, "D %s\n", d)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&s.b, "M 100644 inline %s\ndata %d\n", n, len(files[n]))
		s.b.Write(files[n])
		s.b.WriteByte('\n')
	}
	s.b.WriteByte('\n')
	return s.mark
}

func (s *stream) run(dir string) (map[int]string, error) {
	marks := dir + "/.git/bench-marks"
	if _, err := git(dir, s.b.Bytes(), "fast-import", "--quiet", "--export-marks="+marks); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(marks)
	if err != nil {
		return nil, err
	}
	os.Remove(marks)
	m := map[int]string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			n, _ := strconv.Atoi(strings.TrimPrefix(f[0], ":"))
			m[n] = f[1]
		}
	}
	return m, nil
}

// --- synthetic project ---------------------------------------------------

var words = strings.Fields(`order payment invoice customer charge refund subscription plan price product cart checkout
session account user address shipping tax discount coupon webhook event balance payout transfer dispute receipt
email notify render template queue retry cache lock settings config client request response status amount currency`)

func ident(r *rand.Rand) string {
	return words[r.IntN(len(words))] + "_" + words[r.IntN(len(words))]
}

func pyLine(r *rand.Rand, indent int) string {
	pad := strings.Repeat("    ", indent)
	switch r.IntN(9) {
	case 0:
		return fmt.Sprintf("%sif %s is None:", pad, ident(r))
	case 1:
		return fmt.Sprintf("%sreturn %s(%s, %s=%d)", pad, ident(r), ident(r), words[r.IntN(len(words))], r.IntN(1000))
	case 2:
		return fmt.Sprintf("%slogger.info(\"%s %%s\", %s)", pad, strings.ReplaceAll(ident(r), "_", " "), ident(r))
	case 3:
		return fmt.Sprintf("%s%s = %s.%s(%s)", pad, ident(r), words[r.IntN(len(words))], ident(r), ident(r))
	case 4:
		return fmt.Sprintf("%s# %s the %s before %s", pad, words[r.IntN(len(words))], ident(r), words[r.IntN(len(words))])
	case 5:
		return fmt.Sprintf("%sfor %s in %s:", pad, words[r.IntN(len(words))], ident(r))
	case 6:
		return fmt.Sprintf("%s%s[%q] = %s", pad, ident(r), words[r.IntN(len(words))], ident(r))
	case 7:
		return fmt.Sprintf("%sraise ValueError(\"invalid %s\")", pad, words[r.IntN(len(words))])
	}
	return fmt.Sprintf("%s%s += %d", pad, ident(r), r.IntN(100))
}

func pyFunc(r *rand.Rand) []string {
	out := []string{"", fmt.Sprintf("def %s(%s, %s=None):", ident(r), ident(r), words[r.IntN(len(words))]),
		fmt.Sprintf("    \"\"\"%s the %s.\"\"\"", capitalize(words[r.IntN(len(words))]), ident(r))}
	for i := 0; i < 3+r.IntN(12); i++ {
		out = append(out, pyLine(r, 1+r.IntN(2)))
	}
	return out
}

func capitalize(w string) string { return strings.ToUpper(w[:1]) + w[1:] }

func pyModule(r *rand.Rand) []string {
	lines := []string{"import logging", "", "from . import " + words[r.IntN(len(words))], "", "logger = logging.getLogger(__name__)"}
	for i := 0; i < 5+r.IntN(40); i++ {
		lines = append(lines, pyFunc(r)...)
	}
	return lines
}

func join(lines []string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// grow creates a synthetic repository: a Python project whose commits edit
// a few functions in a few modules, add and drop modules, with a feature
// branch merged every few dozen commits.
func grow(dir string, n int, r *rand.Rand) error {
	if _, err := os.Stat(dir + "/.git"); err == nil {
		return fmt.Errorf("%s already holds a repository", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := git(dir, nil, "init", "-q"); err != nil {
		return err
	}
	if _, err := git(dir, nil, "symbolic-ref", "HEAD", "refs/heads/main"); err != nil {
		return err
	}
	files := map[string][]string{}
	var names []string
	pkgs := []string{"shop", "shop/billing", "shop/orders", "shop/accounts", "shop/webhooks", "shop/api", "tests"}
	addFile := func() string {
		name := fmt.Sprintf("%s/%s_%d.py", pkgs[r.IntN(len(pkgs))], words[r.IntN(len(words))], len(names))
		files[name] = pyModule(r)
		names = append(names, name)
		return name
	}
	s := &stream{when: 1500000000}
	first := map[string][]byte{}
	for i := 0; i < 150; i++ {
		nm := addFile()
		first[nm] = join(files[nm])
	}
	first["README.md"] = []byte("# shop\n\nA payments app.\n")
	s.commit("refs/heads/main", "initial import", "", nil, first, nil)
	edit := func() map[string][]byte {
		ch := map[string][]byte{}
		for k := 0; k < 1+r.IntN(4); k++ {
			nm := names[r.IntN(len(names))]
			lines := files[nm]
			at := r.IntN(len(lines))
			del := r.IntN(min(6, len(lines)-at))
			var add []string
			if r.IntN(3) == 0 {
				add = pyFunc(r)
			} else {
				for j := 0; j < r.IntN(6); j++ {
					add = append(add, pyLine(r, 1+r.IntN(2)))
				}
			}
			nl := append(append(append([]string{}, lines[:at]...), add...), lines[at+del:]...)
			files[nm] = nl
			ch[nm] = join(nl)
		}
		if r.IntN(40) == 0 {
			nm := addFile()
			ch[nm] = join(files[nm])
		}
		return ch
	}
	main := 1
	for i := 1; i < n; {
		if r.IntN(30) == 0 && n-i > 6 {
			// A feature branch of a few commits, merged with --no-ff.
			// The merge result is the feature's tree: main did not move.
			fork := main
			var tip int
			merged := map[string][]byte{}
			for j := 0; j < 2+r.IntN(4); j++ {
				from := fmt.Sprintf(":%d", fork)
				if j > 0 {
					from = fmt.Sprintf(":%d", tip)
				}
				ch := edit()
				for k, v := range ch {
					merged[k] = v
				}
				tip = s.commit("refs/heads/feature", "feature: "+strings.ReplaceAll(ident(r), "_", " "), from, nil, ch, nil)
				i++
			}
			main = s.commit("refs/heads/main", "Merge branch 'feature'", fmt.Sprintf(":%d", main), []string{fmt.Sprintf(":%d", tip)}, merged, nil)
			i++
			continue
		}
		var del []string
		if r.IntN(60) == 0 && len(names) > 50 {
			k := r.IntN(len(names))
			del = []string{names[k]}
			delete(files, names[k])
			names = append(names[:k], names[k+1:]...)
		}
		main = s.commit("refs/heads/main", fmt.Sprintf("%s %s", []string{"Fix", "Add", "Refactor", "Update", "Handle"}[r.IntN(5)], strings.ReplaceAll(ident(r), "_", " ")), fmt.Sprintf(":%d", main), nil, edit(), del)
		i++
	}
	if _, err := s.run(dir); err != nil {
		return err
	}
	if _, err := git(dir, nil, "update-ref", "-d", "refs/heads/feature"); err != nil {
		return err
	}
	// fast-import writes every version as a delta of the one before, so
	// reading new versions means long delta chains; a clone or `git gc`
	// gives the usual layout (recent versions whole), which both tools then
	// read.
	if _, err := git(dir, nil, "repack", "-q", "-a", "-d", "-f"); err != nil {
		return err
	}
	_, err := git(dir, nil, "checkout", "-q", "-f", "main")
	return err
}

// --- planting ------------------------------------------------------------

type kind struct {
	prefix string
	body   int
}

var kinds = []kind{{"sk_" + "live_", 24}, {"sk_" + "live_", 99}, {"rk_" + "live_", 24}, {"sk_" + "test_", 24}, {"rk_" + "test_", 99}}

// keyLine is a line of a file of that extension holding key, in a form a
// regular-expression scanner matches (the key ends at a quote or the end
// of the line).
func keyLine(ext, key string, r *rand.Rand) string {
	switch ext {
	case ".env":
		return "STRIPE_SECRET_KEY=" + key
	case ".yml", ".yaml":
		return "  stripe_secret_key: \"" + key + "\""
	case ".json":
		return "  \"stripe_secret_key\": \"" + key + "\","
	}
	i := r.IntN(3)
	return []string{"STRIPE_SECRET_KEY = \"", "stripe.api_key = '", "    api_key=\""}[i] + key + []string{"\"", "'", "\""}[i]
}

func insertAt(content []byte, line int, text string) []byte {
	lines := strings.SplitAfter(string(content), "\n")
	if line-1 > len(lines) {
		line = len(lines) + 1
	}
	out := strings.Join(lines[:line-1], "") + text + "\n" + strings.Join(lines[line-1:], "")
	return []byte(out)
}

func plant(dir string, r *rand.Rand) (*Truth, error) {
	head, err := git(dir, nil, "symbolic-ref", "--short", "HEAD")
	if err != nil {
		return nil, err
	}
	mainRef := "refs/heads/" + head
	tip, err := git(dir, nil, "rev-parse", mainRef)
	if err != nil {
		return nil, err
	}
	firstParent, err := git(dir, nil, "rev-list", "--first-parent", mainRef)
	if err != nil {
		return nil, err
	}
	line := strings.Fields(firstParent)
	ts, err := git(dir, nil, "log", "-1", "--format=%ct", tip)
	if err != nil {
		return nil, err
	}
	when, _ := strconv.ParseInt(ts, 10, 64)
	s := &stream{when: when}
	t := &Truth{Repo: dir}
	seq := 0
	newKey := func(k kind) string {
		seq++
		return secretstest.Key(k.prefix, k.body, *seed*1000+uint64(seq))
	}
	// A text file at a commit, to plant into.
	pickFile := func(commit string) (string, []byte, error) {
		list, err := git(dir, nil, "ls-tree", "-r", "--name-only", commit)
		if err != nil {
			return "", nil, err
		}
		var cands []string
		for _, p := range strings.Split(list, "\n") {
			switch path.Ext(p) {
			case ".py", ".cfg", ".toml", ".yml", ".yaml", ".txt":
				if !strings.ContainsAny(p, " \t\"") {
					cands = append(cands, p)
				}
			}
		}
		if len(cands) == 0 {
			return "", nil, fmt.Errorf("no text file at %s", commit)
		}
		sort.Strings(cands)
		for tries := 0; tries < 20; tries++ {
			p := cands[r.IntN(len(cands))]
			data, err := git(dir, nil, "cat-file", "blob", commit+":"+p)
			if err == nil && len(data) < 200000 && !strings.Contains(data, "\x00") {
				return p, []byte(data + "\n"), nil
			}
		}
		return "", nil, fmt.Errorf("no small text file at %s", commit)
	}
	n := *perShape
	half := max(1, n/2)
	mainTip := tip
	chain := func(msg string, files map[string][]byte, deletes []string) int {
		m := s.commit(mainRef, msg, mainTip, nil, files, deletes)
		mainTip = fmt.Sprintf(":%d", m)
		return m
	}

	// side-removed: forks spread over the whole main line.
	for i := 0; i < n; i++ {
		fork := line[len(line)*(i+1)/(n+1)]
		p, data, err := pickFile(fork)
		if err != nil {
			return nil, err
		}
		key := newKey(kinds[i%len(kinds)])
		at := 1 + r.IntN(strings.Count(string(data), "\n"))
		ref := fmt.Sprintf("refs/heads/bench/side-%02d", i)
		m := s.commit(ref, "try the payment settings", fork, nil, map[string][]byte{p: insertAt(data, at, keyLine(path.Ext(p), key, r))}, nil)
		s.commit(ref, "revert payment settings", fmt.Sprintf(":%d", m), nil, map[string][]byte{p: data}, nil)
		t.Keys = append(t.Keys, Key{Key: key, Shape: "side-removed", Standard: true, Path: p, Line: at, mark: m})
	}
	// main-removed and main-present, on a chain of commits on top of main.
	for i := 0; i < n; i++ {
		p, data, err := pickFile(tip)
		if err != nil {
			return nil, err
		}
		key := newKey(kinds[(i+1)%len(kinds)])
		at := 1 + r.IntN(strings.Count(string(data), "\n"))
		m := chain("configure stripe", map[string][]byte{p: insertAt(data, at, keyLine(path.Ext(p), key, r))}, nil)
		chain("move the stripe key to the environment", map[string][]byte{p: data}, nil)
		t.Keys = append(t.Keys, Key{Key: key, Shape: "main-removed", Standard: true, Path: p, Line: at, mark: m})
	}
	for i := 0; i < n; i++ {
		key := newKey(kinds[(i+2)%len(kinds)])
		ext := []string{".py", ".env", ".yml", ".json"}[i%4]
		p := fmt.Sprintf("deploy/stripe_%02d%s", i, ext)
		content := fmt.Sprintf("# deployment settings %d\n%s\n", i, keyLine(ext, key, r))
		m := chain("add deployment settings", map[string][]byte{p: []byte(content)}, nil)
		t.Keys = append(t.Keys, Key{Key: key, Shape: "main-present", Standard: true, Path: p, Line: 2, InTree: true, mark: m})
	}
	// moved and renamed.
	for i := 0; i < n; i++ {
		key := newKey(kinds[(i+3)%len(kinds)])
		a := fmt.Sprintf("conf/old_%02d.py", i)
		m := chain("local settings", map[string][]byte{a: []byte("DEBUG = True\n" + keyLine(".py", key, r) + "\n")}, nil)
		chain("merge settings files", map[string][]byte{fmt.Sprintf("conf/new_%02d.py", i): []byte("# merged\nDEBUG = False\n\n" + keyLine(".py", key, r) + "\n")}, []string{a})
		chain("drop merged settings", nil, []string{fmt.Sprintf("conf/new_%02d.py", i)})
		t.Keys = append(t.Keys, Key{Key: key, Shape: "moved", Standard: true, Path: a, Line: 2, mark: m})
	}
	for i := 0; i < n; i++ {
		key := newKey(kinds[(i+4)%len(kinds)])
		a := fmt.Sprintf("scripts/refund_%02d.py", i)
		content := []byte("import stripe\n\n" + keyLine(".py", key, r) + "\n")
		m := chain("refund script", map[string][]byte{a: content}, nil)
		chain("move scripts", map[string][]byte{fmt.Sprintf("tools/refund_%02d.py", i): content}, []string{a})
		chain("remove refund script", nil, []string{fmt.Sprintf("tools/refund_%02d.py", i)})
		t.Keys = append(t.Keys, Key{Key: key, Shape: "renamed", Standard: true, Path: a, Line: 3, mark: m})
	}
	// Extended shapes.
	for i := 0; i < half; i++ {
		key := newKey(kinds[i%len(kinds)])
		m := chain("debug payments with "+key+" (remove before merging)", map[string][]byte{fmt.Sprintf("notes/debug_%02d.txt", i): []byte("debugging\n")}, nil)
		t.Keys = append(t.Keys, Key{Key: key, Shape: "message", Path: "", mark: m})
	}
	for i := 0; i < half; i++ {
		key := newKey(kinds[(i+1)%len(kinds)])
		base := mainTip
		side := s.commit(fmt.Sprintf("refs/heads/bench/feature-%02d", i), "feature work", base, nil, map[string][]byte{fmt.Sprintf("feature/f_%02d.py", i): []byte("x = 1\n")}, nil)
		chain("main work", map[string][]byte{fmt.Sprintf("main/m_%02d.py", i): []byte("y = 2\n")}, nil)
		p := fmt.Sprintf("billing/merged_%02d.py", i)
		m := s.commit(mainRef, "Merge branch 'feature'", mainTip, []string{fmt.Sprintf(":%d", side)}, map[string][]byte{p: []byte("\n" + keyLine(".py", key, r) + "\n")}, nil)
		mainTip = fmt.Sprintf(":%d", m)
		chain("fix merge", map[string][]byte{p: []byte("STRIPE_KEY = None\n")}, nil)
		t.Keys = append(t.Keys, Key{Key: key, Shape: "merge-only", Path: p, Line: 2, mark: m})
	}
	var danglingRefs []string
	for i := 0; i < half; i++ {
		key := newKey(kinds[(i+2)%len(kinds)])
		ref := fmt.Sprintf("refs/heads/bench/tmp-%02d", i)
		p := fmt.Sprintf("wip/wip_%02d.py", i)
		m := s.commit(ref, "wip", tip, nil, map[string][]byte{p: []byte(keyLine(".py", key, r) + "\n")}, nil)
		danglingRefs = append(danglingRefs, ref)
		t.Keys = append(t.Keys, Key{Key: key, Shape: "dangling", Path: p, Line: 1, mark: m})
	}
	for i := 0; i < half; i++ {
		key := newKey(kinds[(i+3)%len(kinds)])
		var zb bytes.Buffer
		zw := zip.NewWriter(&zb)
		w, _ := zw.Create("pkg/settings.py")
		fmt.Fprintf(w, "# built\n%s\n", keyLine(".py", key, r))
		zw.Close()
		p := fmt.Sprintf("dist/pkg_%02d.zip", i)
		m := chain("add build artifact", map[string][]byte{p: zb.Bytes()}, nil)
		chain("remove build artifact", nil, []string{p})
		t.Keys = append(t.Keys, Key{Key: key, Shape: "zip", Path: p + "!pkg/settings.py", Line: 2, mark: m})
	}
	for i := 0; i < half; i++ {
		key := secretstest.Key("whsec"+"_", 32, *seed*1000+uint64(900+i))
		p := fmt.Sprintf("webhooks/endpoint_%02d.py", i)
		m := chain("webhook endpoint", map[string][]byte{p: []byte("endpoint_secret = \"" + key + "\"\n")}, nil)
		chain("read the webhook secret from the environment", map[string][]byte{p: []byte("endpoint_secret = os.environ[\"STRIPE_WEBHOOK_SECRET\"]\n")}, nil)
		t.Keys = append(t.Keys, Key{Key: key, Shape: "whsec", Path: p, Line: 1, mark: m})
	}
	// Placeholders, all in one commit.
	ph := []string{"sk_" + "test_xxxxxxxxxxxxxxxxxxxxxxxx", "sk_" + "live_XXXXXXXXXXXXXXXXXXXXXXXX", secretstest.Keys["doc_sk"],
		"sk_" + "live_YOUR_SECRET_KEY_HERE_0000", "rk_" + "test_000000000000000000000000", "sk_" + "test_1234567890abcdefghijklmn"}
	var doc strings.Builder
	doc.WriteString("# Configuration\n\n")
	for _, p := range ph {
		fmt.Fprintf(&doc, "STRIPE_SECRET_KEY = \"%s\"\n", p)
	}
	pm := chain("document the settings", map[string][]byte{"docs/settings_example.py": []byte(doc.String())}, nil)
	for _, p := range ph {
		t.Placeholders = append(t.Placeholders, Placeholder{Text: p, Path: "docs/settings_example.py", mark: pm})
	}

	marks, err := s.run(dir)
	if err != nil {
		return nil, err
	}
	for i := range t.Keys {
		t.Keys[i].Commit = marks[t.Keys[i].mark]
	}
	for i := range t.Placeholders {
		t.Placeholders[i].Commit = marks[t.Placeholders[i].mark]
	}
	for _, ref := range danglingRefs {
		if _, err := git(dir, nil, "update-ref", "-d", ref); err != nil {
			return nil, err
		}
	}
	if _, err := git(dir, nil, "checkout", "-q", "-f", head); err != nil {
		return nil, err
	}
	count, err := git(dir, nil, "rev-list", "--all", "--count")
	if err != nil {
		return nil, err
	}
	t.Commits, _ = strconv.Atoi(count)
	return t, nil
}
