package webhooksig

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	testSecret = "whsec_test_secret_0123456789abcdef"
	oldSecret  = "whsec_old_secret_fedcba9876543210"
)

var testBody = []byte(`{"id":"evt_test_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":1000}}}`)

func fixedNow() time.Time { return time.Unix(1_800_000_000, 500_000_000) }

func mustNew(t testing.TB, secrets []string, opt Options) *Verifier {
	t.Helper()
	if opt.Now == nil {
		opt.Now = fixedNow
	}
	v, err := New(secrets, opt)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignKnownAnswer(t *testing.T) {
	// Computed with stripe-python 5.0.0 and openssl:
	// printf '%s' '1000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
	got := Sign("whsec_test", 1000, []byte(`{"id":"evt_1"}`))
	want := "387e46d34ab34bb0f3624adcaa371a0332240720155daad95713dfea27253ccd"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	h := Header(1000, []byte(`{"id":"evt_1"}`), "whsec_test", "whsec_test")
	if h != "t=1000,v1="+want+",v1="+want {
		t.Fatalf("Header = %s", h)
	}
}

func TestVerify(t *testing.T) {
	now := fixedNow().Unix()
	ts := strconv.FormatInt(now-10, 10)
	good := Sign(testSecret, now-10, testBody)
	old := Sign(oldSecret, now-10, testBody)
	upper := strings.ToUpper(good)
	tests := []struct {
		name    string
		secrets []string
		headers []string
		body    []byte
		opt     Options
		want    Reason // "" = accepted
	}{
		{"valid", []string{testSecret}, []string{"t=" + ts + ",v1=" + good}, testBody, Options{}, ""},
		{"v1 first", []string{testSecret}, []string{"v1=" + good + ",t=" + ts}, testBody, Options{}, ""},
		{"rotation bad then good", []string{testSecret}, []string{"t=" + ts + ",v1=" + old + ",v1=" + good}, testBody, Options{}, ""},
		{"rotation good then bad", []string{testSecret}, []string{"t=" + ts + ",v1=" + good + ",v1=" + old}, testBody, Options{}, ""},
		{"two secrets configured, old signs", []string{testSecret, oldSecret}, []string{"t=" + ts + ",v1=" + old}, testBody, Options{}, ""},
		{"v0 ignored", []string{testSecret}, []string{"t=" + ts + ",v1=" + good + ",v0=" + good}, testBody, Options{}, ""},
		{"v0 only with correct hmac", []string{testSecret}, []string{"t=" + ts + ",v0=" + good}, testBody, Options{}, NoV1Signature},
		{"missing", []string{testSecret}, nil, testBody, Options{}, MissingHeader},
		{"empty", []string{testSecret}, []string{""}, testBody, Options{}, MissingHeader},
		{"two headers", []string{testSecret}, []string{"t=" + ts + ",v1=" + good, "t=" + ts + ",v1=" + good}, testBody, Options{}, MultipleHeaders},
		{"wrong secret", []string{testSecret}, []string{"t=" + ts + ",v1=" + old}, testBody, Options{}, SignatureMismatch},
		{"body changed", []string{testSecret}, []string{"t=" + ts + ",v1=" + good}, append(append([]byte{}, testBody...), '\n'), Options{}, SignatureMismatch},
		{"t changed", []string{testSecret}, []string{"t=" + strconv.FormatInt(now-11, 10) + ",v1=" + good}, testBody, Options{}, SignatureMismatch},
		{"uppercase hex", []string{testSecret}, []string{"t=" + ts + ",v1=" + upper}, testBody, Options{}, MalformedHeader},
		{"space after comma", []string{testSecret}, []string{"t=" + ts + ", v1=" + good}, testBody, Options{}, MalformedHeader},
		{"space in t", []string{testSecret}, []string{"t= " + ts + ",v1=" + good}, testBody, Options{}, MalformedHeader},
		{"plus t", []string{testSecret}, []string{"t=+" + ts + ",v1=" + good}, testBody, Options{}, MalformedHeader},
		{"zero-prefixed t", []string{testSecret}, []string{"t=0" + ts + ",v1=" + good}, testBody, Options{}, MalformedHeader},
		{"duplicate t", []string{testSecret}, []string{"t=" + ts + ",t=" + ts + ",v1=" + good}, testBody, Options{}, MalformedHeader},
		{"trailing comma", []string{testSecret}, []string{"t=" + ts + ",v1=" + good + ","}, testBody, Options{}, MalformedHeader},
		{"bare item", []string{testSecret}, []string{"t=" + ts + ",foo,v1=" + good}, testBody, Options{}, MalformedHeader},
		{"sig=junk", []string{testSecret}, []string{"t=" + ts + ",v1=" + good + "=junk"}, testBody, Options{}, MalformedHeader},
		{"t=abc", []string{testSecret}, []string{"t=abc,v1=" + good}, testBody, Options{}, MalformedHeader},
		{"no t", []string{testSecret}, []string{"v1=" + good}, testBody, Options{}, MalformedHeader},
		{"empty v1", []string{testSecret}, []string{"t=" + ts + ",v1="}, testBody, Options{}, MalformedHeader},
		{"non-ascii v1", []string{testSecret}, []string{"t=" + ts + ",v1=é" + good[2:]}, testBody, Options{}, MalformedHeader},
		{"20-digit t", []string{testSecret}, []string{"t=99999999999999999999,v1=" + good}, testBody, Options{}, MalformedHeader},
		{"too many v1", []string{testSecret}, []string{"t=" + ts + strings.Repeat(",v1="+old, MaxSignatures) + ",v1=" + good}, testBody, Options{}, MalformedHeader},
		{"stale 301s", []string{testSecret}, []string{Header(now-301, testBody, testSecret)}, testBody, Options{}, TimestampTooOld},
		{"fresh 299s", []string{testSecret}, []string{Header(now-299, testBody, testSecret)}, testBody, Options{}, ""},
		// now is x.5 s: t = now-300 is 300.5 s old; stripe-python rejects it too.
		{"boundary 300.5s", []string{testSecret}, []string{Header(now-300, testBody, testSecret)}, testBody, Options{}, TimestampTooOld},
		{"custom tolerance", []string{testSecret}, []string{Header(now-100, testBody, testSecret)}, testBody, Options{Tolerance: 60 * time.Second}, TimestampTooOld},
		{"reject all (tolerance 0)", []string{testSecret}, []string{Header(now, testBody, testSecret)}, testBody, Options{RejectAll: true}, TimestampTooOld},
		{"future 61s", []string{testSecret}, []string{Header(now+61, testBody, testSecret)}, testBody, Options{}, TimestampInFuture},
		{"future 59s", []string{testSecret}, []string{Header(now+59, testBody, testSecret)}, testBody, Options{}, ""},
		{"future 1y", []string{testSecret}, []string{Header(now+365*86400, testBody, testSecret)}, testBody, Options{}, TimestampInFuture},
		{"stale with bad sig reports sig", []string{testSecret}, []string{Header(now-3600, testBody, oldSecret)}, testBody, Options{}, SignatureMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustNew(t, tc.secrets, tc.opt)
			_, err := v.Verify(tc.headers, tc.body)
			if got := ReasonOf(err); got != tc.want {
				t.Fatalf("reason = %q (%v), want %q", got, err, tc.want)
			}
			if err != nil && ReasonOf(err) == "" {
				t.Fatalf("error is not *Error: %T", err)
			}
		})
	}
}

func TestCheckSecretAndNew(t *testing.T) {
	tests := []struct {
		secret  string
		wantErr string // substring; "" = ok
	}{
		{"whsec_abc", ""},
		{"", "empty"},
		{"   ", "whitespace"},
		{"whsec_", "does not look like"},
		{"whsec_abc ", "whitespace"},
		{"whsec_a\tbc", "whitespace"},
		{"sk_live_0123456789abcdefghijklmnop", "LOOKS LIKE A STRIPE API KEY"},
		{"rk_test_0123456789abcdefghijklmnop", "LOOKS LIKE A STRIPE API KEY"},
		{" pk_live_0123456789abcdefghijklmnop", "LOOKS LIKE A STRIPE API KEY"},
		{"secret", "does not look like"},
		{"whsec_é", "non-ASCII"},
	}
	for _, tc := range tests {
		err := CheckSecret(tc.secret)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("CheckSecret(%q) = %v", tc.secret, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("CheckSecret(%q) = %v, want %q", tc.secret, err, tc.wantErr)
			continue
		}
		if strings.Contains(err.Error(), "0123456789abcdefghijklmnop") {
			t.Errorf("CheckSecret(%q) leaks the secret: %v", tc.secret, err)
		}
		if _, err := New([]string{"whsec_ok", tc.secret}, Options{}); err == nil {
			t.Errorf("New accepted %q", tc.secret)
		}
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) accepted")
	}
	if _, err := New([]string{"whsec_ok"}, Options{Tolerance: -time.Second}); err == nil {
		t.Error("negative tolerance accepted")
	}
	v := mustNew(t, []string{"whsec_0123456789abcdef"}, Options{})
	if got := v.Secrets(); len(got) != 1 || strings.Contains(got[0], "0123456789ab") || !strings.HasSuffix(got[0], "cdef") {
		t.Errorf("Secrets() = %v, want redacted", got)
	}
	if v.Tolerance() != DefaultTolerance || v.FutureSkew() != DefaultFutureSkew {
		t.Errorf("defaults: %s %s", v.Tolerance(), v.FutureSkew())
	}
	if v := mustNew(t, []string{"whsec_x1"}, Options{RejectAll: true}); v.Tolerance() != 0 {
		t.Errorf("RejectAll tolerance = %s", v.Tolerance())
	}
}

func TestVerifyNeverPanicsOnGarbage(t *testing.T) {
	v := mustNew(t, []string{testSecret}, Options{})
	inputs := []string{",", "=", "==", "t", "t=", "v1", ",,,,", "t=1,v1", strings.Repeat("a", MaxHeaderLen+1), "\x00", "t=1,\xff=2"}
	for _, h := range inputs {
		if _, err := v.Verify([]string{h}, testBody); err == nil {
			t.Errorf("accepted %q", h)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	body := make([]byte, 3072)
	copy(body, testBody)
	for i := len(testBody); i < len(body); i++ {
		body[i] = ' '
	}
	for _, n := range []int{1, 2} {
		secrets := []string{testSecret, oldSecret}[:n]
		v := mustNew(b, secrets, Options{Now: time.Now})
		hdr := []string{Header(time.Now().Unix(), body, testSecret)}
		b.Run(strconv.Itoa(n)+"secrets-3KB", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := v.Verify(hdr, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	v := mustNew(b, []string{testSecret}, Options{Now: time.Now})
	forged := []string{"t=" + strconv.FormatInt(time.Now().Unix(), 10) + ",v1=" + strings.Repeat("ab", 32)}
	b.Run("forged-3KB", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(forged, body); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// FuzzVerify: no input panics, and whatever is accepted carries exactly one
// t and a v1 equal to the HMAC over that t and the body.
func FuzzVerify(f *testing.F) {
	now := fixedNow().Unix()
	f.Add(Header(now, testBody, testSecret), testBody)
	f.Add("t=1,v1="+strings.Repeat("a", 64)+",v0=x", []byte("{}"))
	f.Add("t=,v1=,", []byte(nil))
	v := mustNew(f, []string{testSecret}, Options{})
	f.Fuzz(func(t *testing.T, h string, body []byte) {
		ts, err := v.Verify([]string{h}, body)
		if err == nil {
			want := "t=" + strconv.FormatInt(ts, 10)
			if !strings.Contains(","+h+",", ","+want+",") || !strings.Contains(h, "v1="+Sign(testSecret, ts, body)) {
				t.Fatalf("accepted %q", h)
			}
		} else if ReasonOf(err) == "" {
			t.Fatalf("error without reason: %v", err)
		}
	})
}
