package osv

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// The advisory index is the format of the snapshot built into the binary and
// of the cache `db update` writes: the records of each package stored
// together, compressed, behind a table of contents, so that a scan reads the
// table and then only the packages it asks about (an audit asks about a few
// hundred of the tens of thousands of PyPI packages osv.dev knows).
//
// Layout (integers little-endian, "uvarint" as encoding/binary writes them):
//
//	magic    8 bytes  "SGOSVIX" + format version (1)
//	headLen  uint32   length of head
//	headCRC  uint32   CRC-32 (IEEE) of head
//	head     meta (uvarint length + JSON IndexMeta), uvarint package count,
//	         then per package, sorted by name: name (uvarint length + bytes),
//	         uvarint offset and compressed length in data, uvarint inflated
//	         length, uint32 CRC-32 of the inflated bytes
//	data     per package, a raw deflate stream of: uvarint record count, then
//	         each record in the compact encoding of encodeRecord
//
// A record naming several packages is stored under each of them. Records
// keep what matching and reports read: id, aliases, modified, published,
// withdrawn, the short summary, severities (CVSS vectors and GitHub's
// label) and every affected package with all its ranges (type and events)
// and listed versions. Details, references and other database-specific
// fields are left out.

const (
	indexMagic   = "SGOSVIX\x01"
	indexVersion = 1
	// maxIndexHead bounds the table of contents read before anything else.
	maxIndexHead = 256 << 20
	// maxIndexBlob bounds one package's inflated records.
	maxIndexBlob = 256 << 20
)

// IndexMeta describes an index: where its records came from and how current
// they are. It is stored as JSON in the index head.
type IndexMeta struct {
	Format    int    `json:"format"`
	Ecosystem string `json:"ecosystem"`
	// Origin says where the records came from: a download URL, a path
	// given to `db update --from`, or the upstream repository and commit
	// of the built-in snapshot.
	Origin string `json:"origin"`
	// Fetched is when the records were obtained: the download or install
	// time, or for the built-in snapshot the upstream commit date.
	Fetched time.Time `json:"fetched"`
	// Newest is the newest "modified" time among the records.
	Newest time.Time `json:"newest,omitempty"`
	// Records counts the records read (withdrawn ones included),
	// Withdrawn those withdrawn, Unreadable those that could not be
	// decoded when the index was built (they are not in it).
	Records    int `json:"records"`
	Withdrawn  int `json:"withdrawn"`
	Unreadable int `json:"unreadable,omitempty"`
	Packages   int `json:"packages"`
	// ETag is the download's HTTP ETag, to ask the server for the data
	// only when it changed.
	ETag string `json:"etag,omitempty"`
	// Attribution is the licence notice the data requires.
	Attribution string `json:"attribution,omitempty"`
}

// blobRef locates one package's records in an index.
type blobRef struct {
	off, clen, ulen uint64
	crc             uint32
}

// indexFile is the data section of an opened index.
type indexFile struct {
	r    io.ReaderAt
	base int64 // offset of the data section
	size int64 // length of the data section
	c    io.Closer
}

var flatePool = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

func (ix *indexFile) read(b *blobRef) ([]byte, error) {
	if b.off+b.clen > uint64(ix.size) || b.ulen > maxIndexBlob {
		return nil, errors.New("index entry out of bounds")
	}
	comp := make([]byte, b.clen)
	if _, err := ix.r.ReadAt(comp, ix.base+int64(b.off)); err != nil {
		return nil, err
	}
	fr := flatePool.Get().(io.ReadCloser)
	defer flatePool.Put(fr)
	if err := fr.(flate.Resetter).Reset(bytes.NewReader(comp), nil); err != nil {
		return nil, err
	}
	out := make([]byte, b.ulen)
	if _, err := io.ReadFull(fr, out); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if crc32.ChecksumIEEE(out) != b.crc {
		return nil, errors.New("checksum mismatch")
	}
	return out, nil
}

// IsIndex reports whether the file at p is an advisory index.
func IsIndex(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var m [len(indexMagic)]byte
	_, err = io.ReadFull(f, m[:])
	return err == nil && string(m[:]) == indexMagic
}

// OpenIndex reads the head of an index held by r (size bytes). Package
// records are read from r when first queried, so r must stay readable as
// long as the DB is used. source names it in reports and warnings.
func OpenIndex(r io.ReaderAt, size int64, source string) (*DB, error) {
	var fixed [len(indexMagic) + 8]byte
	if _, err := r.ReadAt(fixed[:], 0); err != nil {
		return nil, fmt.Errorf("%s: not an advisory index: %w", source, err)
	}
	if string(fixed[:len(indexMagic)-1]) != indexMagic[:len(indexMagic)-1] {
		return nil, fmt.Errorf("%s: not an advisory index", source)
	}
	if fixed[len(indexMagic)-1] != indexMagic[len(indexMagic)-1] {
		return nil, fmt.Errorf("%s: advisory index format %d, this build reads %d: run 'stripeguard db update'", source, fixed[len(indexMagic)-1], indexVersion)
	}
	headLen := int64(binary.LittleEndian.Uint32(fixed[len(indexMagic):]))
	headCRC := binary.LittleEndian.Uint32(fixed[len(indexMagic)+4:])
	base := int64(len(fixed)) + headLen
	if headLen > maxIndexHead || base > size {
		return nil, fmt.Errorf("%s: advisory index truncated", source)
	}
	head := make([]byte, headLen)
	if _, err := r.ReadAt(head, int64(len(fixed))); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if crc32.ChecksumIEEE(head) != headCRC {
		return nil, fmt.Errorf("%s: advisory index damaged (head checksum)", source)
	}
	d := &decoder{b: head}
	metaJSON := d.bytes()
	var meta IndexMeta
	if d.err == nil {
		if err := json.Unmarshal(metaJSON, &meta); err != nil {
			return nil, fmt.Errorf("%s: advisory index meta: %w", source, err)
		}
	}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(head)) {
		d.err = errCorrupt
	}
	db := &DB{
		Source: source, Kind: "index", Origin: meta.Origin, Fetched: meta.Fetched, Newest: meta.Newest,
		Records: meta.Records, Withdrawn: meta.Withdrawn, Meta: &meta,
		byName: make(map[string]*pkgIndex, n),
		index:  &indexFile{r: r, base: base, size: size - base},
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := d.string()
		b := &blobRef{off: d.uvarint(), clen: d.uvarint(), ulen: d.uvarint(), crc: d.uint32()}
		if d.err == nil && b.off+b.clen > uint64(size-base) {
			d.err = errCorrupt
		}
		db.byName[name] = &pkgIndex{blob: b}
	}
	if d.err != nil {
		return nil, fmt.Errorf("%s: advisory index damaged: %w", source, d.err)
	}
	return db, nil
}

// openIndexFile opens an index on disk; the file stays open (and keeps
// serving the version that was opened even if `db update` replaces it)
// until DB.Close.
func openIndexFile(p string) (*DB, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	db, err := OpenIndex(f, st.Size(), p)
	if err != nil {
		f.Close()
		return nil, err
	}
	db.index.c = f
	return db, nil
}

// decodeBlob reads one package's records from the index.
func (db *DB) decodeBlob(name string, b *blobRef) ([]*Record, error) {
	data, err := db.index.read(b)
	if err != nil {
		return nil, err
	}
	d := &decoder{b: data}
	n := d.uvarint()
	if n > uint64(len(data)) {
		return nil, errCorrupt
	}
	recs := make([]*Record, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		recs = append(recs, d.record())
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return recs, nil
}

// WriteIndex writes every record of db as an index. Every record is decoded
// first (Verify), so meta.Unreadable counts the ones left out. meta's
// Records, Withdrawn, Newest and Packages are filled from db.
func WriteIndex(w io.Writer, db *DB, meta IndexMeta) error {
	db.Verify()
	names := make([]string, 0, len(db.byName))
	for n := range db.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	meta.Unreadable = db.Unreadable()
	var data, raw []byte
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	var entries []tocEntry
	for _, n := range names {
		recs := db.RecordsFor(n)
		if len(recs) == 0 {
			continue
		}
		raw = binary.AppendUvarint(raw[:0], uint64(len(recs)))
		for _, r := range recs {
			raw = encodeRecord(raw, r)
		}
		comp.Reset()
		fw.Reset(&comp)
		fw.Write(raw)
		if err := fw.Close(); err != nil {
			return err
		}
		entries = append(entries, tocEntry{n, blobRef{uint64(len(data)), uint64(comp.Len()), uint64(len(raw)), crc32.ChecksumIEEE(raw)}})
		data = append(data, comp.Bytes()...)
	}
	return writeIndexParts(w, db, meta, entries, bytes.NewReader(data))
}

// writeIndexWithData writes the index db was opened from with a new meta
// and the same data section (renewing the fetch time of unchanged data).
func writeIndexWithData(w io.Writer, db *DB, meta IndexMeta, data io.Reader) error {
	var entries []tocEntry
	for n, pi := range db.byName {
		entries = append(entries, tocEntry{n, *pi.blob})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	return writeIndexParts(w, db, meta, entries, data)
}

type tocEntry struct {
	name string
	blobRef
}

func writeIndexParts(w io.Writer, db *DB, meta IndexMeta, entries []tocEntry, data io.Reader) error {
	meta.Format = indexVersion
	meta.Ecosystem = Ecosystem
	meta.Records, meta.Withdrawn, meta.Newest = db.Records, db.Withdrawn, db.Newest.UTC()
	meta.Fetched = meta.Fetched.UTC()
	meta.Packages = len(entries)
	mj, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	head := appendBytes(nil, mj)
	head = binary.AppendUvarint(head, uint64(len(entries)))
	for _, e := range entries {
		head = appendBytes(head, []byte(e.name))
		head = binary.AppendUvarint(head, e.off)
		head = binary.AppendUvarint(head, e.clen)
		head = binary.AppendUvarint(head, e.ulen)
		head = binary.LittleEndian.AppendUint32(head, e.crc)
	}
	if len(head) > maxIndexHead {
		return errors.New("advisory index head too large")
	}
	out := []byte(indexMagic)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(head)))
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(head))
	if _, err := w.Write(out); err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	_, err = io.Copy(w, data)
	return err
}

// RecordsFor returns every record that names the package (PEP 503 name or not),
// withdrawn ones included (Withdrawn set: callers that match must skip
// them, as Check and Admits do), sorted by id. It is the per-package query
// other analyzers build on (e.g. MAL- records of malicious packages).
// Unreadable records become DB warnings.
func (db *DB) RecordsFor(name string) []*Record {
	n := NormalizeName(name)
	db.load(n)
	db.mu.Lock()
	defer db.mu.Unlock()
	pi := db.byName[n]
	if pi == nil {
		return nil
	}
	seen := map[*Record]bool{}
	var out []*Record
	add := func(r *Record) {
		if r != nil && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, r := range pi.raw {
		add(r.rec)
	}
	for _, r := range pi.withdrawn {
		add(r)
	}
	for _, l := range pi.lazy {
		rec, err := l.decode()
		if err != nil {
			db.warnLazy(l, err)
			continue
		}
		add(rec)
	}
	for _, r := range pi.recs {
		add(r)
	}
	// Same order whatever order the records were read in (a directory is
	// decoded on every core), so that an index build is reproducible.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return string(encodeRecord(nil, out[i])) < string(encodeRecord(nil, out[j]))
	})
	return out
}

var errCorrupt = errors.New("corrupt advisory index")

// The compact record encoding: strings are uvarint length + bytes, lists
// uvarint count + items.
//
//	record:   id, modified, published, withdrawn, summary, aliases[],
//	          severities, severity label, affected[]
//	severity: type, score
//	affected: ecosystem, name, ranges[], versions[], severities
//	range:    type, events[] (kind byte i/f/l/x, version)

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

func appendSeverities(b []byte, ss []Severity) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s.Type)
		b = appendString(b, s.Score)
	}
	return b
}

func encodeRecord(b []byte, r *Record) []byte {
	b = appendString(b, r.ID)
	b = appendString(b, r.Modified)
	b = appendString(b, r.Published)
	b = appendString(b, r.Withdrawn)
	b = appendString(b, r.ShortSummary())
	b = appendStrings(b, r.Aliases)
	b = appendSeverities(b, r.Severity)
	label, _ := r.DatabaseSpecific["severity"].(string)
	b = appendString(b, label)
	b = binary.AppendUvarint(b, uint64(len(r.Affected)))
	for _, a := range r.Affected {
		b = appendString(b, a.Package.Ecosystem)
		b = appendString(b, a.Package.Name)
		b = binary.AppendUvarint(b, uint64(len(a.Ranges)))
		for _, rg := range a.Ranges {
			b = appendString(b, rg.Type)
			b = binary.AppendUvarint(b, uint64(len(rg.Events)))
			for _, ev := range rg.Events {
				// One key per event, as the OSV schema requires and
				// compile reads (the first non-empty one).
				switch {
				case ev.Introduced != "":
					b = append(b, 'i')
					b = appendString(b, ev.Introduced)
				case ev.Fixed != "":
					b = append(b, 'f')
					b = appendString(b, ev.Fixed)
				case ev.LastAffected != "":
					b = append(b, 'l')
					b = appendString(b, ev.LastAffected)
				case ev.Limit != "":
					b = append(b, 'x')
					b = appendString(b, ev.Limit)
				default:
					b = append(b, '-')
				}
			}
		}
		b = appendStrings(b, a.Versions)
		b = appendSeverities(b, a.Severity)
	}
	return b
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 4 {
		d.err = errCorrupt
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

// string returns the next string without copying it: record strings point
// into the package's inflated bytes, which nothing writes to after
// decoding (a package read allocated one buffer instead of one string per
// version, a fifth of a dependency audit's time).
func (d *decoder) string() string {
	b := d.bytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// count reads a list length, refusing one the remaining bytes cannot hold.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return 0
	}
	return int(n)
}

func (d *decoder) strings() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.string()
	}
	return out
}

func (d *decoder) severities() []Severity {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]Severity, n)
	for i := range out {
		out[i] = Severity{Type: d.string(), Score: d.string()}
	}
	return out
}

func (d *decoder) record() *Record {
	r := &Record{ID: d.string(), Modified: d.string(), Published: d.string(), Withdrawn: d.string(), Summary: d.string()}
	r.Aliases = d.strings()
	r.Severity = d.severities()
	if label := d.string(); label != "" {
		r.DatabaseSpecific = map[string]any{"severity": label}
	}
	n := d.count()
	if n > 0 {
		r.Affected = make([]Affected, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		a := &r.Affected[i]
		a.Package.Ecosystem, a.Package.Name = d.string(), d.string()
		nr := d.count()
		if nr > 0 {
			a.Ranges = make([]Range, nr)
		}
		for j := 0; j < nr && d.err == nil; j++ {
			rg := &a.Ranges[j]
			rg.Type = d.string()
			ne := d.count()
			if ne > 0 {
				rg.Events = make([]Event, ne)
			}
			for k := 0; k < ne && d.err == nil; k++ {
				switch d.byte() {
				case 'i':
					rg.Events[k].Introduced = d.string()
				case 'f':
					rg.Events[k].Fixed = d.string()
				case 'l':
					rg.Events[k].LastAffected = d.string()
				case 'x':
					rg.Events[k].Limit = d.string()
				case '-':
				default:
					d.err = errCorrupt
				}
			}
		}
		a.Versions = d.strings()
		a.Severity = d.severities()
	}
	if d.err == nil && strings.TrimSpace(r.ID) == "" {
		d.err = errors.New("record without id")
	}
	return r
}
