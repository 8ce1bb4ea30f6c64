// Package expand turns container files (zip/jar/whl/egg/pex, tar, tar.gz/tgz,
// gzip streams and CPython .pyc bytecode) into text members that the key
// detectors can scan. Containers are recognised by their magic bytes, not by
// their extension. Every limit is enforced while reading, so corrupt input,
// zip bombs and deep nesting end in a warning, never in a panic or a hang.
package expand

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// Container descriptions set on emitted members (source.File.Container).
const (
	ZipMember    = "zip member"
	TarMember    = "tar member"
	GzipStream   = "gzip stream"
	PycConstants = "pyc string constants"
)

// PycMember is the member name under which the string constants of a .pyc
// are emitted: "app/__pycache__/settings.cpython-311.pyc!strings.txt". Each
// constant starts a new line, in the order marshal wrote them.
const PycMember = "strings.txt"

// Limits bound the work done for one top-level file. Zero fields take the
// defaults.
type Limits struct {
	// MaxDepth is how many container levels are opened (1: only the file
	// itself). Default 3.
	MaxDepth int
	// MaxMemberSize is the largest decompressed member read. Default 10 MiB.
	MaxMemberSize int64
	// MaxTotal bounds the bytes decompressed for one top-level file,
	// nested containers included. Default 100 MiB.
	MaxTotal int64
	// MaxMembers bounds the members looked at for one top-level file,
	// nested containers included. Default 10000.
	MaxMembers int
}

// Default limits.
const (
	DefaultMaxDepth      = 3
	DefaultMaxMemberSize = 10 << 20
	DefaultMaxTotal      = 100 << 20
	DefaultMaxMembers    = 10000
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxMemberSize <= 0 {
		l.MaxMemberSize = DefaultMaxMemberSize
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultMaxMembers
	}
	return l
}

// Kind is a container format.
type Kind int

// Container kinds recognised by Detect.
const (
	None Kind = iota
	Zip
	Tar
	Gzip
	Pyc
)

func (k Kind) String() string {
	switch k {
	case Zip:
		return "zip"
	case Tar:
		return "tar"
	case Gzip:
		return "gzip"
	case Pyc:
		return "pyc"
	}
	return "none"
}

// Detect decides from the content of data which container it is: the first
// 512 bytes, and for a zip application behind a "#!" line the last 64 KiB.
func Detect(data []byte) Kind {
	switch {
	case len(data) >= 4 && data[0] == 'P' && data[1] == 'K' &&
		((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6) || (data[2] == 7 && data[3] == 8)):
		return Zip
	case len(data) >= 3 && data[0] == 0x1f && data[1] == 0x8b && data[2] == 8:
		return Gzip
	case isTar(data):
		return Tar
	case pycHeaderLen(data) > 0:
		return Pyc
	case isShebangZip(data):
		return Zip
	}
	return None
}

// isShebangZip recognises a zip application with a "#!" line in front (PEX
// files, zipapps): an end-of-central-directory record near the end.
func isShebangZip(b []byte) bool {
	if len(b) < 24 || b[0] != '#' || b[1] != '!' {
		return false
	}
	tail := b
	if len(tail) > 65557 {
		tail = tail[len(tail)-65557:]
	}
	return bytes.LastIndex(tail, []byte("PK\x05\x06")) >= 0
}

// isTar recognises POSIX/GNU headers by their magic and old V7 headers by a
// valid checksum.
func isTar(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	if string(b[257:262]) == "ustar" {
		return true
	}
	if b[0] == 0 { // V7 header needs a name
		return false
	}
	var want int64
	field := bytes.TrimRight(bytes.TrimLeft(b[148:156], " \x00"), " \x00")
	if len(field) == 0 {
		return false
	}
	for _, c := range field {
		if c < '0' || c > '7' {
			return false
		}
		want = want*8 + int64(c-'0')
	}
	var sum int64
	for i, c := range b[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum == want
}

// IsBinary reports whether the first 8 KiB of data hold a NUL byte.
func IsBinary(data []byte) bool {
	if len(data) > 8<<10 {
		data = data[:8<<10]
	}
	return bytes.IndexByte(data, 0) >= 0
}

// Expand returns the scannable members of f (a zip/jar/whl/egg, tar,
// tar.gz/tgz, .gz, or .pyc) through emit, or ok=false if f is not a
// container it knows. Members nested in members are expanded up to
// lim.MaxDepth; binary members that are not containers are skipped. emit
// and warn are called from the calling goroutine only; an emitted File's
// Data is not reused afterwards.
func Expand(f *source.File, lim Limits, emit func(*source.File), warn func(*finding.Warning)) (ok bool) {
	kind := Detect(f.Data)
	if kind == None {
		return false
	}
	if emit == nil {
		emit = func(*source.File) {}
	}
	if warn == nil {
		warn = func(*finding.Warning) {}
	}
	s := &state{lim: lim.withDefaults(), outer: f, emit: emit, warn: warn}
	s.expand(kind, f.Rel, f.Data, 0)
	s.summary()
	return true
}

// stats counts what one Expand call did.
type stats struct {
	Emitted, Binary, TooLarge, TooDeep, Corrupt int
	Total                                       int64
	Members                                     int
	TotalHit, MembersHit                        bool
}

type state struct {
	lim   Limits
	outer *source.File
	emit  func(*source.File)
	warn  func(*finding.Warning)
	st    stats
}

var errTotal = errors.New("decompressed-size budget exhausted")

func (s *state) stopped() bool { return s.st.TotalHit || s.st.MembersHit }

func (s *state) warnf(rel, kind, format string, args ...any) {
	s.warn(&finding.Warning{File: rel, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// summary warns once per top-level file about members not scanned because
// of the limits.
func (s *state) summary() {
	var parts []string
	if s.st.TooLarge > 0 {
		parts = append(parts, fmt.Sprintf("%d larger than %d bytes", s.st.TooLarge, s.lim.MaxMemberSize))
	}
	if s.st.TooDeep > 0 {
		parts = append(parts, fmt.Sprintf("%d nested deeper than %d containers", s.st.TooDeep, s.lim.MaxDepth))
	}
	if s.st.TotalHit {
		parts = append(parts, fmt.Sprintf("stopped after %d decompressed bytes", s.lim.MaxTotal))
	}
	if s.st.MembersHit {
		parts = append(parts, fmt.Sprintf("stopped after %d members", s.lim.MaxMembers))
	}
	if len(parts) > 0 {
		s.warnf(s.outer.Rel, finding.WarnTooLarge, "archive not fully scanned: %s", strings.Join(parts, ", "))
	}
}

// budget wraps a decompressing reader so that every byte it yields counts
// against MaxTotal.
type budget struct {
	r io.Reader
	s *state
}

func (b *budget) Read(p []byte) (int, error) {
	left := b.s.lim.MaxTotal - b.s.st.Total
	if left <= 0 {
		b.s.st.TotalHit = true
		return 0, errTotal
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.r.Read(p)
	b.s.st.Total += int64(n)
	return n, err
}

// expand opens the container data (already known to be of kind) found at
// rel; depth is the number of containers opened above it.
func (s *state) expand(kind Kind, rel string, data []byte, depth int) {
	if s.stopped() {
		return
	}
	switch kind {
	case Zip:
		s.zip(rel, data, depth)
	case Tar:
		s.tar(rel, tar.NewReader(bytes.NewReader(data)), false, depth)
	case Gzip:
		s.gzip(rel, data, depth)
	case Pyc:
		s.pyc(rel, data)
	}
}

// member handles one member read from a container at depth: expands it if
// it is a container itself, skips it if binary, emits it otherwise.
func (s *state) member(rel, container string, data []byte, depth int) {
	if k := Detect(data); k != None {
		if depth >= s.lim.MaxDepth {
			s.st.TooDeep++
			return
		}
		s.expand(k, rel, data, depth)
		return
	}
	if IsBinary(data) {
		s.st.Binary++
		return
	}
	s.st.Emitted++
	s.emit(&source.File{
		Rel:       rel,
		Mode:      s.outer.Mode,
		Size:      int64(len(data)),
		Data:      data,
		Tracked:   s.outer.Tracked,
		Ignored:   s.outer.Ignored,
		Container: container,
	})
}

// count registers one more member; false when the member budget is spent.
func (s *state) count() bool {
	if s.st.Members >= s.lim.MaxMembers {
		s.st.MembersHit = true
		return false
	}
	s.st.Members++
	return true
}

// read reads one member body from r (decompressing through the budget). It
// returns nil without error for members skipped as too large or as binary
// non-containers, reading only their first 8 KiB in the latter case.
func (s *state) read(r io.Reader, declared int64, counted bool) ([]byte, error) {
	if declared > s.lim.MaxMemberSize {
		s.st.TooLarge++
		return nil, nil
	}
	if !counted {
		r = &budget{r: r, s: s}
	}
	headLen := int64(8 << 10)
	if declared >= 0 && declared < headLen {
		headLen = declared
	}
	var buf bytes.Buffer
	if declared > 0 {
		buf.Grow(int(declared))
	}
	if _, err := io.CopyN(&buf, r, headLen); err != nil && err != io.EOF {
		return nil, err
	}
	if Detect(buf.Bytes()) == None && IsBinary(buf.Bytes()) {
		s.st.Binary++
		return nil, nil
	}
	_, err := io.Copy(&buf, io.LimitReader(r, s.lim.MaxMemberSize+1-int64(buf.Len())))
	if err != nil {
		return nil, err
	}
	if int64(buf.Len()) > s.lim.MaxMemberSize {
		s.st.TooLarge++
		return nil, nil
	}
	return buf.Bytes(), nil
}

// memberName makes an archive path '/'-separated and relative.
func memberName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	for strings.HasPrefix(name, "/") || strings.HasPrefix(name, "./") {
		name = strings.TrimPrefix(strings.TrimPrefix(name, "/"), "./")
	}
	if name == "" {
		name = "_"
	}
	return name
}

func (s *state) zip(rel string, data []byte, depth int) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		s.st.Corrupt++
		s.warnf(rel, finding.WarnParse, "cannot open zip archive: %v", err)
		return
	}
	for _, zf := range zr.File {
		if s.stopped() {
			return
		}
		if zf.FileInfo().IsDir() || !zf.Mode().IsRegular() {
			continue
		}
		if !s.count() {
			return
		}
		mrel := rel + "!" + memberName(zf.Name)
		declared := int64(zf.UncompressedSize64)
		if zf.UncompressedSize64 > 1<<62 {
			declared = 1 << 62
		}
		if declared > s.lim.MaxMemberSize {
			s.st.TooLarge++
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			s.st.Corrupt++
			s.warnf(mrel, finding.WarnParse, "cannot read zip member: %v", err)
			continue
		}
		// declared sizes may lie; read bounds by MaxMemberSize anyway.
		body, err := s.read(rc, -1, false)
		rc.Close()
		if err != nil {
			if s.stopped() {
				return
			}
			s.st.Corrupt++
			s.warnf(mrel, finding.WarnParse, "cannot read zip member: %v", err)
			continue
		}
		if body != nil {
			s.member(mrel, ZipMember, body, depth+1)
		}
	}
}

// counted says the stream under tr already counts against MaxTotal.
func (s *state) tar(rel string, tr *tar.Reader, counted bool, depth int) {
	for !s.stopped() {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !s.stopped() {
				s.st.Corrupt++
				s.warnf(rel, finding.WarnParse, "cannot read tar archive: %v", err)
			}
			return
		}
		// '\x00' is the pre-POSIX regular-file flag (tar.TypeRegA, deprecated).
		if h.Typeflag != tar.TypeReg && h.Typeflag != '\x00' && h.Typeflag != tar.TypeGNUSparse {
			continue
		}
		if !s.count() {
			return
		}
		mrel := rel + "!" + memberName(h.Name)
		body, err := s.read(tr, h.Size, counted)
		if err != nil {
			if !s.stopped() {
				s.st.Corrupt++
				s.warnf(mrel, finding.WarnParse, "cannot read tar member: %v", err)
			}
			return
		}
		if body != nil {
			s.member(mrel, TarMember, body, depth+1)
		}
	}
}

// gzip decompresses a gzip stream. A tar inside (tar.gz, tgz) is read as it
// streams, its members named directly under rel; any other content becomes
// the single member rel!name.
func (s *state) gzip(rel string, data []byte, depth int) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		s.st.Corrupt++
		s.warnf(rel, finding.WarnParse, "cannot open gzip stream: %v", err)
		return
	}
	defer zr.Close()
	br := bufio.NewReaderSize(&budget{r: zr, s: s}, 16<<10)
	head, _ := br.Peek(512)
	if isTar(head) {
		s.tar(rel, tar.NewReader(br), true, depth)
		return
	}
	if !s.count() {
		return
	}
	name := path.Base(memberName(zr.Name))
	if zr.Name == "" {
		name = path.Base((&source.File{Rel: rel}).Inner())
		switch {
		case strings.HasSuffix(strings.ToLower(name), ".gz"):
			name = name[:len(name)-3]
		case strings.HasSuffix(strings.ToLower(name), ".tgz"):
			name = name[:len(name)-4] + ".tar"
		default:
			name += ".out"
		}
	}
	mrel := rel + "!" + name
	var buf bytes.Buffer
	_, err = io.Copy(&buf, io.LimitReader(br, s.lim.MaxMemberSize+1))
	if int64(buf.Len()) > s.lim.MaxMemberSize {
		s.st.TooLarge++
		return
	}
	if err != nil {
		if s.stopped() {
			return
		}
		s.st.Corrupt++
		// A truncated stream still yields what was decompressed: a key
		// in the first part of a cut-off log is still a key.
		s.warnf(rel, finding.WarnParse, "gzip stream damaged, scanning the %d bytes read: %v", buf.Len(), err)
	}
	if buf.Len() > 0 {
		s.member(mrel, GzipStream, buf.Bytes(), depth+1)
	}
}

func (s *state) pyc(rel string, data []byte) {
	if !s.count() {
		return
	}
	strs, err := PycStrings(data)
	if err != nil {
		s.st.Corrupt++
		s.warnf(rel, finding.WarnParse, "pyc partly decoded: %v", err)
	}
	if len(strs) == 0 {
		return
	}
	text := JoinConstants(strs)
	if int64(len(text)) > s.lim.MaxMemberSize {
		s.st.TooLarge++
		return
	}
	s.st.Emitted++
	s.emit(&source.File{
		Rel:       rel + "!" + PycMember,
		Mode:      s.outer.Mode,
		Size:      int64(len(text)),
		Data:      text,
		Tracked:   s.outer.Tracked,
		Ignored:   s.outer.Ignored,
		Container: PycConstants,
	})
}

// JoinConstants writes the constants one per line. Bytes that would make the
// text look binary (NUL and other C0 controls except tab and newline) become
// spaces.
func JoinConstants(strs [][]byte) []byte {
	n := 0
	for _, b := range strs {
		n += len(b) + 1
	}
	out := make([]byte, 0, n)
	for _, b := range strs {
		for _, c := range b {
			if c < 0x20 && c != '\t' && c != '\n' {
				c = ' '
			}
			out = append(out, c)
		}
		out = append(out, '\n')
	}
	return out
}
