package githistory

import (
	"bufio"
	"bytes"
	"context"
	"sort"
	"strings"
)

// unreachable walks what the object store holds but no ref reaches:
// commits left by amend, rebase, reset or a dropped stash (still in the
// reflog or fully dangling) and blobs no commit holds (git add without a
// commit). gc deletes them eventually; until then anyone with a copy of
// the .git directory can read them, and a host that received a push may
// keep them reachable by id.
//
// Listing every object id (cat-file --batch-all-objects, trees and blobs
// are not inflated) and subtracting what the reachable walk saw is about
// ten times faster than `git fsck --unreachable`.
func (w *walker) unreachable(ctx context.Context) error {
	out, err := w.g.output(ctx, nil, "cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objecttype) %(objectname)")
	if err != nil {
		return err
	}
	seenCommit := make(map[string]bool, len(w.h.Commits))
	for _, c := range w.h.Commits {
		seenCommit[c.Hash] = true
	}
	var commits, blobs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 256), 1<<16)
	for sc.Scan() {
		typ, id, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch typ {
		case "commit":
			if !seenCommit[id] {
				commits = append(commits, id)
			}
		case "blob":
			if w.h.blobs[id] == nil {
				blobs = append(blobs, id)
			}
		}
	}
	if len(commits) == 0 && len(blobs) == 0 {
		return nil
	}
	// Blobs in the index are staged work, not leftovers.
	if len(blobs) > 0 && !w.h.Bare {
		if idx, err := w.g.output(ctx, nil, "ls-files", "--stage", "-z"); err == nil {
			staged := map[string]bool{}
			for _, rec := range bytes.Split(idx, []byte{0}) {
				// "<mode> <id> <stage>\t<path>"
				f := bytes.Fields(rec)
				if len(f) >= 2 {
					staged[string(f[1])] = true
				}
			}
			blobs = filter(blobs, func(id string) bool { return !staged[id] })
		}
	}
	if len(commits) > 0 {
		sort.Strings(commits)
		// Commits a reflog still reaches.
		reflog := map[string]bool{}
		if out, err := w.g.output(ctx, nil, "rev-list", "--reflog", "--not", "--all"); err == nil {
			for _, id := range strings.Fields(string(out)) {
				reflog[id] = true
			}
		}
		first := len(w.h.Commits)
		// --no-walk shows each listed commit once, diffed against its
		// parents, newest first.
		if err := w.phase(ctx, []string{"--no-walk", "--stdin"}, []byte(strings.Join(commits, "\n")+"\n"), DanglingCommit); err != nil {
			return err
		}
		for _, c := range w.h.Commits[first:] {
			if reflog[c.Hash] {
				c.Reach = Reflog
				w.h.ReflogCommits++
			} else {
				w.h.DanglingCommits++
			}
		}
		// Blobs those commits introduced are not dangling.
		blobs = filter(blobs, func(id string) bool { return w.h.blobs[id] == nil })
	}
	if len(blobs) == 0 {
		return nil
	}
	sort.Strings(blobs)
	w.h.DanglingBlobs = len(blobs)
	q := newQueue(ctx)
	fs := w.startFetchers(ctx, q)
	for _, id := range blobs {
		w.h.blobs[id] = &blobState{occ: []Occurrence{{Commit: -1, Path: -1}}, queued: true}
		w.blobsQueued.Add(1)
		q.push(request{id: id, reach: DanglingBlob})
	}
	fs.finish(q)
	return ctx.Err()
}

func filter(ids []string, keep func(string) bool) []string {
	out := ids[:0]
	for _, id := range ids {
		if keep(id) {
			out = append(out, id)
		}
	}
	return out
}
