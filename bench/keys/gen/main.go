// Command gen writes the key-detection benchmark tree: a deterministic,
// realistic Python project of Python, JSON, YAML, notebooks, .env, logs, CSV,
// archives and bytecode (300+ MB by default) with Stripe keys planted in the
// positions regex scanners miss, placeholders that must not be reported, and
// a ground-truth JSON listing both.
//
//	go run ./bench/keys/gen -out bench/work/keys/tree -truth bench/work/keys/truth.json
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/source/expand/pycgen"
)

// Key is one planted real-format credential.
type Key struct {
	File string `json:"file"`
	Line int    `json:"line"`
	// EndLine > Line when the key spans lines (split string literals); a
	// report on any line of [Line, EndLine] counts.
	EndLine  int    `json:"end_line,omitempty"`
	Kind     string `json:"kind"`
	Position string `json:"position"`
	Key      string `json:"key"`
}

// Placeholder is a key-looking value that is not a credential; reporting it
// above severity info is a false positive.
type Placeholder struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Text string `json:"text"`
}

// Truth is the ground truth file.
type Truth struct {
	Seed         uint64        `json:"seed"`
	Files        int           `json:"files"`
	Bytes        int64         `json:"bytes"`
	Keys         []Key         `json:"keys"`
	Placeholders []Placeholder `json:"placeholders"`
}

var (
	outDir    = flag.String("out", "bench/work/keys/tree", "directory to write the tree into (emptied first)")
	truthPath = flag.String("truth", "bench/work/keys/truth.json", "ground truth output")
	sizeMB    = flag.Int("size", 320, "approximate tree size in MB")
	seed      = flag.Uint64("seed", 20261129, "random seed")
	stripePct = flag.Int("stripe-percent", 10, "percentage of Python modules that import stripe (100: a Stripe-heavy tree where every module does)")
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var words = strings.Fields(`account amount balance batch billing card charge checkout client config coupon
currency customer dispute event export invoice item ledger line order payment payout plan price product
refund report request retry session settlement shipping source subscription tax tenant transfer user
webhook worker queue cache record status total discount merchant region service handler render parse
validate build update create delete fetch notify schedule compute resolve archive metric sample stream`)

type gen struct {
	r     *rand.Rand
	truth Truth
	root  string
}

func (g *gen) word() string { return words[g.r.IntN(len(words))] }
func (g *gen) ident() string {
	return g.word() + "_" + g.word()
}
func (g *gen) rnd(n int, set string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}
func (g *gen) sentence() string {
	n := 4 + g.r.IntN(8)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = g.word()
	}
	return strings.Join(ws, " ")
}

// key makes a random credential of a kind.
func (g *gen) key(kind string) string {
	switch kind {
	case "sk_live_old":
		return "sk_live_" + g.rnd(24, alnum)
	case "sk_live_new":
		return "sk_live_51" + g.rnd(97, alnum)
	case "rk_live":
		return "rk_live_51" + g.rnd(97, alnum)
	case "sk_test":
		return "sk_test_51" + g.rnd(97, alnum)
	case "sk_test_old":
		return "sk_test_" + g.rnd(24, alnum)
	case "rk_test":
		return "rk_test_51" + g.rnd(97, alnum)
	case "whsec":
		return "whsec_" + g.rnd(32, alnum)
	}
	panic(kind)
}

// ---------------------------------------------------------------- filler

// filler returns the lines of a file of a type and the indices before
// which a line may be inserted without breaking its syntax.
func (g *gen) filler(typ string, size int) (lines []string, safe []int) {
	n := 0
	add := func(s string, ok bool) {
		if ok {
			safe = append(safe, len(lines))
		}
		lines = append(lines, s)
		n += len(s) + 1
	}
	switch typ {
	case "py":
		add(`"""`+g.sentence()+`."""`, false)
		add("import os", false)
		add("import logging", false)
		// Like a real project, about one module in ten talks to Stripe
		// (-stripe-percent); the rest is ordinary application code.
		usesStripe := g.r.IntN(100) < *stripePct
		if usesStripe {
			add("import stripe", false)
		} else {
			add("import requests", false)
		}
		add("", true)
		add("logger = logging.getLogger(__name__)", true)
		if usesStripe && g.r.IntN(2) == 0 {
			add(`stripe.api_key = os.environ["STRIPE_SECRET_KEY"]`, true)
		}
		for n < size {
			fn, a, b := g.ident(), g.word(), g.word()+"_id"
			add("", true)
			add("", true)
			add(fmt.Sprintf("def %s(%s, %s=None):", fn, a, b), false)
			add(fmt.Sprintf(`    """%s."""`, g.sentence()), false)
			for k := 0; k < 3+g.r.IntN(8); k++ {
				switch g.r.IntN(6) {
				case 0:
					add(fmt.Sprintf("    %s = %s.get(%q, %d)", g.word(), a, g.word(), g.r.IntN(1000)), false)
				case 1:
					add(fmt.Sprintf("    logger.info(%q, %s)", g.sentence()+" %s", b), false)
				case 2:
					add(fmt.Sprintf("    if %s is None:", b), false)
					add(fmt.Sprintf("        raise ValueError(%q)", g.sentence()), false)
				case 3:
					add(fmt.Sprintf("    total = sum(x[%q] for x in %s)", "amount", a), false)
				case 4:
					if usesStripe {
						add(fmt.Sprintf("    stripe.Customer.modify(%s, metadata={%q: %q})", b, g.word(), g.word()), false)
					} else {
						add(fmt.Sprintf("    requests.post(%q, json={%q: %s}, timeout=10)", "https://"+g.word()+".internal/"+g.word(), g.word(), b), false)
					}
				default:
					add(fmt.Sprintf("    # %s", g.sentence()), false)
				}
			}
			add(fmt.Sprintf("    return %s", a), false)
		}
	case "json":
		add("[", false)
		for i := 0; n < size; i++ {
			add(fmt.Sprintf(`  {"id": %d, "customer": "cus_%s", "email": "%s@example.com", "amount": %d, "currency": "usd", "status": %q, "description": %q},`,
				i, g.rnd(14, alnum), g.word(), g.r.IntN(100000), g.word(), g.sentence()), true)
		}
		add(`  {"id": -1}`, true)
		add("]", false)
	case "yaml":
		add("# "+g.sentence(), true)
		for n < size {
			add(g.ident()+":", true)
			for k := 0; k < 2+g.r.IntN(6); k++ {
				switch g.r.IntN(3) {
				case 0:
					add(fmt.Sprintf("  %s: %d", g.word(), g.r.IntN(5000)), true)
				case 1:
					add(fmt.Sprintf("  %s: %q", g.word(), g.sentence()), true)
				default:
					add(fmt.Sprintf("  %s_url: https://%s.example.com/%s/%s", g.word(), g.word(), g.word(), g.word()), true)
				}
			}
		}
	case "env":
		add("# "+g.sentence(), true)
		add("STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY}", true)
		for n < size {
			add(fmt.Sprintf("%s_%s=%s", strings.ToUpper(g.word()), strings.ToUpper(g.word()), g.word()), true)
		}
	case "log":
		for n < size {
			add(fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ %s [worker-%d] %s pi_%s amount=%d currency=usd customer=cus_%s",
				1+g.r.IntN(12), 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000),
				[]string{"INFO", "INFO", "INFO", "WARN", "DEBUG"}[g.r.IntN(5)], g.r.IntN(16), g.sentence(),
				g.rnd(24, alnum), g.r.IntN(100000), g.rnd(14, alnum)), true)
		}
	case "csv":
		add("id,account,customer,email,amount,currency,created,status", false)
		for i := 0; n < size; i++ {
			add(fmt.Sprintf("%d,acct_%s,cus_%s,%s@example.com,%d,usd,2026-%02d-%02d,%s",
				i, g.rnd(16, alnum), g.rnd(14, alnum), g.word(), g.r.IntN(100000), 1+g.r.IntN(12), 1+g.r.IntN(28), g.word()), true)
		}
	case "ipynb":
		add("{", false)
		add(` "cells": [`, false)
		first := true
		for n < size {
			if !first {
				add("  },", false)
			}
			first = false
			add("  {", false)
			add(`   "cell_type": "code",`, false)
			add(`   "execution_count": 1,`, false)
			add(`   "metadata": {},`, false)
			add(`   "outputs": [],`, false)
			add(`   "source": [`, false)
			for k := 0; k < 3+g.r.IntN(10); k++ {
				add(fmt.Sprintf(`    "%s = client.%s(%q)\n",`, g.word(), g.ident(), g.word()), true)
			}
			add(`    "print(df.head())"`, true)
			add("   ]", false)
		}
		add("  }", false)
		add(" ],", false)
		add(` "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},`, false)
		add(` "nbformat": 4,`, false)
		add(` "nbformat_minor": 5`, false)
		add("}", false)
	default:
		panic(typ)
	}
	return lines, safe
}

// ---------------------------------------------------------------- plants

// plantTpl renders a key into lines for a file type; first/last are the
// offsets of the lines that hold the key.
type plantTpl struct {
	typ, position string
	render        func(g *gen, key string) (lines []string, first, last int)
}

func one(format string) func(*gen, string) ([]string, int, int) {
	return func(g *gen, key string) ([]string, int, int) {
		return []string{strings.ReplaceAll(format, "KEY", key)}, 0, 0
	}
}

var plantTpls = map[string]plantTpl{
	"py-assign":      {"py", "python assignment", one(`stripe.api_key = "KEY"`)},
	"py-basic-colon": {"py", "followed by ':' (basic auth)", one(`AUTH = base64.b64encode(b"KEY:").decode()`)},
	"py-dict":        {"py", "python dict", one(`SETTINGS = {"stripe_secret": "KEY", "mode": "live"}`)},
	"py-split-inline": {"py", "split across adjacent literals (one line)", func(g *gen, key string) ([]string, int, int) {
		return []string{fmt.Sprintf(`STRIPE_SECRET_KEY = "%s" "%s"`, key[:10], key[10:])}, 0, 0
	}},
	"py-split-paren": {"py", "split across adjacent literals (lines)", func(g *gen, key string) ([]string, int, int) {
		h := len(key) / 2
		return []string{"stripe.api_key = (", fmt.Sprintf(`    "%s"`, key[:h]), fmt.Sprintf(`    "%s"`, key[h:]), ")"}, 0, 2
	}},
	"env":        {"env", "dotenv", one(`STRIPE_SECRET_KEY=KEY`)},
	"env-quoted": {"env", "dotenv quoted", one(`STRIPE_WEBHOOK_SECRET="KEY"`)},
	"yaml":       {"yaml", "yaml value", one(`  secret_key: KEY`)},
	"yaml-query": {"yaml", "followed by '&' (query string)", one(`  callback_url: https://hooks.example.com/stripe?key=KEY&env=prod`)},
	"json":       {"json", "json value", one(`  {"id": 9001, "stripe_key": "KEY", "active": true},`)},
	"json-escaped": {"json", "followed by escaped quote (JSON in JSON)",
		one(`  {"id": 9002, "config": "{\"stripe_key\": \"KEY\", \"mode\": \"live\"}"},`)},
	"csv":         {"csv", "followed by ',' (CSV row)", one(`9001,acct_1NbQ2eLkdIwHu7ix,KEY,ops@example.com,0,usd,2026-03-01,active`)},
	"csv-last":    {"csv", "last CSV column", one(`9002,acct_1NbQ2eLkdIwHu7ix,cus_PzQ9Y1rT0e,ops@example.com,0,usd,2026-03-01,KEY`)},
	"log-query":   {"log", "followed by '&' (query string)", one(`2026-03-01T10:00:00.000Z INFO [web] GET /v1/callback?api_key=KEY&customer=cus_PzQ9Y1rT0e HTTP/1.1 200`)},
	"log-curl":    {"log", "followed by ':' (curl -u)", one(`2026-03-01T10:00:01.000Z DEBUG [deploy] exec: curl https://api.stripe.com/v1/charges -u KEY: -d amount=2000`)},
	"log-comma":   {"log", "followed by ','", one(`2026-03-01T10:00:02.000Z INFO [boot] stripe client ready key=KEY, timeout=30`)},
	"ipynb-code":  {"ipynb", "followed by escaped quote (notebook JSON)", one(`    "stripe.api_key = \"KEY\"\n",`)},
	"ipynb-tuple": {"ipynb", "followed by escaped quote and ','", one(`    "client = StripeClient(\"KEY\", max_retries=2)\n",`)},
}

type plantSpec struct {
	tpl  string
	kind string
}

// The planted keys in ordinary files (archives, bytecode and manifests are
// added by special()).
var plants = []plantSpec{
	{"py-assign", "sk_live_old"}, {"py-assign", "sk_live_new"}, {"py-assign", "rk_live"},
	{"py-basic-colon", "sk_live_new"}, {"py-dict", "sk_test"},
	{"py-split-inline", "sk_live_new"}, {"py-split-paren", "sk_live_new"}, {"py-split-paren", "rk_live"},
	{"env", "sk_live_new"}, {"env", "sk_test_old"}, {"env-quoted", "whsec"}, {"env", "rk_test"},
	{"yaml", "sk_live_old"}, {"yaml-query", "sk_live_new"}, {"yaml", "whsec"},
	{"json", "rk_live"}, {"json-escaped", "sk_live_new"}, {"json-escaped", "whsec"},
	{"csv", "sk_live_new"}, {"csv", "rk_live"}, {"csv", "sk_test"}, {"csv-last", "sk_live_old"},
	{"log-query", "sk_live_new"}, {"log-query", "sk_test"}, {"log-curl", "sk_live_old"}, {"log-curl", "rk_live"}, {"log-comma", "sk_live_new"},
	{"ipynb-code", "sk_live_new"}, {"ipynb-code", "sk_test_old"}, {"ipynb-tuple", "rk_live"}, {"ipynb-code", "whsec"},
	{"py-assign", "whsec"}, {"log-comma", "rk_test"}, {"yaml-query", "sk_test"}, {"py-basic-colon", "rk_live"}, {"csv", "whsec"},
}

// placeholders are planted like keys and must not be reported above info.
var placeholders = []struct{ typ, line string }{
	{"py", `stripe.api_key = "sk_test_xxx"`},
	{"py", `stripe.api_key = "sk_live_..."`},
	{"py", `STRIPE_KEY = "<sk_live_...>"`},
	{"py", `stripe.api_key = "${STRIPE_KEY}"`},
	{"py", `stripe.api_key = "sk_test_` + "4eC39HqLyjWDarjtT1zdp7dc" + `"  # Stripe docs example key`},
	{"py", `stripe.api_key = "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX"`},
	{"py", `DEFAULT_KEY = "sk_test_000000000000000000000000"`},
	{"py", `WEBHOOK_SECRET = "whsec_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`},
	{"env", `STRIPE_SECRET_KEY=sk_live_...`},
	{"env", `STRIPE_SECRET_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx`},
	{"env", `STRIPE_WEBHOOK_SECRET=whsec_...`},
	{"env", `STRIPE_RESTRICTED_KEY=rk_live_************************`},
	{"yaml", `  secret_key: ${STRIPE_KEY}`},
	{"yaml", `  secret_key: "<sk_live_...>"`},
	{"yaml", `  secret_key: sk_live_your_secret_key_here`},
	{"json", `  {"id": 9100, "stripe_key": "sk_test_xxx", "active": false},`},
	{"json", `  {"id": 9101, "stripe_key": "sk_test_` + "4eC39HqLyjWDarjtT1zdp7dc" + `", "active": false},`},
	{"csv", `9100,acct_example,sk_test_xxxxxxxxxxxxxxxxxxxxxxxx,docs@example.com,0,usd,2026-01-01,example`},
	{"csv", `9101,acct_example,sk_live_...,docs@example.com,0,usd,2026-01-01,example`},
	{"log", `2026-03-01T10:00:03.000Z WARN [boot] STRIPE_SECRET_KEY looks like a placeholder (sk_live_...), set ${STRIPE_KEY}`},
	{"log", `2026-03-01T10:00:04.000Z DEBUG [docs] example: curl https://api.stripe.com/v1/charges -u sk_test_` + "4eC39HqLyjWDarjtT1zdp7dc" + `:`},
	{"ipynb", `    "stripe.api_key = \"sk_test_` + "4eC39HqLyjWDarjtT1zdp7dc" + `\"\n",`},
	{"ipynb", `    "stripe.api_key = \"sk_live_...\"\n",`},
	{"ipynb", `    "stripe.api_key = \"<sk_live_...>\"\n",`},
	{"py", `# export STRIPE_SECRET_KEY=sk_live_aaaaaaaaaaaaaaaaaaaaaaaa`},
}

// ---------------------------------------------------------------- files

type fileSpec struct {
	rel  string
	typ  string
	size int
	// insertion: a plant (tpl != "") or placeholder line
	tpl, kind, ph string
}

var typeWeights = []struct {
	typ string
	w   int
	ext string
}{
	{"py", 34, ".py"}, {"json", 14, ".json"}, {"yaml", 10, ".yaml"}, {"ipynb", 10, ".ipynb"},
	{"log", 16, ".log"}, {"csv", 12, ".csv"}, {"env", 4, ".env"},
}

func (g *gen) pickType() (string, string) {
	total := 0
	for _, t := range typeWeights {
		total += t.w
	}
	x := g.r.IntN(total)
	for _, t := range typeWeights {
		if x < t.w {
			return t.typ, t.ext
		}
		x -= t.w
	}
	panic("unreachable")
}

func (g *gen) newFile(i int, typ, ext string) *fileSpec {
	// log-uniform 2..50 KB; env files stay small
	size := int(2048 * math.Pow(25, g.r.Float64()))
	if typ == "env" {
		size = 1024 + g.r.IntN(3072)
	}
	svc := fmt.Sprintf("svc%02d", i%40)
	var rel string
	switch typ {
	case "py":
		rel = fmt.Sprintf("services/%s/%s/%s_%d%s", svc, []string{"app", "app/api", "tests", "scripts"}[g.r.IntN(4)], g.ident(), i, ext)
	case "json":
		rel = fmt.Sprintf("data/fixtures/%s/%s_%d%s", svc, g.word(), i, ext)
	case "yaml":
		rel = fmt.Sprintf("deploy/%s/%s_%d%s", svc, g.word(), i, ext)
	case "ipynb":
		rel = fmt.Sprintf("notebooks/%s/%s_%d%s", g.word(), g.ident(), i, ext)
	case "log":
		rel = fmt.Sprintf("logs/%s/%s-%d%s", svc, g.word(), i, ext)
	case "csv":
		rel = fmt.Sprintf("data/exports/%s/%s_%d%s", svc, g.word(), i, ext)
	case "env":
		rel = fmt.Sprintf("services/%s/config/%s_%d/.env", svc, g.word(), i)
	}
	return &fileSpec{rel: rel, typ: typ, size: size}
}

func (g *gen) plan(target int64) []*fileSpec {
	var files []*fileSpec
	var total int64
	for total < target {
		typ, ext := g.pickType()
		f := g.newFile(len(files), typ, ext)
		files = append(files, f)
		total += int64(f.size)
	}
	// Assign plants and placeholders to distinct files of their type,
	// adding files when a small tree runs out of them.
	byType := map[string][]*fileSpec{}
	for _, f := range files {
		byType[f.typ] = append(byType[f.typ], f)
	}
	take := func(typ string) *fileSpec {
		var free []*fileSpec
		for _, f := range byType[typ] {
			if f.tpl == "" && f.ph == "" {
				free = append(free, f)
			}
		}
		if len(free) == 0 {
			ext := "." + typ
			f := g.newFile(len(files), typ, ext)
			files = append(files, f)
			byType[typ] = append(byType[typ], f)
			return f
		}
		return free[g.r.IntN(len(free))]
	}
	for _, p := range plants {
		f := take(plantTpls[p.tpl].typ)
		f.tpl, f.kind = p.tpl, p.kind
	}
	for _, p := range placeholders {
		f := take(p.typ)
		f.ph = p.line
	}
	return files
}

func (g *gen) write(rel string, data []byte) {
	p := filepath.Join(g.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		fatal(err)
	}
	g.truth.Files++
	g.truth.Bytes += int64(len(data))
}

// render builds one file's content, inserting its plant or placeholder, and
// records the ground truth under the name truthRel.
func (g *gen) render(f *fileSpec, truthRel string) []byte {
	lines, safe := g.filler(f.typ, f.size)
	at := len(lines)
	if len(safe) > 0 {
		at = safe[g.r.IntN(len(safe))]
	}
	var ins []string
	switch {
	case f.tpl != "":
		t := plantTpls[f.tpl]
		key := g.key(f.kind)
		var first, last int
		ins, first, last = t.render(g, key)
		k := Key{File: truthRel, Line: at + 1 + first, Kind: f.kind, Position: t.position, Key: key}
		if last != first {
			k.EndLine = at + 1 + last
		}
		g.truth.Keys = append(g.truth.Keys, k)
	case f.ph != "":
		ins = []string{f.ph}
		g.truth.Placeholders = append(g.truth.Placeholders, Placeholder{File: truthRel, Line: at + 1, Text: f.ph})
	}
	if len(ins) > 0 {
		lines = append(lines[:at], append(ins, lines[at:]...)...)
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// ---------------------------------------------------------------- special

func zipOf(members map[string][]byte) []byte {
	var names []string
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range names {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate})
		if err != nil {
			fatal(err)
		}
		fw.Write(members[n])
	}
	if err := w.Close(); err != nil {
		fatal(err)
	}
	return b.Bytes()
}

func tgzOf(members map[string][]byte) []byte {
	var names []string
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(members[n])), Typeflag: tar.TypeReg, Format: tar.FormatPAX})
		tw.Write(members[n])
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func gzOf(data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// pyc builds a .pyc whose constants hold key at a known position and
// records it; the decoder emits one constant per line.
func (g *gen) pyc(truthRel, filename, kind string) []byte {
	var consts []string
	for i := 0; i < 5+g.r.IntN(20); i++ {
		consts = append(consts, g.sentence())
	}
	key := g.key(kind)
	at := g.r.IntN(len(consts))
	consts = append(consts[:at], append([]string{key}, consts[at:]...)...)
	g.truth.Keys = append(g.truth.Keys, Key{File: truthRel + "!strings.txt", Line: at + 1, Kind: kind, Position: "pyc string constant", Key: key})
	return pycgen.Module(filename, consts)
}

func (g *gen) special() {
	// zip / wheel / egg members
	for i, p := range []plantSpec{{"py-assign", "sk_live_new"}, {"env", "rk_live"}, {"csv", "sk_live_old"}} {
		rel := fmt.Sprintf("dist/bundle-%d.zip", i)
		m := map[string][]byte{}
		for k := 0; k < 5; k++ {
			m[fmt.Sprintf("app/%s_%d.py", g.word(), k)] = g.render(&fileSpec{typ: "py", size: 4000}, "")
		}
		t := plantTpls[p.tpl]
		name := map[string]string{"py": "app/settings.py", "env": "app/.env", "csv": "data/export.csv"}[t.typ]
		m[name] = g.render(&fileSpec{typ: t.typ, size: 3000, tpl: p.tpl, kind: p.kind}, rel+"!"+name)
		g.write(rel, zipOf(m))
	}
	// nested zip in zip
	{
		rel := "dist/release-2026.03.zip"
		inner := map[string][]byte{"conf/.env": g.render(&fileSpec{typ: "env", size: 2000, tpl: "env", kind: "sk_live_new"}, rel+"!vendor/plugin.zip!conf/.env")}
		g.write(rel, zipOf(map[string][]byte{
			"README.txt":        []byte(g.sentence() + "\n"),
			"vendor/plugin.zip": zipOf(inner),
		}))
	}
	// tar.gz members
	for i, p := range []plantSpec{{"yaml", "sk_live_new"}, {"env", "whsec"}, {"log-query", "rk_live"}} {
		rel := fmt.Sprintf("backups/config-%d.tar.gz", i)
		t := plantTpls[p.tpl]
		name := map[string]string{"yaml": "etc/app/config.yaml", "env": "srv/app/.env", "log": "var/log/app.log"}[t.typ]
		m := map[string][]byte{}
		for k := 0; k < 4; k++ {
			m[fmt.Sprintf("etc/app/%s_%d.yaml", g.word(), k)] = g.render(&fileSpec{typ: "yaml", size: 5000}, "")
		}
		m[name] = g.render(&fileSpec{typ: t.typ, size: 8000, tpl: p.tpl, kind: p.kind}, rel+"!"+name)
		g.write(rel, tgzOf(m))
	}
	// gzip log
	{
		rel := "logs/archive/app-2026-02-01.log.gz"
		g.write(rel, gzOf(g.render(&fileSpec{typ: "log", size: 40000, tpl: "log-curl", kind: "sk_live_new"}, rel+"!app-2026-02-01.log")))
	}
	// bytecode: stale __pycache__ files and an egg carrying one
	for i, kind := range []string{"sk_live_new", "rk_live"} {
		rel := fmt.Sprintf("services/svc%02d/app/__pycache__/settings.cpython-311.pyc", i)
		g.write(rel, g.pyc(rel, fmt.Sprintf("services/svc%02d/app/settings.py", i), kind))
	}
	{
		rel := "dist/payments_sdk-1.4.0-py3.11.egg"
		member := "payments_sdk/__pycache__/config.cpython-311.pyc"
		g.write(rel, zipOf(map[string][]byte{
			"EGG-INFO/PKG-INFO": []byte("Metadata-Version: 2.1\nName: payments-sdk\nVersion: 1.4.0\n"),
			member:              g.pyc(rel+"!"+member, "payments_sdk/config.py", "sk_live_old"),
		}))
	}
	// base64 in Kubernetes Secret manifests
	for i, kind := range []string{"sk_live_new", "rk_live", "whsec"} {
		rel := fmt.Sprintf("deploy/k8s/stripe-secret-%d.yaml", i)
		key := g.key(kind)
		doc := fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: stripe-%d\n  namespace: payments\ntype: Opaque\ndata:\n  STRIPE_SECRET_KEY: %s\n  LOG_LEVEL: %s\n",
			i, base64.StdEncoding.EncodeToString([]byte(key)), base64.StdEncoding.EncodeToString([]byte("info")))
		g.truth.Keys = append(g.truth.Keys, Key{File: rel, Line: 8, Kind: kind, Position: "base64 in Kubernetes Secret", Key: key})
		g.write(rel, []byte(doc))
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

func main() {
	flag.Parse()
	t := generate(*outDir, *truthPath, int64(*sizeMB)<<20, *seed)
	fmt.Printf("gen: %d files, %.1f MB, %d keys, %d placeholders -> %s\n",
		t.Files, float64(t.Bytes)/(1<<20), len(t.Keys), len(t.Placeholders), *truthPath)
}

// generate writes the tree under root (emptied first) and the ground truth.
func generate(root, truthPath string, size int64, seed uint64) *Truth {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), root: root}
	g.truth.Seed = seed
	if err := os.RemoveAll(g.root); err != nil {
		fatal(err)
	}
	files := g.plan(size)
	for _, f := range files {
		g.write(f.rel, g.render(f, f.rel))
	}
	g.special()
	sort.Slice(g.truth.Keys, func(i, j int) bool { return g.truth.Keys[i].File < g.truth.Keys[j].File })
	sort.Slice(g.truth.Placeholders, func(i, j int) bool { return g.truth.Placeholders[i].File < g.truth.Placeholders[j].File })
	b, err := json.MarshalIndent(g.truth, "", "  ")
	if err != nil {
		fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(truthPath), 0o755); err != nil {
		fatal(err)
	}
	if err := os.WriteFile(truthPath, append(b, '\n'), 0o644); err != nil {
		fatal(err)
	}
	return &g.truth
}
