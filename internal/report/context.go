package report

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"strings"
	"unicode/utf8"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Code context: the lines around a finding, read from the scanned tree
// (Report.Source) and redacted, for formats that show code (html).

// Limits on what CodeContext reads, so a report on a huge or hostile tree
// stays small and fast.
const (
	// MaxContextFile is the largest file CodeContext reads lines from.
	MaxContextFile = 8 << 20
	// MaxContextLine is how many bytes of one line are shown.
	MaxContextLine = 240
	// MaxContextSpan is how many lines of a multi-line finding are shown
	// after its first.
	MaxContextSpan = 8
	// MaxContextCache bounds the bytes of file lines kept between calls;
	// past it the cache is dropped (files are read again if needed), so a
	// report on thousands of large files stays within memory.
	MaxContextCache = 64 << 20
)

// Line is one line of code context.
type Line struct {
	Number int
	Text   string
	// Hit marks the lines the finding spans.
	Hit bool
}

// ContextReader reads code context for the findings of one report; it
// caches each file's lines, so a file with many findings is read once.
type ContextReader struct {
	src     fs.FS
	show    bool
	secrets []string
	cache   map[string][]string
	cached  int // bytes in cache
}

// NewContextReader prepares code context for r. It returns nil when the
// report has no source tree.
func NewContextReader(r *Report) *ContextReader {
	if r.Source == nil {
		return nil
	}
	c := &ContextReader{src: r.Source, show: r.ShowSecrets, cache: map[string][]string{}}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if f != nil && f.Secret != "" && !seen[f.Secret] {
			seen[f.Secret] = true
			c.secrets = append(c.secrets, f.Secret)
		}
	}
	return c
}

// Lines returns up to radius lines before and after the finding's lines,
// redacted unless the report shows secrets. It returns nil when there is
// nothing to show: no line, a git-history or archive-member finding (the
// working tree does not hold that text), a missing, binary or huge file.
func (c *ContextReader) Lines(f *finding.Finding, radius int) []Line {
	if c == nil || f == nil || f.File == "" || f.Line <= 0 || f.Commit != "" || strings.Contains(f.File, "!") {
		return nil
	}
	lines, ok := c.cache[f.File]
	if !ok {
		lines = c.read(f.File)
		n := 0
		for _, l := range lines {
			n += len(l)
		}
		if c.cached+n > MaxContextCache {
			clear(c.cache)
			c.cached = 0
		}
		c.cache[f.File] = lines
		c.cached += n
	}
	if f.Line > len(lines) {
		return nil
	}
	end := f.EndLine
	if end < f.Line {
		end = f.Line
	}
	if end-f.Line > MaxContextSpan { // a long span: its first lines are enough
		end = f.Line + MaxContextSpan
	}
	from, to := max(1, f.Line-radius), min(len(lines), end+radius)
	out := make([]Line, 0, to-from+1)
	for n := from; n <= to; n++ {
		text := lines[n-1]
		if !c.show {
			text = RedactText(text, c.secrets)
		}
		out = append(out, Line{Number: n, Text: text, Hit: n >= f.Line && n <= end})
	}
	return out
}

// read returns a file's lines (each cut to MaxContextLine), or nil for a
// file that is missing, not regular (a symlink included), too large or
// binary.
func (c *ContextReader) read(name string) []string {
	if !fs.ValidPath(name) {
		return nil
	}
	// Lstat: a symlink is not followed (the scan never reads through one
	// out of the tree, and the report must not either).
	st, err := fs.Lstat(c.src, name)
	if err != nil || !st.Mode().IsRegular() || st.Size() > MaxContextFile {
		return nil
	}
	fh, err := c.src.Open(name)
	if err != nil {
		return nil
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxContextFile))
	if err != nil || bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxContextFile)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if len(l) > MaxContextLine {
			cut := MaxContextLine
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
			}
			l = l[:cut] + "…"
		}
		lines = append(lines, strings.ToValidUTF8(l, "\uFFFD"))
	}
	return lines
}

// secretPrefixes are the credential prefixes RedactText hides. Publishable
// keys (pk_) are public by design and stay readable.
var secretPrefixes = []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"}

// RedactText hides every credential in a line of code: the known secrets
// of the report's findings, anything that starts like a Stripe secret
// (whatever its length or whether it looks real: over-redacting code
// context costs nothing), and, on a line that held such a credential, any
// other long alphanumeric run (the tail of a key split across literals,
// "sk_live_" "4eC3…").
func RedactText(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, finding.Redact(sec))
		}
	}
	hit := false
	var b strings.Builder
	for i := 0; i < len(s); {
		p := prefixAt(s, i)
		if p == "" {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i + len(p)
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		if j-i-len(p) >= 4 {
			hit = true
			b.WriteString(finding.Redact(s[i:j]))
		} else {
			b.WriteString(s[i:j]) // "sk_live_..." placeholders
		}
		i = j
	}
	if !hit {
		return b.String()
	}
	// Second pass: long runs that may be the rest of a split key.
	s = b.String()
	b.Reset()
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) || (i > 0 && (isAlnum(s[i-1]) || s[i-1] == '_')) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		if j-i >= 16 && hasDigitAndLetter(s[i:j]) {
			b.WriteString("…" + s[j-4:j])
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

func prefixAt(s string, i int) string {
	c := s[i]
	if c != 's' && c != 'r' && c != 'w' {
		return ""
	}
	if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '_') {
		return ""
	}
	for _, p := range secretPrefixes {
		if strings.HasPrefix(s[i:], p) {
			return p
		}
	}
	return ""
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func hasDigitAndLetter(s string) bool {
	d, l := false, false
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = true
		} else {
			l = true
		}
	}
	return d && l
}
