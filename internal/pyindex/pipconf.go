package pyindex

import (
	"strings"
)

// pipConfKeys maps pip configuration keys (any section: [global],
// [install], [download], ...) to what they set. pip accepts - and _.
var pipConfKeys = map[string]Kind{
	"index-url": Index, "extra-index-url": ExtraIndex, "find-links": FindLinks,
	"trusted-host": TrustedHost, "no-index": NoIndex, "require-hashes": RequireHashes,
}

// pipConf reads a pip.conf / pip.ini (Python configparser syntax:
// "key = value" or "key: value", indented continuation lines, # and ;
// comments, several values separated by whitespace).
func (r *reader) pipConf(text string) {
	section := ""
	var key string
	var keyLine int
	var vals []string
	var valLines []int
	flush := func() {
		if key == "" {
			return
		}
		kind, ok := pipConfKeys[key]
		if ok && section != "freeze" && section != "list" {
			origin := "pip configuration [" + section + "] " + key
			switch kind {
			case NoIndex, RequireHashes:
				if len(vals) > 0 && isTrue(vals[0]) {
					r.add(Setting{Line: keyLine, Tool: Pip, Kind: kind, Origin: origin})
				}
			default:
				for i, v := range vals {
					r.add(Setting{Line: valLines[i], Tool: Pip, Kind: kind, Value: v, Origin: origin})
				}
			}
		}
		key, vals, valLines = "", nil, nil
	}
	for i, l := range strings.Split(text, "\n") {
		n := i + 1
		l = strings.TrimRight(l, "\r")
		trim := strings.TrimSpace(l)
		if trim == "" || trim[0] == '#' || trim[0] == ';' {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if key != "" {
				for _, v := range strings.Fields(trim) {
					vals = append(vals, v)
					valLines = append(valLines, n)
				}
			}
			continue
		}
		flush()
		if strings.HasPrefix(trim, "[") {
			if j := strings.IndexByte(trim, ']'); j > 0 {
				section = strings.ToLower(strings.TrimSpace(trim[1:j]))
			} else {
				r.warn(n, "malformed section header %q", trim)
			}
			continue
		}
		sep := strings.IndexAny(trim, "=:")
		if sep <= 0 {
			r.warn(n, "malformed line %q (want key = value)", truncate(trim))
			continue
		}
		key = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(trim[:sep])), "_", "-")
		keyLine = n
		for _, v := range strings.Fields(trim[sep+1:]) {
			vals = append(vals, v)
			valLines = append(valLines, n)
		}
	}
	flush()
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
