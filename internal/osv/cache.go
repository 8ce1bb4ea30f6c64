package osv

import (
	"archive/zip"
	"bufio"
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

	"github.com/stripeguard/stripeguard/internal/finding"
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

// DefaultPath is where `db update` installs the advisory index and scans
// look first.
func DefaultPath() (string, error) {
	d, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, Ecosystem, "index.sgidx"), nil
}

// LegacyPath is where releases before the advisory index kept the
// downloaded zip; scans still read it when no index is installed.
func LegacyPath() (string, error) {
	d, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, Ecosystem, "all.zip"), nil
}

// UpdateOptions configure Update and UpdateFrom.
type UpdateOptions struct {
	// URL is the OSV ecosystem zip to download (Update).
	URL string
	// Dest is the index to install (DefaultPath for the user cache).
	Dest string
	// Progress, when non-nil, receives a download progress bar (callers
	// pass stderr only when it is a terminal).
	Progress io.Writer
	// Now is recorded as the time the data was obtained (clock.Now).
	Now time.Time
}

// UpdateResult describes a completed update.
type UpdateResult struct {
	Path string
	// Bytes is the size of the download (Update) or of the installed
	// index.
	Bytes int64
	// Records and Packages are those of the installed index; Unreadable
	// counts records of the source that could not be decoded (left out,
	// each named in Warnings, up to 200).
	Records, Withdrawn, Packages, Unreadable int
	Newest                                   time.Time
	Warnings                                 []finding.Warning
	// NotModified: the server said the installed data is current (ETag);
	// only its fetch time was renewed.
	NotModified bool
}

// Update downloads the OSV zip at o.URL and installs it as an index at
// o.Dest. Nothing is replaced until the new index is complete: the zip goes
// to a temporary file beside o.Dest, is checked and converted, and the
// index is renamed over o.Dest, so an interrupted or bad download never
// damages good data.
func Update(ctx context.Context, o UpdateOptions) (UpdateResult, error) {
	res := UpdateResult{Path: o.Dest}
	if err := os.MkdirAll(filepath.Dir(o.Dest), 0o755); err != nil {
		return res, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return res, err
	}
	req.Header.Set("User-Agent", "stripeguard (+https://github.com/stripeguard/stripeguard)")
	var current *IndexMeta
	if old, err := openIndexFile(o.Dest); err == nil {
		current = old.Meta
		old.Close()
		if current.ETag != "" && current.Origin == o.URL {
			req.Header.Set("If-None-Match", current.ETag)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if isNetworkError(err) {
			return res, fmt.Errorf("%w: cannot download %s (offline?): %v", ErrOffline, o.URL, err)
		}
		return res, fmt.Errorf("download %s: %w", o.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && current != nil {
		m := *current
		m.Fetched = o.Now
		if err := rewriteMeta(o.Dest, m); err != nil {
			return res, err
		}
		res.NotModified = true
		res.Records, res.Withdrawn, res.Packages, res.Newest = m.Records, m.Withdrawn, m.Packages, m.Newest
		return res, nil
	}
	if resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("download %s: HTTP %s", o.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.Dest), ".download-*.zip")
	if err != nil {
		return res, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	var w io.Writer = tmp
	if o.Progress != nil {
		bar := progressbar.NewOptions64(resp.ContentLength,
			progressbar.OptionSetWriter(o.Progress),
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
		return res, fmt.Errorf("download %s: %w", o.URL, err)
	}
	if n > maxDownload {
		return res, fmt.Errorf("download %s: larger than %d bytes", o.URL, maxDownload)
	}
	if resp.ContentLength > 0 && n != resp.ContentLength {
		return res, fmt.Errorf("download %s: got %d of %d bytes", o.URL, n, resp.ContentLength)
	}
	if err := tmp.Close(); err != nil {
		return res, err
	}
	if _, err := checkZip(tmp.Name()); err != nil {
		return res, fmt.Errorf("download %s: not an OSV zip: %w", o.URL, err)
	}
	db, err := Load(tmp.Name())
	if err != nil {
		return res, fmt.Errorf("download %s: %w", o.URL, err)
	}
	etag := resp.Header.Get("ETag")
	if len(etag) > 1024 {
		etag = ""
	}
	res, err = install(db, IndexMeta{Origin: o.URL, Fetched: o.Now, ETag: etag}, o.Dest)
	res.Bytes = n
	return res, err
}

// UpdateFrom installs the advisories at src (an osv.dev ecosystem zip, a
// directory tree of OSV records such as a checkout of the PyPA advisory
// database, a single record file, or an index) as an index at o.Dest, with
// the same checks and atomic install as Update: for machines that cannot
// reach osv.dev.
func UpdateFrom(src string, o UpdateOptions) (UpdateResult, error) {
	res := UpdateResult{Path: o.Dest}
	if err := os.MkdirAll(filepath.Dir(o.Dest), 0o755); err != nil {
		return res, err
	}
	st, err := os.Stat(src)
	if err != nil {
		return res, err
	}
	if !st.IsDir() && !IsIndex(src) && strings.EqualFold(filepath.Ext(src), ".zip") {
		if _, err := checkZip(src); err != nil {
			return res, fmt.Errorf("%s: not an OSV zip: %w", src, err)
		}
	}
	db, err := Load(src)
	if err != nil {
		return res, err
	}
	defer db.Close()
	origin := src
	if abs, err := filepath.Abs(src); err == nil {
		origin = abs
	}
	if db.Meta != nil {
		// Re-installing an index keeps where its records came from.
		origin = db.Meta.Origin
	}
	return install(db, IndexMeta{Origin: origin, Fetched: o.Now}, o.Dest)
}

// install writes db as an index at dest: to a temporary file in the same
// directory, synced, then renamed over dest. Data without a single PyPI
// record is refused rather than installed over good data.
func install(db *DB, meta IndexMeta, dest string) (UpdateResult, error) {
	res := UpdateResult{Path: dest}
	db.Verify()
	res.Warnings = db.Warnings
	if len(db.byName) == 0 {
		return res, fmt.Errorf("%s: no readable PyPI advisory records (%d records, %d unreadable)", db.Source, db.Records, db.Unreadable())
	}
	var size int64
	err := writeAtomic(dest, func(w io.Writer) error {
		cw := &countWriter{w: w}
		err := WriteIndex(cw, db, meta)
		size = cw.n
		return err
	})
	if err != nil {
		return res, err
	}
	ix, err := openIndexFile(dest)
	if err != nil {
		return res, fmt.Errorf("installed index does not read back: %w", err)
	}
	defer ix.Close()
	m := ix.Meta
	res.Bytes = size
	res.Records, res.Withdrawn, res.Packages, res.Unreadable, res.Newest = m.Records, m.Withdrawn, m.Packages, m.Unreadable, m.Newest
	return res, nil
}

// rewriteMeta replaces the meta of the index at p (same records), atomically.
func rewriteMeta(p string, meta IndexMeta) error {
	db, err := openIndexFile(p)
	if err != nil {
		return err
	}
	defer db.Close()
	data := io.NewSectionReader(db.index.r, db.index.base, db.index.size)
	return writeAtomic(p, func(w io.Writer) error { return writeIndexWithData(w, db, meta, data) })
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// writeAtomic writes path through a synced temporary file renamed over it.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	return nil
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
