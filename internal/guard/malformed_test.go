package guard

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

// TestGuardNever5xxOnMalformed: hundreds of malformed requests, at the HTTP
// level (raw bytes) and at the Stripe level (headers, bodies), all get a
// 4xx and none reaches the app.
func TestGuardNever5xxOnMalformed(t *testing.T) {
	up := newUpstream(t)
	_, gs := newGuard(t, up.srv.URL, func(c *Config) { c.MaxBody = 8 << 10 })
	addr := strings.TrimPrefix(gs.URL, "http://")
	now := time.Now().Unix()
	body := event("evt_malformed")
	good := webhooksig.Sign(secret, now, body)

	raw := []string{
		"POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
		"POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
		"POST /w HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nStripe-Signature: t=1,v1=" + good + "\r\n\r\nzz\r\n",
		"POST /w HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n",
		"POST /w HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=" + strconv.FormatInt(now, 10) + ",v1=" + good + "\r\nContent-Length: 99999999\r\n\r\n",
		"POST /w HTTP/1.1\r\nHost: x\r\nStripe-Signature: \xff\xfe\r\nContent-Length: 2\r\n\r\n{}",
		"POST /w HTTP/1.1\r\nHost: x\r\nstripe-signature: t=1,v1=" + good + "\r\nStripe-Signature: t=1,v1=" + good + "\r\nContent-Length: 2\r\n\r\n{}",
		"GARBAGE\r\n\r\n",
		"POST /w HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 70<<10) + "\r\n\r\n",
	}
	for i, r := range raw {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, r)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil {
			t.Fatalf("raw %d: %v", i, err)
		}
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			t.Errorf("raw %d %.60q: status %d", i, r, resp.StatusCode)
		}
	}

	rng := rand.New(rand.NewPCG(7, 9))
	pieces := []string{"t=", "v1=", "v0=", ",", "=", " ", "\t", strconv.FormatInt(now, 10), good, strings.ToUpper(good), "abc", "é", "\x7f", "-1", "99999999999999999999"}
	bodies := [][]byte{body, nil, []byte("{"), []byte(`{"id":1}`), []byte("\xff\xfe"), bytes.Repeat([]byte("x"), 9<<10), []byte(`[]`)}
	for i := 0; i < 300; i++ {
		var h strings.Builder
		for j := rng.IntN(6); j >= 0; j-- {
			h.WriteString(pieces[rng.IntN(len(pieces))])
		}
		b := bodies[rng.IntN(len(bodies))]
		hv := h.String()
		if i%5 == 0 { // correctly signed but structurally bad bodies
			hv = webhooksig.Header(now, b, secret)
			if bytes.Equal(b, body) {
				continue
			}
		}
		req, _ := http.NewRequest("POST", gs.URL+"/w", bytes.NewReader(b))
		req.Header["Stripe-Signature"] = []string{hv}
		resp, err := testClient.Do(req)
		if err != nil {
			// net/http refuses to send some header bytes; that is not the guard's answer.
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			t.Errorf("case %d header %q body %.20q: status %d", i, hv, b, resp.StatusCode)
		}
	}
	if n := up.count.Load(); n != 0 {
		t.Fatalf("%d malformed requests reached the app", n)
	}
}
