// Package secrets finds Stripe credentials in files on disk and in archive
// members: live and test secret keys, restricted keys, webhook signing
// secrets and (on request) publishable keys. It tells real keys from
// documentation placeholders, says where a key sits (Python code, .env,
// notebook output, Dockerfile layer, CI workflow, log, docs) and checks the
// hygiene of the files holding them (world-readable, .env not ignored).
//
// The scan of a file is two vectorised bytes.Index passes (anchors "k_" and
// "whsec_"); everything else runs only around a hit, so files without keys
// cost a few hundred microseconds per megabyte.
package secrets

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/rules"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// Name is the analyzer name and rule-id prefix.
const Name = "secrets"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: func(o analyzer.Options) (analyzer.Analyzer, error) {
		return New(o), nil
	}})
}

// Analyzer is the key-exposure file analyzer. It keeps no state across
// files, so one value serves every goroutine.
type Analyzer struct {
	opts analyzer.Options
}

// New returns an analyzer for one scan.
func New(o analyzer.Options) *Analyzer { return &Analyzer{opts: o} }

func (a *Analyzer) Name() string { return Name }

// ScansHistory: the key detectors also read git history (scan --history).
func (a *Analyzer) ScansHistory() {}

// binaryExt are formats that cannot hold a key as text. The engine already
// drops binary and oversize files; this only saves reading obvious media.
var binaryExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".ico": true, ".webp": true, ".bmp": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".wav": true, ".ogg": true,
	".so": true, ".dylib": true, ".dll": true, ".exe": true, ".o": true, ".a": true,
}

// Wants every text file: keys end up in any format. Archive members are
// always wanted, their text has already been extracted.
func (a *Analyzer) Wants(f *source.File) bool {
	if f.Container != "" {
		return true
	}
	return !binaryExt[strings.ToLower(path.Ext(f.Base()))]
}

// fileState accumulates what one file showed, for the file-level rules and
// the checklist observations.
type fileState struct {
	firstLive, firstSecret int // 1-based lines, 0 = none
	sawSkLive, sawRk       int
	logged                 int
	loggedWhere            string
	// worst is the most sensitive credential the file holds (for the
	// permission finding, which names it).
	worst Cred
}

// File scans one file.
func (a *Analyzer) File(ctx context.Context, f *source.File, sink finding.Sink) {
	if ctx.Err() != nil {
		return
	}
	data := f.Data
	kind := filekind.Of(f.Inner(), data)
	matches := Scan(data, kind == filekind.Python)
	var enc []Match
	if kind == filekind.K8sSecret {
		// Secret data values are decoded whole (a value may be an entire
		// .env file, its keys far from the start); that subsumes the
		// anchored search.
		enc = scanK8sSecret(data)
	} else {
		enc = scanBase64(data)
	}
	if len(enc) > 0 {
		matches = append(matches, enc...)
		sort.SliceStable(matches, func(i, j int) bool { return matches[i].Start < matches[j].Start })
	}

	var spans []cellSpan
	if kind == filekind.Notebook && len(matches) > 0 {
		var err error
		spans, err = notebookSpans(data)
		if err != nil {
			sink.Warning(&finding.Warning{File: f.Rel, Kind: finding.WarnParse,
				Message: "notebook JSON could not be fully read (" + err.Error() + "); keys are reported without cell numbers"})
		}
	}

	envLike := source.IsEnvLike(f.Base()) && f.Container == ""
	envIgnored := envLike && f.Ignored && !f.Tracked
	// A git-ignored local secrets file (.env, local_settings.py,
	// secrets.json…) is where keys belong: its keys are not findings, its
	// permissions are checked.
	keysBelong := f.Container == "" && f.Ignored && !f.Tracked && source.IsLocalSecretFile(f.Base())
	testCode := filekind.IsTestCode(f.Inner())
	lx := lineIndex{data: data}
	var st fileState

	for _, m := range matches {
		if m.Placeholder != "" {
			continue
		}
		line, _ := lx.pos(m.Start)
		if m.DocKey {
			if !keysBelong && (m.Cred.Secret() || a.opts.ShowPublishable) {
				a.emit(sink, f, kind, m, spans, &lx, DocumentationKey, testCode)
			}
			continue
		}
		if m.Cred.Secret() && severityRank(m.Cred) > severityRank(st.worst) {
			st.worst = m.Cred
		}
		if m.Cred.Secret() && st.firstSecret == 0 {
			st.firstSecret = line
		}
		if m.Cred.Live() && st.firstLive == 0 {
			st.firstLive = line
		}
		switch m.Cred {
		case LiveSecret:
			if st.sawSkLive == 0 {
				st.sawSkLive = line
			}
		case LiveRestricted, TestRestricted:
			if st.sawRk == 0 {
				st.sawRk = line
			}
		}
		if keysBelong {
			continue
		}
		if !m.Cred.Secret() && !a.opts.ShowPublishable {
			continue
		}
		a.emit(sink, f, kind, m, spans, &lx, ruleFor(m.Cred), testCode)
		if m.Cred.Secret() && st.logged == 0 {
			// A key in a log, or in a notebook cell's saved output, was
			// printed by the code that produced it.
			if kind == filekind.Log {
				st.logged, st.loggedWhere = line, "a Stripe secret was written to a log file"
			} else if c, ok := cellAt(spans, m.Start); ok && kind == filekind.Notebook && c.Output {
				st.logged, st.loggedWhere = line, fmt.Sprintf("a Stripe secret was printed in the output of notebook cell %d", c.Cell)
			}
		}
	}
	a.fileLevel(sink, f, kind, envLike, envIgnored, keysBelong, &st)
	// A committed .env that holds keys defines variables, but it is the
	// leak, not evidence of keys kept out of files.
	leakyEnv := kind == filekind.Env && st.firstSecret > 0 && !envIgnored
	if kind != filekind.Log && kind != filekind.Docs && kind != filekind.CSV && !leakyEnv {
		if line, name := envReference(data, kind); line > 0 {
			sink.Observation(&finding.Observation{Mitigation: MitigationFromEnv, State: finding.InPlace,
				Detail: name + " is taken from the environment", File: f.Rel, Line: line})
			switch {
			case strings.Contains(name, "RESTRICTED"):
				sink.Observation(&finding.Observation{Mitigation: MitigationRestricted, State: finding.InPlace,
					Detail: "a restricted key variable (" + name + ") is configured", File: f.Rel, Line: line})
			case apiKeyVariable(name):
				// Which kind of key the variable holds is decided where
				// the environment is set, out of the scanned tree.
				sink.Observation(&finding.Observation{Mitigation: MitigationRestricted, State: finding.NoData,
					Detail: name + " comes from the environment: whether it holds a restricted (rk_) key is decided where it is set, not in the code", File: f.Rel, Line: line})
			}
		}
	}
}

func (a *Analyzer) fileLevel(sink finding.Sink, f *source.File, kind filekind.Kind, envLike, envIgnored, keysBelong bool, st *fileState) {
	// Permissions matter for the local files where keys are meant to
	// live, outside git: a file git tracks is in every clone whatever
	// its mode (0644 is git's default), and there the key itself is the
	// finding.
	// Logs are local runtime files too: one that caught a key and that
	// every user can read spreads it.
	localFile := f.Abs != "" && f.Container == "" && !f.Tracked &&
		(keysBelong || source.IsLocalSecretFile(f.Base()) || kind == filekind.Log)
	if st.firstSecret > 0 && localFile {
		what := "a Stripe " + st.worst.String()
		if perm := f.Mode.Perm(); perm&0o004 != 0 {
			r := WorldReadableKeyFile.New()
			r.File, r.Line, r.Key = f.Rel, st.firstSecret, "mode"
			r.Message = fmt.Sprintf("%s holds %s and is readable by every user on the host (mode %04o)", f.Rel, what, perm)
			if !st.worst.Live() {
				// A test key on a shared host exposes the test
				// account only.
				r.Severity = finding.Low
			}
			r.Evidence = fmt.Sprintf("mode %04o", perm)
			r.Mitigation = "Run `chmod 600 " + shellQuote(f.Rel) + "` so only the owner can read it; roll the key if other users had access."
			sink.Finding(r)
		} else if perm&0o077 == 0 {
			sink.Observation(&finding.Observation{Mitigation: MitigationPermissions, State: finding.InPlace,
				Detail: fmt.Sprintf("%s holding %s is owner-only (mode %04o)", f.Rel, what, perm), File: f.Rel})
		}
	}
	if envLike && st.firstSecret > 0 {
		switch {
		case f.Tracked || !f.Ignored:
			r := EnvFileNotIgnored.New()
			r.File, r.Line, r.Key = f.Rel, st.firstSecret, "env"
			if f.Tracked {
				r.Message = f.Rel + " holds Stripe secrets and is tracked by git: every clone has them"
				r.Evidence = "tracked by git"
			} else {
				r.Message = f.Rel + " holds Stripe secrets and .gitignore does not cover it: the next `git add .` commits them"
				r.Evidence = "not git-ignored"
			}
			r.Mitigation = "Add " + f.Base() + " to .gitignore" + map[bool]string{true: ", run `git rm --cached " + shellQuote(f.Rel) + "`, and roll the keys it held (they remain in history)", false: ""}[f.Tracked] + "; commit a .env.example with empty values instead."
			sink.Finding(r)
		case envIgnored:
			sink.Observation(&finding.Observation{Mitigation: MitigationEnvIgnored, State: finding.InPlace,
				Detail: "env file " + f.Rel + " is git-ignored", File: f.Rel})
			sink.Observation(&finding.Observation{Mitigation: MitigationFromEnv, State: finding.InPlace,
				Detail: "keys are kept in git-ignored env file " + f.Rel, File: f.Rel})
		}
	} else if keysBelong && st.firstSecret > 0 {
		sink.Observation(&finding.Observation{Mitigation: MitigationFromEnv, State: finding.InPlace,
			Detail: "keys are kept in git-ignored local file " + f.Rel, File: f.Rel})
	}
	if st.sawSkLive > 0 {
		sink.Observation(&finding.Observation{Mitigation: MitigationRestricted, State: finding.Missing,
			Detail: "an unrestricted sk_live_ key is used; create a restricted rk_live_ key with only the permissions the app needs", File: f.Rel, Line: st.sawSkLive})
	}
	if st.sawRk > 0 {
		sink.Observation(&finding.Observation{Mitigation: MitigationRestricted, State: finding.InPlace,
			Detail: "a restricted rk_ key is in use", File: f.Rel, Line: st.sawRk})
	}
	if st.logged > 0 {
		sink.Observation(&finding.Observation{Mitigation: MitigationNotLogged, State: finding.Missing,
			Detail: st.loggedWhere, File: f.Rel, Line: st.logged})
	}
}

// emit builds the finding for one match: the location, a message that
// says where the key sits and why that matters there, and evidence that
// never holds the full key.
func (a *Analyzer) emit(sink finding.Sink, f *source.File, kind filekind.Kind, m Match, spans []cellSpan, lx *lineIndex, rule *rules.Rule, testCode bool) {
	r := rule.New()
	r.File = f.Rel
	r.Secret = m.Key
	r.Line, r.Column = lx.pos(m.Start)
	r.EndLine, r.EndColumn = lx.pos(m.End)
	if m.End > m.Start && m.End <= len(f.Data) && f.Data[m.End-1] == '\n' {
		r.EndLine, r.EndColumn = lx.pos(m.End - 1)
	}

	what := "Stripe " + m.Cred.String()
	where, advice := "", ""
	switch kind {
	case filekind.Python:
		where = "hardcoded in Python source"
	case filekind.Env:
		where = "in env file " + f.Base()
	case filekind.Notebook:
		where = "in a Jupyter notebook"
		if s, ok := cellAt(spans, m.Start); ok {
			part := "source"
			if s.Output {
				part = "output"
				where = fmt.Sprintf("printed in the output of notebook cell %d, which is saved in the .ipynb and shared with it", s.Cell)
				advice = "Clear the notebook's outputs (jupyter nbconvert --clear-output) before committing; never print keys."
			} else {
				where = fmt.Sprintf("in notebook cell %d", s.Cell)
				advice = "Load it with os.environ in the notebook instead."
			}
			r.Context = fmt.Sprintf("notebook cell %d (%s)", s.Cell, part)
		}
	case filekind.Dockerfile:
		instr := dockerInstruction(f.Data, m.Start)
		r.Context = "Dockerfile " + instr
		switch instr {
		case "ENV", "ARG":
			where = "in a Dockerfile " + instr + ": it is baked into the image layers and visible to anyone who can pull the image (docker history / docker inspect)"
			advice = "Pass it at run time (docker run -e, orchestrator secrets) or use a BuildKit secret mount (RUN --mount=type=secret) for build steps."
		default:
			where = "in a Dockerfile " + instr + " instruction: it is stored in the image's build history"
			advice = "Use a BuildKit secret mount (RUN --mount=type=secret) or pass it at run time."
		}
	case filekind.Compose:
		where = "in a Docker Compose file"
		advice = "Reference ${STRIPE_SECRET_KEY} from an ignored .env, or use Compose secrets."
	case filekind.CI:
		where = "in a CI workflow, readable by everyone with repository access and prone to appear in build logs"
		advice = "Store it in the CI secret store and reference it (${{ secrets.STRIPE_SECRET_KEY }})."
		r.Context = "CI workflow"
	case filekind.Shell:
		where = "in a shell script"
		advice = "Export it from a secret manager at run time instead."
	case filekind.Log:
		where = "in log file " + f.Base() + ": the key was logged, so everyone with access to logs or log shipping has it"
		advice = "Rotate it, delete or redact the log, and stop logging keys (mask them in log formatters and in exception output)."
	case filekind.Docs:
		where = "in documentation, published to every reader"
		advice = "Use a placeholder such as sk_test_... in examples."
		// A test key in a README is most often a deliberate example
		// that happens to be real: still worth rolling, rarely urgent.
		if rule == TestSecretKey || rule == TestRestrictedKey {
			r.Severity = finding.Low
		}
	case filekind.K8sSecret:
		where = "in a Kubernetes Secret manifest"
		advice = "Commit sealed or external secrets (SealedSecrets, External Secrets Operator, SOPS), never the plain manifest."
	case filekind.YAML, filekind.JSON, filekind.TOML, filekind.INI:
		where = "in a " + kind.Describe()
		if !strings.HasSuffix(where, " file") {
			where += " file" // "a YAML configuration file", not "a JSON file file"
		}
		advice = "Reference an environment variable or secret manager entry instead of the value."
	case filekind.CSV:
		where = "in CSV data"
	default:
		where = "in " + f.Base()
	}
	if m.Encoded && kind == filekind.K8sSecret {
		where += " (base64 in the Secret's data:, which is encoding, not encryption)"
		r.Context = "Kubernetes Secret data (base64)"
	} else if m.Encoded {
		where += " (base64-encoded, e.g. an HTTP Basic credential; encoding hides nothing)"
		r.Context = "base64-encoded"
	}
	if m.Split {
		where += " (split across adjacent string literals, which does not hide it)"
		r.Context = "split string literal"
	}
	if f.Container != "" {
		outer := f.Rel
		if i := strings.LastIndexByte(outer, '!'); i > 0 {
			outer = outer[:i]
		}
		where += "; found inside " + f.Container + " of " + outer + ", which ships it to everyone who installs the artifact"
	}

	if testCode && TestFixtureSeverity(m.Cred) != finding.SeverityUnknown && rule != DocumentationKey {
		// Test suites sign requests with throwaway webhook secrets and
		// seed test accounts: visible, low. A live key is never a fixture.
		r.Severity = TestFixtureSeverity(m.Cred)
		r.Context = TestFixtureContext
		where += ", in test code (a test fixture; if it is also the real secret of a deployed endpoint or account, roll it)"
	}
	if rule != DocumentationKey && r.Context != TestFixtureContext && ExampleSeverity(m.Cred) != finding.SeverityUnknown && !m.Encoded && InExample(f.Data, m.Start) {
		r.Severity = ExampleSeverity(m.Cred)
		r.Context = ExampleContext
		where += ExampleNote
	}
	if rule == DocumentationKey {
		r.Message = "Stripe's documentation example key (" + docKeys[m.Key] + ") " + where + "; not a leak, but the code was copied from the docs"
	} else if !m.Cred.Secret() {
		r.Message = "Stripe " + m.Cred.String() + " " + where + " (public by design)"
	} else {
		r.Message = what + " " + where
		if advice != "" {
			r.Mitigation += " " + advice
		}
	}
	r.Evidence = evidence(f.Data, m)
	sink.Finding(r)
}

// TestFixtureContext is the finding context of a test value found in test
// code (filekind.IsTestCode).
const TestFixtureContext = "test fixture"

// TestFixtureSeverity is the severity of a credential found in test code:
// low for webhook signing secrets and test keys, SeverityUnknown (keep
// the rule's) for live keys, which are critical anywhere. The code
// analyzers use it too, so that the engine's merge keeps one severity.
func TestFixtureSeverity(c Cred) finding.Severity {
	switch c {
	case WebhookSecret, TestSecret, TestRestricted:
		return finding.Low
	}
	return finding.SeverityUnknown
}

// severityRank orders credentials by what their exposure costs.
func severityRank(c Cred) int {
	switch c {
	case LiveSecret:
		return 5
	case LiveRestricted:
		return 4
	case WebhookSecret:
		return 3
	case TestSecret:
		return 2
	case TestRestricted:
		return 1
	}
	return 0
}

// evidence is the key, redacted, in its immediate context. The context is
// masked too: another key may sit on the same line.
func evidence(data []byte, m Match) string {
	red := finding.Redact(m.Key)
	if m.Encoded {
		return "base64(" + red + ")"
	}
	ls := bytes.LastIndexByte(data[:m.Start], '\n') + 1
	le := len(data)
	if i := bytes.IndexByte(data[m.End:], '\n'); i >= 0 {
		le = m.End + i
	}
	lo, hi := max(ls, m.Start-40), min(le, m.End+20)
	// A window edge inside a word would show a fragment of it (possibly
	// the tail of another key): drop the fragment.
	for lo > ls && lo < m.Start && isWord(data[lo-1]) && isWord(data[lo]) {
		lo++
	}
	for hi < le && hi > m.End && isWord(data[hi-1]) && isWord(data[hi]) {
		hi--
	}
	left := data[lo:m.Start]
	right := data[m.End:hi]
	if m.Split {
		right = nil
	}
	return strings.TrimSpace(mask(left) + red + mask(right))
}

// mask hides, in context text, whatever could be (part of) another key:
// any word holding a key prefix, and any long alphanumeric run.
func mask(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && (isAlnum(b[j]) || b[j] == '_') {
			j++
		}
		if j > i {
			w := b[i:j]
			if longestAlnumRun(w) >= 16 || bytes.Contains(w, []byte("k_live")) || bytes.Contains(w, []byte("k_test")) || bytes.Contains(w, []byte("whsec_")) {
				sb.WriteString("…")
			} else {
				sb.Write(w)
			}
			i = j
			continue
		}
		c := b[i]
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		sb.WriteByte(c)
		i++
	}
	return strings.ToValidUTF8(sb.String(), "")
}

func isWord(c byte) bool { return isAlnum(c) || c == '_' }

func longestAlnumRun(w []byte) int {
	best, n := 0, 0
	for _, c := range w {
		if isAlnum(c) {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// dockerInstruction returns the instruction (ENV, ARG, RUN…) of the
// logical Dockerfile line holding off, following backslash continuations
// back to their first line.
func dockerInstruction(data []byte, off int) string {
	ls := bytes.LastIndexByte(data[:off], '\n') + 1
	for n := 0; ls > 0 && n < 200; n++ {
		prev := bytes.LastIndexByte(data[:ls-1], '\n') + 1
		pl := bytes.TrimRight(data[prev:ls-1], " \t\r")
		if !bytes.HasSuffix(pl, []byte("\\")) {
			break
		}
		ls = prev
	}
	line := bytes.TrimLeft(data[ls:], " \t")
	end := 0
	for end < len(line) && end < 16 && (line[end] >= 'A' && line[end] <= 'Z' || line[end] >= 'a' && line[end] <= 'z') {
		end++
	}
	if end == 0 {
		return "instruction"
	}
	return strings.ToUpper(string(line[:end]))
}

// envReference finds the first STRIPE_…KEY/SECRET variable that the file
// takes from the environment rather than holding a value: ${STRIPE_X} in
// compose/CI/Dockerfile/shell, ${{ secrets.STRIPE_X }} in workflows, a
// STRIPE_X= line in env templates, os.environ/getenv in Python.
// apiKeyVariable: a variable for the API key (STRIPE_SECRET_KEY,
// STRIPE_API_KEY), not for a webhook signing secret or a publishable key.
func apiKeyVariable(name string) bool {
	for _, w := range []string{"WEBHOOK", "WHSEC", "ENDPOINT", "SIGNING", "PUBLISHABLE", "PUBLIC"} {
		if strings.Contains(name, w) {
			return false
		}
	}
	return strings.Contains(name, "SECRET_KEY") || strings.Contains(name, "API_KEY")
}

func envReference(data []byte, kind filekind.Kind) (int, string) {
	anchor := []byte("STRIPE_")
	for off := 0; off < len(data); {
		i := bytes.Index(data[off:], anchor)
		if i < 0 {
			return 0, ""
		}
		p := off + i
		e := p + len(anchor)
		for e < len(data) && isNameByte(data[e]) {
			e++
		}
		off = e
		// The variable is the whole identifier: DJSTRIPE_WEBHOOK_SECRET,
		// not the STRIPE_WEBHOOK_SECRET inside it.
		for p > 0 && isNameByte(data[p-1]) {
			p--
		}
		name := string(data[p:e])
		if !stripeKeyName(name) {
			continue
		}
		ls := bytes.LastIndexByte(data[:p], '\n') + 1
		before := data[max(ls, p-40):p]
		ok := false
		switch kind {
		case filekind.Python, filekind.Notebook:
			ok = bytes.Contains(before, []byte("environ")) || bytes.Contains(before, []byte("getenv")) ||
				bytes.Contains(before, []byte("env(")) || bytes.Contains(before, []byte("config("))
		case filekind.Env:
			// A dotenv file assigning the variable is the environment.
			ok = p == ls || bytes.HasSuffix(bytes.TrimSpace(before), []byte("export")) || bytes.HasSuffix(before, []byte("${"))
			if !ok {
				ok = bytes.HasSuffix(before, []byte("$"))
			}
		default:
			t := bytes.TrimRight(before, " ")
			ok = bytes.HasSuffix(t, []byte("${")) || bytes.HasSuffix(t, []byte("$")) ||
				bytes.HasSuffix(t, []byte("secrets.")) || bytes.HasSuffix(t, []byte("env.")) ||
				bytes.HasSuffix(t, []byte("$env:")) || bytes.HasSuffix(t, []byte("%"))
		}
		if ok {
			return 1 + bytes.Count(data[:p], []byte("\n")), name
		}
	}
	return 0, ""
}

func isNameByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// foreignSecret names the products whose secrets share names with Stripe's
// in Stripe-related settings: DJSTRIPE_TEST_DJANGO_SECRET_KEY is the Django
// SECRET_KEY of dj-stripe's test settings, not a Stripe key.
var foreignSecret = map[string]bool{
	"DJANGO": true, "FLASK": true, "SESSION": true, "CSRF": true, "JWT": true, "COOKIE": true,
	"DB": true, "DATABASE": true, "REDIS": true, "AWS": true, "S3": true, "SENTRY": true,
	"GITHUB": true, "GOOGLE": true, "OAUTH": true, "TWILIO": true, "SENDGRID": true, "MAILGUN": true,
}

// stripeKeyName reports whether an environment variable name designates a
// Stripe secret, restricted key or webhook secret.
func stripeKeyName(name string) bool {
	if !strings.Contains(name, "KEY") && !strings.Contains(name, "SECRET") && !strings.Contains(name, "TOKEN") ||
		strings.Contains(name, "PUBLISHABLE") || strings.Contains(name, "PUBLIC") {
		return false
	}
	for _, tok := range strings.Split(name, "_") {
		if foreignSecret[tok] {
			return false
		}
	}
	return true
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// lineIndex converts byte offsets to 1-based line and column, counting
// newlines incrementally because offsets are asked for in rising order.
type lineIndex struct {
	data   []byte
	off    int
	line   int // lines before off, 0-based count
	lastNL int // offset of the last '\n' before off, or -1
	inited bool
}

func (l *lineIndex) pos(off int) (line, col int) {
	if off > len(l.data) {
		off = len(l.data)
	}
	if !l.inited || off < l.off {
		l.off, l.line, l.lastNL, l.inited = 0, 0, -1, true
	}
	seg := l.data[l.off:off]
	if n := bytes.Count(seg, []byte("\n")); n > 0 {
		l.line += n
		l.lastNL = l.off + bytes.LastIndexByte(seg, '\n')
	}
	l.off = off
	return l.line + 1, off - l.lastNL
}
