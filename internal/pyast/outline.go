package pyast

import "strings"

// An outline is the block structure of a Python file found by one
// tokenizer pass (strings, comments, brackets, line continuations and
// indentation understood, no parse): the bodies of its functions with what
// each mentions, and which module-level names may carry a key. An analyzer
// that knows which bodies cannot matter to it has them dropped before
// parsing (ParseModuleSkipping): tree-sitter's cost is proportional to the
// bytes it reads, and in a large tree most function bodies of a module
// that names a key are ordinary code.

// FuncBody is the body of a function defined at module level or directly
// in a module-level class.
type FuncBody struct {
	Name  string
	Class string // enclosing class, "" for module-level functions
	// Start is the first byte of the body's first line (its indentation),
	// End the first byte of the line after the body; both are line starts.
	Start, End int
	// Indent is the body's first line indentation, copied when the body is
	// replaced.
	Indent  string
	Anchors Anchor
	Calls   []string
	// Imports are the byte ranges of import statements in the body: the
	// module model records them module-wide, so they are kept when the
	// body is dropped.
	Imports [][2]int
}

// Outline is what Outline learns about a file.
type Outline struct {
	Bodies   []FuncBody
	TopCalls []string // names called outside the tracked bodies
	// Taint are module-level names whose value may be a key or come from
	// another module of the project: assigned by a statement that names a
	// key (or a tainted name), or imported from a module that is not a
	// well-known library.
	Taint map[string]bool
	// KeyishClasses are module-level classes whose body names a key.
	KeyishClasses map[string]bool

	src []byte
}

// Refs reports whether the body mentions one of names.
func (o *Outline) Refs(b *FuncBody, names map[string]bool) bool {
	if len(names) == 0 {
		return false
	}
	d := o.src[b.Start:b.End]
	for i := 0; i < len(d); {
		if !identStart[d[i]] {
			i++
			continue
		}
		j := i + 1
		for j < len(d) && identChar[d[j]] {
			j++
		}
		if names[string(d[i:j])] {
			return true
		}
		i = j
	}
	return false
}

// externalModules are libraries whose imported names never hold an
// application's key by themselves (stripe.api_key is named as such).
var externalModules = map[string]bool{
	"stripe": true, "os": true, "sys": true, "logging": true, "json": true, "re": true, "time": true,
	"datetime": true, "typing": true, "collections": true, "functools": true, "itertools": true,
	"requests": true, "flask": true, "django": true, "fastapi": true, "starlette": true, "pydantic": true,
	"decimal": true, "uuid": true, "hashlib": true, "hmac": true, "base64": true, "math": true,
	"random": true, "pathlib": true, "enum": true, "dataclasses": true, "abc": true, "asyncio": true,
	"contextlib": true, "copy": true, "traceback": true, "warnings": true, "http": true, "urllib": true,
	"subprocess": true, "io": true, "csv": true, "socket": true, "threading": true, "string": true,
	"textwrap": true, "struct": true, "inspect": true, "types": true, "operator": true, "__future__": true,
	"rest_framework": true, "celery": true, "sqlalchemy": true, "boto3": true, "botocore": true,
}

type block struct {
	indent int
	isDef  bool
	class  string
	body   int // index in bodies, -1 when the body is not tracked
}

type assign struct {
	targets []string
	rhs     []string
	keyish  bool
}

// Outline returns the outline of src.
func OutlineOf(src []byte) *Outline {
	o := &Outline{Taint: map[string]bool{}, KeyishClasses: map[string]bool{}, src: src}
	var bodies []FuncBody
	var stack []block
	depth := 0           // bracket depth
	logicalStart := true // the next token starts a logical line
	lineIndent := 0      // indentation of the current logical line
	lineStart := 0       // first byte of the current logical line
	var lineToks []string
	headerColon := false // a def/class header's ':' was seen at depth 0
	headerHasBody := false
	pendingDef := -1 // body index waiting for its first line
	var pendingIndent int
	var prev []byte
	importAt := -1    // start of an import statement in progress
	stmtStart := true // no token yet since the last ':' / ';' / line start
	var lineAnch Anchor
	// Module-level assignments: the plain names before the first depth-0
	// '=' (not attributes, subscripts or annotations) and the names after.
	var targets, rhs []string
	eqSeen, colonSeen, afterDot := false, false, false
	var assigns []assign

	cur := func() *FuncBody {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].body >= 0 {
				return &bodies[stack[i].body]
			}
		}
		return nil
	}
	inDef := func() bool {
		for _, b := range stack {
			if b.isDef {
				return true
			}
		}
		return false
	}
	className := func() string {
		if len(stack) > 0 && !stack[0].isDef {
			return stack[0].class
		}
		return ""
	}
	// popTo ends every block the logical line starting at byte at, with
	// indentation indent, is not inside.
	popTo := func(indent, at int) {
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			if b := stack[len(stack)-1]; b.body >= 0 && bodies[b.body].End == 0 {
				bodies[b.body].End = at
			}
			stack = stack[:len(stack)-1]
		}
	}
	endStmt := func(end int) {
		if importAt >= 0 {
			if b := cur(); b != nil {
				b.Imports = append(b.Imports, [2]int{importAt, end})
			} else if !inDef() {
				o.moduleImport(src[importAt:end])
			}
			importAt = -1
		}
		stmtStart = true
	}
	endLogical := func(end int) {
		endStmt(end)
		if c := className(); c != "" && lineAnch&AKeyName != 0 {
			o.KeyishClasses[c] = true
		}
		if len(stack) == 0 && eqSeen && len(targets) > 0 {
			assigns = append(assigns, assign{targets: append([]string(nil), targets...),
				rhs: append([]string(nil), rhs...), keyish: lineAnch&AKeyName != 0})
		}
		// A header line that ended: open its block.
		if len(lineToks) > 0 && (lineToks[0] == "def" || lineToks[0] == "async" && len(lineToks) > 1 && lineToks[1] == "def" || lineToks[0] == "class") && headerColon && !headerHasBody {
			isDef := lineToks[0] != "class"
			track := -1
			name := ""
			for k, t := range lineToks {
				if (t == "def" || t == "class") && k+1 < len(lineToks) {
					name = lineToks[k+1]
					break
				}
			}
			// Only module-level functions and methods of module-level
			// classes.
			if isDef && !inDef() && len(stack) <= 1 {
				bodies = append(bodies, FuncBody{Name: name, Class: className()})
				track = len(bodies) - 1
			}
			cls := ""
			if !isDef {
				cls = name
			}
			stack = append(stack, block{indent: lineIndent, isDef: isDef, class: cls, body: track})
			pendingDef = track
			pendingIndent = lineIndent
		}
		lineToks = lineToks[:0]
		targets, rhs = targets[:0], rhs[:0]
		eqSeen, colonSeen, afterDot = false, false, false
		lineAnch = 0
		headerColon, headerHasBody = false, false
		logicalStart = true
	}

	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		if logicalStart && depth == 0 {
			// Measure the indentation of this physical line; blank and
			// comment-only lines do not start a logical line.
			ls := i
			ind := 0
			for i < n && (src[i] == ' ' || src[i] == '\t' || src[i] == '\f') {
				if src[i] == '\t' {
					ind = (ind/8 + 1) * 8
				} else if src[i] == ' ' {
					ind++
				}
				i++
			}
			if i >= n {
				break
			}
			if src[i] == '\n' || src[i] == '\r' || src[i] == '#' {
				for i < n && src[i] != '\n' {
					i++
				}
				i++
				continue
			}
			if src[i] == '\\' && i+1 < n && (src[i+1] == '\n' || src[i+1] == '\r') {
				i += 2
				continue
			}
			popTo(ind, ls)
			if pendingDef >= 0 {
				if ind > pendingIndent {
					bodies[pendingDef].Start = ls
					bodies[pendingDef].Indent = string(src[ls:i])
				}
				pendingDef = -1
			}
			lineIndent = ind
			lineStart = i
			logicalStart = false
			stmtStart = true
			continue
		}
		switch {
		case identStart[c]:
			j := i + 1
			for j < n && identChar[src[j]] {
				j++
			}
			// String prefixes: r"", b'', f"""...
			if j < n && (src[j] == '"' || src[j] == '\'') && j-i <= 2 && isStrPrefix(src[i:j]) {
				var a Anchor
				i = skipString(src, j, &a)
				o.note(cur(), a, &lineAnch)
				prev = nil
				stmtStart = false
				if headerColon {
					headerHasBody = true
				}
				continue
			}
			tok := src[i:j]
			if stmtStart && depth == 0 && (string(tok) == "import" || string(tok) == "from") {
				importAt = i
			}
			stmtStart = false
			if len(lineToks) < 3 {
				lineToks = append(lineToks, string(tok))
			}
			if len(stack) == 0 {
				switch {
				case eqSeen:
					if len(rhs) < 64 {
						rhs = append(rhs, string(tok))
					}
				case depth == 0 && !afterDot && !colonSeen && len(targets) < 16:
					targets = append(targets, string(tok))
				}
			}
			afterDot = false
			if headerColon {
				headerHasBody = true
			}
			var a Anchor
			if anchorFilter[filterKey(tok)] {
				if x, ok := anchorTokens[string(tok)]; ok {
					a |= x
				}
			}
			if len(tok) >= 3 {
				a |= keyish(tok)
			}
			b := cur()
			o.note(b, a, &lineAnch)
			k := j
			for k < n && (src[k] == ' ' || src[k] == '\t') {
				k++
			}
			if k < n && src[k] == '(' && string(prev) != "def" && string(prev) != "class" {
				if b != nil {
					b.Calls = append(b.Calls, string(tok))
				} else {
					o.TopCalls = append(o.TopCalls, string(tok))
				}
			}
			prev = tok
			i = j
		case c == '"' || c == '\'':
			var a Anchor
			i = skipString(src, i, &a)
			o.note(cur(), a, &lineAnch)
			prev = nil
			stmtStart = false
			if headerColon {
				headerHasBody = true
			}
		case c == '#':
			for i < n && src[i] != '\n' {
				i++
			}
		case c == '\\' && i+1 < n && (src[i+1] == '\n' || src[i+1] == '\r'):
			i += 2
			if i < n && src[i-1] == '\r' && src[i] == '\n' {
				i++
			}
		case c == '\n':
			i++
			if depth == 0 {
				endLogical(i - 1)
			}
		case c == '(' || c == '[' || c == '{':
			depth++
			i++
			prev = nil
		case c == ')' || c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
			i++
			prev = nil
		case c == ':':
			if depth == 0 && len(lineToks) > 0 && !headerColon &&
				(lineToks[0] == "def" || lineToks[0] == "class" || lineToks[0] == "async" && len(lineToks) > 1 && lineToks[1] == "def") {
				headerColon = true
			} else if headerColon {
				headerHasBody = true
			}
			if depth == 0 {
				endStmt(i)
				colonSeen = true
			}
			i++
			prev = nil
		case c == '.':
			// a.b = …: a is not assigned.
			if len(stack) == 0 && !eqSeen && len(targets) > 0 && prev != nil {
				targets = targets[:len(targets)-1]
			}
			afterDot = true
			i++
			prev = nil
		case c == '=':
			// A depth-0 '=' that is not part of ==, <=, >=, != or :=.
			if depth == 0 && !eqSeen && len(stack) == 0 && !(i+1 < n && src[i+1] == '=') &&
				!(i > 0 && strings.IndexByte("=<>!:+-*/%&|^@", src[i-1]) >= 0) {
				eqSeen = true
			}
			if headerColon {
				headerHasBody = true
			}
			i++
			prev = nil
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
		case c == ';':
			if depth == 0 {
				endStmt(i)
			}
			i++
			prev = nil
			if headerColon {
				headerHasBody = true
			}
		default:
			if headerColon {
				headerHasBody = true
			}
			i++
			prev = nil
		}
	}
	endLogical(n)
	popTo(0, n)
	_ = lineStart
	for _, b := range bodies {
		if b.Start > 0 && b.End > b.Start && b.Name != "" {
			o.Bodies = append(o.Bodies, b)
		}
	}
	// Names assigned from a key-naming statement or from a tainted name.
	for changed := true; changed; {
		changed = false
		for _, as := range assigns {
			t := as.keyish
			for _, r := range as.rhs {
				if o.Taint[r] {
					t = true
				}
			}
			if !t {
				continue
			}
			for _, n := range as.targets {
				if !o.Taint[n] {
					o.Taint[n] = true
					changed = true
				}
			}
		}
	}
	return o
}

// note adds a token's anchors to the body it sits in and to its line.
func (o *Outline) note(b *FuncBody, a Anchor, line *Anchor) {
	*line |= a
	if b != nil {
		b.Anchors |= a
	}
}

var importTidy = strings.NewReplacer("(", " ", ")", " ", "\\", " ", ",", " , ")

// moduleImport taints the names a module-level import binds unless they
// come from a well-known library.
func (o *Outline) moduleImport(stmt []byte) {
	s := strings.Join(strings.Fields(importTidy.Replace(string(stmt))), " ")
	switch {
	case strings.HasPrefix(s, "import "):
		for _, part := range strings.Split(strings.TrimPrefix(s, "import "), ",") {
			f := strings.Fields(part)
			if len(f) == 0 {
				continue
			}
			mod := f[0]
			name := strings.SplitN(mod, ".", 2)[0]
			if len(f) == 3 && f[1] == "as" {
				name = f[2]
			}
			if !externalModules[strings.SplitN(mod, ".", 2)[0]] {
				o.Taint[name] = true
			}
		}
	case strings.HasPrefix(s, "from "):
		rest := strings.TrimPrefix(s, "from ")
		mod, names, ok := strings.Cut(rest, " import ")
		if !ok || externalModules[strings.SplitN(strings.TrimSpace(mod), ".", 2)[0]] {
			return
		}
		for _, part := range strings.Split(names, ",") {
			f := strings.Fields(part)
			switch {
			case len(f) == 1:
				o.Taint[f[0]] = true
			case len(f) == 3 && f[1] == "as":
				o.Taint[f[2]] = true
			}
		}
	}
}

func isStrPrefix(p []byte) bool {
	for _, c := range p {
		switch c | 0x20 {
		case 'r', 'b', 'u', 'f':
		default:
			return false
		}
	}
	return true
}

// skipString skips the string literal whose opening quote is at i and
// returns the index after it; identifier-like runs inside add their
// anchors to a (header names, event types, key literals).
func skipString(src []byte, i int, a *Anchor) int {
	n := len(src)
	q := src[i]
	triple := i+2 < n && src[i+1] == q && src[i+2] == q
	if triple {
		i += 3
	} else {
		i++
	}
	for i < n {
		c := src[i]
		switch {
		case c == '\\':
			i += 2
			continue
		case c == q:
			if !triple {
				return i + 1
			}
			if i+2 < n && src[i+1] == q && src[i+2] == q {
				return i + 3
			}
		case c == '\n' && !triple:
			return i // unterminated: the newline ends the line
		case identStart[c]:
			j := i + 1
			for j < n && identChar[src[j]] {
				j++
			}
			if j-i >= 3 {
				*a |= keyish(src[i:j])
			}
			i = j
			continue
		}
		i++
	}
	return n
}

// SkipDecision is an analyzer's verdict on one function body: Drop when
// nothing in it can matter; NeedsCallers when it could matter only through
// what callers pass it (then the local result depends on no other module
// calling that name).
type SkipDecision struct{ Drop, NeedsCallers bool }

// Skippable returns the bodies of src to drop before parsing and the names
// whose callers elsewhere would make the analysis of the rest incomplete.
// Bodies are kept together with everything they call and everything that
// calls them in the module (values flow both ways through parameters).
func Skippable(src []byte, decide func(o *Outline, b *FuncBody) SkipDecision) (drop []FuncBody, needCallers []string) {
	o := OutlineOf(src)
	bodies := o.Bodies
	if len(bodies) == 0 {
		return nil, nil
	}
	kept := make([]bool, len(bodies))
	dec := make([]SkipDecision, len(bodies))
	called := map[string]bool{}
	for _, c := range o.TopCalls {
		called[c] = true
	}
	keptNames := map[string]bool{}
	for i := range bodies {
		dec[i] = decide(o, &bodies[i])
		if !dec[i].Drop {
			kept[i] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range bodies {
			if kept[i] {
				for _, c := range bodies[i].Calls {
					called[c] = true
				}
				keptNames[bodies[i].Name] = true
			}
		}
		for i := range bodies {
			if kept[i] {
				continue
			}
			keep := called[bodies[i].Name]
			for _, c := range bodies[i].Calls {
				if keptNames[c] {
					keep = true
				}
			}
			if keep {
				kept[i] = true
				changed = true
			}
		}
	}
	for i, b := range bodies {
		if kept[i] {
			continue
		}
		drop = append(drop, b)
		if dec[i].NeedsCallers {
			needCallers = append(needCallers, b.Name)
		}
	}
	return drop, needCallers
}
