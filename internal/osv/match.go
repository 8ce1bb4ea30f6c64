package osv

import (
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/pep440"
)

// entry is one affected[] element, compiled for matching.
type entry struct {
	rec    *Record
	listed []string // versions as written
	// listedV holds every listed version parsed (for Admits), built on
	// first use: Check never needs it.
	parseOnce sync.Once
	listedV   []pep440.Version
	ranges    [][]event // ECOSYSTEM ranges, events sorted
	fixes     []pep440.Version
	severity  finding.Severity
	score     float64
	known     bool // severity came from the record, not DefaultSeverity
}

type event struct {
	kind byte // 'i' introduced, 'f' fixed, 'l' last_affected, 'x' limit
	zero bool // introduced "0"
	v    pep440.Version
}

func compile(r *Record, a *Affected) *entry {
	e := &entry{rec: r, listed: a.Versions}
	e.severity, e.score, e.known = RecordSeverity(r)
	for _, rg := range a.Ranges {
		// Every range is evaluated; GIT (commit hashes) and SEMVER ranges say
		// nothing about PyPI version strings and are skipped, not allowed to
		// end the loop as in osv-scanner.
		if rg.Type != "ECOSYSTEM" {
			continue
		}
		var evs []event
		usable := true
		for _, ev := range rg.Events {
			var kind byte
			var raw string
			switch {
			case ev.Introduced != "":
				kind, raw = 'i', ev.Introduced
			case ev.Fixed != "":
				kind, raw = 'f', ev.Fixed
			case ev.LastAffected != "":
				kind, raw = 'l', ev.LastAffected
			case ev.Limit != "":
				kind, raw = 'x', ev.Limit
			default:
				continue
			}
			if kind == 'i' && raw == "0" {
				evs = append(evs, event{kind: kind, zero: true})
				continue
			}
			if kind == 'x' && raw == "*" {
				continue
			}
			v, err := pep440.Parse(raw)
			if err != nil {
				// A legacy version in an event makes the range
				// unevaluable; the listed versions still match.
				usable = false
				break
			}
			evs = append(evs, event{kind: kind, v: v})
			if kind == 'f' {
				e.fixes = append(e.fixes, v)
			}
		}
		if !usable || len(evs) == 0 {
			continue
		}
		// The OSV spec requires evaluating events in version order; 24
		// PyPA ranges list a re-opened "introduced: 0" after a fix.
		sort.SliceStable(evs, func(i, j int) bool {
			if evs[i].zero != evs[j].zero {
				return evs[i].zero
			}
			if evs[i].zero {
				return false
			}
			return evs[i].v.Compare(evs[j].v) < 0
		})
		e.ranges = append(e.ranges, evs)
	}
	return e
}

func (e *entry) parseListed() {
	e.parseOnce.Do(func() {
		for _, s := range e.listed {
			if v, err := pep440.Parse(s); err == nil {
				e.listedV = append(e.listedV, v)
			}
		}
	})
}

// sameRelease reports whether the listed version text s may have release
// numbers rel: its leading numbers (after a "v", before any pre/post/dev or
// local part) read as rel. Versions with equal canonical forms have equal
// releases, so listedHas parses only the listed versions that pass: the
// audit of a 300-package lock file spent a quarter of its time parsing
// every listed version of every advisory. An epoch is left to the parser.
func sameRelease(s string, rel []uint64) bool {
	s = strings.TrimSpace(s)
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	if strings.IndexByte(s, '!') >= 0 {
		return true
	}
	i := 0
	for k := 0; ; k++ {
		j := i
		var n uint64
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if n > (1<<63)/10 {
				return true // too long to read here: let the parser decide
			}
			n = n*10 + uint64(s[j]-'0')
			j++
		}
		if j == i {
			return k == len(rel) && k > 0
		}
		if k >= len(rel) || rel[k] != n {
			return false
		}
		i = j
		if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			continue
		}
		return k+1 == len(rel)
	}
}

// isCanonicalRelease reports whether s is a plain release number already in
// canonical form ("1.2.3", not "01.2" or "1.0rc1"), which equals another
// version's canonical form only if the strings are equal.
func isCanonicalRelease(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case c < '0' || c > '9':
			return false
		case c == '0' && (i == 0 || s[i-1] == '.') && i+1 < len(s) && s[i+1] != '.':
			return false
		}
	}
	return true
}

// listedHas reports whether the enumerated versions contain raw, or (for a
// valid v) a version with the same canonical form ("2015.04.28" lists
// 2015.4.28).
func (e *entry) listedHas(raw string, v pep440.Version, ok bool) bool {
	canon := ""
	if ok {
		canon = v.String()
	}
	for _, s := range e.listed {
		if s == raw || s == canon {
			return true
		}
	}
	if !ok {
		return false
	}
	if isCanonicalRelease(canon) {
		// A final release can only equal a listed string that is a
		// release number spelled differently ("01.2", "v1.2"); those
		// parse without the regular expression.
		for _, s := range e.listed {
			if isCanonicalRelease(s) || !releaseLike(s) {
				continue
			}
			if pv, err := pep440.Parse(s); err == nil && pv.String() == canon {
				return true
			}
		}
		return false
	}
	rel := v.Release()
	for _, s := range e.listed {
		if s == canon || isCanonicalRelease(s) || !sameRelease(s, rel) {
			continue
		}
		if pv, err := pep440.Parse(s); err == nil && pv.String() == canon {
			return true
		}
	}
	return false
}

// releaseLike is true for strings made of digits and dots, optionally
// prefixed by v and surrounded by spaces.
func releaseLike(s string) bool {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

func (e *entry) inRanges(v pep440.Version) bool {
	for _, evs := range e.ranges {
		if inRange(evs, v) {
			return true
		}
	}
	return false
}

// affects reports whether version (raw text, v valid when ok) is affected.
func (e *entry) affects(raw string, v pep440.Version, ok bool) bool {
	if e.listedHas(raw, v, ok) {
		return true
	}
	if !ok {
		return false
	}
	for _, evs := range e.ranges {
		if inRange(evs, v) {
			return true
		}
	}
	return false
}

func inRange(evs []event, v pep440.Version) bool {
	affected := false
	for _, ev := range evs {
		switch ev.kind {
		case 'i':
			if ev.zero || v.Compare(ev.v) >= 0 {
				affected = true
			}
		case 'f':
			if v.Compare(ev.v) >= 0 {
				affected = false
			}
		case 'l':
			if v.Compare(ev.v) > 0 {
				affected = false
			}
		case 'x':
			if v.Compare(ev.v) >= 0 {
				return false
			}
		}
	}
	return affected
}

// fixFor is the smallest fixed event above v, "" when the advisory names none.
func (e *entry) fixFor(v pep440.Version, ok bool) (pep440.Version, bool) {
	var best pep440.Version
	found := false
	for _, f := range e.fixes {
		if ok && f.Compare(v) <= 0 {
			continue
		}
		if !found || f.Compare(best) < 0 {
			best, found = f, true
		}
	}
	return best, found
}

// warnLazy reports an undecodable record once, however many packages it
// names. The caller holds db.mu.
func (db *DB) warnLazy(l *lazyRecord, err error) {
	if !l.warned {
		l.warned = true
		db.warn(l.name, err)
	}
}

// load reads a package's records from the index on first use. The read and
// decoding run outside the lock so that Prefetch can use every core.
func (db *DB) load(norm string) {
	db.mu.Lock()
	pi := db.byName[norm]
	if pi == nil || pi.blob == nil || pi.blobDone {
		db.mu.Unlock()
		return
	}
	b := pi.blob
	db.mu.Unlock()
	recs, err := db.decodeBlob(norm, b)
	db.mu.Lock()
	defer db.mu.Unlock()
	if pi.blobDone {
		return
	}
	pi.blobDone, pi.recs, pi.done = true, recs, false
	if err != nil {
		db.warn(db.Source+"!"+norm, fmt.Errorf("records of %s: %w", norm, err))
	}
}

func (db *DB) entries(name string) []*entry {
	norm := NormalizeName(name)
	db.load(norm)
	db.mu.Lock()
	defer db.mu.Unlock()
	pi := db.byName[norm]
	if pi == nil {
		return nil
	}
	if !pi.done {
		pi.compiled = pi.compiled[:0]
		for _, r := range pi.raw {
			pi.compiled = append(pi.compiled, compile(r.rec, &r.rec.Affected[r.aff]))
		}
		addRec := func(rec *Record) {
			if strings.TrimSpace(rec.Withdrawn) != "" {
				return
			}
			for i := range rec.Affected {
				a := &rec.Affected[i]
				if a.Package.Name != "" && strings.EqualFold(a.Package.Ecosystem, Ecosystem) && NormalizeName(a.Package.Name) == norm {
					pi.compiled = append(pi.compiled, compile(rec, a))
				}
			}
		}
		for _, l := range pi.lazy {
			rec, err := l.decode()
			if err != nil {
				db.warnLazy(l, err)
				continue
			}
			addRec(rec)
		}
		for _, rec := range pi.recs {
			addRec(rec)
		}
		pi.done = true
	}
	return pi.compiled
}

// Vuln is one vulnerability affecting a package: records that alias each
// other (PYSEC, GHSA, CVE) merged into one.
type Vuln struct {
	ID       string
	Aliases  []string
	Summary  string
	Severity finding.Severity
	// Score is the highest CVSS v3 base score (0 when none).
	Score float64
	URL   string
	// Fixed is the smallest version above the checked one that fixes this
	// vulnerability ("" when unknown).
	Fixed string
	// Example is, for specifier checks, the highest vulnerable version the
	// specifier admits.
	Example string
}

// Match is the answer for one package version or specifier.
type Match struct {
	Name  string
	Vulns []Vuln
	// FixedIn is the smallest known fixed version that no advisory of the
	// package affects and that is above the checked version; "" when none.
	FixedIn string
}

// Check returns the advisories affecting name at version (exact version
// text; legacy, non-PEP 440 versions match the enumerated lists only).
func (db *DB) Check(name, version string) Match {
	m := Match{Name: NormalizeName(name)}
	es := db.entries(name)
	if len(es) == 0 {
		return m
	}
	v, err := pep440.Parse(version)
	ok := err == nil
	var hit []*entry
	fixed := map[*entry]string{}
	for _, e := range es {
		if e.affects(version, v, ok) {
			hit = append(hit, e)
			if f, found := e.fixFor(v, ok); found {
				fixed[e] = f.String()
			}
		}
	}
	if len(hit) == 0 {
		return m
	}
	m.Vulns = merge(hit, func(e *entry) string { return fixed[e] }, nil)
	if ok {
		m.FixedIn = smallestFix(es, v)
	}
	return m
}

// smallestFix returns the lowest fixed version above v that no advisory of
// the package affects: upgrading there clears every known vulnerability.
func smallestFix(es []*entry, v pep440.Version) string {
	var cands []pep440.Version
	for _, e := range es {
		for _, f := range e.fixes {
			if f.Compare(v) > 0 {
				cands = append(cands, f)
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Compare(cands[j]) < 0 })
	for i, c := range cands {
		if i > 0 && c.Compare(cands[i-1]) == 0 {
			continue
		}
		// Ranges first: they rule out most candidates cheaply.
		clean := true
		for _, e := range es {
			if e.inRanges(c) {
				clean = false
				break
			}
		}
		for j := 0; clean && j < len(es); j++ {
			if es[j].listedHas(c.Original(), c, true) {
				clean = false
			}
		}
		if clean {
			return c.String()
		}
	}
	return ""
}

// Admits returns the vulnerabilities of which the specifier set admits at
// least one affected version (pre-releases only when the set asks for them,
// as pip does). Probe points are the advisory's listed versions and event
// boundaries and the versions the specifier names.
func (db *DB) Admits(name string, ss pep440.SpecifierSet) Match {
	m := Match{Name: NormalizeName(name)}
	es := db.entries(name)
	if len(es) == 0 {
		return m
	}
	// Probe points besides the advisories' own: the lowest version "0"
	// (for ranges opened by introduced "0" without a version list), each
	// version the specifier names, and versions just above them (1.0 ->
	// 1.0.1, 1.1) for exclusive bounds.
	own := []pep440.Version{pep440.MustParse("0")}
	for _, s := range ss.Versions() {
		if v, err := pep440.Parse(s); err == nil {
			own = append(own, v)
			own = append(own, nextVersions(v)...)
		}
	}
	var hit []*entry
	example := map[*entry]pep440.Version{}
	for _, e := range es {
		e.parseListed()
		probes := append([]pep440.Version{}, e.listedV...)
		probes = append(probes, own...)
		for _, evs := range e.ranges {
			for _, ev := range evs {
				if ev.kind == 'i' && !ev.zero || ev.kind == 'l' {
					probes = append(probes, ev.v)
				}
			}
		}
		var best pep440.Version
		found := false
		for _, p := range probes {
			if !ss.ContainsVersion(p, pep440.PreDefault) || !e.affects(p.Original(), p, true) {
				continue
			}
			if !found || p.Compare(best) > 0 {
				best, found = p, true
			}
		}
		if found {
			hit = append(hit, e)
			example[e] = best
		}
	}
	if len(hit) == 0 {
		return m
	}
	m.Vulns = merge(hit, func(e *entry) string {
		if f, ok := e.fixFor(example[e], true); ok {
			return f.String()
		}
		return ""
	}, func(e *entry) pep440.Version { return example[e] })
	// The smallest lower bound that excludes every admitted vulnerability.
	var hi pep440.Version
	for i, e := range hit {
		if i == 0 || example[e].Compare(hi) > 0 {
			hi = example[e]
		}
	}
	m.FixedIn = smallestFix(es, hi)
	return m
}

// idRank orders record ids for choosing the one a merged vulnerability is
// reported under: GitHub's ids are what most people search for.
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "GHSA-"):
		return 0
	case strings.HasPrefix(id, "PYSEC-"):
		return 1
	case strings.HasPrefix(id, "CVE-"):
		return 3
	}
	return 2
}

// merge groups entries whose records share an id or alias (union-find) and
// folds each group into one Vuln.
func merge(hit []*entry, fixed func(*entry) string, example func(*entry) pep440.Version) []Vuln {
	parent := make([]int, len(hit))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, e := range hit {
		for _, id := range append([]string{e.rec.ID}, e.rec.Aliases...) {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	groups := map[int][]*entry{}
	var order []int
	for i, e := range hit {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], e)
	}
	var out []Vuln
	for _, r := range order {
		g := groups[r]
		sort.Slice(g, func(i, j int) bool {
			if a, b := idRank(g[i].rec.ID), idRank(g[j].rec.ID); a != b {
				return a < b
			}
			return g[i].rec.ID < g[j].rec.ID
		})
		v := Vuln{ID: g[0].rec.ID, URL: g[0].rec.URL()}
		ids := map[string]bool{}
		var fix, ex pep440.Version
		var hasFix, hasEx bool
		for _, e := range g {
			ids[e.rec.ID] = true
			for _, a := range e.rec.Aliases {
				ids[a] = true
			}
			if v.Summary == "" {
				v.Summary = e.rec.ShortSummary()
			}
			if e.known && e.severity > v.Severity {
				v.Severity = e.severity
			}
			if e.score > v.Score {
				v.Score = e.score
			}
			if f := fixed(e); f != "" {
				// Aliased records may disagree; the highest fix satisfies all.
				if fv, err := pep440.Parse(f); err == nil && (!hasFix || fv.Compare(fix) > 0) {
					fix, hasFix = fv, true
				}
			}
			if example != nil {
				if x := example(e); !x.IsZero() && (!hasEx || x.Compare(ex) > 0) {
					ex, hasEx = x, true
				}
			}
		}
		if v.Severity == finding.SeverityUnknown {
			v.Severity = DefaultSeverity
		}
		if hasFix {
			v.Fixed = fix.String()
		}
		if hasEx {
			v.Example = ex.String()
		}
		delete(ids, v.ID)
		for id := range ids {
			v.Aliases = append(v.Aliases, id)
		}
		sort.Strings(v.Aliases)
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity > out[j].Severity
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// nextVersions returns v with ".1" appended and v with its last release
// number incremented (epoch kept).
func nextVersions(v pep440.Version) []pep440.Version {
	rel := v.Release()
	prefix := ""
	if v.Epoch() != 0 {
		prefix = strconv.FormatUint(v.Epoch(), 10) + "!"
	}
	parts := make([]string, len(rel))
	for i, n := range rel {
		parts[i] = strconv.FormatUint(n, 10)
	}
	var out []pep440.Version
	if x, err := pep440.Parse(prefix + strings.Join(parts, ".") + ".1"); err == nil {
		out = append(out, x)
	}
	parts[len(parts)-1] = strconv.FormatUint(rel[len(rel)-1]+1, 10)
	if x, err := pep440.Parse(prefix + strings.Join(parts, ".")); err == nil {
		out = append(out, x)
	}
	return out
}

// Verify decodes every record not decoded yet, so that Warnings lists all
// unreadable ones (`db info`); scans only decode what they query.
func (db *DB) Verify() {
	var names []string
	for n := range db.byName {
		names = append(names, n)
	}
	db.Prefetch(names)
	for _, n := range names {
		db.entries(n)
	}
}

// Prefetch decodes, on every core, the records of the named packages that
// are still undecoded, so that the sequential queries that follow only
// match.
func (db *DB) Prefetch(names []string) {
	db.mu.Lock()
	var todo []func()
	seen := map[*lazyRecord]bool{}
	for _, n := range names {
		norm := NormalizeName(n)
		pi := db.byName[norm]
		if pi == nil || pi.done {
			continue
		}
		if pi.blob != nil && !pi.blobDone {
			todo = append(todo, func() { db.load(norm) })
		}
		for _, l := range pi.lazy {
			if !seen[l] {
				seen[l] = true
				todo = append(todo, func() { l.decode() })
			}
		}
	}
	db.mu.Unlock()
	if len(todo) == 0 {
		return
	}
	work := make(chan func())
	var wg sync.WaitGroup
	for i := 0; i < min(runtime.GOMAXPROCS(0), len(todo)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				f()
			}
		}()
	}
	for _, f := range todo {
		work <- f
	}
	close(work)
	wg.Wait()
}
