package source

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stripeguard/stripeguard/internal/finding"
)

// Staged yields the files staged for commit under root, with the content
// that is staged (the index), not what happens to be in the working tree:
// that is what the commit will hold. It is what a pre-commit hook scans.
func Staged(ctx context.Context, root string, maxSize int64, yield func(*File), warn func(*finding.Warning)) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	top := GitTopLevel(abs)
	if top == "" {
		return fmt.Errorf("--staged needs a git work tree; %s is not in one", root)
	}
	// Paths from diff are relative to the top; keep those under root.
	prefix := ""
	if rel, err := filepath.Rel(top, abs); err == nil && rel != "." {
		prefix = filepath.ToSlash(rel) + "/"
	}
	cmd := exec.CommandContext(ctx, "git", "-C", top, "-c", "core.quotepath=off", "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--no-renames")
	cmd.Env = gitEnv()
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git diff --cached: %w", err)
	}
	var paths []string
	for _, p := range bytes.Split(out, []byte{0}) {
		s := string(p)
		if s == "" || !strings.HasPrefix(s, prefix) || strings.ContainsAny(s, "\n") {
			continue
		}
		paths = append(paths, s)
	}
	if len(paths) == 0 {
		return nil
	}
	cat := exec.CommandContext(ctx, "git", "-C", top, "cat-file", "--batch")
	cat.Env = gitEnv()
	stdin, err := cat.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cat.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cat.Start(); err != nil {
		return err
	}
	go func() {
		for _, p := range paths {
			fmt.Fprintf(stdin, ":%s\n", p)
		}
		stdin.Close()
	}()
	br := bufio.NewReaderSize(stdout, 1<<16)
	for _, p := range paths {
		hdr, err := br.ReadString('\n')
		if err != nil {
			break
		}
		fields := strings.Fields(hdr)
		rel := strings.TrimPrefix(p, prefix)
		if len(fields) < 3 { // "<obj> missing"
			warn(&finding.Warning{File: rel, Kind: finding.WarnUnreadable, Message: "staged blob missing"})
			continue
		}
		size, _ := strconv.ParseInt(fields[2], 10, 64)
		if fields[1] != "blob" || size > maxSize {
			if _, err := io.CopyN(io.Discard, br, size+1); err != nil {
				break
			}
			if size > maxSize {
				warn(&finding.Warning{File: rel, Kind: finding.WarnTooLarge, Message: fmt.Sprintf("%d bytes, over --max-file-size; not scanned", size)})
			}
			continue
		}
		data := make([]byte, size+1)
		if _, err := io.ReadFull(br, data); err != nil {
			break
		}
		f := &File{Rel: rel, Abs: filepath.Join(top, filepath.FromSlash(p)), Size: size, Data: data[:size], Tracked: true}
		if st, err := os.Lstat(f.Abs); err == nil {
			f.Mode = st.Mode()
		}
		yield(f)
	}
	return cat.Wait()
}
