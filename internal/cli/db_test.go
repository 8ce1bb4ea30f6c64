package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/clock"
	"github.com/stripeguard/stripeguard/internal/osv"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

const sharedAdvisories = "../../../shared/data/pypa-advisory-db"

// pypaZip converts the shared PyPA tree into the flat <ID>.json zip that
// osv.dev publishes.
func pypaZip(t *testing.T) ([]byte, int) {
	t.Helper()
	root := filepath.Join(sharedAdvisories, "vulns")
	if _, err := os.Stat(root); err != nil {
		testutil.Unavailable(t, "shared advisory data: %v", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r, err := osv.DecodeRecord(b, "yaml")
		if err != nil {
			return err
		}
		w, err := zw.Create(r.ID + ".json")
		if err != nil {
			return err
		}
		n++
		return json.NewEncoder(w).Encode(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), n
}

func TestDBUpdateAndInfo(t *testing.T) {
	data, n := pypaZip(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/PyPI/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	offline := "http://" + l.Addr().String() + "/PyPI/all.zip"
	l.Close()

	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv(clock.Env, "2026-06-01")
	t.Setenv(dbURLEnv, "")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(args, nil, &out, &errb)
		return code, out.String(), errb.String()
	}

	// Before any update: the built-in snapshot, with its attribution.
	code, stdout, stderr := run("db", "info")
	if code != ExitOK || !strings.Contains(stdout, "built-in snapshot") || !strings.Contains(stdout, "CC-BY-4.0") || !strings.Contains(stdout, "records:   2661 (10 withdrawn, 0 unreadable), 664 packages") {
		t.Errorf("info before update: %d %q %q", code, stdout, stderr)
	}
	// Offline with no cache: the error says the snapshot is used, and its date.
	t.Setenv(dbURLEnv, offline)
	code, _, stderr = run("db", "update")
	if code != ExitError || !strings.Contains(stderr, "offline") || !strings.Contains(stderr, "scans use the snapshot built into stripeguard (newest record 2024-10-10") ||
		strings.Contains(stderr, "cached") || !strings.Contains(stderr, "--from") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("offline update without cache: %d %q", code, stderr)
	}
	t.Setenv(dbURLEnv, "")
	code, stdout, stderr = run("db", "update", "--url", srv.URL+"/PyPI/all.zip")
	if code != ExitOK || stderr != "" || !strings.Contains(stdout, "2661 records, 10 withdrawn, 664 packages; newest record 2024-10-10") {
		t.Fatalf("update: %d %q %q", code, stdout, stderr)
	}
	cached := filepath.Join(cache, "stripeguard", "osv", "PyPI", "index.sgidx")
	if !osv.IsIndex(cached) {
		t.Fatalf("no index at %s", cached)
	}
	code, stdout, _ = run("db", "info")
	if code != ExitOK || !strings.Contains(stdout, "data:      cache "+cached+" (index)") || !strings.Contains(stdout, "records:   2661 (10 withdrawn, 0 unreadable)") || !strings.Contains(stdout, "2024-10-10") {
		t.Errorf("info: %d %q (zip has %d)", code, stdout, n)
	}
	// Offline with a cache: a clear one-line error naming it, and the cached data stays.
	t.Setenv(dbURLEnv, offline)
	code, _, stderr = run("db", "update")
	if code != ExitError || !strings.Contains(stderr, "offline") || !strings.Contains(stderr, "scans keep using the cached data at "+cached) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("offline update: %d %q", code, stderr)
	}
	if db, err := osv.Load(cached); err != nil || db.Records != n {
		t.Errorf("cache damaged by failed update: %v", err)
	}
	code, _, stderr = run("db", "frobnicate")
	if code != ExitError || !strings.Contains(stderr, "unknown db subcommand") {
		t.Errorf("bad subcommand: %d %q", code, stderr)
	}
}

// db update --from installs a local all.zip or record tree (air-gapped
// machines) and refuses input that is not advisory data, keeping what was
// installed.
func TestDBUpdateFrom(t *testing.T) {
	data, _ := pypaZip(t)
	tmp := t.TempDir()
	zp := filepath.Join(tmp, "all.zip")
	if err := os.WriteFile(zp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(tmp, "cache")
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv(clock.Env, "2026-06-01")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(args, nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, src := range []string{zp, filepath.Join(sharedAdvisories, "vulns")} {
		code, stdout, stderr := run("db", "update", "--from", src)
		if code != ExitOK || !strings.Contains(stdout, "2661 records") || stderr != "" {
			t.Fatalf("--from %s: %d %q %q", src, code, stdout, stderr)
		}
		code, stdout, _ = run("db", "info")
		if code != ExitOK || !strings.Contains(stdout, "fetched:   2026-06-01T00:00:00Z") || !strings.Contains(stdout, "origin:    ") {
			t.Errorf("info after --from %s: %q", src, stdout)
		}
	}
	bad := filepath.Join(tmp, "bad.zip")
	os.WriteFile(bad, []byte("not a zip"), 0o644)
	code, _, stderr := run("db", "update", "--from", bad)
	if code != ExitError || !strings.Contains(stderr, "not an OSV zip") || !strings.Contains(stderr, "scans keep using the cached data") {
		t.Errorf("bad --from: %d %q", code, stderr)
	}
	if code, _, stderr := run("db", "update", "--from", zp, "--url", "http://127.0.0.1:1/x.zip"); code != ExitError || !strings.Contains(stderr, "exclude") {
		t.Errorf("--from with --url: %d %q", code, stderr)
	}
}
