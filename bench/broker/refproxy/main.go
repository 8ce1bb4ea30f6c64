// Command refproxy is the reference point of the broker benchmark: a
// minimal Go credential-injecting reverse proxy (httputil.ReverseProxy,
// 256 idle TLS connections per host, the key put in Authorization), with
// no token check, no policy, no scrubbing, no logs, no metrics. run.sh
// measures it at the same time as the broker against the same upstream.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8792", "listen address (loopback)")
	upstream := flag.String("upstream", "", "https upstream")
	ca := flag.String("ca", "", "PEM of the upstream's certificate")
	key := flag.String("key", "", "the key to inject")
	flag.Parse()
	u, err := url.Parse(*upstream)
	if err != nil || *key == "" {
		log.Fatal("need -upstream and -key")
	}
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(*ca)
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		log.Fatal("need -ca")
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Header.Set("Authorization", "Bearer "+*key)
		},
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, ForceAttemptHTTP2: false,
			TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	srv := &http.Server{Addr: *listen, Handler: rp}
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
