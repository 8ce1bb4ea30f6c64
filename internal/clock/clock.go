// Package clock is the wall clock for judgements that depend on today's date
// (how old the advisory data is). Relative timing (webhook tolerance windows,
// latencies, deadlines) keeps using time.Now: only the calendar is pinnable.
//
// STRIPEGUARD_NOW pins the date, so a report can be reproduced as of a given
// day and the test suite can be run years ahead of the fixtures (.ci/run
// does) to catch any test that silently depends on today's date.
package clock

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Env names the variable that pins the clock (RFC 3339 or YYYY-MM-DD, UTC).
const Env = "STRIPEGUARD_NOW"

// Now is the current time, or the time STRIPEGUARD_NOW pins. An unparsable
// value is ignored here; Check reports it at start-up.
func Now() time.Time {
	if t, ok, err := pinned(); ok && err == nil {
		return t
	}
	return time.Now()
}

// Check reports a STRIPEGUARD_NOW that cannot be parsed, so the command line
// fails loudly instead of silently using the real date.
func Check() error {
	_, _, err := pinned()
	return err
}

func pinned() (time.Time, bool, error) {
	v := strings.TrimSpace(os.Getenv(Env))
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := Parse(v)
	if err != nil {
		return time.Time{}, true, fmt.Errorf("%s=%q: %v", Env, v, err)
	}
	return t, true, nil
}

// Parse reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC).
func Parse(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time or YYYY-MM-DD")
	}
	return t, nil
}

// Or returns now if it is set, else Now: the helper for structs whose zero
// value means "the wall clock".
func Or(now func() time.Time) func() time.Time {
	if now != nil {
		return now
	}
	return Now
}
