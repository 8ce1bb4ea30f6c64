package pep440

import (
	"testing"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		in, want string
		pre      bool
		post     bool
	}{
		{"1.0", "1.0", false, false},
		{"v1.0", "1.0", false, false},
		{" 1.0 ", "1.0", false, false},
		{"01.02", "1.2", false, false},
		{"1.0-RC1", "1.0rc1", true, false},
		{"1.0alpha", "1.0a0", true, false},
		{"1.0.beta.2", "1.0b2", true, false},
		{"1.0c1", "1.0rc1", true, false},
		{"1.0preview3", "1.0rc3", true, false},
		{"1.0-1", "1.0.post1", false, true},
		{"1.0rev2", "1.0.post2", false, true},
		{"1.0.r", "1.0.post0", false, true},
		{"1.0.dev", "1.0.dev0", true, false},
		{"1.0_dev_3", "1.0.dev3", true, false},
		{"1!2.0", "1!2.0", false, false},
		{"0!2.0", "2.0", false, false},
		{"1.0+ABC-def_01", "1.0+abc.def.1", false, false},
		{"2015.04.28", "2015.4.28", false, false},
		{"1.0a1.post2.dev3", "1.0a1.post2.dev3", true, true},
	}
	for _, tt := range tests {
		v, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if v.String() != tt.want || v.IsPrerelease() != tt.pre || v.IsPostrelease() != tt.post {
			t.Errorf("Parse(%q) = %q pre=%v post=%v, want %q pre=%v post=%v", tt.in, v, v.IsPrerelease(), v.IsPostrelease(), tt.want, tt.pre, tt.post)
		}
	}
	for _, bad := range []string{"", "abc", "1.0.x", "1..0", "1.0+", "1.0.dev1.post1", "1.0a1b2", "1.0-", "1.0+a..b", "0.7.10p1", "2.0.0-final", "18446744073709551616"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded, want error", bad)
		}
	}
}

func TestCompare(t *testing.T) {
	// Each row is ascending.
	chains := [][]string{
		{"1.0.dev0", "1.0a1", "1.0a1.post2.dev3", "1.0a1.post2", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0+abc", "1.0+abc.5", "1.0+1", "1.0.post1.dev1", "1.0.post1", "1.1"},
		{"2.0.0.dev1", "2.0.0a1", "2.0"},
		{"9.9", "1!0.1"},
		{"1.0+abc", "1.0+abd", "1.0+0", "1.0+9", "1.0+10"},
	}
	for _, c := range chains {
		for i := 1; i < len(c); i++ {
			if got, ok := Compare(c[i-1], c[i]); !ok || got != -1 {
				t.Errorf("Compare(%q, %q) = %d, %v; want -1", c[i-1], c[i], got, ok)
			}
			if got, _ := Compare(c[i], c[i-1]); got != 1 {
				t.Errorf("Compare(%q, %q) = %d; want 1", c[i], c[i-1], got)
			}
		}
	}
	for _, eq := range [][2]string{{"1.0", "1.0.0"}, {"1.0-1", "1.0.post1"}, {"1.0-RC1", "1.0rc1"}, {"1.0+ABC", "1.0+abc"}, {"1.0+a-b", "1.0+a.b"}, {"v1", "1.0.0.0"}} {
		if got, ok := Compare(eq[0], eq[1]); !ok || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", eq[0], eq[1], got, ok)
		}
	}
}

func TestSpecifierSet(t *testing.T) {
	tests := []struct {
		spec string
		in   map[string]bool
	}{
		{">=1.0", map[string]bool{"1.0": true, "1.1rc1": false, "0.9": false, "2.0+local": true}},
		{">=1.0rc1", map[string]bool{"1.1rc1": true, "1.0rc1": true}},
		{"<1.7", map[string]bool{"1.7a1": false, "1.6.9": true, "1.6a1": false}},
		{"<1.7a2", map[string]bool{"1.7a1": false}}, // "<" never enables pre-releases in packaging 21.3
		{"<2.0", map[string]bool{"2.0.dev1": false}},
		{">1.7", map[string]bool{"1.7.post1": false, "1.7+local": false, "1.7.1": true}},
		{">1.7.post2", map[string]bool{"1.7.post3": true, "1.7.post2": false}},
		{"<=1.7", map[string]bool{"1.7.post1": false, "1.7+l": true}},
		{"==1.0", map[string]bool{"1.0+local": true, "1.0.0": true, "1.0.post1": false}},
		{"==1.0+a", map[string]bool{"1.0+a": true, "1.0+b": false, "1.0": false}},
		{"==1.0.*", map[string]bool{"1.0.5": true, "1.0a1": false, "1.1": false, "1": true, "1.0.post1": true}},
		{"==1.0a1.*", map[string]bool{"1.0a1": true, "1.0a1.post1": true}},
		{"!=1.3.*", map[string]bool{"1.3.4": false, "1.4": true}},
		{"~=2.2", map[string]bool{"2.2": true, "2.9": true, "3.0": false, "2.1": false}},
		{"~=1.4.5", map[string]bool{"1.4.9": true, "1.5": false}},
		{"~=2.2.post3", map[string]bool{"2.3": true, "2.2.post3": true, "3.0": false}},
		{"~=1.4.5a4", map[string]bool{"1.4.5": true, "1.4.6a1": true, "1.5": false}},
		{"===1.0", map[string]bool{"1.0": true, "1.0.0": false, "foo": false}},
		{"===foobar", map[string]bool{"FooBar": true, "1.0": false}},
		{">=1.0,<2.0,!=1.5", map[string]bool{"1.5": false, "1.6": true, "2.0": false}},
		{"", map[string]bool{"1.0": true, "1.0a1": false, "legacy-x": true}},
		{"==2.0", map[string]bool{"0.7.10p1": false}},
	}
	for _, tt := range tests {
		ss, err := ParseSpecifierSet(tt.spec)
		if err != nil {
			t.Errorf("ParseSpecifierSet(%q): %v", tt.spec, err)
			continue
		}
		for v, want := range tt.in {
			if got := ss.Contains(v); got != want {
				t.Errorf("%q contains %q = %v, want %v", tt.spec, v, got, want)
			}
		}
	}
	for _, bad := range []string{"~=1", ">=1.0.*", "<1.0+local", "==1.0.*.dev1", "=>1.0", "1.0", ">=", "~=1.0.*"} {
		if _, err := ParseSpecifierSet(bad); err == nil {
			t.Errorf("ParseSpecifierSet(%q) succeeded, want error", bad)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	in := []string{"1.0", "2.31.0", "1.0a1.post2.dev3", "1!2.0+local.7", "2023.7.22"}
	for i := 0; i < b.N; i++ {
		if _, err := Parse(in[i%len(in)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	a, c := MustParse("2.31.0"), MustParse("2.3.0rc1")
	for i := 0; i < b.N; i++ {
		if a.Compare(c) != 1 {
			b.Fatal("order")
		}
	}
}

func BenchmarkSpecifierContains(b *testing.B) {
	ss := MustParseSpecifierSet(">=2.0,<3,!=2.5.*,~=2.2")
	v := MustParse("2.31.0")
	for i := 0; i < b.N; i++ {
		ss.ContainsVersion(v, PreDefault)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.0", "1!2.0rc1.post2.dev3+abc.5", "v1.0-1", "1.0+a-b_c", "0.7.10p1", " 1 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		// The canonical form must parse to itself and compare equal.
		w, err := Parse(v.String())
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", v, s, err)
		}
		if w.String() != v.String() || v.Compare(w) != 0 {
			t.Fatalf("canonical form unstable: %q -> %q -> %q", s, v, w)
		}
		ss, err := ParseSpecifierSet("==" + v.String())
		if err == nil && !ss.ContainsVersion(v, PreInclude) {
			t.Fatalf("==%s does not contain itself", v)
		}
	})
}
