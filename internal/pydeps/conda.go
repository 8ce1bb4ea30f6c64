package pydeps

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// parseConda reads the pip: section of a conda environment.yml. Conda
// packages themselves are not PyPI packages and are skipped.
func (p *parser) parseConda(file string, data []byte) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line := 0
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line = atoiSafe(m[1])
		}
		p.warn(file, line, "invalid YAML: %v", err)
		return
	}
	if len(root.Content) == 0 {
		return
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		p.warn(file, doc.Line, "environment file is not a mapping")
		return
	}
	deps := mappingValue(doc, "dependencies")
	if deps == nil {
		return
	}
	if deps.Kind != yaml.SequenceNode {
		p.warn(file, deps.Line, "dependencies should be a list")
		return
	}
	for _, d := range deps.Content {
		if d.Kind != yaml.MappingNode {
			continue // a conda package
		}
		pip := mappingValue(d, "pip")
		if pip == nil {
			continue
		}
		if pip.Kind != yaml.SequenceNode {
			p.warn(file, pip.Line, "pip: should be a list")
			continue
		}
		for _, it := range pip.Content {
			if it.Kind != yaml.ScalarNode {
				p.warn(file, it.Line, "pip: entry is not a string")
				continue
			}
			p.parseRequirementLine(file, it.Line, it.Value, false, SourceConda)
		}
	}
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func atoiSafe(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1e8 {
			return n
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// ---------------------------------------------------------------------------
// setup.cfg

// parseSetupCfg reads [options] install_requires and
// [options.extras_require] from a setuptools setup.cfg (INI).
func (p *parser) parseSetupCfg(file string, data []byte) {
	section := ""
	type entry struct {
		key   string
		line  int
		value []logicalLine
	}
	var cur *entry
	flush := func() {
		if cur == nil {
			return
		}
		e := cur
		cur = nil
		if len(e.value) == 1 && strings.HasPrefix(strings.TrimSpace(e.value[0].text), "file:") {
			for _, f := range strings.Split(strings.TrimPrefix(strings.TrimSpace(e.value[0].text), "file:"), ",") {
				if f = strings.TrimSpace(f); f != "" {
					p.include(file, e.line, f, false)
				}
			}
			return
		}
		var items []logicalLine
		if len(e.value) == 1 { // single line: ';'-separated list
			for _, s := range strings.Split(e.value[0].text, ";") {
				items = append(items, logicalLine{e.value[0].line, s})
			}
			// a single requirement with a marker uses ';' too
			if len(items) > 1 {
				if _, err := parsePEP508(items[1].text); err != nil {
					items = e.value
				}
			}
		} else {
			items = e.value
		}
		for _, it := range items {
			s := strings.TrimSpace(it.text)
			if s == "" || strings.HasPrefix(s, "#") {
				continue
			}
			p.addPEP508(file, it.line, s, SourceSetupCfg)
		}
	}
	for i, l := range splitLines(data) {
		n := i + 1
		trim := strings.TrimSpace(l)
		if trim == "" {
			continue
		}
		if strings.HasPrefix(trim, "#") || strings.HasPrefix(trim, ";") {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if cur != nil {
				cur.value = append(cur.value, logicalLine{n, trim})
			}
			continue
		}
		flush()
		if strings.HasPrefix(trim, "[") {
			if !strings.HasSuffix(trim, "]") {
				p.warn(file, n, "malformed section header %q", truncate(trim))
				section = ""
				continue
			}
			section = strings.TrimSpace(trim[1 : len(trim)-1])
			continue
		}
		eq := strings.IndexAny(trim, "=:")
		if eq <= 0 {
			if section == "options" || section == "options.extras_require" {
				p.warn(file, n, "line is not key = value: %q", truncate(trim))
			}
			continue
		}
		key := strings.TrimSpace(trim[:eq])
		val := strings.TrimSpace(trim[eq+1:])
		if (section == "options" && key == "install_requires") || section == "options.extras_require" {
			cur = &entry{key: key, line: n}
			if val != "" {
				cur.value = append(cur.value, logicalLine{n, val})
			}
		}
	}
	flush()
}
