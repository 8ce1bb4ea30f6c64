// Command gensnapshot builds the advisory snapshot built into stripeguard
// (internal/osv/snapshot/pypa.sgidx) from a checkout of the PyPA advisory
// database (https://github.com/pypa/advisory-database, CC-BY-4.0). The
// output depends only on the records and the flags, so running it again on
// the same commit gives the same bytes (TestEmbeddedSnapshotIsCurrent checks
// the committed file that way). Run through `go generate ./internal/osv`.
//
//	go run ./internal/osv/gensnapshot -in ../shared/data/pypa-advisory-db \
//	    -commit 3ccb612573e2511ab5cad7dafecd838605c80cda -date 2024-10-10T17:35:05Z \
//	    -out internal/osv/snapshot/pypa.sgidx
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/stripeguard/stripeguard/internal/osv"
)

func main() {
	in := flag.String("in", "", "PyPA advisory-database checkout (holding vulns/)")
	commit := flag.String("commit", "", "upstream commit the checkout is at")
	date := flag.String("date", "", "that commit's date (RFC 3339): the snapshot's date")
	out := flag.String("out", "", "index file to write")
	flag.Parse()
	if err := run(*in, *commit, *date, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gensnapshot:", err)
		os.Exit(1)
	}
}

func run(in, commit, date, out string) error {
	if in == "" || commit == "" || date == "" || out == "" {
		return fmt.Errorf("-in, -commit, -date and -out are required")
	}
	var buf bytes.Buffer
	st, err := osv.BuildSnapshot(&buf, filepath.Join(in, "vulns"), commit, date)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d records (%d withdrawn), %d packages, newest %s, %d bytes\n",
		out, st.Records, st.Withdrawn, st.Packages, st.Newest.Format(time.DateOnly), buf.Len())
	return nil
}
