// Command upstream stands in for api.stripe.com in the broker benchmark: an
// HTTPS server (HTTP/1.1, keep-alive) with a fresh self-signed certificate
// for 127.0.0.1, whose PEM it writes to -cert-out so the broker verifies it
// the standard way (--stripe-ca). Every POST gets a Stripe-shaped
// PaymentIntent (about 700 bytes) and a Request-Id. It refuses requests
// without a Bearer key that is not a broker token, so a run where the broker
// forgot to inject the key fails loudly.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const intent = `{"id":"pi_3MtwBwLkdIwHu7ix28a3tqPa","object":"payment_intent","amount":1000,"amount_capturable":0,"amount_received":0,"application":null,"capture_method":"automatic","client_secret":"pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH","confirmation_method":"automatic","created":1680800504,"currency":"usd","customer":"cus_123","description":"bench","last_payment_error":null,"livemode":false,"metadata":{},"next_action":null,"payment_method":null,"payment_method_types":["card"],"receipt_email":null,"setup_future_usage":null,"shipping":null,"statement_descriptor":null,"status":"requires_payment_method","transfer_data":null,"transfer_group":null}`

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "HTTPS listen address")
	certOut := flag.String("cert-out", "", "write the certificate (PEM) here")
	addrOut := flag.String("addr-out", "", "write the bound address here")
	flag.Parse()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench upstream"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	if *certOut != "" {
		os.WriteFile(*certOut, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	}
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer sk_test_") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"no real key"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_"+strconv.FormatInt(n.Add(1), 36))
		w.Header().Set("Content-Length", strconv.Itoa(len(intent)))
		io.WriteString(w, intent)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *addrOut != "" {
		os.WriteFile(*addrOut, []byte(ln.Addr().String()), 0o644)
	}
	srv := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		NextProtos: []string{"http/1.1"}}, TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, os.Interrupt)
		<-c
		srv.Close()
	}()
	if err := srv.ServeTLS(ln, "", ""); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
