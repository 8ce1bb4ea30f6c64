package githistory

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// request is a blob to read.
type request struct {
	id    string
	path  string
	reach Reach
}

// queue holds the blobs of one phase in the order `git log` named them.
// The first fetcher follows the log as it runs; when the log ends, what is
// left is cut into contiguous ranges, one per extra fetcher. Contiguous
// ranges matter: neighbouring blobs are often versions of the same file,
// stored as deltas of one another, and each git process caches delta bases
// (measured: interleaving blobs between two processes was slower than one).
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []request
	closed bool
	dead   bool // context cancelled
}

func newQueue(ctx context.Context) *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.dead = true
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	return q
}

func (q *queue) push(r request) {
	q.mu.Lock()
	q.items = append(q.items, r)
	q.mu.Unlock()
	q.cond.Signal()
}

// fetcher is one `git cat-file --batch` process reading items[next:end]
// (end follows the queue while open).
type fetcher struct {
	next, end int
	open      bool
}

// take returns the fetcher's next request; with block it waits for the log
// to name more while the fetcher is open.
func (q *queue) take(f *fetcher, block bool) (request, bool, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.dead {
			return request{}, false, true
		}
		end := f.end
		if f.open {
			end = len(q.items)
		}
		if f.next < end {
			r := q.items[f.next]
			f.next++
			return r, true, false
		}
		if !f.open {
			return request{}, false, true
		}
		if !block {
			return request{}, false, false
		}
		q.cond.Wait()
	}
}

// minPerFetcher is the least number of blobs worth starting another git
// process for.
const minPerFetcher = 256

// fetchers runs the cat-file processes of one phase and the goroutines
// that hand blobs to Options.Blob.
type fetchers struct {
	w     *walker
	ctx   context.Context
	first *fetcher
	wg    sync.WaitGroup // fetchers
	jobs  chan *job
	work  sync.WaitGroup // workers
	k     int
}

type job struct {
	blob Blob
	buf  *[]byte
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (w *walker) startFetchers(ctx context.Context, q *queue) *fetchers {
	n := runtime.GOMAXPROCS(0)
	fs := &fetchers{w: w, ctx: ctx, k: w.opt.Fetchers, jobs: make(chan *job, 2*n)}
	for i := 0; i < n; i++ {
		fs.work.Add(1)
		go func() {
			defer fs.work.Done()
			for j := range fs.jobs {
				if w.opt.Blob != nil && ctx.Err() == nil {
					w.opt.Blob(&j.blob)
				}
				w.blobsDone.Add(1)
				w.bytes.Add(int64(len(j.blob.Data)))
				if cap(*j.buf) <= 1<<20 {
					*j.buf = (*j.buf)[:0]
					bufPool.Put(j.buf)
				}
			}
		}()
	}
	fs.first = &fetcher{open: true}
	fs.spawn(q, fs.first)
	return fs
}

// finish is called when the log has named every blob: it splits what the
// first fetcher has not taken yet, waits for every blob to be handled.
func (fs *fetchers) finish(q *queue) {
	q.mu.Lock()
	q.closed = true
	a := fs.first
	rem := len(q.items) - a.next
	parts := min(fs.k, rem/minPerFetcher)
	a.open = false
	a.end = len(q.items)
	var extra []*fetcher
	if parts > 1 {
		chunk := (rem + parts - 1) / parts
		a.end = a.next + chunk
		for i := 1; i < parts; i++ {
			start := a.next + i*chunk
			if start >= len(q.items) {
				break
			}
			extra = append(extra, &fetcher{next: start, end: min(start+chunk, len(q.items))})
		}
	}
	q.cond.Broadcast()
	q.mu.Unlock()
	for _, f := range extra {
		fs.spawn(q, f)
	}
	fs.wg.Wait()
	close(fs.jobs)
	fs.work.Wait()
}

// spawn starts one cat-file process for fetcher f.
func (fs *fetchers) spawn(q *queue, f *fetcher) {
	fs.wg.Add(1)
	go func() {
		defer fs.wg.Done()
		if err := fs.run(q, f); err != nil && fs.ctx.Err() == nil {
			fs.w.opt.Warn(&finding.Warning{Kind: finding.WarnUnreadable, Message: "reading history blobs: " + err.Error() + "; some blobs were not scanned"})
			// Consume the rest of the range so the queue does not wait on
			// this fetcher.
			for {
				if _, ok, done := q.take(f, true); !ok && done {
					return
				}
			}
		}
	}()
}

func (fs *fetchers) run(q *queue, f *fetcher) error {
	cmd := fs.w.g.command(fs.ctx, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{b: &stderr, max: 4096}
	if err := cmd.Start(); err != nil {
		return err
	}
	// The writer feeds ids and tells the reader, in the same order, what
	// it asked for; git answers in order.
	reqs := make(chan request, 4096)
	go func() {
		defer close(reqs)
		defer stdin.Close()
		bw := bufio.NewWriterSize(stdin, 32<<10)
		for {
			r, ok, done := q.take(f, false)
			if !ok && !done {
				// Caught up with the log: let git see what we have.
				if bw.Flush() != nil {
					return
				}
				r, ok, _ = q.take(f, true)
			}
			if !ok {
				_ = bw.Flush()
				return
			}
			reqs <- r
			if _, err := bw.WriteString(r.id + "\n"); err != nil {
				return
			}
		}
	}()
	rerr := fs.read(bufio.NewReaderSize(stdout, 256<<10), reqs)
	if rerr != nil {
		// Stop git, so the writer's next write fails and it ends.
		_ = cmd.Process.Kill()
		go func() { _, _ = io.Copy(io.Discard, stdout) }()
		for range reqs {
		}
	}
	werr := cmd.Wait()
	if rerr != nil {
		return rerr
	}
	if werr != nil {
		return gitError([]string{"cat-file"}, werr, stderr.Bytes())
	}
	return nil
}

// read parses cat-file's answers: "<id> blob <size>\n<data>\n", or
// "<id> missing\n".
func (fs *fetchers) read(br *bufio.Reader, reqs <-chan request) error {
	w := fs.w
	for r := range reqs {
		hdr, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("git cat-file ended early")
			}
			return err
		}
		f := bytes.Fields(hdr)
		if len(f) == 2 && string(f[1]) == "missing" {
			w.mu.Lock()
			w.nMissing++
			if len(w.missing) < 3 {
				w.missing = append(w.missing, fmt.Sprintf("%s (%s)", orDangling(r.path), r.id))
			}
			w.mu.Unlock()
			continue
		}
		if len(f) != 3 || string(f[0]) != r.id {
			return fmt.Errorf("git cat-file: unexpected answer %q for %s", truncate(hdr, 80), r.id)
		}
		size, err := strconv.ParseInt(string(f[2]), 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("git cat-file: bad size in %q", truncate(hdr, 80))
		}
		// hdr points into br's buffer: copy what is needed before reading on.
		isBlob := string(f[1]) == "blob"
		if !isBlob || size > w.opt.MaxBlobSize {
			if _, err := io.CopyN(io.Discard, br, size+1); err != nil {
				return err
			}
			if isBlob {
				w.mu.Lock()
				w.tooLarge++
				w.mu.Unlock()
				w.opt.Warn(&finding.Warning{File: r.path, Kind: finding.WarnTooLarge,
					Message: fmt.Sprintf("history blob %s is %d bytes, over --max-file-size (%d); not scanned", r.id, size, w.opt.MaxBlobSize)})
			}
			continue
		}
		bp := bufPool.Get().(*[]byte)
		if int64(cap(*bp)) < size+1 {
			*bp = make([]byte, 0, size+1)
		}
		data := (*bp)[:size+1]
		if _, err := io.ReadFull(br, data); err != nil {
			return err
		}
		*bp = data
		select {
		case fs.jobs <- &job{blob: Blob{ID: r.id, Path: r.path, Data: data[:size], Reach: r.reach}, buf: bp}:
		case <-fs.ctx.Done():
			return fs.ctx.Err()
		}
	}
	return nil
}

func orDangling(p string) string {
	if p == "" {
		return "dangling blob"
	}
	return p
}
