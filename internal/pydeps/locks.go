package pydeps

import (
	"strings"

	"github.com/BurntSushi/toml"
)

// lockEntries returns the array-of-tables key of a lock file together with
// the line of each entry's name.
func (p *parser) lockEntries(file string, doc map[string]any, tt *tomlText, key string) ([]map[string]any, []int) {
	v := doc[key]
	if v == nil {
		return nil, nil
	}
	list := tlist(v)
	if list == nil {
		p.warn(file, 0, "%q should be an array of tables, found %s", key, describe(v))
		return nil, nil
	}
	lines := tt.entryNameLines(key)
	out := make([]map[string]any, 0, len(list))
	outLines := make([]int, 0, len(list))
	for i, x := range list {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		if x == nil {
			continue // an entry salvageTOML could not decode
		}
		m := tmap(x)
		if m == nil {
			p.warn(file, line, "%s entry %d is %s, not a table", key, i+1, describe(x))
			continue
		}
		name, ok := m["name"].(string)
		if !ok || !validName.MatchString(name) {
			p.warn(file, line, "%s entry %d has no valid name", key, i+1)
			continue
		}
		if vv, present := m["version"]; present {
			if v, ok := vv.(string); !ok {
				p.warn(file, line, "%s: version of %s is %s, not a string", key, name, describe(vv))
			} else if !versionRE.MatchString(v) {
				p.warn(file, line, "%s: invalid version %q for %s", key, truncate(v), name)
				delete(m, "version")
			}
		}
		out = append(out, m)
		outLines = append(outLines, line)
	}
	return out, outLines
}

// decodeLock decodes a TOML lock file; when the whole file does not
// decode, every [[key]] entry is decoded on its own so that one broken entry
// does not hide the others.
func (p *parser) decodeLock(file string, data []byte, tt *tomlText, key string) map[string]any {
	if doc := p.decodeTOML(file, data); doc != nil {
		return doc
	}
	starts := tt.arrayEntries(key)
	if len(starts) == 0 {
		return nil
	}
	var list []any
	ok := 0
	for i, start := range starts {
		end := len(tt.lines)
		for _, h := range tt.headers {
			if h.line > start && h.name != key && !strings.HasPrefix(h.name, key+".") {
				end = h.line - 1
				break
			}
		}
		if i+1 < len(starts) && starts[i+1]-1 < end {
			end = starts[i+1] - 1
		}
		var chunk map[string]any
		if _, err := toml.Decode(strings.Join(tt.lines[start-1:end], "\n"), &chunk); err != nil {
			list = append(list, nil)
			continue
		}
		entries := tlist(chunk[key])
		if len(entries) != 1 {
			list = append(list, nil)
			continue
		}
		list = append(list, entries[0])
		ok++
	}
	p.warn(file, 0, "recovered %d of %d [[%s]] entries from the invalid file", ok, len(starts), key)
	return map[string]any{key: list}
}

// fileHashes collects "algo:hex" hashes from [{file=..., hash="sha256:..."}].
func fileHashes(v any) []string {
	var out []string
	for _, x := range tlist(v) {
		if m := tmap(x); m != nil {
			if h := tstr(m["hash"]); h != "" {
				out = append(out, h)
			}
			out = append(out, hashTable(m["hashes"])...)
		}
	}
	return out
}

// hashTable turns {sha256 = "..."} into ["sha256:..."].
func hashTable(v any) []string {
	m := tmap(v)
	var out []string
	for _, k := range sortedKeys(m) {
		if s := tstr(m[k]); s != "" {
			out = append(out, k+":"+s)
		}
	}
	return out
}

func uniq(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// poetry.lock

func (p *parser) parsePoetryLock(file string, data []byte) {
	tt := newTOMLText(data)
	doc := p.decodeLock(file, data, tt, "package")
	if doc == nil {
		return
	}
	pkgs, lines := p.lockEntries(file, doc, tt, "package")
	oldFiles := tmap(tget(doc, "metadata", "files")) // poetry < 1.5
	for i, m := range pkgs {
		name := tstr(m["name"])
		r := Requirement{RawName: name, Version: tstr(m["version"]), Source: SourceLockfile, File: file, Line: lines[i]}
		if r.Version != "" {
			r.Specifier = "==" + r.Version
		}
		r.Hashes = fileHashes(m["files"])
		if len(r.Hashes) == 0 && oldFiles != nil {
			r.Hashes = fileHashes(oldFiles[name])
		}
		r.Hashes = uniq(r.Hashes)
		r.Marker = poetryLockMarker(m)
		if src := tmap(m["source"]); src != nil {
			u := tstr(src["url"])
			switch tstr(src["type"]) {
			case "legacy":
				r.Index = u
			case "git":
				ref := tstr(src["resolved_reference"])
				if ref == "" {
					ref = tstr(src["reference"])
				}
				r.URL = "git+" + u
				if ref != "" {
					r.URL += "@" + ref
				}
			case "directory", "file", "url":
				r.URL = u
				r.Editable = tbool(m["develop"])
			}
		}
		for _, k := range sortedKeys(tmap(m["dependencies"])) {
			r.Requires = append(r.Requires, Normalize(k))
		}
		p.add(r)
	}
}

// poetryLockMarker reads a package's markers: a string, or (Poetry 2) a
// table group -> marker; a group without an entry is unconditional.
func poetryLockMarker(m map[string]any) string {
	switch v := m["markers"].(type) {
	case string:
		return v
	case map[string]any:
		groups := tlist(m["groups"])
		var ms []string
		for _, g := range groups {
			gs, _ := g.(string)
			s, ok := v[gs].(string)
			if !ok || strings.TrimSpace(s) == "" {
				return ""
			}
			ms = append(ms, s)
		}
		if len(groups) == 0 {
			for _, k := range sortedKeys(v) {
				if s, ok := v[k].(string); ok && s != "" {
					ms = append(ms, s)
				}
			}
		}
		ms = uniq(ms)
		if len(ms) == 1 {
			return ms[0]
		}
		if len(ms) > 1 {
			return "(" + strings.Join(ms, ") or (") + ")"
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// uv.lock

func (p *parser) parseUVLock(file string, data []byte) {
	tt := newTOMLText(data)
	doc := p.decodeLock(file, data, tt, "package")
	if doc == nil {
		return
	}
	pkgs, lines := p.lockEntries(file, doc, tt, "package")
	for i, m := range pkgs {
		r := Requirement{RawName: tstr(m["name"]), Version: tstr(m["version"]), Source: SourceLockfile, File: file, Line: lines[i]}
		src := tmap(m["source"])
		if src == nil && m["source"] != nil {
			p.warn(file, r.Line, "uv.lock: source of %s is %s, not a table", r.RawName, describe(m["source"]))
		}
		root := false
		switch {
		case tstr(src["registry"]) != "":
			r.Index = tstr(src["registry"])
		case tstr(src["git"]) != "":
			r.URL = "git+" + tstr(src["git"])
		case tstr(src["url"]) != "":
			r.URL = tstr(src["url"])
		case tstr(src["path"]) != "":
			r.URL = tstr(src["path"])
		case tstr(src["directory"]) != "":
			r.URL = tstr(src["directory"])
		case tstr(src["editable"]) != "":
			r.URL, r.Editable = tstr(src["editable"]), true
			root = r.URL == "."
		case tstr(src["virtual"]) != "":
			r.URL = tstr(src["virtual"])
			root = r.URL == "."
		}
		if root {
			continue // the project being locked, not a dependency
		}
		if r.Version != "" {
			r.Specifier = "==" + r.Version
		}
		if sd := tmap(m["sdist"]); sd != nil {
			if h := tstr(sd["hash"]); h != "" {
				r.Hashes = append(r.Hashes, h)
			}
		}
		r.Hashes = uniq(append(r.Hashes, fileHashes(m["wheels"])...))
		for _, d := range tlist(m["dependencies"]) {
			if dm := tmap(d); dm != nil && tstr(dm["name"]) != "" {
				r.Requires = append(r.Requires, Normalize(tstr(dm["name"])))
			}
		}
		r.Requires = uniq(r.Requires)
		p.add(r)
	}
}

// ---------------------------------------------------------------------------
// pdm.lock

func (p *parser) parsePDMLock(file string, data []byte) {
	tt := newTOMLText(data)
	doc := p.decodeLock(file, data, tt, "package")
	if doc == nil {
		return
	}
	pkgs, lines := p.lockEntries(file, doc, tt, "package")
	oldFiles := tmap(tget(doc, "metadata", "files")) // "name version" = [...]
	for i, m := range pkgs {
		r := Requirement{RawName: tstr(m["name"]), Version: tstr(m["version"]), Source: SourceLockfile, File: file, Line: lines[i]}
		if r.Version != "" {
			r.Specifier = "==" + r.Version
		}
		r.Marker = tstr(m["marker"])
		r.Hashes = fileHashes(m["files"])
		if len(r.Hashes) == 0 && oldFiles != nil {
			r.Hashes = fileHashes(oldFiles[r.RawName+" "+r.Version])
		}
		r.Hashes = uniq(r.Hashes)
		switch {
		case tstr(m["git"]) != "":
			r.URL = "git+" + tstr(m["git"])
			if rev := tstr(m["revision"]); rev != "" {
				r.URL += "@" + rev
			} else if ref := tstr(m["ref"]); ref != "" {
				r.URL += "@" + ref
			}
		case tstr(m["url"]) != "":
			r.URL = tstr(m["url"])
		case tstr(m["path"]) != "":
			r.URL = tstr(m["path"])
		}
		r.Editable = tbool(m["editable"])
		for _, d := range tlist(m["dependencies"]) {
			if s, ok := d.(string); ok {
				if q, err := parsePEP508(s); err == nil || q.Name != "" {
					r.Requires = append(r.Requires, Normalize(q.Name))
				}
			}
		}
		r.Requires = uniq(r.Requires)
		p.add(r)
	}
}

// ---------------------------------------------------------------------------
// pylock.toml (PEP 751)

func (p *parser) parsePylock(file string, data []byte) {
	tt := newTOMLText(data)
	doc := p.decodeLock(file, data, tt, "packages")
	if doc == nil {
		return
	}
	if _, ok := doc["lock-version"].(string); !ok {
		p.warn(file, 1, "pylock: missing or non-string lock-version")
	}
	pkgs, lines := p.lockEntries(file, doc, tt, "packages")
	for i, m := range pkgs {
		r := Requirement{RawName: tstr(m["name"]), Version: tstr(m["version"]), Source: SourceLockfile, File: file, Line: lines[i]}
		if r.Version != "" {
			r.Specifier = "==" + r.Version
		}
		r.Marker = tstr(m["marker"])
		r.Index = tstr(m["index"])
		if vcs := tmap(m["vcs"]); vcs != nil {
			typ := tstr(vcs["type"])
			if typ == "" {
				typ = "git"
			}
			loc := tstr(vcs["url"])
			if loc == "" {
				loc = tstr(vcs["path"])
			}
			r.URL = typ + "+" + loc
			if c := tstr(vcs["commit-id"]); c != "" {
				r.URL += "@" + c
			}
		}
		if dir := tmap(m["directory"]); dir != nil {
			r.URL = tstr(dir["path"])
			r.Editable = tbool(dir["editable"])
		}
		if ar := tmap(m["archive"]); ar != nil {
			r.URL = tstr(ar["url"])
			if r.URL == "" {
				r.URL = tstr(ar["path"])
			}
			r.Hashes = append(r.Hashes, hashTable(ar["hashes"])...)
		}
		if sd := tmap(m["sdist"]); sd != nil {
			r.Hashes = append(r.Hashes, hashTable(sd["hashes"])...)
		}
		r.Hashes = uniq(append(r.Hashes, fileHashes(m["wheels"])...))
		for _, d := range tlist(m["dependencies"]) {
			if dm := tmap(d); dm != nil && tstr(dm["name"]) != "" {
				r.Requires = append(r.Requires, Normalize(tstr(dm["name"])))
			}
		}
		r.Requires = uniq(r.Requires)
		p.add(r)
	}
}
