// Package cli is the command line: argument parsing, exit codes and wiring.
// Each subcommand lives in its own file and registers itself; the work is
// done by the engine, analyzers and reporters.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/stripeguard/stripeguard/internal/clock"
)

// Exit codes, the same for every command.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitError    = 2 // usage or runtime error
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "0.1.0-dev"

// Stdio bundles the streams a command may use.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string
	// Run returns the exit code. Usage errors should return
	// usageError(...) through Fail so the message is one line on stderr.
	Run func(args []string, io Stdio) int
}

var commands = map[string]*Command{}

// Register adds a subcommand; called from init in each command's file.
func Register(c *Command) { commands[c.Name] = c }

// Main runs the command line and returns the process exit code.
func Main(args []string, in io.Reader, out, errw io.Writer) int {
	std := Stdio{In: in, Out: out, Err: errw}
	if len(args) == 0 {
		usage(errw)
		return ExitError
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(out)
		return ExitOK
	case "--version", "-version":
		args[0] = "version"
	}
	if err := clock.Check(); err != nil {
		return Fail(std, err)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(errw, "stripeguard: unknown command %q (run 'stripeguard help')\n", args[0])
		return ExitError
	}
	return c.Run(args[1:], std)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "stripeguard enforces the threat model of Python apps that take payments with Stripe.")
	fmt.Fprintln(w, "\nUsage: stripeguard <command> [flags] [args]\n\nCommands:")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w, "\nRun 'stripeguard <command> -h' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or runtime error.")
}

// Fail prints a one-line error on stderr and returns ExitError.
func Fail(std Stdio, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintf(std.Err, "stripeguard: %s\n", msg)
	return ExitError
}

// errHelp is returned by flag parsing when -h was given.
var errHelp = errors.New("help requested")

// isTerminal reports whether w is a character device (a TTY).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func init() {
	Register(&Command{Name: "version", Summary: "print the version", Run: func(_ []string, std Stdio) int {
		fmt.Fprintf(std.Out, "stripeguard %s\n", Version)
		return ExitOK
	}})
}
