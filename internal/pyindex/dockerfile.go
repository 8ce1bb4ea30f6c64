package pyindex

import (
	"encoding/json"
	"strings"
)

// dockerfile reads ENV, ARG defaults and RUN commands (shell form, exec
// form and heredocs) of a Dockerfile. Values set with ENV and ARG are baked
// into the image's configuration and layer history.
func (r *reader) dockerfile(text string) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	escape := byte('\\')
	// Parser directives come first: "# escape=`".
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, "#") {
			break
		}
		d := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(t[1:]), " ", ""))
		if strings.HasPrefix(d, "escape=") && len(d) == len("escape=")+1 {
			escape = d[len(d)-1]
		}
	}
	for i := 0; i < len(lines); i++ {
		start := i + 1
		t := strings.TrimSpace(lines[i])
		if t == "" || t[0] == '#' {
			continue
		}
		// Join continuation lines; comment lines inside are dropped.
		var b strings.Builder
		cur := lines[i]
		for {
			tr := strings.TrimRight(cur, " \t")
			if len(tr) > 0 && tr[len(tr)-1] == escape && i+1 < len(lines) {
				// Keep the line break as a shell continuation so that
				// commands keep their line numbers.
				b.WriteString(tr[:len(tr)-1])
				b.WriteString("\\\n")
				i++
				for i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
					i++
					b.WriteString("\\\n")
				}
				if i >= len(lines) {
					break
				}
				cur = lines[i]
				continue
			}
			b.WriteString(cur)
			break
		}
		instr := b.String()
		instr = strings.TrimSpace(instr)
		n := 0
		for n < len(instr) && (instr[n] >= 'a' && instr[n] <= 'z' || instr[n] >= 'A' && instr[n] <= 'Z') {
			n++
		}
		word, rest := instr[:n], trimLead(instr[n:])
		switch strings.ToUpper(word) {
		case "ENV":
			r.dockerAssignments(rest, start, "Dockerfile ENV", true)
		case "ARG":
			r.dockerAssignments(rest, start, "Dockerfile ARG default", false)
		case "RUN":
			// Skip RUN flags (--mount=..., --network=...).
			for strings.HasPrefix(rest, "--") {
				_, after, ok := strings.Cut(rest, " ")
				if !ok {
					rest = ""
					break
				}
				rest = trimLead(after)
			}
			switch {
			case strings.HasPrefix(rest, "<<"):
				// Heredoc: RUN <<EOF ... EOF
				marker := strings.Trim(strings.TrimLeft(strings.Fields(rest)[0], "<-"), `"'`)
				var body []string
				j := i + 1
				for ; j < len(lines); j++ {
					if strings.TrimSpace(lines[j]) == marker {
						break
					}
					body = append(body, lines[j])
				}
				r.shellText(strings.Join(body, "\n"), i+2, "Dockerfile RUN")
				i = j
			case strings.HasPrefix(rest, "["):
				var argv []string
				if err := json.Unmarshal([]byte(strings.ReplaceAll(rest, "\\\n", " ")), &argv); err == nil {
					r.command(command{line: start, argv: argv, raw: strings.Join(argv, " ")}, "Dockerfile RUN")
					continue
				}
				r.shellText(rest, start, "Dockerfile RUN")
			default:
				r.shellText(rest, start, "Dockerfile RUN")
			}
		}
	}
}

// dockerAssignments reads "K=V K2=V2" (or the legacy "K V" form of ENV).
func (r *reader) dockerAssignments(rest string, line int, origin string, legacy bool) {
	cmds := splitShell(rest, line)
	if len(cmds) == 0 {
		return
	}
	words := cmds[0].argv
	if legacy && len(words) >= 2 && !strings.Contains(words[0], "=") {
		// ENV NAME value with spaces
		name := words[0]
		_, value, _ := strings.Cut(strings.TrimSpace(strings.ReplaceAll(rest, "\\\n", " ")), " ")
		r.env(name, strings.TrimSpace(value), line, origin)
		return
	}
	for _, w := range words {
		if k, v, ok := assignment(w); ok {
			r.env(k, v, line, origin)
		}
	}
}

// trimLead drops leading blanks and line continuations.
func trimLead(s string) string {
	for {
		t := strings.TrimLeft(s, " \t")
		t = strings.TrimPrefix(t, "\\\n")
		if t == s {
			return s
		}
		s = t
	}
}
