package osv

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"
)

// The advisory snapshot built into the binary, so that the dependency audit
// works on the first run, offline, before any `db update`. It is the PyPA
// advisory database (the PYSEC records pip-audit and osv.dev's PyPI data
// draw from) at one commit, converted by gensnapshot into an index.
// Regenerate it with `go generate ./internal/osv` from a checkout of
// https://github.com/pypa/advisory-database (update -commit and -date).
//
//go:generate go run ./gensnapshot -in ../../../shared/data/pypa-advisory-db -commit 3ccb612573e2511ab5cad7dafecd838605c80cda -date 2024-10-10T17:35:05Z -out snapshot/pypa.sgidx
//go:embed snapshot/pypa.sgidx
var snapshot []byte

// SnapshotAttribution is the notice CC-BY-4.0 requires for the built-in
// snapshot; `db info` prints it and snapshot/NOTICE.md carries it in the
// repository.
const SnapshotAttribution = "Python Packaging Advisory Database (https://github.com/pypa/advisory-database), " +
	"licensed CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/); converted to stripeguard's advisory index " +
	"(details and references left out)"

// SnapshotSize is the size in bytes the snapshot adds to the binary.
func SnapshotSize() int { return len(snapshot) }

// Embedded opens the snapshot built into the binary.
func Embedded() (*DB, error) {
	db, err := OpenIndex(bytes.NewReader(snapshot), int64(len(snapshot)), "embedded")
	if err != nil {
		return nil, fmt.Errorf("built-in advisory snapshot: %w", err)
	}
	db.From = FromEmbedded
	return db, nil
}

// BuildSnapshot writes the index of the PyPA records under dir (its vulns/
// tree) at the given upstream commit and date, as gensnapshot does. Every
// record must be readable: a snapshot that silently lacks records would
// under-report.
func BuildSnapshot(w io.Writer, dir, commit, date string) (*IndexMeta, error) {
	when, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return nil, fmt.Errorf("-date: %w", err)
	}
	db, err := Load(dir)
	if err != nil {
		return nil, err
	}
	db.Verify()
	if n := db.Unreadable(); n > 0 {
		var names []string
		for _, w := range db.Warnings {
			names = append(names, w.File+": "+w.Message)
		}
		return nil, fmt.Errorf("%d unreadable records: %s", n, strings.Join(names, "; "))
	}
	meta := IndexMeta{
		Origin:      "PyPA advisory database at " + commit,
		Fetched:     when,
		Attribution: SnapshotAttribution,
	}
	var buf bytes.Buffer
	if err := WriteIndex(&buf, db, meta); err != nil {
		return nil, err
	}
	out, err := OpenIndex(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "snapshot")
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	return out.Meta, nil
}
