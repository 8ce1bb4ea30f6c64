package secretstest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMaterialize(t *testing.T) {
	dst, err := Materialize(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "@@") {
			t.Errorf("%s: unexpanded token", p)
		}
		rel, _ := filepath.Rel(dst, p)
		want, ok := Modes[filepath.ToSlash(rel)]
		if !ok {
			want = 0o600
		}
		info, _ := d.Info()
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", rel, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, ".gitignore")); err != nil {
		t.Errorf("_gitignore not renamed: %v", err)
	}
	if n < 10 {
		t.Errorf("only %d files written", n)
	}
}

func TestExpand(t *testing.T) {
	k := Keys["sk_live_long"]
	tests := []struct{ in, want string }{
		{"a=@@sk_live_long@@", "a=" + k},
		{"@@sk_live_long:0:10@@|@@sk_live_long:10:@@", k[:10] + "|" + k[10:]},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		got, err := Expand(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q) wrong (err %v)", tt.in, err)
		}
	}
	if _, err := Expand("@@nope@@"); err == nil {
		t.Error("unknown token accepted")
	}
	if len(k) != 8+99 || !strings.HasPrefix(k, "sk_"+"live_51") {
		t.Errorf("long key has the wrong shape (len %d)", len(k))
	}
	first, again, other := Body(24, 1), Body(24, 1), Body(24, 2)
	if first != again || first == other {
		t.Error("Body must be deterministic per seed and differ across seeds")
	}
}
