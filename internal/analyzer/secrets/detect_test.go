package secrets

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
)

// Prefixes are assembled so the repository holds no key-shaped literal.
var (
	skLive = "sk_" + "live_"
	skTest = "sk_" + "test_"
	rkLive = "rk_" + "live_"
	rkTest = "rk_" + "test_"
	pkLive = "pk_" + "live_"
	pkTest = "pk_" + "test_"
	whsec  = "whsec" + "_"
)

func TestScanKinds(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want Cred
	}{
		{"live secret classic", secretstest.Key(skLive, 24, 1), LiveSecret},
		{"live secret account-scoped", secretstest.Key(skLive, 99, 2), LiveSecret},
		{"live restricted", secretstest.Key(rkLive, 99, 3), LiveRestricted},
		{"live restricted classic", secretstest.Key(rkLive, 24, 4), LiveRestricted},
		{"test secret", secretstest.Key(skTest, 99, 5), TestSecret},
		{"test secret classic", secretstest.Key(skTest, 24, 6), TestSecret},
		{"test restricted", secretstest.Key(rkTest, 99, 7), TestRestricted},
		{"live publishable", secretstest.Key(pkLive, 99, 8), LivePublishable},
		{"test publishable", secretstest.Key(pkTest, 24, 9), TestPublishable},
		{"webhook dashboard", whsec + secretstest.Body(32, 10), WebhookSecret},
		{"webhook cli hex", whsec + secretstest.Hex(64, 12), WebhookSecret},
		{"longest accepted", skLive + secretstest.Body(maxBody, 11), LiveSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "KEY = '" + tt.key + "'\n"
			ms := Scan([]byte(text), false)
			if len(ms) != 1 {
				t.Fatalf("got %d matches, want 1", len(ms))
			}
			m := ms[0]
			if m.Cred != tt.want || m.Key != tt.key || m.Placeholder != "" || m.DocKey {
				t.Fatalf("got %v %q placeholder=%q doc=%v", m.Cred, redacted(m.Key), m.Placeholder, m.DocKey)
			}
			if text[m.Start:m.End] != tt.key {
				t.Fatalf("offsets %d:%d do not frame the key", m.Start, m.End)
			}
		})
	}
}

func redacted(k string) string {
	if len(k) > 12 {
		return k[:12] + "…"
	}
	return k
}

// TestScanBoundaries: the whole key is taken, whatever follows it, and a
// longer token that merely contains a key shape is not one.
func TestScanBoundaries(t *testing.T) {
	key := secretstest.Key(skLive, 24, 20)
	long := secretstest.Key(skLive, 99, 21)
	tests := []struct {
		name string
		text string
		want string // "" = no match
	}{
		{"eof", key, key},
		{"comma csv", "1," + key + ",x", key},
		{"colon curl", "curl -u " + key + ": https://api.stripe.com", key},
		{"query string", "https://x.test/?key=" + key + "&mode=1", key},
		{"escaped quote json", `{"source": "k = \"` + key + `\""}`, key},
		{"json newline escape before", `"text": "loaded\n` + key + `\n"`, key},
		{"url encoded", "q=key%3D" + key + "%26", key},
		{"paren", "f(" + key + ")", key},
		{"semicolon", "k=" + key + ";", key},
		{"whitespace", "\t" + key + " ", key},
		{"trailing underscore", key + "_old", key},
		{"long key", "x=" + long + "\n", long},
		{"too short", skLive + secretstest.Body(23, 22), ""},
		{"too long", skLive + secretstest.Body(maxBody+1, 23), ""},
		{"glued on left", "task_" + "test_" + secretstest.Body(30, 24), ""},
		{"alnum before", "X" + key, ""},
		{"unknown mode", "sk_" + "prod_" + secretstest.Body(30, 25), ""},
		{"upper case prefix", strings.ToUpper(skLive) + secretstest.Body(24, 26), ""},
		{"whsec short", whsec + secretstest.Body(31, 27), ""},
		{"whsec too long", whsec + secretstest.Body(65, 28), ""},
		{"prefix only", skLive, ""},
		{"empty", "", ""},
		{"k_ at start", "k_live_" + secretstest.Body(24, 29), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := Scan([]byte(tt.text), false)
			if tt.want == "" {
				if len(ms) != 0 {
					t.Fatalf("unexpected match %q", redacted(ms[0].Key))
				}
				return
			}
			if len(ms) != 1 || ms[0].Key != tt.want {
				t.Fatalf("got %d matches, want exactly the key", len(ms))
			}
		})
	}
}

// TestRandomKeysRarelyPlaceholders: bodies drawn from the whole base62
// alphabet (which can spell words, unlike secretstest's) are almost never
// dismissed, even with the word and repeated-word rules.
func TestRandomKeysRarelyPlaceholders(t *testing.T) {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	r := rand.New(rand.NewPCG(9, 9))
	dismissed := 0
	const n = 20000
	for i := 0; i < n; i++ {
		size := []int{24, 32, 99}[i%3]
		b := make([]byte, size)
		for j := range b {
			b[j] = alnum[r.IntN(len(alnum))]
		}
		why := placeholderReason(string(b))
		if why == "" {
			continue
		}
		for _, w := range []string{"wrong", "invalid", "bogus", "secret", "testing"} {
			if strings.Contains(why, w) {
				dismissed++
			}
		}
		if strings.HasPrefix(why, "repeats") {
			dismissed++
		}
	}
	// "your" and "xxxx" already dismiss about 1 in 10^4 99-character
	// bodies; the test-suite words and the repeated-word rule must add
	// nothing measurable.
	if dismissed > 0 {
		t.Errorf("%d of %d random bodies dismissed by the test-value rules", dismissed, n)
	}
}

func TestPlaceholders(t *testing.T) {
	tests := []struct {
		name, text string
		reason     string // "" = no match at all (too short or not a key)
	}{
		{"xxx short", skTest + "xxx", ""},
		{"dots", skLive + "...", ""},
		{"your key", skTest + "YOUR_KEY", ""},
		{"angle", "<" + skLive + "...>", ""},
		{"template", "${STRIPE_KEY}", ""},
		{"X run", skLive + strings.Repeat("X", 24), "contains \"xxxx\""},
		{"one char", skLive + strings.Repeat("a", 30), "one repeated character"},
		{"alphabet", skTest + "abcdefghijklmnopqrstuvwxyz", "counting sequence"},
		{"counting mixed", skTest + "1234567890abcdefghijklmn", "counting sequence"},
		{"descending", skTest + "zyxwvutsrqponmlkjihgfedcba", "counting sequence"},
		{"digits repeat", skTest + strings.Repeat("0123456789", 3), "repeating pattern"},
		{"pattern", skTest + strings.Repeat("q7Wz", 8), "repeating pattern"},
		{"your key here", skLive + "YourSecretKeyGoesHere123", "contains \"your\""},
		{"replace me", skLive + "REPLACEmeWITHaREALkey999", "contains \"replace\""},
		{"example", skTest + "exampleKeyForTheDocsPage", "contains \"example\""},
		{"dummy", skTest + "dummy9f8e7d6c5b4a3z2y1w0", "contains \"dummy\""},
		{"fake", rkLive + "fakeQ8mZ3nP5tR7vW9yB2cD4", "contains \"fake\""},
		{"changeme", whsec + "changemechangemeCHANGEMEchangeme", "contains \"changeme\""},
		{"few distinct", skLive + "aqaqaqqqaaaqqaqqaaqqaqzz", "too few distinct characters"},
		{"whsec zeros", whsec + strings.Repeat("0", 64), "one repeated character"},
		{"one digit off", skLive + strings.Repeat("0", 23) + "1", "too few distinct characters"},
		// Throwaway values of test suites: words, repeated words.
		{"wrong secret repeated", whsec + "WRONGSECRETWRONGSECRETWRONG000000", "contains \"wrong\""},
		{"invalid", whsec + "invalidSignatureKey8m2Q9vRt4Zp7Lw3", "contains \"invalid\""},
		{"test secret words", whsec + "testsecretfortheunittestsonly1234", "contains \"secret\""},
		{"bogus", skTest + "bogusKeyForUnitTests8m2Q9vRt4", "contains \"bogus\""},
		{"repeated word", whsec + "Q7hBnQ7hBnQ7hBnZ4kLmQ7hBn2Xc9Vw1", "repeats \"Q7hBn\""},
		{"repeated long word", skTest + "PaymentsTeamPaymentsTeam8m2Q", "repeats \"PaymentsTeam\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := Scan([]byte("k = \""+tt.text+"\"\n"), false)
			if tt.reason == "" {
				if len(ms) != 0 {
					t.Fatalf("placeholder matched as a key")
				}
				return
			}
			if len(ms) != 1 {
				t.Fatalf("got %d matches, want 1 placeholder match", len(ms))
			}
			if ms[0].Placeholder != tt.reason {
				t.Fatalf("reason %q, want %q", ms[0].Placeholder, tt.reason)
			}
		})
	}
}

// TestGeneratedKeysAreNotPlaceholders guards against the opposite error:
// random keys dismissed as examples.
func TestGeneratedKeysAreNotPlaceholders(t *testing.T) {
	for seed := uint64(0); seed < 2000; seed++ {
		for _, n := range []int{24, 99} {
			b := secretstest.Body(n, seed)
			if r := placeholderReason(b); r != "" {
				t.Fatalf("seed %d len %d: random body judged placeholder: %s", seed, n, r)
			}
		}
		if r := placeholderReason(secretstest.Hex(64, seed)); r != "" {
			t.Fatalf("seed %d: random hex webhook secret judged placeholder: %s", seed, r)
		}
	}
}

func TestDocumentationKeys(t *testing.T) {
	for k, what := range docKeys {
		ms := Scan([]byte("stripe.api_key = '"+k+"'"), false)
		if len(ms) != 1 || !ms[0].DocKey || ms[0].Placeholder != "" {
			t.Errorf("%s: not recognised as documentation key", what)
		}
	}
}

func TestSplitPythonLiterals(t *testing.T) {
	long := secretstest.Key(skLive, 99, 40)
	short := secretstest.Key(rkLive, 24, 41)
	wh := whsec + secretstest.Body(32, 42)
	tests := []struct {
		name      string
		src       string
		want      string
		split     bool
		startLine int
	}{
		{"adjacent", `K = "` + long[:20] + `" "` + long[20:] + `"`, long, true, 1},
		{"parenthesised lines", "K = (\n    \"" + long[:50] + "\"\n    \"" + long[50:] + "\"\n)", long, true, 2},
		{"plus", `K = '` + short[:10] + `' + '` + short[10:] + `'`, short, true, 1},
		{"backslash continuation", "K = \"" + short[:8] + "\" \\\n    \"" + short[8:] + "\"", short, true, 1},
		{"comment between", "K = (\"" + long[:30] + "\"  # part one\n     \"" + long[30:] + "\")", long, true, 1},
		{"prefix split", `K = "sk_" "` + long[3:] + `"`, long, true, 1},
		{"whsec split", `W = "` + wh[:16] + `" r"` + wh[16:] + `"`, wh, true, 1},
		{"truncated 24 continues", `K = "` + long[:8+24] + `" "` + long[8+24:] + `"`, long, true, 1},
		{"not split", `K = "` + long + `"`, long, false, 1},
		{"separate strings", `K = ["` + short + `", "other"]`, short, false, 1},
		{"triple quote stops", `K = "` + short[:10] + `" """` + short[10:] + `"""`, "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := Scan([]byte(tt.src), true)
			if tt.want == "" {
				if len(ms) != 0 {
					t.Fatalf("unexpected match")
				}
				return
			}
			if len(ms) != 1 {
				t.Fatalf("got %d matches, want 1", len(ms))
			}
			if ms[0].Key != tt.want || ms[0].Split != tt.split {
				t.Fatalf("key ok=%v split=%v", ms[0].Key == tt.want, ms[0].Split)
			}
			lx := lineIndex{data: []byte(tt.src)}
			if l, _ := lx.pos(ms[0].Start); l != tt.startLine {
				t.Fatalf("start line %d, want %d", l, tt.startLine)
			}
			// Without Python joining a split key is not found whole.
			for _, m := range Scan([]byte(tt.src), false) {
				if tt.split && m.Key == tt.want {
					t.Fatalf("non-Python scan joined literals")
				}
			}
		})
	}
}

func TestK8sSecret(t *testing.T) {
	key := secretstest.Key(skLive, 99, 50)
	wh := whsec + secretstest.Body(32, 51)
	env := "STRIPE_SECRET_KEY=" + key + "\nSTRIPE_WEBHOOK_SECRET=" + wh + "\n"
	manifest := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n  labels:\n    data: notbase64\n" +
		"data:\n  key: " + b64(key) + "\n  quoted: \"" + b64(key) + "\"\n  # comment\n\n  env: " + b64(env) +
		"\n  short: dg==\n  bad: !!!notbase64!!!\nstringData:\n  plain: not-a-key\n---\nkind: Secret\ndata:\n  k2: " + rawB64(key) + "\n"
	ms := scanK8sSecret([]byte(manifest))
	var got []string
	lx := lineIndex{data: []byte(manifest)}
	for _, m := range ms {
		l, _ := lx.pos(m.Start)
		got = append(got, m.Cred.String()+"@"+strconv.Itoa(l))
		if !m.Encoded {
			t.Errorf("match not marked encoded")
		}
	}
	want := []string{"live secret key@8", "live secret key@9", "live secret key@12", "webhook signing secret@12", "live secret key@20"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func b64(s string) string    { return stdB64([]byte(s), true) }
func rawB64(s string) string { return stdB64([]byte(s), false) }

// TestPlaceholderFalseNegativeRate bounds how many genuine keys (uniform
// over the full base62 alphabet, as Stripe generates them) the placeholder
// heuristics wrongly dismiss. The word list makes this non-zero by design;
// the bound keeps anyone from adding short words carelessly.
func TestPlaceholderFalseNegativeRate(t *testing.T) {
	const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	const n = 20000
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range []int{24, 99} {
		dismissed := 0
		buf := make([]byte, l)
		for i := 0; i < n; i++ {
			for j := range buf {
				buf[j] = base62[r.IntN(len(base62))]
			}
			if placeholderReason(string(buf)) != "" {
				dismissed++
			}
		}
		rate := float64(dismissed) / n
		t.Logf("length %d: %d of %d random keys judged placeholders", l, dismissed, n)
		if rate > 0.002 {
			t.Errorf("length %d: %.4f of random keys judged placeholders", l, rate)
		}
	}
}

func TestScanBase64Anywhere(t *testing.T) {
	key := secretstest.Key(skLive, 24, 120)
	wh := whsec + secretstest.Body(32, 121)
	rk := secretstest.Key(rkTest, 99, 122)
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"basic auth header", "Authorization: Basic " + b64(key+":") + "\r\n", []string{key}},
		{"b64decode in code", "KEY = base64.b64decode('" + b64(wh) + "')", []string{wh}},
		{"unpadded", "x=" + rawB64(rk) + ";", []string{rk}},
		{"aligned inside a blob", "blob: " + b64("export K="+key+"\n"), []string{key}},
		{"misaligned anchor is coincidence", "xc2tfbGl2ZV8" + secretstest.Body(40, 123), nil},
		{"placeholder encoded", b64(skLive + strings.Repeat("x", 24)), []string{"placeholder"}},
		{"plain text", "c2tf alone", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range scanBase64([]byte(tt.text)) {
				if !m.Encoded || m.Start < 0 || m.End > len(tt.text) {
					t.Fatalf("bad match span")
				}
				if m.Placeholder != "" {
					got = append(got, "placeholder")
				} else {
					got = append(got, m.Key)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %d matches (%v), want %d", len(got), len(got) > 0 && got[0] == "placeholder", len(tt.want))
			}
		})
	}
}
