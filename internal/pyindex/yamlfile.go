package pyindex

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// scriptKeys hold shell text in CI and compose files (GitHub Actions run,
// GitLab script, CircleCI/compose command, Azure script/bash, Travis
// install, ...).
var scriptKeys = map[string]bool{
	"run": true, "script": true, "before_script": true, "after_script": true, "command": true,
	"commands": true, "entrypoint": true, "install": true, "before_install": true, "bash": true,
	"sh": true, "pwsh": true, "powershell": true, "cmd": true, "args": true, "steps": false,
}

// yamlFile reads compose files and CI workflows: environment variables set
// in any mapping (env:, environment:, variables:, build args) or as
// NAME=value list items, and install commands in script values.
func (r *reader) yamlFile(text string, kind filekind.Kind) {
	origin := "CI workflow"
	if kind == filekind.Compose {
		origin = "compose file"
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err != nil {
			if err.Error() != "EOF" {
				// Templated or slightly broken YAML (unquoted ": " in a
				// run line) still says what it installs: read it line
				// by line.
				r.res.Settings, r.res.Installs = nil, nil
				r.yamlLines(text, origin)
			}
			return
		}
		r.yamlNode(&doc, "", origin, 0)
	}
}

func (r *reader) yamlNode(n *yaml.Node, key, origin string, depth int) {
	if n == nil || depth > 64 {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			r.yamlNode(c, key, origin, depth+1)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && IsIndexEnv(k.Value) {
				r.env(k.Value, v.Value, v.Line, origin+" environment")
				continue
			}
			r.yamlNode(v, k.Value, origin, depth+1)
		}
	case yaml.SequenceNode:
		if scriptKeys[key] && allScalars(n) && key != "commands" && key != "script" && key != "before_script" && key != "after_script" && key != "install" && key != "before_install" {
			// compose command: ["pip", "install", ...] is one argv.
			var argv []string
			for _, c := range n.Content {
				argv = append(argv, c.Value)
			}
			if len(argv) > 0 && !strings.Contains(argv[0], " ") {
				r.command(command{line: n.Line, argv: argv, raw: strings.Join(argv, " ")}, origin)
				return
			}
		}
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				if k, v, ok := assignment(c.Value); ok && IsIndexEnv(k) {
					r.env(k, v, c.Line, origin+" environment")
					continue
				}
			}
			r.yamlNode(c, key, origin, depth+1)
		}
	case yaml.ScalarNode:
		if n.Tag != "!!str" && n.Tag != "" {
			return
		}
		if scriptKeys[key] || mentionsInstaller(n.Value) {
			first := n.Line
			if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				first++
			}
			r.shellText(n.Value, first, origin)
		}
	case yaml.AliasNode:
		// Anchored values are read where they are defined.
	}
}

func allScalars(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// mentionsInstaller is a cheap gate for scalars outside script keys.
func mentionsInstaller(s string) bool {
	return strings.Contains(s, "pip ") || strings.Contains(s, "pip3 ") || strings.Contains(s, "uv ")
}

var yamlEnvLineRE = regexp.MustCompile(`^\s*(?:-\s*)?["']?([A-Z][A-Z0-9_]*)["']?\s*[:=]\s*(.*)$`)

// yamlLines is the fallback reader for YAML the decoder rejects: NAME: value
// and - NAME=value lines, and install commands on any line.
func (r *reader) yamlLines(text, origin string) {
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if m := yamlEnvLineRE.FindStringSubmatch(l); m != nil && IsIndexEnv(m[1]) {
			r.env(m[1], strings.TrimSpace(m[2]), i+1, origin+" environment")
			continue
		}
		if !mentionsInstaller(l) {
			continue
		}
		t := strings.TrimSpace(l)
		t = strings.TrimPrefix(t, "- ")
		if k, v, ok := strings.Cut(t, ": "); ok && !strings.ContainsAny(k, " \t") {
			t = v
		}
		r.shellText(t, i+1, origin)
	}
}
