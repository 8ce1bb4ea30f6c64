package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/stripeguard/stripeguard/internal/clock"
	"github.com/stripeguard/stripeguard/internal/osv"
)

func init() {
	Register(&Command{Name: "db", Summary: "manage the offline advisory data (db update, db info)", Run: runDB})
}

func runDB(args []string, std Stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := std.Err
		if len(args) > 0 {
			w = std.Out
		}
		fmt.Fprintln(w, "Usage: stripeguard db update [--url URL | --from PATH] [--db PATH] [--timeout D]")
		fmt.Fprintln(w, "       stripeguard db info [--db PATH]")
		fmt.Fprintln(w, "\nupdate downloads OSV's PyPI advisories (or installs them from an all.zip or a record tree")
		fmt.Fprintln(w, "with --from) into the user cache; scans use the cache, else the snapshot built into stripeguard.")
		if len(args) == 0 {
			return ExitError
		}
		return ExitOK
	}
	switch args[0] {
	case "update":
		return runDBUpdate(args[1:], std)
	case "info":
		return runDBInfo(args[1:], std)
	}
	return Fail(std, fmt.Errorf("unknown db subcommand %q (want update or info)", args[0]))
}

// dbURLEnv overrides the download URL (mirrors, air-gapped proxies, tests).
const dbURLEnv = "STRIPEGUARD_DB_URL"

func runDBUpdate(args []string, std Stdio) int {
	fs := newFlagSet("db update", "db update [flags]", std.Err)
	def := osv.DefaultURL
	if u := os.Getenv(dbURLEnv); u != "" {
		def = u
	}
	url := fs.String("url", def, "download `URL` of an OSV ecosystem zip (env "+dbURLEnv+")")
	from := fs.String("from", "", "install from a local `PATH` instead of downloading: an osv.dev all.zip or a directory of OSV records (machines without network access)")
	dest := fs.String("db", "", "install the advisory index at `PATH` instead of the user cache (scan with --db PATH)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this `duration`")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		return Fail(std, err)
	}
	if len(pos) > 0 {
		return Fail(std, fmt.Errorf("db update takes no arguments"))
	}
	urlSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "url" {
			urlSet = true
		}
	})
	if *from != "" && urlSet {
		return Fail(std, fmt.Errorf("--from and --url exclude each other"))
	}
	inCache := *dest == ""
	if inCache {
		if *dest, err = osv.DefaultPath(); err != nil {
			return Fail(std, err)
		}
	}
	opt := osv.UpdateOptions{URL: *url, Dest: *dest, Now: clock.Now()}
	var res osv.UpdateResult
	if *from != "" {
		res, err = osv.UpdateFrom(*from, opt)
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		if isTerminal(std.Err) {
			opt.Progress = std.Err
		}
		res, err = osv.Update(ctx, opt)
	}
	if err != nil {
		// Say what scans will use now, truthfully: the data that was
		// there before, or the built-in snapshot.
		msg := err.Error() + "; " + fallbackText(*dest, inCache, opt.Now)
		if *from == "" && errors.Is(err, osv.ErrOffline) {
			msg += "; without network access, download " + osv.DefaultURL + " elsewhere and run 'stripeguard db update --from all.zip'"
		}
		return Fail(std, errors.New(msg))
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(std.Err, "warning: %s: %s\n", w.File, w.Message)
	}
	if res.Unreadable > len(res.Warnings) {
		fmt.Fprintf(std.Err, "warning: %d advisory records could not be read and were left out\n", res.Unreadable)
	}
	source := *url
	if *from != "" {
		source = *from
	}
	if res.NotModified {
		fmt.Fprintf(std.Out, "advisory data already current: %s (unchanged at %s; %d records, newest %s)\n", res.Path, source, res.Records, day(res.Newest))
		return ExitOK
	}
	size := ""
	if res.Bytes > 0 {
		size = fmt.Sprintf(", %.1f MB", float64(res.Bytes)/1e6)
	}
	fmt.Fprintf(std.Out, "advisory data updated: %s (%d records, %d withdrawn, %d packages; newest record %s) from %s%s\n",
		res.Path, res.Records, res.Withdrawn, res.Packages, day(res.Newest), source, size)
	return ExitOK
}

func day(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.DateOnly)
}

// fallbackText says which data scans use after a failed update.
func fallbackText(dest string, inCache bool, now time.Time) string {
	if !inCache {
		if db, err := osv.Load(dest); err == nil {
			defer db.Close()
			return "the data at " + dest + " is unchanged (newest record " + day(db.Newest) + ")"
		}
		return "nothing was installed at " + dest
	}
	db, err := osv.Open("")
	if err != nil {
		return "no advisory data is available: " + err.Error()
	}
	defer db.Close()
	if db.From == osv.FromCache {
		return fmt.Sprintf("scans keep using the cached data at %s (fetched %s ago, newest record %s)", db.Source, osv.HumanAge(db.Age(now)), day(db.Newest))
	}
	return fmt.Sprintf("scans use the snapshot built into stripeguard (newest record %s, %s old)", day(db.Newest), osv.HumanAge(now.Sub(db.Newest)))
}

func runDBInfo(args []string, std Stdio) int {
	fs := newFlagSet("db info", "db info [flags]", std.Err)
	p := fs.String("db", "", "advisory data `PATH` (index, OSV zip, directory of records, or file; default: what scans use)")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		return Fail(std, err)
	}
	if len(pos) > 0 {
		return Fail(std, fmt.Errorf("db info takes no arguments"))
	}
	db, err := osv.Open(*p)
	if err != nil {
		return Fail(std, err)
	}
	defer db.Close()
	db.Verify()
	now := clock.Now()
	out := std.Out
	switch db.From {
	case osv.FromEmbedded:
		cache, _ := osv.DefaultPath()
		fmt.Fprintf(out, "data:      built-in snapshot (%d bytes in the binary); no cache at %s: run 'stripeguard db update'\n", osv.SnapshotSize(), cache)
	case osv.FromCache:
		fmt.Fprintf(out, "data:      cache %s (%s)\n", db.Source, db.Kind)
	default:
		fmt.Fprintf(out, "data:      %s (%s)\n", db.Source, db.Kind)
	}
	if db.Note != "" {
		fmt.Fprintf(out, "note:      %s\n", db.Note)
	}
	if db.Origin != "" && db.Origin != db.Source {
		fmt.Fprintf(out, "origin:    %s\n", db.Origin)
	}
	fmt.Fprintf(out, "records:   %d (%d withdrawn, %d unreadable), %d packages\n", db.Records, db.Withdrawn, db.Unreadable(), db.Packages())
	what := "fetched:  "
	if db.Kind != "index" {
		what = "file age: "
	}
	fmt.Fprintf(out, "%s %s (%s ago)\n", what, db.Fetched.UTC().Format(time.RFC3339), osv.HumanAge(db.Age(now)))
	if !db.Newest.IsZero() {
		fmt.Fprintf(out, "newest:    record modified %s (%s ago)\n", db.Newest.UTC().Format(time.RFC3339), osv.HumanAge(now.Sub(db.Newest)))
	}
	if db.Meta != nil && db.Meta.Attribution != "" && db.From != osv.FromEmbedded {
		fmt.Fprintf(out, "licence:   %s\n", db.Meta.Attribution)
	}
	// The binary carries the snapshot whatever data is in use.
	fmt.Fprintf(out, "built-in:  %s\n", osv.SnapshotAttribution)
	printWarnings(std.Err, db)
	return ExitOK
}

func printWarnings(w io.Writer, db *osv.DB) {
	for _, x := range db.Warnings {
		fmt.Fprintf(w, "warning: %s: %s\n", x.File, x.Message)
	}
}
