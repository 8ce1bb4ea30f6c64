package pyast

import (
	"bytes"
	"math/bits"
	"os"
	"sort"
	"strings"
	"unique"
)

// Summary is what a scan keeps of a gated Python file between the walk and
// the cross-file pass: where it is, its module name, a content check and
// its token facts. No syntax tree and, unless the file cannot be read
// again from disk (staged content), no source: a loaded module costs about
// 13 bytes per source byte, a summary a few hundred bytes.
type Summary struct {
	Path, Name string
	Abs        string // "" when the bytes are kept in Src
	Size       int
	Hash       uint64
	Src        []byte
	Facts      *Facts
	gate       uint8
	// warned: a syntax warning was already given for this file.
	warned bool
	// regAnchors are the registry anchors of a file outside the gate,
	// found when a registry look-up first needs them.
	regAnchors Anchor
	regDone    bool
}

// RegistryAnchors are registrations that may sit in a module that names
// neither Stripe nor webhooks (app.before_request(check) in the app
// factory, app.add_middleware(…) in main.py): look-ups for them also
// read the files outside the gate.
const RegistryAnchors = ABeforeRequest | AMiddleware | ADRFDefaults | AErrorHandler | ADependencies

var registryNeedles = []struct {
	a Anchor
	b []byte
}{
	{ABeforeRequest, []byte("before_request")}, {ABeforeRequest, []byte("before_app_request")},
	{ABeforeRequest, []byte("on_request")}, {AMiddleware, []byte("iddleware")}, {AMiddleware, []byte("IDDLEWARE")},
	{AMiddleware, []byte("process_request")}, {AMiddleware, []byte("add_tween")},
	{ADRFDefaults, []byte("DEFAULT_PERMISSION_CLASSES")}, {ADRFDefaults, []byte("DEFAULT_AUTHENTICATION_CLASSES")},
	{AErrorHandler, []byte("rrorhandler")}, {AErrorHandler, []byte("xception_handler")},
	{AErrorHandler, []byte("process_exception")}, {AErrorHandler, []byte("add_error_handler")},
	{ADependencies, []byte("dependencies")},
}

// anchorsOf is a summary's anchors; for a file outside the gate, only its
// registry anchors, read from the file the first time they are needed.
func (u *Universe) anchorsOf(s *Summary) Anchor {
	if s.Facts != nil {
		return s.Facts.Anchors
	}
	if !s.regDone {
		s.regDone = true
		data := s.Src
		if data == nil && s.Abs != "" {
			data, _ = os.ReadFile(s.Abs)
		}
		for _, n := range registryNeedles {
			if s.regAnchors&n.a == 0 && bytes.Contains(data, n.b) {
				s.regAnchors |= n.a
			}
		}
	}
	return s.regAnchors
}

// Universe is every gated Python file of one scan for one analyzer, most
// of them not in memory.
type Universe struct {
	sums     []*Summary
	byPath   map[string]*Summary
	byLast   map[string][]*Summary
	byCall   map[unique.Handle[string]][]*Summary
	byDef    map[unique.Handle[string]][]*Summary
	anchorN  [32]int // summaries mentioning each anchor bit
	settings int     // settings modules
	// Load parses a summary's file again (nil when it cannot: unreadable,
	// changed since the walk, over the budget, unparsable).
	Load func(*Summary) *Module
}

// NewUniverse indexes summaries (ordered by path) for look-ups.
func NewUniverse(sums []*Summary, load func(*Summary) *Module) *Universe {
	ss := append([]*Summary(nil), sums...)
	sort.Slice(ss, func(i, j int) bool { return ss[i].Path < ss[j].Path })
	u := &Universe{sums: ss, byPath: map[string]*Summary{}, byLast: map[string][]*Summary{},
		byCall: map[unique.Handle[string]][]*Summary{}, byDef: map[unique.Handle[string]][]*Summary{}, Load: load}
	for _, s := range ss {
		u.byPath[s.Path] = s
		l := LastSegment(s.Name)
		u.byLast[l] = append(u.byLast[l], s)
		if s.Facts != nil {
			for _, c := range s.Facts.Calls {
				u.byCall[c] = append(u.byCall[c], s)
			}
			for _, c := range s.Facts.Defs {
				u.byDef[c] = append(u.byDef[c], s)
			}
			for a := s.Facts.Anchors; a != 0; a &= a - 1 {
				u.anchorN[bits.TrailingZeros32(uint32(a))]++
			}
		}
		if IsSettingsPath(s.Path) {
			u.settings++
		}
	}
	return u
}

// Summary returns the summary of a path, or nil.
func (u *Universe) Summary(rel string) *Summary { return u.byPath[rel] }

// Project is a run over drivers (already loaded) with every other module of
// the universe loaded on demand.
func (u *Universe) Project(drivers []*Module) *Project {
	ms := append([]*Module(nil), drivers...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Path < ms[j].Path })
	p := &Project{Modules: ms, u: u, loaded: map[*Summary]*Module{}}
	for _, m := range ms {
		if s := u.byPath[m.Path]; s != nil {
			p.loaded[s] = m
		}
	}
	return p
}

// load returns s's module, loading it once per project.
func (p *Project) load(s *Summary) *Module {
	if m, ok := p.loaded[s]; ok {
		return m
	}
	var m *Module
	if p.u.Load != nil {
		m = p.u.Load(s)
	}
	p.loaded[s] = m
	return m
}

// Deps records what a local run asked about the rest of the tree: module
// names looked up, callers searched, registrations and settings looked
// for. Universe.Satisfied decides whether the answers could differ once
// the whole tree is known.
type Deps struct {
	mods     map[string]struct{}
	calls    map[string]struct{}
	defs     map[string]struct{}
	anchors  Anchor
	settings bool
}

func (d *Deps) mod(name string) {
	if d.mods == nil {
		d.mods = map[string]struct{}{}
	}
	d.mods[name] = struct{}{}
}

func (d *Deps) def(name string) {
	if d.defs == nil {
		d.defs = map[string]struct{}{}
	}
	d.defs[name] = struct{}{}
}

func (d *Deps) call(name string) {
	if d.calls == nil {
		d.calls = map[string]struct{}{}
	}
	d.calls[name] = struct{}{}
}

// String lists the dependencies (tests and debugging).
func (d *Deps) String() string {
	var out []string
	for n := range d.mods {
		out = append(out, "module "+n)
	}
	for n := range d.calls {
		out = append(out, "calls "+n)
	}
	for n := range d.defs {
		out = append(out, "defines "+n)
	}
	if d.anchors != 0 {
		out = append(out, "anchors")
	}
	if d.settings {
		out = append(out, "settings")
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// Satisfied reports whether a local run of self asked nothing that another
// file of the universe answers: then its result is the result of the
// whole-tree analysis for that module.
func (u *Universe) Satisfied(self *Summary, d *Deps) bool {
	if d == nil {
		return true
	}
	for name := range d.mods {
		for _, s := range u.byLast[LastSegment(name)] {
			if s != self && nameMatches(s.Name, name) {
				return false
			}
		}
	}
	for name := range d.calls {
		for _, s := range u.byCall[unique.Make(name)] {
			if s != self {
				return false
			}
		}
	}
	for name := range d.defs {
		for _, s := range u.byDef[unique.Make(name)] {
			if s != self {
				return false
			}
		}
	}
	for a := d.anchors; a != 0; a &= a - 1 {
		bit := bits.TrailingZeros32(uint32(a))
		n := u.anchorN[bit]
		if self.Facts != nil && self.Facts.Anchors&(1<<bit) != 0 {
			n--
		}
		if n > 0 {
			return false
		}
	}
	if d.anchors&RegistryAnchors != 0 {
		for _, s := range u.sums {
			if s != self && s.Facts == nil && u.anchorsOf(s)&d.anchors != 0 {
				return false
			}
		}
	}
	if d.settings {
		n := u.settings
		if IsSettingsPath(self.Path) {
			n--
		}
		if n > 0 {
			return false
		}
	}
	return true
}
