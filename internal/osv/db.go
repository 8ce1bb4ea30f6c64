package osv

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Ecosystem is the only ecosystem indexed.
const Ecosystem = "PyPI"

// DB is an in-memory index of PyPI advisories.
type DB struct {
	// Source is the path the data was read from ("embedded" for the
	// snapshot built into the binary); Kind is "zip", "dir", "file" or
	// "index".
	Source string
	Kind   string
	// From says how the data was chosen for a scan: FromFlag (--db),
	// FromCache (the user cache `db update` writes) or FromEmbedded;
	// empty when the caller loaded a path itself.
	From string
	// Origin is where the records came from: for an index, the download
	// URL, the path given to `db update --from` or the upstream commit of
	// the snapshot; otherwise Source.
	Origin string
	// Meta is the head of an index (nil for zip, dir and file data).
	Meta *IndexMeta
	// Note says why this data was chosen over other data found (a cache
	// older than the built-in snapshot, an unreadable cache); "" usually.
	Note string
	// Fetched is when the data was obtained: for an index the download or
	// install time (the upstream commit date for the built-in snapshot);
	// for a zip or file its modification time; for a directory the newest
	// file's.
	Fetched time.Time
	// Newest is the newest "modified" timestamp among the records, which
	// says how current the data itself is.
	Newest time.Time
	// Records counts the records read (withdrawn included), Withdrawn the
	// ones ignored for that reason.
	Records, Withdrawn int
	// Warnings name records that could not be read; the rest is usable.
	Warnings []finding.Warning

	mu     sync.Mutex
	byName map[string]*pkgIndex
	// index serves the package records of an index, read on first use.
	index *indexFile
	// unreadable counts records that could not be decoded (Warnings is
	// capped).
	unreadable int
}

// pkgIndex holds one package's affected entries, compiled lazily on the
// first query because most packages of the database are never asked about.
type pkgIndex struct {
	raw       []rawEntry
	lazy      []*lazyRecord
	withdrawn []*Record // kept for Records, never matched
	// blob locates the package's records in an index; recs holds them
	// once read (blobDone).
	blob     *blobRef
	recs     []*Record
	blobDone bool
	compiled []*entry
	done     bool
}

// lazyRecord is a JSON record indexed by a cheap scan of its package names
// and decoded only when one of them is queried: an audit asks about a few
// hundred of the thousands of packages in the PyPI zip.
type lazyRecord struct {
	name string
	data []byte
	comp []byte // deflated instead of data, see keepUncompressed
	crc  uint32
	size uint64
	once sync.Once
	rec  *Record
	err  error
	// warned is guarded by DB.mu.
	warned bool
}

func (l *lazyRecord) decode() (*Record, error) {
	l.once.Do(func() {
		data := l.data
		if data == nil && l.comp != nil {
			if data, l.err = inflate(l.comp, l.size, l.crc); l.err != nil {
				return
			}
		}
		l.rec, l.err = decodeSafe(l.name, data)
		l.data, l.comp = nil, nil
	})
	return l.rec, l.err
}

type rawEntry struct {
	rec *Record
	aff int
}

var nameNormRE = regexp.MustCompile(`[-_.]+`)

// NormalizeName is the PEP 503 normalised form of a project name, applied
// to advisory and manifest names alike.
func NormalizeName(name string) string {
	if normalized(name) {
		return name // most names already are: skip the regular expression
	}
	return strings.ToLower(nameNormRE.ReplaceAllString(strings.TrimSpace(name), "-"))
}

// normalized reports whether name is already in PEP 503 form: lower-case
// letters, digits and single '-' between them.
func normalized(name string) bool {
	if name == "" || name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && name[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// Load reads advisories from path: an advisory index (the format of the
// cache `db update` writes), an OSV ecosystem zip, a directory tree of
// .json/.yaml/.yml records, or a single record file. Unreadable records
// become warnings; only an unreadable path is an error.
func Load(p string) (*DB, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() && IsIndex(p) {
		return openIndexFile(p)
	}
	db := &DB{Source: p, Origin: p, Fetched: st.ModTime(), byName: map[string]*pkgIndex{}}
	switch {
	case st.IsDir():
		db.Kind = "dir"
		err = db.loadDir(p)
	case strings.EqualFold(filepath.Ext(p), ".zip"):
		db.Kind = "zip"
		err = db.loadZip(p)
	default:
		db.Kind = "file"
		var b []byte
		if b, err = os.ReadFile(p); err == nil {
			db.addRaw(filepath.Base(p), b)
		}
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

type blob struct {
	name string
	data []byte
	err  error
	// comp is the deflated record when it is kept compressed (see
	// keepUncompressed); data is then nil.
	comp []byte
	crc  uint32
	size uint64
	// fill, when set, reads the record; it runs on a decoding worker so
	// that inflating and file reads use every core.
	fill func(*blob)
}

// keepUncompressed bounds the record bytes held uncompressed until their
// package is queried. osv.dev's PyPI zip inflates to far more than the
// shared PyPA snapshot; past this budget records are kept deflated (about a
// quarter of the size) and inflated again on use.
var keepUncompressed uint64 = 64 << 20

// inflate decompresses a raw deflate stream of a zip entry and checks its
// size and CRC-32, as zip.File.Open would.
func inflate(comp []byte, size uint64, crc uint32) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(comp))
	defer r.Close()
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if crc32.ChecksumIEEE(b) != crc {
		return nil, zip.ErrChecksum
	}
	return b, nil
}

// decodeAll decodes records on every core: JSON/YAML decoding dominates the
// load time of the full PyPI zip.
func (db *DB) decodeAll(next func() (blob, bool)) {
	in := make(chan blob, 64)
	type decoded struct {
		name string
		rec  *Record
		err  error
		lazy *lazyRecord
		scan scanned
	}
	out := make(chan decoded, 64)
	var wg sync.WaitGroup
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range in {
				if b.fill != nil {
					b.fill(&b)
				}
				if b.err != nil {
					out <- decoded{name: b.name, err: b.err}
					continue
				}
				if b.comp != nil {
					var err error
					if b.data, err = inflate(b.comp, b.size, b.crc); err != nil {
						out <- decoded{name: b.name, err: err}
						continue
					}
				}
				if strings.EqualFold(path.Ext(b.name), ".json") {
					if sc, ok := scanJSON(b.data); ok {
						l := &lazyRecord{name: b.name, data: b.data}
						if b.comp != nil {
							l.data, l.comp, l.crc, l.size = nil, b.comp, b.crc, b.size
						}
						out <- decoded{name: b.name, lazy: l, scan: sc}
						continue
					}
				}
				r, err := decodeSafe(b.name, b.data)
				out <- decoded{name: b.name, rec: r, err: err}
			}
		}()
	}
	go func() {
		for {
			b, ok := next()
			if !ok {
				break
			}
			in <- b
		}
		close(in)
		wg.Wait()
		close(out)
	}()
	for d := range out {
		switch {
		case d.err != nil:
			db.warn(d.name, d.err)
		case d.lazy != nil:
			db.addLazy(d.lazy, d.scan)
		default:
			db.add(d.rec)
		}
	}
}

func decodeSafe(name string, data []byte) (r *Record, err error) {
	defer func() {
		if x := recover(); x != nil {
			r, err = nil, fmt.Errorf("decoder panic: %v", x)
		}
	}()
	format := "yaml"
	if strings.EqualFold(path.Ext(name), ".json") {
		format = "json"
	}
	return DecodeRecord(data, format)
}

func (db *DB) warn(name string, err error) {
	db.unreadable++
	if len(db.Warnings) < 200 {
		db.Warnings = append(db.Warnings, finding.Warning{File: name, Kind: finding.WarnData, Message: "advisory record not read: " + err.Error()})
	}
}

func isRecordFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

func (db *DB) loadZip(p string) error {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return fmt.Errorf("%s: not a readable zip: %w", p, err)
	}
	defer zr.Close()
	i := 0
	var total uint64
	db.decodeAll(func() (blob, bool) {
		for i < len(zr.File) {
			f := zr.File[i]
			i++
			if f.FileInfo().IsDir() || !isRecordFile(f.Name) {
				continue
			}
			name := filepath.Base(p) + "!" + f.Name
			if f.UncompressedSize64 > maxRecordSize {
				return blob{name: name, err: fmt.Errorf("record too large (%d bytes)", f.UncompressedSize64)}, true
			}
			total += f.UncompressedSize64
			keepComp := total > keepUncompressed && f.Method == zip.Deflate && f.CompressedSize64 <= maxRecordSize
			return blob{name: name, fill: func(b *blob) { readZipEntry(b, f, keepComp) }}, true
		}
		return blob{}, false
	})
	return nil
}

// readZipEntry fills b with the entry's bytes, deflated when keepComp.
func readZipEntry(b *blob, f *zip.File, keepComp bool) {
	if keepComp {
		rr, err := f.OpenRaw()
		if err != nil {
			b.err = err
			return
		}
		comp := make([]byte, f.CompressedSize64)
		if _, err := io.ReadFull(rr, comp); err != nil {
			b.err = err
			return
		}
		b.comp, b.crc, b.size = comp, f.CRC32, f.UncompressedSize64
		return
	}
	rc, err := f.Open()
	if err != nil {
		b.err = err
		return
	}
	defer rc.Close()
	// The header's size sizes the buffer; reading on to EOF makes the zip
	// reader check size and CRC.
	data := make([]byte, f.UncompressedSize64)
	if _, err := io.ReadFull(rc, data); err != nil {
		b.err = err
		return
	}
	var one [1]byte
	n, rerr := rc.Read(one[:])
	switch {
	case n > 0:
		b.err = fmt.Errorf("record larger than its zip header says")
	case rerr != nil && rerr != io.EOF:
		b.err = rerr
	default:
		b.data = data
	}
}

func (db *DB) loadDir(root string) error {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			db.warn(p, err)
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && isRecordFile(p) {
			files = append(files, p)
			if info, err := d.Info(); err == nil && info.ModTime().After(db.Fetched) {
				db.Fetched = info.ModTime()
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	i := 0
	db.decodeAll(func() (blob, bool) {
		if i >= len(files) {
			return blob{}, false
		}
		f := files[i]
		i++
		rel, _ := filepath.Rel(root, f)
		return blob{name: filepath.ToSlash(rel), fill: func(b *blob) { b.data, b.err = readLimited(f) }}, true
	})
	return nil
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRecordSize+1))
	if err == nil && len(b) > maxRecordSize {
		err = fmt.Errorf("record too large")
	}
	return b, err
}

func (db *DB) addRaw(name string, b []byte) {
	r, err := decodeSafe(name, b)
	if err != nil {
		db.warn(name, err)
		return
	}
	db.add(r)
}

// AddRecord indexes one decoded record (used by tests and by callers that
// read records themselves).
func (db *DB) AddRecord(r *Record) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.byName == nil {
		db.byName = map[string]*pkgIndex{}
	}
	db.add(r)
}

func (db *DB) add(r *Record) {
	db.Records++
	if t, ok := parseTime(r.Modified); ok && t.After(db.Newest) {
		db.Newest = t
	}
	if strings.TrimSpace(r.Withdrawn) != "" {
		db.Withdrawn++
		// Kept for Records (and the index), never matched.
		seen := map[string]bool{}
		for _, a := range r.Affected {
			if !strings.EqualFold(a.Package.Ecosystem, Ecosystem) || a.Package.Name == "" {
				continue
			}
			n := NormalizeName(a.Package.Name)
			if seen[n] {
				continue
			}
			seen[n] = true
			pi := db.byName[n]
			if pi == nil {
				pi = &pkgIndex{}
				db.byName[n] = pi
			}
			pi.withdrawn = append(pi.withdrawn, r)
		}
		return
	}
	for i, a := range r.Affected {
		if !strings.EqualFold(a.Package.Ecosystem, Ecosystem) || a.Package.Name == "" {
			continue
		}
		n := NormalizeName(a.Package.Name)
		pi := db.byName[n]
		if pi == nil {
			pi = &pkgIndex{}
			db.byName[n] = pi
		}
		pi.raw = append(pi.raw, rawEntry{r, i})
		pi.done = false
	}
}

func (db *DB) addLazy(l *lazyRecord, sc scanned) {
	db.Records++
	if t, ok := parseTime(sc.modified); ok && t.After(db.Newest) {
		db.Newest = t
	}
	for _, n := range sc.names {
		pi := db.byName[n]
		if pi == nil {
			pi = &pkgIndex{}
			db.byName[n] = pi
		}
		pi.lazy = append(pi.lazy, l)
		pi.done = false
	}
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05", "2006-01-02"}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Packages is the number of distinct package names indexed.
func (db *DB) Packages() int { return len(db.byName) }

// HasPackage reports whether any advisory names the package.
func (db *DB) HasPackage(name string) bool {
	_, ok := db.byName[NormalizeName(name)]
	return ok
}

// Age describes how old the data is at now.
func (db *DB) Age(now time.Time) time.Duration { return now.Sub(db.Fetched) }

// Close releases the file an index is read from; the DB must not be queried
// afterwards. It is a no-op for other kinds of data.
func (db *DB) Close() error {
	if db.index != nil && db.index.c != nil {
		return db.index.c.Close()
	}
	return nil
}

// Unreadable counts the records that could not be decoded, including, for
// an index, those left out when it was built.
func (db *DB) Unreadable() int {
	n := db.unreadable
	if db.Meta != nil {
		n += db.Meta.Unreadable
	}
	return n
}

// Label names the data for people: "the built-in snapshot", "the cache
// (PATH)", "--db PATH".
func (db *DB) Label() string {
	switch db.From {
	case FromEmbedded:
		return "built-in snapshot"
	case FromCache:
		return "cache " + db.Source
	case FromFlag:
		return "--db " + db.Source
	}
	return db.Source
}

var commitRE = regexp.MustCompile(`\b([0-9a-f]{12})[0-9a-f]{28}\b`)

// Describe is a one-line statement of which data this is, where it came
// from and how old it is, for reports: "built-in snapshot of PyPA advisory
// database at 3ccb612573e2 (2661 records, 664 packages; newest record
// 2024-10-10, 787 days old)".
func (db *DB) Describe(now time.Time) string {
	s := db.Label()
	if db.Origin != "" && db.Origin != db.Source {
		s += " of " + commitRE.ReplaceAllString(db.Origin, "$1")
	}
	s += fmt.Sprintf(" (%d records, %d packages", db.Records, len(db.byName))
	if !db.Newest.IsZero() {
		s += "; newest record " + db.Newest.UTC().Format("2006-01-02") + ", " + HumanAge(now.Sub(db.Newest)) + " old"
	}
	switch {
	case db.From == FromEmbedded:
	case db.Kind == "index":
		s += "; fetched " + HumanAge(db.Age(now)) + " ago"
	default:
		s += "; file age " + HumanAge(db.Age(now))
	}
	return s + ")"
}

// HumanAge prints a duration as "3 h", "12 days".
func HumanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0 min"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// Where a scan's advisory data comes from (DB.From).
const (
	FromFlag     = "db"       // --db PATH
	FromCache    = "cache"    // the user cache `db update` writes
	FromEmbedded = "embedded" // the snapshot built into the binary
)
