package githistory

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

// benchRepo builds a repository of n commits, each rewriting one of 50
// files of about 8 KiB (so every commit adds a new blob), with fast-import.
func benchRepo(b *testing.B, n int) *testutil.GitRepo {
	b.Helper()
	repo := testutil.NewGitRepo(b)
	var fi strings.Builder
	line := strings.Repeat("    total = compute(order, currency='usd')  # realistic width\n", 130)
	for i := 0; i < n; i++ {
		data := fmt.Sprintf("# version %d\n%s", i, line)
		fmt.Fprintf(&fi, "commit refs/heads/main\ncommitter Dev <dev@example.com> %d +0000\ndata 6\nc%05d\n", 1600000000+i, i)
		fmt.Fprintf(&fi, "M 100644 inline pkg/mod%02d.py\ndata %d\n%s\n", i%50, len(data), data)
	}
	if _, err := repo.GitInput([]byte(fi.String()), "fast-import", "--quiet"); err != nil {
		b.Fatal(err)
	}
	return repo
}

// BenchmarkWalk measures the source alone: list commits, read every new
// blob once. Reported: commits/s and MB/s of blob text.
func BenchmarkWalk(b *testing.B) {
	const n = 3000
	repo := benchRepo(b, n)
	b.ResetTimer()
	var bytes int64
	for i := 0; i < b.N; i++ {
		h, err := Walk(context.Background(), Options{Dir: repo.Dir, Blob: func(*Blob) {}})
		if err != nil {
			b.Fatal(err)
		}
		if len(h.Commits) != n {
			b.Fatalf("%d commits", len(h.Commits))
		}
		bytes = h.Bytes
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "commits/s")
	b.ReportMetric(float64(bytes*int64(b.N))/1e6/b.Elapsed().Seconds(), "MB/s")
}
