package pydeps

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// Pipfile keys that are environment markers.
var pipfileMarkerKeys = []string{"os_name", "sys_platform", "platform_machine", "platform_python_implementation",
	"platform_release", "platform_system", "platform_version", "python_version", "python_full_version",
	"implementation_name", "implementation_version"}

type pipSource struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	VerifySSL *bool  `json:"verify_ssl"`
}

// sourceSettings records Pipfile / Pipfile.lock sources as pip options.
func (p *parser) sourceSettings(file string, lines []int, srcs []pipSource) {
	for i, s := range srcs {
		if s.URL == "" {
			continue
		}
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		opt := "--extra-index-url"
		if i == 0 {
			opt = "--index-url"
		}
		p.indexes = append(p.indexes, IndexSetting{File: file, Line: line, Option: opt, Value: s.URL})
		if s.VerifySSL != nil && !*s.VerifySSL {
			p.indexes = append(p.indexes, IndexSetting{File: file, Line: line, Option: "--trusted-host", Value: hostOf(s.URL)})
		}
	}
}

func sourceURL(srcs []pipSource, name string) string {
	if name == "" {
		if len(srcs) > 0 {
			return srcs[0].URL
		}
		return ""
	}
	for _, s := range srcs {
		if s.Name == name {
			return s.URL
		}
	}
	if strings.Contains(name, "://") {
		return name
	}
	return ""
}

func (p *parser) parsePipfile(file string, data []byte) {
	doc := p.decodeTOML(file, data)
	if doc == nil {
		return
	}
	tt := newTOMLText(data)
	var srcs []pipSource
	for _, x := range tlist(doc["source"]) {
		m := tmap(x)
		if m == nil {
			continue
		}
		s := pipSource{Name: tstr(m["name"]), URL: tstr(m["url"])}
		if b, ok := m["verify_ssl"].(bool); ok {
			s.VerifySSL = &b
		}
		srcs = append(srcs, s)
	}
	p.sourceSettings(file, tt.arrayEntries("source"), srcs)
	// [packages], [dev-packages] and pipenv's custom categories
	var sections []string
	for _, k := range sortedKeys(doc) {
		switch k {
		case "source", "requires", "pipenv", "scripts":
			continue
		}
		sections = append(sections, k)
	}
	for _, sec := range sections {
		v := doc[sec]
		if v == nil {
			continue
		}
		pk := tmap(v)
		if pk == nil {
			p.warn(file, tt.sectionLine(sec), "[%s] should be a table, found %s", sec, describe(v))
			continue
		}
		for _, name := range sortedKeys(pk) {
			line := tt.keyLine(sec, name)
			r := Requirement{RawName: name, Source: SourcePipfile, File: file, Line: line, Direct: true}
			var ver string
			idx := ""
			switch x := pk[name].(type) {
			case string:
				ver = x
			case map[string]any:
				ver = tstr(x["version"])
				idx = tstr(x["index"])
				for _, e := range tlist(x["extras"]) {
					if s, ok := e.(string); ok {
						r.Extras = append(r.Extras, s)
					}
				}
				var markers []string
				if m := tstr(x["markers"]); m != "" {
					markers = append(markers, m)
				}
				for _, k := range pipfileMarkerKeys {
					if m := tstr(x[k]); m != "" {
						markers = append(markers, k+" "+strings.TrimSpace(m))
					}
				}
				if len(markers) == 1 {
					r.Marker = markers[0]
				} else if len(markers) > 1 {
					r.Marker = "(" + strings.Join(markers, ") and (") + ")"
				}
				if g := tstr(x["git"]); g != "" {
					r.URL = "git+" + g
					if ref := tstr(x["ref"]); ref != "" {
						r.URL += "@" + ref
					}
				} else if f := tstr(x["file"]); f != "" {
					r.URL = f
				} else if pth := tstr(x["path"]); pth != "" {
					r.URL = pth
				}
				r.Editable = tbool(x["editable"])
			default:
				p.warn(file, line, "Pipfile package %s: unexpected %s", name, describe(pk[name]))
				continue
			}
			spec, err := pipfileSpec(ver)
			if err != nil {
				p.warn(file, line, "Pipfile package %s: %v", name, err)
			}
			r.Specifier = spec
			r.Version = pinOf(spec)
			if r.URL == "" {
				r.Index = sourceURL(srcs, idx)
			} else if r.Version == "" {
				_, r.Version = nameVersionFromURL(r.URL)
			}
			if r.Marker != "" {
				if err := checkMarker(r.Marker); err != nil {
					p.warn(file, line, "Pipfile package %s: invalid marker: %v", name, err)
				}
			}
			p.add(r)
		}
	}
}

func pipfileSpec(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "*" {
		return "", nil
	}
	if v[0] >= '0' && v[0] <= '9' {
		v = "==" + v
	}
	return normSpecifier(v)
}

// ---------------------------------------------------------------------------
// Pipfile.lock

type pipfileLockEntry struct {
	Version  string   `json:"version"`
	Hashes   []string `json:"hashes"`
	Index    string   `json:"index"`
	Markers  string   `json:"markers"`
	Extras   []string `json:"extras"`
	Git      string   `json:"git"`
	Ref      string   `json:"ref"`
	Path     string   `json:"path"`
	File     string   `json:"file"`
	Editable bool     `json:"editable"`
}

func jsonErrLine(li lineIndex, err error) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return li.line(int(se.Offset) - 1)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return li.line(int(te.Offset) - 1)
	}
	return 0
}

func (p *parser) parsePipfileLock(file string, data []byte) {
	li := newLineIndex(data)
	var srcs []pipSource
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		p.warn(file, 1, "Pipfile.lock is not a JSON object")
		return
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			p.warn(file, li.line(int(dec.InputOffset())), "invalid JSON: %v", err)
			return
		}
		key, _ := kt.(string)
		if key == "_meta" {
			line := li.line(int(dec.InputOffset()) - 1)
			var meta struct {
				Sources []pipSource `json:"sources"`
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				p.warn(file, li.line(int(dec.InputOffset())), "invalid JSON: %v", err)
				return
			}
			if err := json.Unmarshal(raw, &meta); err != nil {
				p.warn(file, line, "unexpected JSON in _meta: %v", err)
			}
			srcs = meta.Sources
			lines := make([]int, len(srcs))
			for i := range lines {
				lines[i] = line
			}
			p.sourceSettings(file, lines, srcs)
			continue
		}
		// "default", "develop" and pipenv's custom package categories
		keyLine := li.line(int(dec.InputOffset()) - 1)
		t, err := dec.Token()
		if err != nil {
			p.warn(file, li.line(int(dec.InputOffset())), "invalid JSON: %v", err)
			return
		}
		if t != json.Delim('{') {
			p.warn(file, keyLine, "%q should be an object of packages", truncate(key))
			if t == json.Delim('[') {
				for depth := 1; depth > 0; {
					t, err := dec.Token()
					if err != nil {
						p.warn(file, li.line(int(dec.InputOffset())), "invalid JSON: %v", err)
						return
					}
					switch t {
					case json.Delim('['), json.Delim('{'):
						depth++
					case json.Delim(']'), json.Delim('}'):
						depth--
					}
				}
			}
			continue
		}
		for dec.More() {
			nt, err := dec.Token()
			if err != nil {
				p.warn(file, li.line(int(dec.InputOffset())), "invalid JSON: %v", err)
				return
			}
			name, _ := nt.(string)
			line := li.line(int(dec.InputOffset()) - 1)
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				p.warn(file, line, "invalid JSON: %v", err)
				return
			}
			var e pipfileLockEntry
			if err := json.Unmarshal(raw, &e); err != nil {
				p.warn(file, line, "Pipfile.lock entry %q: %v", name, err)
			}
			r := Requirement{RawName: name, Source: SourceLockfile, File: file, Line: line,
				Hashes: e.Hashes, Marker: e.Markers, Extras: e.Extras, Editable: e.Editable}
			spec, err := normSpecifier(e.Version)
			if err != nil {
				p.warn(file, line, "Pipfile.lock entry %q: %v", name, err)
			}
			r.Specifier = spec
			r.Version = pinOf(spec)
			switch {
			case e.Git != "":
				r.URL = "git+" + e.Git
				if e.Ref != "" {
					r.URL += "@" + e.Ref
				}
			case e.File != "":
				r.URL = e.File
			case e.Path != "":
				r.URL = e.Path
			default:
				r.Index = sourceURL(srcs, e.Index)
			}
			if !validName.MatchString(name) {
				p.warn(file, line, "invalid package name %q", truncate(name))
				continue
			}
			p.add(r)
		}
		if _, err := dec.Token(); err != nil { // closing '}'
			p.warn(file, li.line(int(dec.InputOffset())), "invalid JSON: %v", err)
			return
		}
	}
}
