package broker

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Real keys come from a file (a mounted secret: Kubernetes, Docker/compose
// secrets, systemd credentials) or an environment variable of the broker's
// process. A file is re-read on every reload (SIGHUP), so rotating a key
// is: write the new key to the file (Kubernetes does that for a mounted
// Secret), send SIGHUP. An environment variable only changes with a
// restart.

var keyRE = regexp.MustCompile(`^(sk|rk)_(live|test)_[0-9A-Za-z]+$`)

const maxSecretFile = 64 << 10

func loadKey(f appFile, env Env, warnings *[]string, app string) (string, error) {
	var key, from string
	switch {
	case f.KeyFile != "" && f.KeyEnv != "":
		return "", errors.New("give key_file or key_env, not both")
	case f.KeyFile != "":
		b, err := readSecretFile(f.KeyFile, warnings, app)
		if err != nil {
			return "", fmt.Errorf("key_file: %w", err)
		}
		key, from = strings.TrimSpace(string(b)), "key_file "+f.KeyFile
	case f.KeyEnv != "":
		v, ok := env(f.KeyEnv)
		if !ok {
			return "", fmt.Errorf("key_env: %s is not set", f.KeyEnv)
		}
		key, from = strings.TrimSpace(v), "key_env "+f.KeyEnv
	default:
		return "", errors.New("no key: give key_file (a file or mounted secret) or key_env")
	}
	if strings.HasPrefix(key, TokenPrefix) {
		return "", fmt.Errorf("%s holds a broker token, not the Stripe key", from)
	}
	if !keyRE.MatchString(key) {
		// Never echo the value: it may be a key in a slightly wrong shape.
		return "", fmt.Errorf("%s does not hold a Stripe secret (sk_) or restricted (rk_) key, live or test, on one line", from)
	}
	return key, nil
}

// readSecretFile reads a small secret file and warns when others can
// read it. Symlinks are followed (Kubernetes swaps a ..data link).
func readSecretFile(path string, warnings *[]string, app string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		*warnings = append(*warnings, fmt.Sprintf("app %q: %s is readable by group or others (mode %#o); make it 0400/0600 (Kubernetes: defaultMode: 0400)", app, path, st.Mode().Perm()))
	}
	b, err := io.ReadAll(io.LimitReader(fh, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxSecretFile)
	}
	return b, nil
}

func loadTokens(f appFile, env Env, warnings *[]string, app string) ([]TokenHash, error) {
	var out []TokenHash
	seen := map[TokenHash]bool{}
	add := func(h TokenHash) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, s := range f.TokenSHA256 {
		h, err := ParseTokenHash(s)
		if err != nil {
			return nil, err
		}
		add(h)
	}
	clear := func(from, tok string) error {
		if err := CheckToken(tok); err != nil {
			return fmt.Errorf("%s: %w", from, err)
		}
		add(HashToken(tok))
		return nil
	}
	if f.TokenFile != "" {
		b, err := readSecretFile(f.TokenFile, warnings, app)
		if err != nil {
			return nil, fmt.Errorf("token_file: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := clear("token_file "+f.TokenFile, line); err != nil {
				return nil, err
			}
		}
	}
	if f.TokenEnv != "" {
		v, ok := env(f.TokenEnv)
		if !ok {
			return nil, fmt.Errorf("token_env: %s is not set", f.TokenEnv)
		}
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				if err := clear("token_env "+f.TokenEnv, t); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no token: give token_sha256, token_file or token_env (`stripeguard broker token` makes one)")
	}
	return out, nil
}

// keyHint shows a key as finding.Redact does: kind prefix and last four.
func keyHint(k string) string { return finding.Redact(k) }
