// Command refproxy is the reference point of the guard benchmark: the
// "minimal Go proxy" of the issue, verifying Stripe-Signature with
// crypto/hmac (no strict parsing, no dedupe, no metrics) and forwarding with
// httputil.ReverseProxy (256 idle connections per host). run.sh measures it
// on the same machine at the same time as the guard, so the two numbers are
// comparable even when the machine is busy.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8789", "listen address (loopback)")
	upstream := flag.String("upstream", "http://127.0.0.1:8000", "upstream")
	secret := flag.String("secret", "", "whsec_ secret")
	flag.Parse()
	u, err := url.Parse(*upstream)
	if err != nil || *secret == "" {
		log.Fatal("need -upstream and -secret")
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256}
	key := []byte(*secret)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(w, "read", 400)
			return
		}
		var t string
		var sigs []string
		for _, kv := range strings.Split(r.Header.Get("Stripe-Signature"), ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "t":
				t = v
			case "v1":
				sigs = append(sigs, v)
			}
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(t + "."))
		m.Write(body)
		want := m.Sum(nil)
		ok := false
		for _, s := range sigs {
			if b, err := hex.DecodeString(s); err == nil && hmac.Equal(b, want) {
				ok = true
			}
		}
		if !ok || t == "" {
			http.Error(w, "bad signature", 400)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
	})
	srv := &http.Server{Addr: *listen, Handler: h}
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, os.Interrupt)
		<-c
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
