package pyindex

import (
	"path"
	"regexp"
	"strings"
)

// command is one simple command of a shell text: its words after quote
// removal, the line it starts on and its text (for evidence).
type command struct {
	line int
	argv []string
	raw  string
}

// splitShell splits shell text into simple commands at newlines, ;, &, &&,
// ||, | and parentheses, removing quotes and backslash-newline
// continuations. It is not a shell: expansions stay as written ($VAR,
// $(...)), which is what the callers want (a variable is not a value).
// firstLine is the line number of text's first line.
func splitShell(text string, firstLine int) []command {
	var out []command
	var words []string
	var cur strings.Builder
	inWord := false
	line := firstLine
	start := -1
	startLine := line
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	endCmd := func(end int) {
		endWord()
		if len(words) > 0 {
			raw := ""
			if start >= 0 && end <= len(text) && start <= end {
				raw = strings.Join(strings.Fields(strings.ReplaceAll(text[start:end], "\\\n", " ")), " ")
			}
			out = append(out, command{line: startLine, argv: words, raw: raw})
		}
		words = nil
		start = -1
	}
	mark := func(i int) {
		if start < 0 {
			start = i
			startLine = line
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\\' && i+1 < len(text) && text[i+1] == '\n':
			i++
			line++
			endWord()
		case c == '\\' && i+2 < len(text) && text[i+1] == '\r' && text[i+2] == '\n':
			i += 2
			line++
			endWord()
		case c == '\\' && i+1 < len(text):
			mark(i)
			i++
			cur.WriteByte(text[i])
			inWord = true
		case c == '\'' || c == '"':
			mark(i)
			inWord = true
			j := i + 1
			for j < len(text) && text[j] != c {
				if c == '"' && text[j] == '\\' && j+1 < len(text) {
					j++
				}
				if text[j] == '\n' {
					line++
				}
				cur.WriteByte(text[j])
				j++
			}
			i = j
		case c == '#' && !inWord:
			for i < len(text) && text[i] != '\n' {
				i++
			}
			i--
		case c == '\n':
			endCmd(i)
			line++
		case c == ';' || c == '&' || c == '|' || c == '(' || c == ')':
			endCmd(i)
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		case c == '$' && i+1 < len(text) && text[i+1] == '(':
			// $(...) stays one word, unparsed.
			mark(i)
			depth := 0
			j := i
			for ; j < len(text); j++ {
				if text[j] == '(' {
					depth++
				} else if text[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				} else if text[j] == '\n' {
					line++
				}
			}
			if j >= len(text) {
				j = len(text) - 1
			}
			cur.WriteString(text[i : j+1])
			inWord = true
			i = j
		default:
			mark(i)
			cur.WriteByte(c)
			inWord = true
		}
	}
	endCmd(len(text))
	return out
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// assignment splits NAME=value.
func assignment(w string) (string, string, bool) {
	k, v, ok := strings.Cut(w, "=")
	if !ok || !envNameRE.MatchString(k) {
		return "", "", false
	}
	return k, v, true
}

// shellText reads index settings and installs from shell text (a script, a
// Dockerfile RUN, a CI script).
func (r *reader) shellText(text string, firstLine int, origin string) {
	for _, c := range splitShell(text, firstLine) {
		r.command(c, origin)
	}
}

// command interprets one simple command.
func (r *reader) command(c command, origin string) {
	argv := c.argv
	// Leading assignments apply to this command (or, alone, to the shell).
	for len(argv) > 0 {
		if k, v, ok := assignment(argv[0]); ok {
			o := origin + " environment"
			if len(argv) > 1 {
				o = origin + " inline environment"
			}
			r.env(k, v, c.line, o)
			argv = argv[1:]
			continue
		}
		switch argv[0] {
		case "export", "exec", "time", "nohup", "command", "then", "do", "else", "!", "{":
			argv = argv[1:]
			continue
		case "env", "sudo":
			argv = argv[1:]
			for len(argv) > 0 && strings.HasPrefix(argv[0], "-") {
				argv = argv[1:]
			}
			continue
		}
		break
	}
	if len(argv) == 0 {
		return
	}
	prog := path.Base(argv[0])
	switch {
	case isPip(prog):
		r.pipCommand(c, argv[1:], origin, Pip)
	case isPython(prog):
		// python -m pip ...
		for i := 1; i+1 < len(argv); i++ {
			if argv[i] == "-m" && argv[i+1] == "pip" {
				r.pipCommand(c, argv[i+2:], origin, Pip)
				return
			}
			if !strings.HasPrefix(argv[i], "-") {
				return
			}
		}
	case prog == "uv":
		if len(argv) >= 2 && argv[1] == "pip" {
			r.pipCommand(c, argv[2:], origin, UV)
			return
		}
		if len(argv) >= 2 {
			switch argv[1] {
			case "add", "sync", "lock", "run", "tool", "export":
				r.pipCommand(c, argv[1:], origin, UV)
			}
		}
	case prog == "uvx":
		r.pipCommand(c, append([]string{"uvx"}, argv[1:]...), origin, UV)
	}
}

func isPip(prog string) bool {
	if prog == "pip" || prog == "pip3" {
		return true
	}
	return strings.HasPrefix(prog, "pip3.") || strings.HasPrefix(prog, "pip2")
}

func isPython(prog string) bool {
	return prog == "python" || prog == "python3" || prog == "py" || strings.HasPrefix(prog, "python3.") || strings.HasPrefix(prog, "python2")
}

// Options of pip/uv install-like commands that take a value. Everything
// else that starts with '-' is a flag.
var valueOptions = map[string]bool{
	"-i": true, "--index-url": true, "--extra-index-url": true, "-f": true, "--find-links": true,
	"--trusted-host": true, "-r": true, "--requirement": true, "-c": true, "--constraint": true,
	"-e": true, "--editable": true, "-t": true, "--target": true, "--prefix": true, "--root": true,
	"--platform": true, "--python-version": true, "--implementation": true, "--abi": true,
	"--src": true, "--upgrade-strategy": true, "--progress-bar": true, "--log": true, "--log-file": true,
	"--cache-dir": true, "--cert": true, "--client-cert": true, "--proxy": true, "--retries": true,
	"--timeout": true, "--exists-action": true, "--global-option": true, "-C": true,
	"--config-settings": true, "--only-binary": true, "--no-binary": true, "--report": true,
	"--keyring-provider": true, "--root-user-action": true, "--python": true, "-p": true,
	"--use-feature": true, "--use-deprecated": true, "-d": true, "--dest": true, "-w": true, "--wheel-dir": true,
	// uv
	"--index": true, "--default-index": true, "--index-strategy": true, "--allow-insecure-host": true,
	"--override": true, "--group": true, "--extra": true, "--package": true, "--directory": true,
	"--project": true, "--with": true, "--from": true, "--resolution": true, "--prerelease": true,
	"--python-platform": true, "--exclude-newer": true, "--link-mode": true, "--compile-bytecode": false,
	"--optional": true, "--dev-group": true, "--refresh-package": true, "--reinstall-package": true,
	"--upgrade-package": true, "-P": true, "--config-file": true, "--build-constraint": true,
}

// pipCommand reads `pip <sub> ...` / `uv pip <sub> ...` / `uv add ...`.
func (r *reader) pipCommand(c command, args []string, origin string, tool Tool) {
	if len(args) == 0 {
		return
	}
	sub := args[0]
	args = args[1:]
	if tool == Pip && sub == "config" {
		r.pipConfigSet(c, args, origin)
		return
	}
	installs := false
	switch sub {
	case "install", "download", "wheel", "add", "sync", "compile", "uvx", "run", "tool", "lock", "export":
		installs = sub == "install" || sub == "add" || sub == "uvx"
	default:
		return
	}
	if sub == "tool" {
		if len(args) == 0 || args[0] != "install" && args[0] != "run" {
			return
		}
		args = args[1:]
		installs = true
	}
	cmdOrigin := origin + " (" + string(tool) + " " + sub + ")"
	var specs []string
	hashed, constrained := false, false
	var strategy string
	var extras []Setting
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			specs = append(specs, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			specs = append(specs, a)
			continue
		}
		name, val, hasVal := a, "", false
		if strings.HasPrefix(a, "--") {
			if eq := strings.IndexByte(a, '='); eq > 0 {
				name, val, hasVal = a[:eq], a[eq+1:], true
			}
		} else if len(a) > 2 && valueOptions[a[:2]] {
			name, val, hasVal = a[:2], strings.TrimPrefix(a[2:], "="), true
		}
		if !hasVal && valueOptions[name] {
			if i+1 < len(args) {
				i++
				val = args[i]
			}
		}
		s := Setting{Line: c.line, Tool: tool, Value: val, Origin: cmdOrigin, Command: c.raw}
		switch name {
		case "-i", "--index-url", "--default-index":
			s.Kind = Index
		case "--extra-index-url", "--index":
			s.Kind = ExtraIndex
			if tool == UV {
				s.Kind = OrderedIndex
				if n, u, ok := strings.Cut(val, "="); ok && !strings.Contains(n, "/") {
					s.Name, s.Value = n, u
				}
			}
			extras = append(extras, s)
			continue
		case "-f", "--find-links":
			s.Kind = FindLinks
		case "--trusted-host", "--allow-insecure-host":
			s.Kind = TrustedHost
		case "--no-index":
			s.Kind = NoIndex
		case "--require-hashes":
			s.Kind = RequireHashes
			hashed = true
		case "--index-strategy":
			s.Kind = Strategy
			strategy = val
		case "-r", "--requirement", "-c", "--constraint":
			constrained = true
			continue
		case "-e", "--editable":
			continue
		default:
			continue
		}
		r.add(s)
	}
	for _, s := range extras {
		if tool == UV && unsafeStrategy(strategy) {
			s.Kind = ExtraIndex
		}
		r.add(s)
	}
	if !installs {
		return
	}
	for _, sp := range specs {
		if !looksLikeRequirement(sp) {
			continue
		}
		r.res.Installs = append(r.res.Installs, Install{File: r.file, Line: c.line, Tool: tool, Spec: sp, Command: c.raw,
			Origin: cmdOrigin, Hashed: hashed, Constrained: constrained})
	}
}

// unsafeStrategy reports the uv index strategies that let a later index
// supply a package the first one also has.
func unsafeStrategy(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "unsafe-best-match" || s == "unsafe-first-match"
}

var reqNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*`)

// looksLikeRequirement accepts "name", "name==1.0", "name[extra]>=1";
// rejects paths, URLs, archives, variables and ".".
func looksLikeRequirement(s string) bool {
	if s == "" || IsVariable(s) || strings.ContainsAny(s, "/\\$`") || strings.Contains(s, "://") {
		return false
	}
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~") {
		return false
	}
	l := strings.ToLower(s)
	for _, ext := range []string{".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2", ".txt", ".in", ".toml"} {
		if strings.HasSuffix(l, ext) {
			return false
		}
	}
	return reqNameRE.MatchString(s)
}

// RequirementName extracts the project name of an install argument.
func RequirementName(spec string) string {
	return reqNameRE.FindString(strings.TrimSpace(spec))
}

// pipConfigSet reads `pip config [--global|--user|--site] set KEY VALUE`.
func (r *reader) pipConfigSet(c command, args []string, origin string) {
	var rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		rest = append(rest, a)
	}
	if len(rest) < 3 || rest[0] != "set" {
		return
	}
	key := rest[1]
	if i := strings.IndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	key = strings.ReplaceAll(strings.ToLower(key), "_", "-")
	kind, ok := pipConfKeys[key]
	if !ok {
		return
	}
	o := origin + " (pip config set " + rest[1] + ")"
	if kind == NoIndex || kind == RequireHashes {
		if isTrue(rest[2]) {
			r.add(Setting{Line: c.line, Tool: Pip, Kind: kind, Origin: o, Command: c.raw})
		}
		return
	}
	for _, v := range strings.Fields(strings.Join(rest[2:], " ")) {
		r.add(Setting{Line: c.line, Tool: Pip, Kind: kind, Value: v, Origin: o, Command: c.raw})
	}
}
