package pyast

import (
	"path"
	"strings"
	"sync"
	"time"
)

// Module is what the analyzers know about one Python file.
type Module struct {
	Source
	Path string // relative, '/'-separated
	Name string // dotted module name derived from the path ("shop.views")
	Root *Node
	// HasError marks files tree-sitter could only partly parse; analyzers
	// still use what parsed.
	HasError bool
	// Imports maps a local name to what it stands for: "s" → "stripe",
	// "Webhook" → "stripe.Webhook", "verify" → "shop.helpers.verify".
	// Relative imports are made absolute against Name.
	Imports map[string]string
	Funcs   []*Func
	// ByName holds module-level functions by name and methods as
	// "Class.method".
	ByName  map[string]*Func
	Classes map[string]*Class
	// Globals are module-level assignments: name → assigned values.
	Globals map[string][]*Node

	funcOf map[*Node]*Func // function_definition node → Func

	factsOnce sync.Once
	facts     *Facts
}

// Facts are the module's token facts (anchors, call names), computed on
// first use.
func (m *Module) Facts() *Facts {
	m.factsOnce.Do(func() { m.facts = ScanFacts(m.Src) })
	return m.facts
}

// Func is a function or method definition.
type Func struct {
	Module     *Module
	Name       string
	Qual       string // "Class.method" for methods
	Node       *Node  // function_definition
	Decorators []*Node
	Class      *Class
	Outer      *Func // enclosing function of a nested def
	Params     []Param
	Async      bool
}

// Param is one parameter of a Func.
type Param struct {
	Node       *Node
	Name       string
	Annotation *Node
	Default    *Node
}

// Body is the function's block.
func (f *Func) Body() *Node { return f.Node.Child("body") }

// Class is a class definition.
type Class struct {
	Name       string
	Node       *Node
	Bases      []string // dotted base expressions, qualified through imports
	Decorators []*Node
	Methods    map[string]*Func
	Attrs      map[string]*Node
}

// ParseModule parses src and builds the module model.
func ParseModule(rel string, src []byte, deadline time.Duration) (*Module, error) {
	return ParseModuleSkipping(rel, src, nil, deadline)
}

// ParseModuleSkipping builds the module model with some function bodies
// left unparsed (see ParseSkipping): their functions exist, with their
// parameters and decorators, and a `pass` body.
func ParseModuleSkipping(rel string, src []byte, drop []FuncBody, deadline time.Duration) (*Module, error) {
	root, err := ParseSkipping(src, drop, deadline)
	if err != nil {
		return nil, err
	}
	m := &Module{
		Source:  Source{Src: src},
		Path:    rel,
		Name:    ModuleName(rel),
		Root:    root,
		Imports: map[string]string{},
		ByName:  map[string]*Func{},
		Classes: map[string]*Class{},
		Globals: map[string][]*Node{},
		funcOf:  map[*Node]*Func{},
	}
	m.index()
	return m, nil
}

// ModuleName derives the dotted module name from a relative path.
func ModuleName(rel string) string {
	if i := strings.LastIndexByte(rel, '!'); i >= 0 {
		rel = rel[i+1:]
	}
	rel = strings.TrimSuffix(strings.TrimSuffix(rel, ".py"), "/__init__")
	rel = strings.TrimPrefix(rel, "./")
	return strings.ReplaceAll(rel, "/", ".")
}

func (m *Module) index() {
	var visit func(n *Node, outer *Func, cls *Class, top bool)
	visit = func(n *Node, outer *Func, cls *Class, top bool) {
		for _, c := range n.Children {
			if c.Err && c.Kind == "ERROR" {
				m.HasError = true
			}
			switch c.Kind {
			case "import_statement", "import_from_statement", "future_import_statement":
				m.addImport(c)
				continue
			case "decorated_definition":
				def := c.Child("definition")
				var decs []*Node
				for _, d := range c.Children {
					if d.Kind == "decorator" {
						if e := d.NamedChildren(); len(e) > 0 {
							decs = append(decs, e[0])
						}
					}
				}
				if def != nil {
					m.define(def, decs, outer, cls, top, visit)
				}
				continue
			case "function_definition", "class_definition":
				m.define(c, nil, outer, cls, top, visit)
				continue
			case "expression_statement":
				if top || (cls != nil && outer == nil) {
					for _, a := range c.NamedChildren() {
						if a.Kind == "assignment" {
							m.addAssign(a, cls, top)
						}
					}
				}
			}
			if c.Err {
				m.HasError = true
			}
			// Statements nested in if/try/with at module level still
			// define module-level names.
			switch c.Kind {
			case "if_statement", "try_statement", "with_statement", "block", "else_clause",
				"elif_clause", "except_clause", "finally_clause", "ERROR", "with_clause", "for_statement", "while_statement":
				visit(c, outer, cls, top)
			}
		}
	}
	visit(m.Root, nil, nil, true)
	// Errors deep inside expressions do not appear as top-level children.
	if !m.HasError {
		m.Root.Walk(func(n *Node) bool {
			if n.Err {
				m.HasError = true
			}
			return !m.HasError
		})
	}
}

func (m *Module) define(def *Node, decs []*Node, outer *Func, cls *Class, top bool, visit func(*Node, *Func, *Class, bool)) {
	name := m.Text(def.Child("name"))
	body := def.Child("body")
	if def.Kind == "class_definition" {
		c := &Class{Name: name, Node: def, Decorators: decs, Methods: map[string]*Func{}, Attrs: map[string]*Node{}}
		if sc := def.Child("superclasses"); sc != nil {
			for _, b := range sc.NamedChildren() {
				if d := m.DottedName(b); d != "" {
					c.Bases = append(c.Bases, m.Qualify(d))
				}
			}
		}
		if outer == nil && cls == nil {
			m.Classes[name] = c
		}
		if body != nil {
			visit(body, outer, c, false)
		}
		return
	}
	f := &Func{Module: m, Name: name, Qual: name, Node: def, Decorators: decs, Outer: outer}
	f.Async = strings.HasPrefix(m.Text(def), "async")
	if cls != nil && outer == nil {
		f.Class = cls
		f.Qual = cls.Name + "." + name
		cls.Methods[name] = f
	}
	if outer == nil {
		if _, dup := m.ByName[f.Qual]; !dup || top || cls != nil {
			m.ByName[f.Qual] = f
		}
	}
	f.Params = m.params(def.Child("parameters"))
	m.Funcs = append(m.Funcs, f)
	m.funcOf[def] = f
	if body != nil {
		visit(body, f, nil, false)
	}
}

func (m *Module) params(ps *Node) []Param {
	var out []Param
	for _, p := range ps.NamedChildren() {
		pr := Param{Node: p}
		switch p.Kind {
		case "identifier":
			pr.Name = m.Text(p)
		case "typed_parameter":
			for _, c := range p.NamedChildren() {
				if c.Kind == "identifier" && pr.Name == "" {
					pr.Name = m.Text(c)
				}
			}
			pr.Annotation = p.Child("type")
		case "default_parameter", "typed_default_parameter":
			pr.Name = m.Text(p.Child("name"))
			pr.Annotation = p.Child("type")
			pr.Default = p.Child("value")
		default:
			continue
		}
		out = append(out, pr)
	}
	return out
}

func (m *Module) addAssign(a *Node, cls *Class, top bool) {
	left, right := a.Child("left"), a.Child("right")
	if right == nil {
		return
	}
	// a = b = value chains nest assignments in "right".
	for right.Kind == "assignment" {
		m.addAssign(right, cls, top)
		right = right.Child("right")
		if right == nil {
			return
		}
	}
	name := m.DottedName(left)
	if name == "" {
		return
	}
	if cls != nil && !top {
		cls.Attrs[name] = right
		return
	}
	m.Globals[name] = append(m.Globals[name], right)
}

func (m *Module) addImport(n *Node) {
	switch n.Kind {
	case "import_statement":
		for _, c := range n.NamedChildren() {
			switch c.Kind {
			case "dotted_name":
				full := m.Text(c)
				first := strings.SplitN(full, ".", 2)[0]
				m.Imports[first] = first
			case "aliased_import":
				m.Imports[m.Text(c.Child("alias"))] = m.Text(c.Child("name"))
			}
		}
	case "import_from_statement":
		modNode := n.Child("module_name")
		mod := m.Text(modNode)
		if strings.HasPrefix(mod, ".") {
			mod = m.absolute(mod)
		}
		for _, c := range n.Children {
			if c.Kind == "wildcard_import" {
				// from .production import *: recorded under a key no
				// Python name can take, for lookupFunc to search.
				m.Imports["*"+mod] = mod
				continue
			}
			if !c.FieldIs("name") {
				continue
			}
			switch c.Kind {
			case "dotted_name":
				nm := m.Text(c)
				m.Imports[nm] = joinDot(mod, nm)
			case "aliased_import":
				m.Imports[m.Text(c.Child("alias"))] = joinDot(mod, m.Text(c.Child("name")))
			}
		}
	}
}

func joinDot(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "." + b
}

// absolute resolves ".x" / "..x" against the module's package.
func (m *Module) absolute(rel string) string {
	dots := len(rel) - len(strings.TrimLeft(rel, "."))
	pkg := m.Name
	if !strings.HasSuffix(m.Path, "__init__.py") {
		pkg = parentPkg(pkg)
	}
	for i := 1; i < dots; i++ {
		pkg = parentPkg(pkg)
	}
	return joinDot(pkg, rel[dots:])
}

func parentPkg(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// Qualify rewrites the first segment of a dotted name through the imports:
// with "import stripe as s", "s.Webhook" becomes "stripe.Webhook".
func (m *Module) Qualify(dotted string) string {
	first, rest, _ := strings.Cut(dotted, ".")
	if q, ok := m.Imports[first]; ok {
		if rest == "" {
			return q
		}
		return q + "." + rest
	}
	return dotted
}

// ImportsStripe reports whether any import reaches the stripe package.
func (m *Module) ImportsStripe() bool {
	for _, q := range m.Imports {
		if q == "stripe" || strings.HasPrefix(q, "stripe.") {
			return true
		}
	}
	return false
}

// FuncAt returns the innermost function containing n, or nil.
func (m *Module) FuncAt(n *Node) *Func {
	for p := n; p != nil; p = p.Parent {
		if p.Kind == "function_definition" {
			if f := m.funcOf[p]; f != nil {
				return f
			}
		}
	}
	return nil
}

// Base is the file name.
func (m *Module) Base() string { return path.Base(m.Path) }
