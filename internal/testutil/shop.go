package testutil

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Key is prefix followed by n characters of [A-Za-z0-9] drawn from rng: a
// key of real shape that exists nowhere (keys are never committed, not even
// in testdata).
func Key(rng *rand.Rand, prefix string, n int) string {
	b := []byte(prefix)
	for i := 0; i < n; i++ {
		b = append(b, alnum[rng.Intn(len(alnum))])
	}
	return string(b)
}

// Materialize copies the testdata tree src into dst, replacing its
// {{SK_LIVE}}, {{SK_LIVE2}}, {{SK_LIVE3}}, {{SK_TEST}}, {{RK_LIVE}} and
// {{WHSEC}} placeholders with keys generated from seed, and returns the
// placeholder → key map.
func Materialize(t testing.TB, src, dst string, seed int64) map[string]string {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	// One statement per key: the draw order (and so each key) is fixed.
	keys := map[string]string{}
	keys["{{SK_LIVE}}"] = Key(rng, "sk_"+"live_", 24)
	keys["{{SK_LIVE2}}"] = Key(rng, "sk_"+"live_51", 97)
	keys["{{SK_LIVE3}}"] = Key(rng, "sk_"+"live_", 24)
	keys["{{SK_TEST}}"] = Key(rng, "sk_"+"test_", 24)
	keys["{{RK_LIVE}}"] = Key(rng, "rk_"+"live_", 24)
	keys["{{WHSEC}}"] = Key(rng, "whsec_", 32)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(data)
		for k, v := range keys {
			s = strings.ReplaceAll(s, k, v)
		}
		return os.WriteFile(target, []byte(s), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
