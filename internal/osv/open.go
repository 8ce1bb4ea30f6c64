package osv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Open returns the advisory data a scan uses, marked with where it was found
// (DB.From):
//
//   - path, when given (--db): an index, OSV zip, record tree or file; an
//     error when it cannot be read, because the user asked for that data;
//   - else the index `db update` installed in the user cache (or the zip
//     older releases kept there);
//   - else the snapshot built into the binary, so that a first run on a
//     machine without network still audits.
//
// A cache whose newest record is older than the snapshot's gives way to the
// snapshot, and an unreadable cache falls back to it with a warning; DB.Note
// then says why.
//
// The choice is made once per version of the files involved and the DB is
// shared: the analyzers of one scan that read advisory data (the dependency
// audit, the supply-chain analyzer) get the same DB, which answers queries
// from several goroutines. Callers must not Close it.
func Open(path string) (*DB, error) {
	v, _ := opened.LoadOrStore(openKey(path), &sharedLoad{})
	s := v.(*sharedLoad)
	s.once.Do(func() { s.db, s.err = open(path) })
	return s.db, s.err
}

var opened sync.Map // string -> *sharedLoad

// openKey names what Open would read: the path, or the cache files, with
// their size and modification time, so that data replaced by `db update`
// is opened again.
func openKey(path string) string {
	stat := func(p string) string {
		st, err := os.Stat(p)
		if err != nil {
			return p + ":-"
		}
		return fmt.Sprintf("%s:%d:%d", p, st.Size(), st.ModTime().UnixNano())
	}
	if path != "" {
		return "db\x00" + stat(path)
	}
	k := "default"
	for _, find := range []func() (string, error){DefaultPath, LegacyPath} {
		if p, err := find(); err == nil {
			k += "\x00" + stat(p)
		}
	}
	return k
}

func open(path string) (*DB, error) {
	if path != "" {
		db, err := Load(path)
		if err != nil {
			return nil, err
		}
		db.From = FromFlag
		return db, nil
	}
	emb, err := Embedded()
	if err != nil {
		return nil, err
	}
	cache, cerr := openCache()
	switch {
	case cerr != nil:
		emb.Note = "the cache could not be read, so the built-in snapshot is used: " + cerr.Error()
		emb.Warnings = append(emb.Warnings, finding.Warning{Kind: finding.WarnData, Message: "advisory cache not readable (" + cerr.Error() + "); using the built-in snapshot of " + emb.Newest.Format(time.DateOnly) + ": run `stripeguard db update`"})
		return emb, nil
	case cache == nil:
		return emb, nil
	case !cache.Newest.IsZero() && cache.Newest.Before(emb.Newest):
		emb.Note = fmt.Sprintf("the cache %s (newest record %s) is older than the built-in snapshot (newest record %s)",
			cache.Source, cache.Newest.Format(time.DateOnly), emb.Newest.Format(time.DateOnly))
		cache.Close()
		return emb, nil
	}
	return cache, nil
}

// openCache opens the user cache: the index, else a legacy zip; nil, nil
// when neither exists.
func openCache() (*DB, error) {
	for _, find := range []func() (string, error){DefaultPath, LegacyPath} {
		p, err := find()
		if err != nil {
			return nil, nil // no cache directory at all: nothing cached
		}
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		db, err := Load(p)
		if err != nil {
			return nil, err
		}
		db.From = FromCache
		return db, nil
	}
	return nil, nil
}
