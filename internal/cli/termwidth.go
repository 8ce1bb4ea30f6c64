package cli

import (
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// textWidth is the width the text report wraps to: the terminal's when w is
// one (COLUMNS when the size cannot be read), else 80, so that logs and
// files read the same everywhere.
func textWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 80
	}
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
		return cols
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}
