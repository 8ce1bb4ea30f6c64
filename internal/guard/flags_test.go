package guard

import (
	"fmt"
	"testing"
	"time"
)

func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"300", 300 * time.Second, false},
		{"0", 0, false},
		{"5m", 5 * time.Minute, false},
		{"1.5s", 1500 * time.Millisecond, false},
		{"-1", 0, true},
		{"-5s", 0, true},
		{"abc", 0, true},
		{"", 0, true},
		{"99999999999999", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseSeconds(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSeconds(%q) = %s, %v", tc.in, got, err)
		}
	}
}

func TestParseCIDRs(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		err  bool
	}{
		{[]string{"3.18.12.63/32", "10.0.0.0/8"}, "[3.18.12.63/32 10.0.0.0/8]", false},
		{[]string{"3.18.12.63, 54.187.174.169"}, "[3.18.12.63/32 54.187.174.169/32]", false},
		{[]string{"10.1.2.3/8"}, "[10.0.0.0/8]", false},
		{[]string{"::1"}, "[::1/128]", false},
		{[]string{""}, "[]", false},
		{[]string{"10.0.0.0/33"}, "", true},
		{[]string{"example.com"}, "", true},
	}
	for _, tc := range tests {
		got, err := ParseCIDRs(tc.in)
		if (err != nil) != tc.err || (!tc.err && fmt.Sprint(got) != tc.want) {
			t.Errorf("ParseCIDRs(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
