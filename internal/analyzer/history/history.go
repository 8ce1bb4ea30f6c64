// Package history reports the Stripe secrets that ever reached git history
// (stripeguard scan --history). The git-history source
// (internal/source/githistory) hands it every distinct file version and
// commit message once; the same detectors that read the working tree (any
// analyzer.HistoryAnalyzer, i.e. the secrets analyzer) look at them; this
// package folds their findings into one finding per distinct secret,
// located where the secret was introduced, with how many commits and paths
// carry it and whether the working tree still holds it.
//
// It is not registered as a file analyzer: the engine runs it when asked,
// next to the working-tree walk.
package history

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
	"github.com/stripeguard/stripeguard/internal/source/expand"
	"github.com/stripeguard/stripeguard/internal/source/githistory"
)

// Name is the analyzer name reports list and mitigations name in CheckedBy.
const Name = "history"

// MessageFile is the name detectors see for a commit message (git's own
// name for the message being edited).
const MessageFile = "COMMIT_EDITMSG"

// Options configure a history scan.
type Options struct {
	// Revs, Since and MaxCommits narrow the walk (--branch, --since,
	// --max-commits); by default every ref and the objects no ref reaches.
	Revs       []string
	Since      string
	MaxCommits int
	// Unreachable also scans objects no ref reaches (default on in the CLI).
	Unreachable bool
	// MaxBlobSize: larger file versions are skipped with a warning.
	MaxBlobSize int64
	// Exclude drops paths (configuration and --exclude).
	Exclude func(rel string) bool
	// Expand opens archives and bytecode, as for the working tree.
	Expand func(f *source.File, emit func(*source.File), warn func(*finding.Warning)) bool
	// Progress receives the walk's progress (for a progress bar).
	Progress func(githistory.Progress)
}

// Result is a finished history scan, waiting for the working tree's
// verdict (Emit) before it becomes findings.
type Result struct {
	hist    *githistory.History
	root    string
	secrets map[string]*secret
	binary  int
	binEx   string
}

// secret is everything seen about one distinct secret.
type secret struct {
	key string
	// byBlob is the first hit in each file version holding it.
	byBlob map[string]*hit
	// msgs are the commits whose message holds it; msgHit the first.
	msgs   []int32
	msgHit *hit
}

// hit is the detector's finding for a secret in one blob or message.
type hit struct {
	f *finding.Finding
	// member is "!inner/path" when the secret is inside an archive member.
	member   string
	lineText string
}

// Scan walks the history of the repository holding root with the
// detectors. warn receives unreadable input; the scan goes on.
func Scan(ctx context.Context, root string, opt Options, detectors []analyzer.FileAnalyzer, warn func(*finding.Warning)) (*Result, error) {
	r := &Result{root: root, secrets: map[string]*secret{}}
	var mu sync.Mutex
	record := func(blob string, commit int32, member string, data []byte, fs []*finding.Finding) {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range fs {
			s := r.secrets[f.Secret]
			if s == nil {
				s = &secret{key: f.Secret, byBlob: map[string]*hit{}}
				r.secrets[f.Secret] = s
			}
			h := &hit{f: f, member: member}
			if member == "" {
				h.lineText = lineAt(data, f.Line)
			}
			if blob == "" {
				s.msgs = append(s.msgs, commit)
				if s.msgHit == nil {
					s.msgHit = h
				}
				continue
			}
			if prev := s.byBlob[blob]; prev == nil || (prev.member != "" && member == "") {
				s.byBlob[blob] = h
			}
		}
	}
	wants := func(p string) bool {
		f := &source.File{Rel: p}
		for _, d := range detectors {
			if d.Wants(f) {
				return true
			}
		}
		return false
	}
	var binMu sync.Mutex
	onBlob := func(b *githistory.Blob) {
		f := &source.File{Rel: b.Path, Size: int64(len(b.Data)), Data: b.Data, Tracked: true}
		if b.Path == "" {
			f.Rel = "dangling-blob-" + b.ID
		}
		if text, ok := source.DecodeUTF16or32(b.Data); ok {
			// UTF-16/32 text holds NUL bytes but is text, as in the
			// working tree.
			f.Data, f.Size = text, int64(len(text))
		}
		binary := expand.IsBinary(f.Data)
		if opt.Expand != nil && binary {
			base := f.Rel
			if opt.Expand(f, func(m *source.File) {
				if expand.IsBinary(m.Data) {
					return
				}
				record(b.ID, -1, strings.TrimPrefix(m.Rel, base), nil, detect(ctx, detectors, m))
			}, func(w *finding.Warning) {
				// An archive in history that cannot be opened is
				// worth a warning once, under the path it had.
				w.Message = "in git history (blob " + b.ID + "): " + w.Message
				warn(w)
			}) {
				return
			}
		}
		if binary {
			binMu.Lock()
			r.binary++
			if r.binEx == "" {
				r.binEx = f.Rel
			}
			binMu.Unlock()
			return
		}
		record(b.ID, -1, "", f.Data, detect(ctx, detectors, f))
	}
	onMessage := func(c *githistory.Commit, msg []byte) {
		f := &source.File{Rel: MessageFile, Size: int64(len(msg)), Data: msg, Tracked: true}
		record("", int32(c.Seq), "", msg, detect(ctx, detectors, f))
	}
	h, err := githistory.Walk(ctx, githistory.Options{
		Dir:         root,
		Revs:        opt.Revs,
		Since:       opt.Since,
		MaxCommits:  opt.MaxCommits,
		Unreachable: opt.Unreachable,
		MaxBlobSize: opt.MaxBlobSize,
		Exclude:     opt.Exclude,
		Wants:       wants,
		Blob:        onBlob,
		Message:     onMessage,
		Warn:        warn,
		Progress:    opt.Progress,
	})
	if err != nil {
		return nil, err
	}
	r.hist = h
	if r.binary > 0 {
		warn(&finding.Warning{File: r.binEx, Kind: finding.WarnBinary,
			Message: fmt.Sprintf("%s in git history not scanned (not text, not an archive)", plural(r.binary, "binary file version"))})
	}
	return r, nil
}

// detect runs the detectors on one file version and keeps what names a
// secret: credentials, not documentation keys or file-level hygiene.
func detect(ctx context.Context, detectors []analyzer.FileAnalyzer, f *source.File) []*finding.Finding {
	var c finding.Collector
	for _, d := range detectors {
		if d.Wants(f) {
			d.File(ctx, f, &c)
		}
	}
	out := c.Findings[:0]
	for _, x := range c.Findings {
		if x.Secret != "" && x.Severity > finding.Info {
			out = append(out, x)
		}
	}
	return out
}

// lineAt returns line n (1-based) of data, at most 4 KiB of it.
func lineAt(data []byte, n int) string {
	if n < 1 {
		return ""
	}
	start := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data[start:], '\n')
		if j < 0 {
			return ""
		}
		start += j + 1
	}
	end := bytes.IndexByte(data[start:], '\n')
	if end < 0 {
		end = len(data) - start
	}
	return string(data[start : start+min(end, 4096)])
}

// History is the walk's summary (commits, shallow, narrowed, ...).
func (r *Result) History() *githistory.History { return r.hist }

// Secrets lists the distinct secrets found, for the working-tree check.
func (r *Result) Secrets() []string {
	out := make([]string, 0, len(r.secrets))
	for k := range r.secrets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Notes are the facts about the walk a report should show.
func (r *Result) Notes() []string {
	h := r.hist
	var notes []string
	switch {
	case len(h.Commits) == 0 && h.Narrowed == "":
		notes = append(notes, "git history: the repository has no commits yet")
	default:
		what := "every ref"
		if h.Narrowed != "" {
			what = h.Narrowed
		}
		s := fmt.Sprintf("git history: %s (%s), %s (%s) and every commit message scanned", plural(len(h.Commits), "commit"), what, plural(h.Blobs, "file version"), humanBytes(h.Bytes))
		if h.Unreachable {
			s += fmt.Sprintf("; objects no ref reaches: %s, %s, %s", plural(h.ReflogCommits, "reflog-only commit"), plural(h.DanglingCommits, "dangling commit"), plural(h.DanglingBlobs, "dangling blob"))
		} else if h.UnreachableSkipped != "" {
			s += "; objects no ref reaches were not scanned (" + h.UnreachableSkipped + ")"
		}
		notes = append(notes, s)
	}
	if h.Shallow {
		notes = append(notes, fmt.Sprintf("git history is partial: this is a shallow clone (%s); keys committed before the boundary are not seen and keys found there may be older than reported (git fetch --unshallow for the full history)", plural(len(h.Boundary), "boundary commit")))
	}
	if h.Partial {
		notes = append(notes, "git history: partial clone; file versions the clone filter left on the server were not scanned")
	}
	if h.Bare {
		notes = append(notes, "bare repository: no working tree, only history was scanned")
	}
	return notes
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// place is one candidate introduction of a secret.
type place struct {
	commit *githistory.Commit // nil for a dangling blob
	path   string
	blob   string
	h      *hit
}

// better reports whether a is a better "introduced" than b: reachable
// commits first, then the oldest (the latest in walk order).
func better(a, b place) bool {
	ar, br := reachRank(a.commit), reachRank(b.commit)
	if ar != br {
		return ar < br
	}
	if a.commit == nil || b.commit == nil {
		return a.blob < b.blob
	}
	if a.commit.Seq != b.commit.Seq {
		return a.commit.Seq > b.commit.Seq
	}
	// The same commit: a file before the message, then path order.
	if (a.blob == "") != (b.blob == "") {
		return a.blob != ""
	}
	return a.path < b.path
}

func reachRank(c *githistory.Commit) int {
	if c == nil {
		return 3
	}
	switch c.Reach {
	case githistory.Reachable:
		return 0
	case githistory.Reflog:
		return 1
	}
	return 2
}

// Emit turns each distinct secret into a finding. inTree reports whether
// the working tree still holds a secret (the engine knows from its own
// scan); files at the paths that held it are also read, so a key is not
// called removed just because the working-tree scan skipped its file.
// With no secret at all, it records that the mitigation is in place.
func (r *Result) Emit(sink finding.Sink, inTree func(secret string) bool) {
	keys := r.Secrets()
	for _, k := range keys {
		if f := r.finding(r.secrets[k], inTree); f != nil {
			sink.Finding(f)
		}
	}
	if len(keys) == 0 && len(r.hist.Commits) > 0 {
		detail := fmt.Sprintf("no Stripe secret in the %s of git history scanned", plural(len(r.hist.Commits), "commit"))
		if r.hist.Unreachable {
			detail += " nor in objects no ref reaches"
		}
		if r.hist.Narrowed != "" {
			detail += " (" + r.hist.Narrowed + ")"
		}
		if r.hist.Shallow {
			detail += " (shallow clone: older history not seen)"
		}
		sink.Observation(&finding.Observation{Mitigation: MitigationRotated, State: finding.InPlace, Detail: detail})
	}
}

func (r *Result) finding(s *secret, inTree func(string) bool) *finding.Finding {
	h := r.hist
	var best place
	found := false
	commits := map[int32]bool{}
	paths := map[string]bool{}
	consider := func(p place) {
		if !found || better(p, best) {
			best, found = p, true
		}
	}
	for blob, ht := range s.byBlob {
		for _, o := range h.Occurrences(blob) {
			p := place{commit: h.Commit(o.Commit), path: h.Path(o.Path), blob: blob, h: ht}
			if o.Commit >= 0 {
				commits[o.Commit] = true
			}
			if p.path != "" {
				paths[p.path] = true
			}
			consider(p)
		}
	}
	for _, c := range s.msgs {
		commits[c] = true
		consider(place{commit: h.Commit(c), h: s.msgHit})
	}
	if !found {
		return nil
	}
	d := best.h.f
	f := KeyInHistory.New()
	f.Severity = d.Severity
	f.Threat = d.Threat
	f.Secret = s.key
	f.Evidence = d.Evidence
	f.Context = d.Context
	hist := &finding.History{
		Blob:       best.blob,
		Commits:    len(commits),
		Paths:      len(paths),
		Reach:      githistory.Reachable.String(),
		DetectedBy: d.RuleID,
		LineText:   best.h.lineText,
	}
	if best.commit != nil {
		f.Commit = best.commit.Hash
		hist.AuthorDate = best.commit.AuthorDate
		hist.Reach = best.commit.Reach.String()
		for _, b := range h.Boundary {
			if b == best.commit.Hash {
				hist.Partial = true
			}
		}
	} else {
		hist.Reach = githistory.DanglingBlob.String()
		f.Context = "dangling blob " + short(best.blob)
	}
	if best.blob == "" {
		hist.InMessage = true
		f.Context = "commit message"
	} else {
		f.File = best.path + best.h.member
		f.Line, f.Column, f.EndLine, f.EndColumn = d.Line, d.Column, d.EndLine, d.EndColumn
	}
	for p := range paths {
		hist.PathList = append(hist.PathList, p)
	}
	sort.Strings(hist.PathList)
	if len(hist.PathList) > 10 {
		hist.PathList = hist.PathList[:10]
	}
	hist.InWorkingTree = (inTree != nil && inTree(s.key)) || r.onDisk(s.key, paths)
	f.History = hist
	f.Message, f.Mitigation = describe(s.key, d, best, hist)
	return f
}

// onDisk reads the working-tree files at the paths that held the secret.
func (r *Result) onDisk(key string, paths map[string]bool) bool {
	if r.hist.Bare {
		return false
	}
	for p := range paths {
		full := filepath.Join(r.root, filepath.FromSlash(p))
		st, err := os.Stat(full)
		if err != nil || !st.Mode().IsRegular() || st.Size() > 64<<20 {
			continue
		}
		if data, err := os.ReadFile(full); err == nil && bytes.Contains(data, []byte(key)) {
			return true
		}
	}
	return false
}

// credName names a credential from its prefix.
func credName(key string) string {
	switch {
	case strings.HasPrefix(key, "sk_live_"):
		return "Stripe live secret key"
	case strings.HasPrefix(key, "rk_live_"):
		return "Stripe live restricted key"
	case strings.HasPrefix(key, "sk_test_"):
		return "Stripe test secret key"
	case strings.HasPrefix(key, "rk_test_"):
		return "Stripe test restricted key"
	case strings.HasPrefix(key, "whsec_"):
		return "Stripe webhook signing secret"
	}
	return "Stripe secret"
}

func rotateText(key string) string {
	if strings.HasPrefix(key, "whsec_") {
		return "Rotate this signing secret in the Stripe dashboard (Developers > Webhooks > endpoint > Roll secret)"
	}
	return "Rotate this key in the Stripe dashboard (Developers > API keys > Roll key)"
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func day(iso string) string {
	if len(iso) >= 10 {
		return iso[:10]
	}
	return iso
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// describe writes the message and the mitigation of a history finding.
func describe(key string, d *finding.Finding, best place, h *finding.History) (msg, fix string) {
	what := d.Message
	if h.InMessage || h.Reach == "dangling-blob" || what == "" {
		what = credName(key)
	}
	spread := plural(h.Commits, "commit")
	if h.Paths > 0 {
		spread += ", " + plural(h.Paths, "path")
	}
	rotate := rotateText(key)
	switch h.Reach {
	case "dangling-blob":
		msg = fmt.Sprintf("%s, only in blob %s: a file version that was staged but never committed, kept in the object store until garbage collection", what, short(h.Blob))
		fix = rotate + "; removing it from the code does not revoke it. Then prune the object: git gc --prune=now."
		return
	case "reflog", "dangling-commit":
		how := "which nothing references any more (dangling until garbage collection)"
		if h.Reach == "reflog" {
			how = "which no branch or tag reaches any more (amended, rebased or reset away) but the reflog keeps"
		}
		where := "in"
		if h.InMessage {
			where = "in the message of"
		}
		msg = fmt.Sprintf("%s, only %s commit %s (%s), %s", what, where, short(best.commit.Hash), day(h.AuthorDate), how)
		fix = rotate + "; removing it from the code does not revoke it. Then drop the leftovers (git reflog expire --expire-unreachable=now --all && git gc --prune=now); if the commit was ever pushed, the host may still serve it by id."
		return
	}
	msg = what
	if h.InMessage {
		msg = fmt.Sprintf("%s in the message of commit %s", what, short(best.commit.Hash))
	}
	if h.InWorkingTree {
		msg += fmt.Sprintf("; in git history since %s and still in the working tree (%s)", day(h.AuthorDate), spread)
		fix = "Remove it from the code and read it from the environment or a secret manager, then " + strings.ToLower(rotate[:1]) + rotate[1:] +
			": it has been in git history since " + day(h.AuthorDate) + ", and removing it from the code does not revoke it."
	} else {
		msg += fmt.Sprintf("; committed on %s and removed since, but still in git history (%s)", day(h.AuthorDate), spread)
		fix = rotate + "; removing it from the code does not revoke it: every clone, fork and backup of the repository keeps the history. Rewriting history (git filter-repo) is optional cleanup after rotation, never a substitute."
	}
	if h.Partial {
		msg += "; shallow clone: it may be older than this boundary commit"
	}
	return
}

// ApplyVerification updates a history finding once the Stripe API has
// answered about its key (--verify). A revoked key becomes an info finding
// of its own rule, and the rotation mitigation is recorded as in place for
// it; an active one says so. It returns the observation to record, if any.
func ApplyVerification(f *finding.Finding) *finding.Observation {
	if f.History == nil || f.Verification == nil {
		return nil
	}
	switch f.Verification.State {
	case finding.KeyInactive:
		f.RuleID = RevokedKeyInHistory.ID
		f.Severity = RevokedKeyInHistory.Severity
		f.Message += "; the Stripe API rejects it, so it has been rotated"
		f.Mitigation = RevokedKeyInHistory.Mitigation
		where := f.File
		if where == "" {
			where = "commit message"
		}
		return &finding.Observation{Mitigation: MitigationRotated, State: finding.InPlace,
			Detail: fmt.Sprintf("%s %s from git history is revoked (%s)", credName(f.Secret), finding.Redact(f.Secret), f.Verification.Detail),
			File:   strings.TrimSuffix(where, "!"), Line: f.Line}
	case finding.KeyActive:
		f.Message += "; the Stripe API accepts it: it is live now"
	default:
		f.Message += "; whether it still works is unknown (" + f.Verification.Detail + ")"
	}
	return nil
}
