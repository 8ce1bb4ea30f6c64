package githistory

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// logFormat starts each commit with a record separator (0x1e) so the
// parser can tell a header from a raw diff entry (which starts with ':');
// with -z the header fields are NUL-separated: "\x1eH P1 P2", author date,
// message.
const logFormat = "--format=%x1e%H %P%x00%aI%x00%B"

// logArgs list, for every commit, the paths it changed with the blob ids
// on both sides, reading trees only. -c adds merges as combined diffs:
// only paths whose result differs from every parent, i.e. content that
// first appears in the merge resolution. --no-renames keeps a rename as a
// delete plus an add of the same blob.
var logArgs = []string{"log", "--full-history", "-c", "--raw", "--no-renames", "--no-abbrev", "-z",
	"--no-color", "--no-ext-diff", "--no-textconv", logFormat}

// phase runs one `git log` (args select the commits; stdin, if set, feeds
// --stdin), queues every new blob it names and reads them all.
func (w *walker) phase(ctx context.Context, args []string, stdin []byte, reach Reach) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := newQueue(ctx)
	fs := w.startFetchers(ctx, q)

	cmd := w.g.command(ctx, append(append([]string{}, logArgs...), args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{b: &stderr, max: 4096}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	perr := w.parseLog(bufio.NewReaderSize(out, 1<<20), q, reach)
	if perr != nil {
		// Drain so git is not blocked writing when we wait for it.
		_, _ = io.Copy(io.Discard, out)
	}
	werr := cmd.Wait()
	if reach == Reachable {
		w.listed.Store(true)
	}
	fs.finish(q)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if perr != nil {
		return perr
	}
	if werr != nil {
		// An empty repository has no HEAD; `git log --all` then succeeds,
		// but other revisions fail: say so plainly.
		return gitError([]string{"log"}, werr, stderr.Bytes())
	}
	return nil
}

// parseLog reads the NUL-separated output of logArgs.
func (w *walker) parseLog(r *bufio.Reader, q *queue, reach Reach) error {
	var (
		cur   = -1 // index of the current commit in h.Commits
		state = 0  // 0: expect header or entry, 1: expect date, 2: expect message, 3: expect path
		entry rawEntry
	)
	for {
		tok, err := readToken(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch state {
		case 1:
			w.h.Commits[cur].AuthorDate = string(tok)
			state = 2
			continue
		case 2:
			if w.opt.Message != nil && len(bytes.TrimSpace(tok)) > 0 {
				w.opt.Message(w.h.Commits[cur], tok)
			}
			state = 0
			continue
		case 3:
			state = 0
			w.entry(entry, string(tok), cur, q)
			continue
		}
		tok = bytes.TrimLeft(tok, "\n")
		if len(tok) == 0 {
			continue
		}
		switch tok[0] {
		case 0x1e:
			fields := strings.Fields(string(tok[1:]))
			if len(fields) == 0 {
				return fmt.Errorf("git log: malformed commit header %q", truncate(tok, 80))
			}
			c := &Commit{Hash: fields[0], Seq: len(w.h.Commits), Reach: reach}
			w.h.Commits = append(w.h.Commits, c)
			cur = c.Seq
			w.commitsListed.Add(1)
			state = 1
		case ':':
			e, ok := parseRaw(tok)
			if !ok {
				return fmt.Errorf("git log: malformed raw entry %q", truncate(tok, 120))
			}
			if cur < 0 {
				return fmt.Errorf("git log: raw entry before any commit")
			}
			entry = e
			state = 3
		default:
			// A message holding a NUL byte spills into the next token;
			// skip to the next header or entry.
		}
	}
}

// readToken returns the bytes up to the next NUL (without it). The slice
// is only valid until the next call.
func readToken(r *bufio.Reader) ([]byte, error) {
	tok, err := r.ReadSlice(0)
	if err == nil {
		return tok[:len(tok)-1], nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		if errors.Is(err, io.EOF) && len(tok) > 0 {
			return tok, nil
		}
		return nil, err
	}
	// A long commit message: accumulate.
	buf := append([]byte(nil), tok...)
	for {
		tok, err = r.ReadSlice(0)
		buf = append(buf, tok...)
		if err == nil {
			return buf[:len(buf)-1], nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) && len(buf) > 0 {
				return buf, nil
			}
			return nil, err
		}
	}
}

// rawEntry is the part of a raw diff line that matters: the result side.
type rawEntry struct {
	mode string
	blob string
}

// parseRaw reads ":<old mode> <new mode> <old> <new> <status>" or, for a
// merge of k parents, k colons, k+1 modes, k+1 ids and k status letters.
// The last mode and id are the result.
func parseRaw(tok []byte) (rawEntry, bool) {
	k := 0
	for k < len(tok) && tok[k] == ':' {
		k++
	}
	f := strings.Fields(string(tok[k:]))
	if len(f) != 2*(k+1)+1 {
		return rawEntry{}, false
	}
	return rawEntry{mode: f[k], blob: f[2*k+1]}, true
}

// entry records that commit cur wrote blob e.blob at path, and queues the
// blob when it is new and worth reading.
func (w *walker) entry(e rawEntry, path string, cur int, q *queue) {
	if isZeroID(e.blob) {
		return // deleted
	}
	switch e.mode {
	case "160000", "040000":
		return // a submodule's commit, a tree
	case "120000":
		// A symlink's blob is its target path, not content; remember it
		// so that the unreachable pass does not call it dangling.
		if w.h.blobs[e.blob] == nil {
			w.h.blobs[e.blob] = &blobState{queued: true}
		}
		return
	}
	if w.opt.Exclude != nil && w.opt.Exclude(path) {
		return
	}
	pi := w.intern(path)
	b := w.h.blobs[e.blob]
	if b == nil {
		b = &blobState{path: path}
		w.h.blobs[e.blob] = b
	}
	b.occ = append(b.occ, Occurrence{Commit: int32(cur), Path: pi})
	if b.queued {
		return
	}
	if w.opt.Wants != nil && !w.opt.Wants(path) {
		return
	}
	b.queued = true
	b.path = path
	if w.absent[e.blob] {
		w.partialMiss++
		return
	}
	w.blobsQueued.Add(1)
	q.push(request{id: e.blob, path: path, reach: Reachable})
}

func isZeroID(id string) bool {
	return strings.Trim(id, "0") == ""
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// limitedBuffer keeps the first max bytes written (git's stderr).
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
