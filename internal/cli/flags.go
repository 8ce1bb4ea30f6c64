package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
)

// listFlag is a repeatable flag that also splits on commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// usageWriters remembers where -h prints each flag set's usage. The flag
// package calls Usage for -h and for bad flags alike; only -h should print
// it (a bad flag gets the one-line error every command promises).
var usageWriters sync.Map // *flag.FlagSet -> func()

// newFlagSet makes a FlagSet that reports errors instead of exiting.
func newFlagSet(name, usage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	usageWriters.Store(fs, func() {
		fmt.Fprintf(w, "Usage: stripeguard %s\n\nFlags:\n", usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	})
	return fs
}

// parseArgs parses flags wherever they appear ("scan . --format json" works
// like "scan --format json ."), returning the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				if p, ok := usageWriters.Load(fs); ok {
					p.(func())()
				}
				return nil, errHelp
			}
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
