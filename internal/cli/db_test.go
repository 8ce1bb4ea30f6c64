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
	t.Setenv(dbURLEnv, "")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(args, nil, &out, &errb)
		return code, out.String(), errb.String()
	}

	code, _, stderr := run("db", "info")
	if code != ExitError || !strings.Contains(stderr, "stripeguard db update") {
		t.Errorf("info before update: %d %q", code, stderr)
	}
	code, stdout, stderr := run("db", "update", "--url", srv.URL+"/PyPI/all.zip")
	if code != ExitOK || stderr != "" || !strings.Contains(stdout, "records") {
		t.Fatalf("update: %d %q %q", code, stdout, stderr)
	}
	cached := filepath.Join(cache, "stripeguard", "osv", "PyPI", "all.zip")
	if _, err := os.Stat(cached); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = run("db", "info")
	if code != ExitOK || !strings.Contains(stdout, "records:   2661 (10 withdrawn, 0 unreadable)") || !strings.Contains(stdout, "2024-10-10") {
		t.Errorf("info: %d %q (zip has %d)", code, stdout, n)
	}
	// Offline: a clear one-line error, and the cached data stays.
	t.Setenv(dbURLEnv, offline)
	code, _, stderr = run("db", "update")
	if code != ExitError || !strings.Contains(stderr, "offline") || strings.Count(stderr, "\n") != 1 {
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
