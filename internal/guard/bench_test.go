package guard

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

// BenchmarkProxy: client -> guard -> trivial upstream over real loopback
// HTTP, 3 KB signed events with unique ids (so every request is verified,
// claimed, forwarded and marked done). Signing happens in the loop.
func BenchmarkProxy(b *testing.B) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"received":true}`))
	}))
	defer app.Close()
	for _, mode := range []string{"verified", "forged"} {
		b.Run(mode, func(b *testing.B) {
			g, err := New(Config{Upstream: app.URL}, []string{secret})
			if err != nil {
				b.Fatal(err)
			}
			gs := httptest.NewServer(g)
			defer gs.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
			pad := strings.Repeat("x", 3000)
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					body := []byte(`{"id":"evt_bench_` + strconv.FormatInt(i, 10) + `","object":"event","pad":"` + pad + `"}`)
					key := secret
					if mode == "forged" {
						key = "whsec_forger"
					}
					req, _ := http.NewRequest("POST", gs.URL+"/webhook", bytes.NewReader(body))
					req.Header.Set("Stripe-Signature", webhooksig.Header(time.Now().Unix(), body, key))
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if want := map[string]int{"verified": 200, "forged": 400}[mode]; resp.StatusCode != want {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}

// BenchmarkForward: the guard's forwarding alone (keep-alive pool to a
// plain-http upstream, forwarding headers, exact body), without the client
// hop and the signature check of BenchmarkProxy.
func BenchmarkForward(b *testing.B) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"received":true}`))
	}))
	defer app.Close()
	g, err := New(Config{Upstream: app.URL}, []string{secret})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	body := []byte(`{"id":"evt_bench","object":"event","pad":"` + strings.Repeat("x", 3000) + `"}`)
	for _, par := range []int{1, 8} {
		b.Run("parallelism="+strconv.Itoa(par), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("POST", "/webhook", bytes.NewReader(body))
					r.Header.Set("Stripe-Signature", "t=1,v1=00")
					r.Header.Set("Content-Type", "application/json")
					resp, err := g.forward(r, body)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatal(resp.Status)
					}
				}
			})
		})
	}
}
