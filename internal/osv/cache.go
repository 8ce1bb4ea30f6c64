package osv

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// DefaultURL is osv.dev's export of every PyPI record as flat <ID>.json
// entries.
const DefaultURL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"

// maxDownload bounds the zip (the PyPI export is ~100 MB today).
const maxDownload = 2 << 30

// ErrOffline is wrapped when the download URL cannot be reached at all.
var ErrOffline = errors.New("advisory server unreachable")

// CacheDir is $XDG_CACHE_HOME/stripeguard/osv, else ~/.cache/stripeguard/osv.
// XDG is used on every platform so that CI caches one documented path.
func CacheDir() (string, error) {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "stripeguard", "osv"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set XDG_CACHE_HOME or HOME: %w", err)
	}
	return filepath.Join(home, ".cache", "stripeguard", "osv"), nil
}

// DefaultPath is where `db update` stores the PyPI zip and scans look first.
func DefaultPath() (string, error) {
	d, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, Ecosystem, "all.zip"), nil
}

// UpdateResult describes a completed download.
type UpdateResult struct {
	Path    string
	Bytes   int64
	Entries int // record files in the zip
	// NotModified: the server said the cached copy is current (ETag); the
	// file was kept and its time reset so that its age reads as fresh.
	NotModified bool
}

// etagPath is where the ETag of the cached zip is kept, to ask the server
// for the ~100 MB file only when it changed.
func etagPath(dest string) string { return dest + ".etag" }

// Update downloads url to dest atomically: the body goes to a temporary file
// in dest's directory, is checked to be a zip of OSV records, and only then
// renamed over dest, so an interrupted or bad download never replaces good
// data. progress, when non-nil, receives a progress bar (callers pass stderr
// only when it is a terminal).
func Update(ctx context.Context, url, dest string, progress io.Writer) (UpdateResult, error) {
	res := UpdateResult{Path: dest}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return res, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return res, err
	}
	req.Header.Set("User-Agent", "stripeguard (+https://github.com/stripeguard/stripeguard)")
	if _, err := os.Stat(dest); err == nil {
		if tag, err := os.ReadFile(etagPath(dest)); err == nil && len(tag) > 0 && len(tag) < 1024 {
			req.Header.Set("If-None-Match", strings.TrimSpace(string(tag)))
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if isNetworkError(err) {
			return res, fmt.Errorf("%w: cannot download %s (offline?): %v; scans keep using the cached data, or pass --db PATH", ErrOffline, url, err)
		}
		return res, fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		now := time.Now()
		if err := os.Chtimes(dest, now, now); err != nil {
			return res, err
		}
		res.NotModified = true
		return res, nil
	}
	if resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("download %s: HTTP %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".all.zip-*")
	if err != nil {
		return res, err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var w io.Writer = tmp
	if progress != nil {
		bar := progressbar.NewOptions64(resp.ContentLength,
			progressbar.OptionSetWriter(progress),
			progressbar.OptionSetDescription("PyPI advisories"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Close()
		w = io.MultiWriter(tmp, bar)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return res, fmt.Errorf("download %s: %w", url, err)
	}
	if n > maxDownload {
		return res, fmt.Errorf("download %s: larger than %d bytes", url, maxDownload)
	}
	if resp.ContentLength > 0 && n != resp.ContentLength {
		return res, fmt.Errorf("download %s: got %d of %d bytes", url, n, resp.ContentLength)
	}
	if err := tmp.Sync(); err != nil {
		return res, err
	}
	if err := tmp.Close(); err != nil {
		return res, err
	}
	entries, err := checkZip(tmp.Name())
	if err != nil {
		return res, fmt.Errorf("download %s: not an OSV zip: %w", url, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return res, err
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return res, err
	}
	ok = true
	res.Bytes, res.Entries = n, entries
	if tag := resp.Header.Get("ETag"); tag != "" && len(tag) < 1024 {
		os.WriteFile(etagPath(dest), []byte(tag), 0o644)
	} else {
		os.Remove(etagPath(dest))
	}
	return res, nil
}

// checkZip verifies the archive opens, holds record files and that its first
// record decodes.
func checkZip(p string) (int, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	n := 0
	checked := false
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !isRecordFile(f.Name) {
			continue
		}
		n++
		if !checked {
			rc, err := f.Open()
			if err != nil {
				return 0, err
			}
			b, err := io.ReadAll(io.LimitReader(rc, maxRecordSize+1))
			rc.Close()
			if err != nil {
				return 0, fmt.Errorf("%s: %w", f.Name, err)
			}
			if _, err := decodeSafe(f.Name, b); err != nil {
				return 0, fmt.Errorf("%s: %w", f.Name, err)
			}
			checked = true
		}
	}
	if n == 0 {
		return 0, errors.New("no .json/.yaml records in the archive")
	}
	return n, nil
}

func isNetworkError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &de) || errors.As(err, &oe) {
		return true
	}
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host")
}
