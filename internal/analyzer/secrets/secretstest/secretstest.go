// Package secretstest generates Stripe-format keys for tests and writes the
// fixture tree of internal/analyzer/secrets/testdata/app with those keys
// filled in. The repository itself holds only templates: key-shaped
// literals in git trip push-protection scanners and teach nothing.
package secretstest

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// alphabet is base62 without vowels, x, y, 0 and 1, so a generated body can
// never spell a placeholder word ("your", "fake", "xxxx", "1234", "0000")
// and be dismissed by the detector for the wrong reason.
const alphabet = "23456789BCDFGHJKLMNPQRSTVWZbcdfghjklmnpqrstvwz"

// Body returns n pseudo-random key characters, the same for the same seed.
func Body(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// Key builds prefix + body. Long keys (99 characters after the prefix)
// start with "51" like current account-scoped keys.
func Key(prefix string, bodyLen int, seed uint64) string {
	if bodyLen >= 99 {
		return prefix + "51" + Body(bodyLen-2, seed)
	}
	return prefix + Body(bodyLen, seed)
}

// Keys are the named keys the fixture templates refer to as @@name@@.
var Keys = map[string]string{
	"sk_live_long":  Key("sk_"+"live_", 99, 1),
	"sk_live_long2": Key("sk_"+"live_", 99, 2),
	"sk_live_short": Key("sk_"+"live_", 24, 3),
	"sk_live_log":   Key("sk_"+"live_", 24, 4),
	"rk_live":       Key("rk_"+"live_", 99, 5),
	"sk_test":       Key("sk_"+"test_", 99, 6),
	"sk_test_short": Key("sk_"+"test_", 24, 7),
	"rk_test":       Key("rk_"+"test_", 24, 8),
	"pk_live":       Key("pk_"+"live_", 99, 9),
	"pk_test":       Key("pk_"+"test_", 24, 10),
	"whsec":         Key("whsec"+"_", 32, 11),
	"whsec_cli":     "whsec" + "_" + Hex(64, 12),
	"doc_sk":        "sk_" + "test_" + "4eC39HqLyjWDarjtT1zdp7dc",
	"doc_pk":        "pk_" + "test_" + "TYooMQauvdEDq54NiTphI7jx",
}

// Hex returns n pseudo-random lowercase hex digits, the shape of the
// signing secrets `stripe listen` prints.
func Hex(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, seed))
	var sb strings.Builder
	for sb.Len() < n {
		fmt.Fprintf(&sb, "%x", r.IntN(16))
	}
	return sb.String()
}

// token: @@name@@, @@name:from:to@@ (a slice, for split literals),
// @@b64:name@@ (base64, for Kubernetes Secret data).
var token = regexp.MustCompile(`@@(b64:)?([a-z_0-9]+)(?::(\d*):(\d*))?@@`)

// Expand replaces the tokens of a template.
func Expand(tmpl string) (string, error) {
	var err error
	out := token.ReplaceAllStringFunc(tmpl, func(t string) string {
		m := token.FindStringSubmatch(t)
		k, ok := Keys[m[2]]
		if !ok {
			err = fmt.Errorf("unknown key %q", m[2])
			return t
		}
		if m[3] != "" || m[4] != "" {
			from, to := 0, len(k)
			if m[3] != "" {
				from, _ = strconv.Atoi(m[3])
			}
			if m[4] != "" {
				to, _ = strconv.Atoi(m[4])
			}
			k = k[from:to]
		}
		if m[1] != "" {
			k = base64.StdEncoding.EncodeToString([]byte(k))
		}
		return k
	})
	return out, err
}

// TemplateDir is internal/analyzer/secrets/testdata/app.
func TemplateDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "app")
}

// Modes are the permissions Materialize gives files (default 0600) so that
// the world-readable checks have something to find.
var Modes = map[string]fs.FileMode{
	".env":                   0o644,
	"config/.env.production": 0o600,
	"logs/app.log":           0o644,
	"app/settings.py":        0o644,
}

// Materialize writes the fixture tree with real-format keys into dst and
// returns dst. Lines are those of the templates (tokens never span lines),
// so testdata/expected.json applies to the result.
func Materialize(dst string) (string, error) {
	src := TemplateDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		// The fixture's .gitignore is stored as _gitignore: under its real
		// name it would make the repository itself ignore the .env template.
		if rel == "_gitignore" {
			rel = ".gitignore"
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p) // p, not rel: the template keeps its stored name
		if err != nil {
			return err
		}
		text, err := Expand(string(b))
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		mode, ok := Modes[filepath.ToSlash(rel)]
		if !ok {
			mode = 0o600
		}
		if err := os.WriteFile(out, []byte(text), mode); err != nil {
			return err
		}
		return os.Chmod(out, mode) // WriteFile's mode is filtered by umask
	})
	return dst, err
}
