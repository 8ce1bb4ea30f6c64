package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Key-shaped strings are assembled at run time so that no key sits in the
// source.
var (
	liveKey = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
	whsec   = "whsec_" + "Zx1Cv3Bn5Mq7Wr9Ty2Ui4Op6As8Df0Gh"
)

func TestRedactText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`stripe.api_key = "` + liveKey + `"`, `stripe.api_key = "sk_live_…p7dc"`},
		{"SECRET=" + whsec, "SECRET=whsec_…f0Gh"},
		{"curl -u " + liveKey + ": https://api.stripe.com", "curl -u sk_live_…p7dc: https://api.stripe.com"},
		// Placeholders and publishable keys stay readable.
		{`EXAMPLE = "sk_live_..."`, `EXAMPLE = "sk_live_..."`},
		{`pk = "pk_test_TYooMQauvdEDq54NiTphI7jx"`, `pk = "pk_test_TYooMQauvdEDq54NiTphI7jx"`},
		// A key split across Python literals: the tail is hidden too.
		{`KEY = "sk_live_4eC3" "9HqLyjWDarjtT1zdp7dc"`, `KEY = "sk_live_…" "…p7dc"`},
		// A prefix inside a longer identifier is not a key.
		{"mask_live_4eC39HqLyjWDarjtT1zdp7dc", "mask_live_4eC39HqLyjWDarjtT1zdp7dc"},
		{"no keys here", "no keys here"},
	} {
		if got := RedactText(tc.in, nil); got != tc.want {
			t.Errorf("RedactText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// A secret the report knows is hidden whatever its shape.
	if got := RedactText("token = abcdefgh12345678XYZ", []string{"abcdefgh12345678XYZ"}); strings.Contains(got, "abcdefgh12345678XYZ") {
		t.Errorf("known secret shown: %q", got)
	}
}

func TestContextReader(t *testing.T) {
	src := fstest.MapFS{
		"app/settings.py": {Data: []byte("import os\n\n# demo\nKEY = os.getenv('K', '" + liveKey + "')\nHOOK = '" + whsec + "'\nDEBUG = False\nX = 1\nY = 2\nZ = 3\n")},
		"blob.bin":        {Data: []byte("a\x00b\nc\n")},
		"crlf.txt":        {Data: []byte("one\r\ntwo\r\nthree\r\n")},
	}
	f := &finding.Finding{File: "app/settings.py", Line: 4, Secret: liveKey}
	r := &Report{Source: src, Findings: []*finding.Finding{f}}
	c := NewContextReader(r)
	lines := c.Lines(f, 2)
	if len(lines) != 5 || lines[0].Number != 2 || lines[4].Number != 6 {
		t.Fatalf("lines = %+v", lines)
	}
	for _, l := range lines {
		if l.Hit != (l.Number == 4) {
			t.Errorf("line %d hit=%v", l.Number, l.Hit)
		}
		if strings.Contains(l.Text, liveKey) || strings.Contains(l.Text, whsec) {
			t.Errorf("line %d shows a secret: %q", l.Number, l.Text)
		}
	}
	if !strings.Contains(lines[2].Text, "sk_live_…p7dc") {
		t.Errorf("redacted key missing: %q", lines[2].Text)
	}
	// With --show-secrets the text is as in the file.
	r.ShowSecrets = true
	if l := NewContextReader(r).Lines(f, 0); len(l) != 1 || !strings.Contains(l[0].Text, liveKey) {
		t.Errorf("show-secrets lines = %+v", l)
	}
	r.ShowSecrets = false
	// Nothing to show: binary, missing, archive member, history, past EOF,
	// no line, path escaping the tree.
	for _, g := range []*finding.Finding{
		{File: "blob.bin", Line: 1},
		{File: "missing.py", Line: 1},
		{File: "dist/a.whl!app/settings.py", Line: 4},
		{File: "app/settings.py", Line: 4, Commit: "abc"},
		{File: "app/settings.py", Line: 400},
		{File: "app/settings.py"},
		{File: "../etc/passwd", Line: 1},
	} {
		if l := c.Lines(g, 2); l != nil {
			t.Errorf("%+v: got context %+v", g, l)
		}
	}
	if l := c.Lines(&finding.Finding{File: "crlf.txt", Line: 1, EndLine: 3}, 0); len(l) != 3 || l[1].Text != "two" || !l[2].Hit {
		t.Errorf("crlf/multi-line: %+v", l)
	}
	if NewContextReader(&Report{}).Lines(f, 2) != nil {
		t.Error("no source tree: want no context")
	}
}

// A symlink in the tree is not followed, even to a file inside it.
func TestContextReaderSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "real.py"), []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "out.py")); err != nil {
		t.Skip("no symlinks here")
	}
	if err := os.Symlink("real.py", filepath.Join(dir, "in.py")); err != nil {
		t.Fatal(err)
	}
	c := NewContextReader(&Report{Source: os.DirFS(dir)})
	if l := c.Lines(&finding.Finding{File: "real.py", Line: 1}, 1); len(l) != 1 {
		t.Errorf("regular file: %+v", l)
	}
	for _, name := range []string{"out.py", "in.py"} {
		if l := c.Lines(&finding.Finding{File: name, Line: 1}, 1); l != nil {
			t.Errorf("%s: followed a symlink: %+v", name, l)
		}
	}
}
