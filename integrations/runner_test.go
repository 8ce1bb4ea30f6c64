package integrations

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// A small runner for composite actions, faithful to GitHub's where this
// repository's action.yml depends on it: step `if` conditions (an implicit
// success() unless a status function is named), `${{ }}` expressions in
// env/with/if/outputs (contexts inputs, github, runner, steps; operators
// ||, &&, !, ==, !=; status functions), run steps executed as
// `bash --noprofile --norc -eo pipefail {0}` with GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, and `uses` steps handed to the test.

type actionFile struct {
	Name        string                  `yaml:"name"`
	Description string                  `yaml:"description"`
	Inputs      map[string]actionInput  `yaml:"inputs"`
	Outputs     map[string]actionOutput `yaml:"outputs"`
	Runs        struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionInput struct {
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default"`
}

type actionOutput struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	With  map[string]string `yaml:"with"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
}

func loadAction(t *testing.T, path string) *actionFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &a
}

// run is one invocation of the action in a job.
type run struct {
	t        *testing.T
	action   *actionFile
	inputs   map[string]string
	github   map[string]any // github context (event is a nested map)
	runner   map[string]any
	steps    map[string]map[string]string
	failed   bool
	summary  strings.Builder
	logs     strings.Builder
	uses     func(step actionStep, with map[string]string) error
	baseEnv  []string
	executed []string // names of the steps that ran
}

// Run executes every step and returns the action's outputs.
func (r *run) Run() map[string]string {
	r.t.Helper()
	r.steps = map[string]map[string]string{}
	for name, in := range r.action.Inputs {
		if _, ok := r.inputs[name]; !ok {
			r.inputs[name] = in.Default
		}
	}
	temp := r.runner["temp"].(string)
	for i, st := range r.action.Runs.Steps {
		name := st.Name
		if name == "" {
			name = st.Uses
		}
		if !r.condition(st.If) {
			fmt.Fprintf(&r.logs, "== skip %s\n", name)
			continue
		}
		r.executed = append(r.executed, name)
		fmt.Fprintf(&r.logs, "== run %s\n", name)
		outputs := map[string]string{}
		var err error
		switch {
		case st.Uses != "":
			with := map[string]string{}
			for k, v := range st.With {
				with[k] = r.interpolate(v)
			}
			err = r.uses(st, with)
		default:
			if st.Shell != "bash" {
				r.t.Fatalf("step %q: shell %q; this runner (and the action) use bash", name, st.Shell)
			}
			outputs, err = r.shell(i, st, temp)
		}
		if st.ID != "" {
			r.steps[st.ID] = outputs
		}
		if err != nil {
			fmt.Fprintf(&r.logs, "== step %s failed: %v\n", name, err)
			r.failed = true
		}
	}
	out := map[string]string{}
	for name, o := range r.action.Outputs {
		out[name] = r.interpolate(o.Value)
	}
	return out
}

func (r *run) shell(i int, st actionStep, temp string) (map[string]string, error) {
	dir := filepath.Join(temp, fmt.Sprintf("_step%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.t.Fatal(err)
	}
	script := filepath.Join(dir, "run.sh")
	outFile := filepath.Join(dir, "output")
	sumFile := filepath.Join(dir, "summary")
	for _, p := range []string{outFile, sumFile} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	if err := os.WriteFile(script, []byte(st.Run), 0o644); err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = r.github["workspace"].(string)
	env := append([]string{}, r.baseEnv...)
	env = append(env,
		"GITHUB_ACTIONS=true", "CI=true",
		"GITHUB_WORKSPACE="+r.github["workspace"].(string),
		"GITHUB_ACTION_PATH="+r.github["action_path"].(string),
		"GITHUB_EVENT_NAME="+r.github["event_name"].(string),
		"GITHUB_BASE_REF="+fmt.Sprint(r.github["base_ref"]),
		"GITHUB_REF="+fmt.Sprint(r.github["ref"]),
		"GITHUB_SHA="+fmt.Sprint(r.github["sha"]),
		"GITHUB_OUTPUT="+outFile,
		"GITHUB_STEP_SUMMARY="+sumFile,
		"RUNNER_TEMP="+temp,
	)
	for k, v := range st.Env {
		env = append(env, k+"="+r.interpolate(v))
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	r.logs.Write(out)
	sum, _ := os.ReadFile(sumFile)
	r.summary.Write(sum)
	outputs, perr := parseOutputs(outFile)
	if perr != nil {
		r.t.Fatalf("GITHUB_OUTPUT of %q: %v", st.Name, perr)
	}
	return outputs, err
}

// parseOutputs reads a GITHUB_OUTPUT file: name=value lines and
// name<<DELIM … DELIM blocks.
func parseOutputs(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				return nil, fmt.Errorf("unterminated %s<<%s", name, delim)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("malformed output line %q", line)
		}
		out[name] = val
	}
	return out, sc.Err()
}

// condition evaluates a step's `if` the way the runner does: without a
// status function the expression is implicitly `success() && (…)`.
func (r *run) condition(cond string) bool {
	cond = strings.TrimSpace(cond)
	if strings.HasPrefix(cond, "${{") && strings.HasSuffix(cond, "}}") {
		cond = strings.TrimSpace(cond[3 : len(cond)-2])
	}
	if cond == "" {
		return !r.failed
	}
	v := r.eval(cond)
	hasStatus := false
	for _, fn := range []string{"success()", "failure()", "always()", "cancelled()"} {
		if strings.Contains(cond, fn) {
			hasStatus = true
		}
	}
	if !hasStatus && r.failed {
		return false
	}
	return truthy(v)
}

// interpolate replaces every ${{ expr }} in s.
func (r *run) interpolate(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			r.t.Fatalf("unterminated expression in %q", s)
		}
		b.WriteString(s[:i])
		b.WriteString(str(r.eval(strings.TrimSpace(s[i+3 : i+j]))))
		s = s[i+j+2:]
	}
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	}
	return true
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

// eval is a recursive-descent evaluator of GitHub's expression subset.
func (r *run) eval(expr string) any {
	p := &exprParser{r: r, toks: tokenize(r.t, expr)}
	v := p.or()
	if p.pos != len(p.toks) {
		r.t.Fatalf("expression %q: unexpected %q", expr, p.toks[p.pos])
	}
	return v
}

type exprParser struct {
	r    *run
	toks []string
	pos  int
}

func (p *exprParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *exprParser) next() string { t := p.peek(); p.pos++; return t }

func (p *exprParser) or() any {
	v := p.and()
	for p.peek() == "||" {
		p.next()
		w := p.and()
		if !truthy(v) {
			v = w
		}
	}
	return v
}

func (p *exprParser) and() any {
	v := p.cmp()
	for p.peek() == "&&" {
		p.next()
		w := p.cmp()
		if truthy(v) {
			v = w
		}
	}
	return v
}

func (p *exprParser) cmp() any {
	v := p.unary()
	for p.peek() == "==" || p.peek() == "!=" {
		op := p.next()
		w := p.unary()
		// GitHub compares strings case-insensitively.
		eq := strings.EqualFold(str(v), str(w))
		v = eq == (op == "==")
	}
	return v
}

func (p *exprParser) unary() any {
	if p.peek() == "!" {
		p.next()
		return !truthy(p.unary())
	}
	return p.primary()
}

func (p *exprParser) primary() any {
	tok := p.next()
	switch {
	case tok == "(":
		v := p.or()
		if p.next() != ")" {
			p.r.t.Fatalf("missing )")
		}
		return v
	case strings.HasPrefix(tok, "'"):
		return strings.ReplaceAll(tok[1:len(tok)-1], "''", "'")
	case tok == "true" || tok == "false":
		return tok == "true"
	case strings.HasSuffix(tok, "()"):
		switch tok {
		case "success()":
			return !p.r.failed
		case "failure()":
			return p.r.failed
		case "always()":
			return true
		case "cancelled()":
			return false
		}
		p.r.t.Fatalf("function %s not supported", tok)
	}
	return p.r.lookup(tok)
}

// lookup resolves a context path such as inputs.fail-on or
// github.event.pull_request.base.sha; a missing property is null.
func (r *run) lookup(path string) any {
	parts := strings.Split(path, ".")
	var cur any
	switch parts[0] {
	case "inputs":
		if len(parts) != 2 {
			r.t.Fatalf("bad path %s", path)
		}
		v, ok := r.inputs[parts[1]]
		if !ok {
			r.t.Fatalf("expression refers to undeclared input %q", parts[1])
		}
		return v
	case "steps":
		if len(parts) != 4 || parts[2] != "outputs" {
			r.t.Fatalf("bad path %s", path)
		}
		known := false
		for _, st := range r.action.Runs.Steps {
			if st.ID == parts[1] {
				known = true
			}
		}
		if !known {
			r.t.Fatalf("expression refers to unknown step id %q", parts[1])
		}
		return r.steps[parts[1]][parts[3]]
	case "github":
		cur = r.github
	case "runner":
		cur = r.runner
	default:
		r.t.Fatalf("context %q not supported in %s", parts[0], path)
	}
	for _, k := range parts[1:] {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func tokenize(t *testing.T, s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.HasPrefix(s[i:], "||"), strings.HasPrefix(s[i:], "&&"), strings.HasPrefix(s[i:], "=="), strings.HasPrefix(s[i:], "!="):
			toks = append(toks, s[i:i+2])
			i += 2
		case c == '!' || c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(s) {
				t.Fatalf("unterminated string in %q", s)
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(s) && (isIdent(s[j]) || (s[j] == '(' && j+1 < len(s) && s[j+1] == ')')) {
				if s[j] == '(' {
					j += 2
					break
				}
				j++
			}
			if j == i {
				t.Fatalf("cannot tokenize %q at %d", s, i)
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

func isIdent(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
