package clock

import (
	"testing"
	"time"
)

func TestPinned(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Time
		bad  bool
	}{
		{"2036-02-29", time.Date(2036, 2, 29, 0, 0, 0, 0, time.UTC), false},
		{"2031-05-01T10:00:00Z", time.Date(2031, 5, 1, 10, 0, 0, 0, time.UTC), false},
		{"next tuesday", time.Time{}, true},
	} {
		t.Setenv(Env, tc.env)
		err := Check()
		if (err != nil) != tc.bad {
			t.Errorf("%q: Check() = %v", tc.env, err)
		}
		if !tc.bad && !Now().Equal(tc.want) {
			t.Errorf("%q: Now() = %v, want %v", tc.env, Now(), tc.want)
		}
	}
	t.Setenv(Env, "")
	if d := time.Since(Now()); d < 0 || d > time.Minute {
		t.Errorf("unpinned Now() is %v away from time.Now", d)
	}
	fixed := func() time.Time { return time.Unix(0, 0) }
	if !Or(fixed)().Equal(time.Unix(0, 0)) {
		t.Error("Or(fixed) should use fixed")
	}
}
