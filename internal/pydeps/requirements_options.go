package pydeps

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// pipOpts is what the option part of one requirements-file line sets
// (pip's optparse Values for that line).
type pipOpts struct {
	indexURL        *string
	extraIndexURLs  []string
	noIndex         bool
	constraints     []string
	requirements    []string
	editables       []string
	findLinks       []string
	preferBinary    bool
	requireHashes   bool
	noRequireHashes bool
	pre             bool
	trustedHosts    []string
	features        []string
	hashes          []string // "algo:digest", in order
	configSettings  []string
}

// pipOption is one option pip accepts in a requirements file
// (req_file.SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ of current pip).
type pipOption struct {
	long  []string // every long spelling
	short string   // "-i", or ""
	value bool     // takes a value
	// set stores the value; a non-nil error is pip's parse error.
	set func(o *pipOpts, opt, v string) error
}

// strongHashes are the algorithms pip accepts in --hash (STRONG_HASHES).
var strongHashes = []string{"sha256", "sha384", "sha512"}

// pipFeatures are the --use-feature choices of current pip, including
// the features that are now always on (accepted and ignored).
var pipFeatures = []string{"fast-deps", "inprocess-build-deps", "venv-isolation",
	"truststore", "no-binary-enable-wheel-cache", "build-constraint"}

func appendTo(f func(*pipOpts) *[]string) func(*pipOpts, string, string) error {
	return func(o *pipOpts, _, v string) error { p := f(o); *p = append(*p, v); return nil }
}

func flag(f func(*pipOpts) *bool) func(*pipOpts, string, string) error {
	return func(o *pipOpts, _, _ string) error { *f(o) = true; return nil }
}

// packageList is the check of --no-binary, --only-binary, --all-releases
// and --only-final (pip raises CommandError on a value starting with '-').
func packageList(o *pipOpts, opt, v string) error {
	if strings.HasPrefix(v, "-") {
		return fmt.Errorf("%s requires 1 argument", opt)
	}
	return nil
}

var pipOptions = []*pipOption{
	{long: []string{"--index-url", "--pypi-url"}, short: "-i", value: true,
		set: func(o *pipOpts, _, v string) error { o.indexURL = &v; return nil }},
	{long: []string{"--extra-index-url"}, value: true, set: appendTo(func(o *pipOpts) *[]string { return &o.extraIndexURLs })},
	{long: []string{"--no-index"}, set: flag(func(o *pipOpts) *bool { return &o.noIndex })},
	{long: []string{"--constraint"}, short: "-c", value: true, set: appendTo(func(o *pipOpts) *[]string { return &o.constraints })},
	{long: []string{"--requirement"}, short: "-r", value: true, set: appendTo(func(o *pipOpts) *[]string { return &o.requirements })},
	{long: []string{"--editable"}, short: "-e", value: true, set: appendTo(func(o *pipOpts) *[]string { return &o.editables })},
	{long: []string{"--find-links"}, short: "-f", value: true, set: appendTo(func(o *pipOpts) *[]string { return &o.findLinks })},
	{long: []string{"--no-binary"}, value: true, set: packageList},
	{long: []string{"--only-binary"}, value: true, set: packageList},
	{long: []string{"--prefer-binary"}, set: flag(func(o *pipOpts) *bool { return &o.preferBinary })},
	{long: []string{"--require-hashes"}, set: flag(func(o *pipOpts) *bool { return &o.requireHashes })},
	{long: []string{"--no-require-hashes"}, set: flag(func(o *pipOpts) *bool { return &o.noRequireHashes })},
	{long: []string{"--pre"}, set: flag(func(o *pipOpts) *bool { return &o.pre })},
	{long: []string{"--trusted-host"}, value: true, set: appendTo(func(o *pipOpts) *[]string { return &o.trustedHosts })},
	{long: []string{"--use-feature"}, value: true, set: func(o *pipOpts, opt, v string) error {
		for _, f := range pipFeatures {
			if f == v {
				o.features = append(o.features, v)
				return nil
			}
		}
		return fmt.Errorf("option %s: invalid choice: %q", opt, v)
	}},
	{long: []string{"--all-releases"}, value: true, set: packageList},
	{long: []string{"--only-final"}, value: true, set: packageList},
	// Per-requirement options.
	{long: []string{"--hash"}, value: true, set: func(o *pipOpts, opt, v string) error {
		algo, _, ok := strings.Cut(v, ":")
		if !ok {
			return fmt.Errorf("arguments to %s must be a hash name followed by a value, like --hash=sha256:abcde", opt)
		}
		for _, h := range strongHashes {
			if algo == h {
				o.hashes = append(o.hashes, v)
				return nil
			}
		}
		return fmt.Errorf("allowed hash algorithms for %s are %s", opt, strings.Join(strongHashes, ", "))
	}},
	{long: []string{"--config-settings"}, short: "-C", value: true, set: func(o *pipOpts, opt, v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("arguments to %s must be of the form KEY=VAL", opt)
		}
		o.configSettings = append(o.configSettings, v)
		return nil
	}},
}

var (
	longOptions  = map[string]*pipOption{}
	shortOptions = map[string]*pipOption{}
	longNames    []string
)

func init() {
	for _, o := range pipOptions {
		for _, l := range o.long {
			longOptions[l] = o
			longNames = append(longNames, l)
		}
		if o.short != "" {
			shortOptions[o.short] = o
		}
	}
	sort.Strings(longNames)
}

// matchLong is optparse's _match_abbrev: an exact name, else the one long
// option the text is a prefix of.
func matchLong(s string) (string, error) {
	if _, ok := longOptions[s]; ok {
		return s, nil
	}
	var hits []string
	for _, n := range longNames {
		if strings.HasPrefix(n, s) {
			hits = append(hits, n)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return "", fmt.Errorf("no such option: %s", s)
	}
	return "", fmt.Errorf("ambiguous option: %s (%s?)", s, strings.Join(hits, ", "))
}

// parsePipOptions shlex-splits the option part of a line and parses it
// as pip's optparse parser does. Positional words among the options are
// ignored, as pip ignores them.
func parsePipOptions(s string) (*pipOpts, error) {
	o := &pipOpts{}
	if s == "" {
		return o, nil
	}
	args, err := shlexSplit(s)
	if err != nil {
		return nil, fmt.Errorf("could not split options %q: %v", truncate(s), err)
	}
	for len(args) > 0 {
		arg := args[0]
		args = args[1:]
		switch {
		case arg == "--":
			return o, nil // the rest is positional
		case strings.HasPrefix(arg, "--"):
			name, val, explicit := strings.Cut(arg, "=")
			long, err := matchLong(name)
			if err != nil {
				return nil, err
			}
			opt := longOptions[long]
			switch {
			case opt.value && explicit:
			case opt.value:
				if len(args) == 0 {
					return nil, fmt.Errorf("%s option requires 1 argument", long)
				}
				val, args = args[0], args[1:]
			case explicit:
				return nil, fmt.Errorf("%s option does not take a value", long)
			}
			if err := opt.set(o, long, val); err != nil {
				return nil, err
			}
		case strings.HasPrefix(arg, "-") && len(arg) > 1:
			// Every short option pip accepts here takes a value: the
			// rest of the word, else the next word ("-r=x" is the file
			// "=x", as in pip).
			name := arg[:2]
			opt, ok := shortOptions[name]
			if !ok {
				return nil, fmt.Errorf("no such option: %s", name)
			}
			val := arg[2:]
			if val == "" {
				if len(args) == 0 {
					return nil, fmt.Errorf("%s option requires 1 argument", name)
				}
				val, args = args[0], args[1:]
			}
			if err := opt.set(o, name, val); err != nil {
				return nil, err
			}
		}
	}
	return o, nil
}

// shlexSplit splits like Python's shlex.split (POSIX mode, no comments):
// whitespace is space, tab, CR and LF; a backslash escapes any character
// outside quotes and only '"' and '\' inside double quotes; nothing is
// escaped inside single quotes.
func shlexSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			in = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("no escaped character")
			}
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, errors.New("no closing quotation")
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
