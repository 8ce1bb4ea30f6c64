package osv

import (
	"os"
	"sync"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// shared memoises Load per file (path, size and modification time), so that
// the analyzers of one scan that read advisory data (the dependency audit,
// the supply-chain analyzer) load it once. A DB answers queries from several
// goroutines.
var shared sync.Map // sharedKey -> *sharedLoad

type sharedKey struct {
	path string
	size int64
	mod  time.Time
}

type sharedLoad struct {
	once sync.Once
	db   *DB
	err  error
}

// Shared is Load, once per version of the file at p.
func Shared(p string) (*DB, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	// For a directory the key follows added and removed records, not
	// records edited in place; scans do not edit their data.
	k := sharedKey{p, st.Size(), st.ModTime()}
	v, _ := shared.LoadOrStore(k, &sharedLoad{})
	s := v.(*sharedLoad)
	s.once.Do(func() { s.db, s.err = Load(p) })
	return s.db, s.err
}

// WarningList returns the warnings collected so far, safe to call while
// other goroutines query the DB.
func (db *DB) WarningList() []finding.Warning {
	db.mu.Lock()
	defer db.mu.Unlock()
	return append([]finding.Warning(nil), db.Warnings...)
}
