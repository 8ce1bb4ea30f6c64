package cli

import (
	"context"
	"errors"
	"fmt"
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
		fmt.Fprintln(w, "Usage: stripeguard db update [--url URL] [--db PATH] [--timeout D]")
		fmt.Fprintln(w, "       stripeguard db info [--db PATH]")
		fmt.Fprintln(w, "\nupdate downloads OSV's PyPI advisories into the user cache; scans then work offline.")
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
	dest := fs.String("db", "", "write the zip to `PATH` instead of the user cache")
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
	if *dest == "" {
		if *dest, err = osv.DefaultPath(); err != nil {
			return Fail(std, err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var progress = std.Err
	if !isTerminal(std.Err) {
		progress = nil
	}
	res, err := osv.Update(ctx, *url, *dest, progress)
	if err != nil {
		return Fail(std, err)
	}
	if res.NotModified {
		fmt.Fprintf(std.Out, "advisory data already current: %s (unchanged at %s)\n", res.Path, *url)
		return ExitOK
	}
	fmt.Fprintf(std.Out, "advisory data updated: %s (%d records, %.1f MB) from %s\n", res.Path, res.Entries, float64(res.Bytes)/1e6, *url)
	return ExitOK
}

func runDBInfo(args []string, std Stdio) int {
	fs := newFlagSet("db info", "db info [flags]", std.Err)
	p := fs.String("db", "", "advisory data `PATH` (OSV zip, directory of records, or file; default: the user cache)")
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
	if *p == "" {
		if *p, err = osv.DefaultPath(); err != nil {
			return Fail(std, err)
		}
		if _, err := os.Stat(*p); err != nil {
			return Fail(std, fmt.Errorf("no advisory data at %s: run 'stripeguard db update' or pass --db", *p))
		}
	}
	db, err := osv.Load(*p)
	if err != nil {
		return Fail(std, err)
	}
	db.Verify()
	now := clock.Now()
	fmt.Fprintf(std.Out, "source:    %s (%s)\n", db.Source, db.Kind)
	fmt.Fprintf(std.Out, "records:   %d (%d withdrawn, %d unreadable), %d packages\n", db.Records, db.Withdrawn, len(db.Warnings), db.Packages())
	fmt.Fprintf(std.Out, "file age:  %s (%s)\n", osv.HumanAge(db.Age(now)), db.Fetched.UTC().Format(time.RFC3339))
	if !db.Newest.IsZero() {
		fmt.Fprintf(std.Out, "newest:    record modified %s (%s ago)\n", db.Newest.UTC().Format(time.RFC3339), osv.HumanAge(now.Sub(db.Newest)))
	}
	for _, w := range db.Warnings {
		fmt.Fprintf(std.Err, "warning: %s: %s\n", w.File, w.Message)
	}
	return ExitOK
}
