package history

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// BenchmarkScan is the history scan with the real key detectors over 3000
// commits of 8 KiB Python files, a key in one version in fifty.
func BenchmarkScan(b *testing.B) {
	repo := testutil.NewGitRepo(b)
	var fi strings.Builder
	line := strings.Repeat("    total = compute(order, currency='usd')  # realistic width\n", 130)
	const n = 3000
	for i := 0; i < n; i++ {
		data := fmt.Sprintf("# version %d\n%s", i, line)
		if i%50 == 0 {
			data += fmt.Sprintf("KEY = %q\n", liveKey[:len(liveKey)-4]+fmt.Sprintf("%04d", i))
		}
		fmt.Fprintf(&fi, "commit refs/heads/main\ncommitter Dev <dev@example.com> %d +0000\ndata 6\nc%05d\n", 1600000000+i, i)
		fmt.Fprintf(&fi, "M 100644 inline pkg/mod%02d.py\ndata %d\n%s\n", i%50, len(data), data)
	}
	if _, err := repo.GitInput([]byte(fi.String()), "fast-import", "--quiet"); err != nil {
		b.Fatal(err)
	}
	det := []analyzer.FileAnalyzer{secrets.New(analyzer.Options{})}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var c finding.Collector
		res, err := Scan(context.Background(), repo.Dir, Options{}, det, c.Warning)
		if err != nil {
			b.Fatal(err)
		}
		res.Emit(&c, nil)
		if len(c.Findings) != n/50 {
			b.Fatalf("%d findings", len(c.Findings))
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "commits/s")
}
