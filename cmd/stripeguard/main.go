// Command stripeguard enforces the threat model of applications that take
// payments with stripe-python. See README.md.
package main

import (
	"os"

	"github.com/stripeguard/stripeguard/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
