package webhooksig

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// runPython feeds one JSON request per line to a testdata script in ONE
// process and decodes one JSON answer per line.
func runPython[T any](t *testing.T, script string, reqs []any) []T {
	t.Helper()
	py := testutil.NeedPython(t, "stripe")
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, r := range reqs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(py, "testdata/"+script)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	var res []T
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s output %q: %v", script, sc.Text(), err)
		}
		res = append(res, v)
	}
	if len(res) != len(reqs) {
		t.Fatalf("%s: %d answers for %d requests\n%s", script, len(res), len(reqs), stderr.String())
	}
	return res
}

type signReq struct {
	Secrets    []string `json:"secrets"`
	Timestamp  int64    `json:"timestamp,omitempty"`
	PayloadB64 string   `json:"payload_b64"`
	Scheme     string   `json:"scheme,omitempty"`
}
type signRes struct {
	Header     string   `json:"header"`
	Timestamp  int64    `json:"timestamp"`
	Signatures []string `json:"signatures"`
	Version    string   `json:"stripe_version"`
}
type verifyReq struct {
	Secret     string `json:"secret"`
	Header     string `json:"header"`
	PayloadB64 string `json:"payload_b64"`
}
type verifyRes struct {
	OK         bool   `json:"ok"`
	ID         string `json:"id"`
	ErrorClass string `json:"error_class"`
	Message    string `json:"message"`
	Version    string `json:"stripe_version"`
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestStripePythonSigns: headers made by stripe-python's own
// WebhookSignature._compute_signature are accepted, including rotation and
// UTF-8 bodies; v0-only headers are refused.
func TestStripePythonSigns(t *testing.T) {
	now := time.Now().Unix()
	bodies := [][]byte{testBody, []byte(`{"id":"evt_ünï","object":"event","description":"café ☕"}`), bytes.Repeat([]byte(`{"id":"evt_big","pad":"`+strings.Repeat("x", 4000)+`"}`), 1)}
	var reqs []any
	type want struct {
		body    []byte
		secrets []string
		reason  Reason
	}
	var wants []want
	for _, b := range bodies {
		reqs = append(reqs, signReq{Secrets: []string{testSecret}, Timestamp: now - 5, PayloadB64: b64(b)})
		wants = append(wants, want{b, []string{testSecret}, ""})
		reqs = append(reqs, signReq{Secrets: []string{oldSecret, testSecret}, Timestamp: now - 5, PayloadB64: b64(b)})
		wants = append(wants, want{b, []string{testSecret}, ""})
		reqs = append(reqs, signReq{Secrets: []string{testSecret}, Timestamp: now - 5, PayloadB64: b64(b), Scheme: "v0"})
		wants = append(wants, want{b, []string{testSecret}, NoV1Signature})
		reqs = append(reqs, signReq{Secrets: []string{oldSecret}, Timestamp: now - 5, PayloadB64: b64(b)})
		wants = append(wants, want{b, []string{testSecret}, SignatureMismatch})
		reqs = append(reqs, signReq{Secrets: []string{testSecret}, Timestamp: now - 400, PayloadB64: b64(b)})
		wants = append(wants, want{b, []string{testSecret}, TimestampTooOld})
	}
	res := runPython[signRes](t, "sign.py", reqs)
	t.Logf("stripe-python %s", res[0].Version)
	for i, r := range res {
		v := mustNew(t, wants[i].secrets, Options{Now: time.Now})
		_, err := v.Verify([]string{r.Header}, wants[i].body)
		if ReasonOf(err) != wants[i].reason {
			t.Errorf("case %d header %s: got %v, want %q", i, r.Header, err, wants[i].reason)
		}
		// Our Sign agrees byte for byte with stripe-python.
		if got := Sign(reqs[i].(signReq).Secrets[0], r.Timestamp, wants[i].body); got != r.Signatures[0] {
			t.Errorf("case %d: Sign = %s, stripe-python = %s", i, got, r.Signatures[0])
		}
	}
}

// TestStripePythonVerifies: what our Header produces, construct_event accepts.
func TestStripePythonVerifies(t *testing.T) {
	now := time.Now().Unix()
	var reqs []any
	for _, h := range []string{
		Header(now, testBody, testSecret),
		Header(now-10, testBody, oldSecret, testSecret),
		Header(now-10, testBody, testSecret, oldSecret),
	} {
		reqs = append(reqs, verifyReq{Secret: testSecret, Header: h, PayloadB64: b64(testBody)})
	}
	for i, r := range runPython[verifyRes](t, "verify.py", reqs) {
		if !r.OK || r.ID != "evt_test_1" {
			t.Errorf("case %d: stripe-python rejected our header: %+v", i, r)
		}
	}
}

// mutation produces a header variant (and the values the Go side sees:
// several header lines are joined with "," for Python, like Werkzeug does).
type mutCase struct {
	name   string
	lines  []string
	secret string
}

// mutations builds hundreds of header variants around a valid one.
func mutations(now int64, body []byte) []mutCase {
	rng := rand.New(rand.NewPCG(1, 2))
	ts := now - 7
	T := strconv.FormatInt(ts, 10)
	good := Sign(testSecret, ts, body)
	bad := Sign(oldSecret, ts, body)
	stale := now - 400
	staleSig := Sign(testSecret, stale, body)
	future := now + 3600
	futureSig := Sign(testSecret, future, body)
	arabic := strings.Map(func(r rune) rune { return '٠' + (r - '0') }, T)

	tVals := []string{T, " " + T, T + " ", "+" + T, "0" + T, "00" + T, T + ".0", T + "abc", "abc", "", "-" + T,
		T[:4] + "_" + T[4:], arabic, "99999999999999999999", "\t" + T, strconv.FormatInt(stale, 10), strconv.FormatInt(future, 10),
		T + "=1", "0x" + strconv.FormatInt(ts, 16), "1e9", "NaN", "-1", "٣" + T[1:]}
	sigVals := []string{good, bad, strings.ToUpper(good), "", good[:63], good + "0", "é" + good[2:], good + "=junk", " " + good,
		good + " ", staleSig, futureSig, strings.Repeat("0", 64), "zz" + good[2:], good[:32] + strings.ToUpper(good[32:])}
	keys := []string{"t", "v1", "v0", "V1", "T", " v1", "v1 ", "\tv1", "v2", "v1\u00a0", ""}
	seps := []string{",", ", ", ";", ",,", " ,", "\t,"}

	var out []mutCase
	add := func(name string, lines ...string) {
		out = append(out, mutCase{name: name, lines: lines, secret: testSecret})
	}
	add("valid", "t="+T+",v1="+good)
	add("valid rotation", "t="+T+",v1="+bad+",v1="+good)
	add("valid v0", "t="+T+",v0="+bad+",v1="+good)
	add("v1 first", "v1="+good+",t="+T)
	add("stale", "t="+strconv.FormatInt(stale, 10)+",v1="+staleSig)
	add("future", "t="+strconv.FormatInt(future, 10)+",v1="+futureSig)
	add("two lines", "t="+T+",v1="+good, "t="+T+",v1="+good)
	add("two lines split", "t="+T, "v1="+good)
	add("two lines stale first", "t="+strconv.FormatInt(stale, 10)+",v1="+staleSig, "t="+T+",v1="+good)
	// Single-field mutations of t and v1.
	for _, tv := range tVals {
		for _, sv := range []string{good, bad, staleSig, futureSig} {
			add("t="+tv, "t="+tv+",v1="+sv)
		}
	}
	for _, sv := range sigVals {
		add("v1="+sv, "t="+T+",v1="+sv)
		add("v0 only="+sv, "t="+T+",v0="+sv)
		add("rotation+"+sv, "t="+T+",v1="+sv+",v1="+good)
	}
	// Structure mutations.
	for _, sep := range seps {
		add("sep "+sep, "t="+T+sep+"v1="+good)
	}
	structural := []string{
		"t=" + T + ",v1=" + good + ",", ",t=" + T + ",v1=" + good, "t=" + T + ",,v1=" + good, "t=" + T + ",foo,v1=" + good,
		"t=" + T + ",t=" + T + ",v1=" + good, "t=" + T + ",t=" + strconv.FormatInt(stale, 10) + ",v1=" + good,
		"t=" + strconv.FormatInt(stale, 10) + ",t=" + T + ",v1=" + good, "t=" + T + ",v1=" + good + ",v1=" + good,
		"t=" + T, "v1=" + good, "", " ", ",", "t=" + T + ",v1", "t=" + T + ",=" + good, "t=" + T + ",v1==" + good,
		" t=" + T + ",v1=" + good, "t=" + T + " ,v1=" + good, "t=" + T + ",v1=" + good + "\x00", "t=" + T + ",v1=" + good + ",x=é",
		"t=" + T + ",v1=" + good + ",v2=" + good, "t=" + T + ",scheme=v1,v1=" + good, strings.Repeat("t="+T+",", 50) + "v1=" + good,
		"t=" + T + strings.Repeat(",v1="+bad, 20) + ",v1=" + good,
	}
	for i, h := range structural {
		add("structural "+strconv.Itoa(i), h)
	}
	// Random combinations: assemble 1-5 items from random keys/values/separators.
	for i := 0; i < 400; i++ {
		n := 1 + rng.IntN(5)
		var b strings.Builder
		for j := 0; j < n; j++ {
			if j > 0 {
				if rng.IntN(4) == 0 {
					b.WriteString(seps[rng.IntN(len(seps))])
				} else {
					b.WriteString(",")
				}
			}
			k := "t"
			switch r := rng.IntN(10); {
			case r < 4 && j > 0:
				k = "v1"
			case r < 7 && j > 0:
				k = keys[rng.IntN(len(keys))]
			}
			if k == "t" && rng.IntN(3) > 0 {
				b.WriteString("t=" + tVals[rng.IntN(len(tVals))])
				continue
			}
			if k == "t" {
				b.WriteString("t=" + T)
				continue
			}
			v := good
			if rng.IntN(3) == 0 {
				v = sigVals[rng.IntN(len(sigVals))]
			}
			switch rng.IntN(8) {
			case 0:
				b.WriteString(k + v) // no '='
			default:
				b.WriteString(k + "=" + v)
			}
		}
		if rng.IntN(20) == 0 {
			add("random "+strconv.Itoa(i)+" split", b.String(), "t="+T+",v1="+good)
		} else {
			add("random "+strconv.Itoa(i), b.String())
		}
	}
	return out
}

// TestDifferentialStripePython fires hundreds of mutated headers at
// stripe-python's construct_event (one process) and at Verify: Verify must
// never accept what stripe-python rejects, and must accept the well-formed
// ones stripe-python accepts.
func TestDifferentialStripePython(t *testing.T) {
	now := time.Now().Unix()
	cases := mutations(now, testBody)
	var reqs []any
	for _, c := range cases {
		reqs = append(reqs, verifyReq{Secret: c.secret, Header: strings.Join(c.lines, ","), PayloadB64: b64(testBody)})
	}
	res := runPython[verifyRes](t, "verify.py", reqs)
	v := mustNew(t, []string{testSecret}, Options{Now: time.Now})
	counts := map[string]int{}
	for i, c := range cases {
		_, err := v.Verify(c.lines, testBody)
		ours, theirs := err == nil, res[i].OK
		counts[fmt.Sprintf("go=%v py=%v", ours, theirs)]++
		if ours && !theirs {
			t.Errorf("%s %q: Go accepts, stripe-python rejects (%s: %s)", c.name, c.lines, res[i].ErrorClass, res[i].Message)
		}
	}
	// The well-formed ones must be accepted by both.
	for i, c := range cases[:4] {
		if _, err := v.Verify(c.lines, testBody); err != nil || !res[i].OK {
			t.Errorf("well-formed %s: go=%v py=%+v", c.name, err, res[i])
		}
	}
	t.Logf("%d cases, stripe-python %s: %v", len(cases), res[0].Version, counts)
	if len(cases) < 300 || counts["go=false py=true"] == 0 || counts["go=false py=false"] == 0 {
		t.Fatalf("differential too weak: %v", counts)
	}
}

// TestStripeGoCrossCheck: stripe-go's test signer and validator agree.
func TestStripeGoCrossCheck(t *testing.T) {
	now := time.Now()
	v := mustNew(t, []string{testSecret}, Options{Now: time.Now})
	for _, body := range [][]byte{testBody, []byte(`{"id":"evt_2"}`), bytes.Repeat([]byte("x"), 10000)} {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: testSecret, Timestamp: now})
		if _, err := v.Verify([]string{sp.Header}, body); err != nil {
			t.Errorf("stripe-go header %s rejected: %v", sp.Header, err)
		}
		if got := Sign(testSecret, now.Unix(), body); got != fmt.Sprintf("%x", sp.Signature) {
			t.Errorf("Sign differs from stripe-go ComputeSignature")
		}
		if err := webhook.ValidatePayload(body, Header(now.Unix(), body, oldSecret, testSecret), testSecret); err != nil {
			t.Errorf("stripe-go rejects our header: %v", err)
		}
		sp = webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: testSecret, Timestamp: now, Scheme: "v0"})
		if _, err := v.Verify([]string{sp.Header}, body); ReasonOf(err) != NoV1Signature {
			t.Errorf("v0-only stripe-go header: %v", err)
		}
	}
	// On the mutation corpus, we never accept what stripe-go rejects either.
	for _, c := range mutations(now.Unix(), testBody) {
		if _, err := v.Verify(c.lines, testBody); err == nil {
			if gerr := webhook.ValidatePayload(testBody, strings.Join(c.lines, ","), testSecret); gerr != nil {
				t.Errorf("%s %q: Go accepts, stripe-go rejects: %v", c.name, c.lines, gerr)
			}
		}
	}
}
