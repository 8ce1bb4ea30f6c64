package guard

import (
	"bufio"
	"net/http"
	"strconv"
	"time"

	"github.com/stripeguard/stripeguard/internal/httppool"
)

// The guard forwards to a plain-http upstream through internal/httppool
// (each exchange synchronous in the handler goroutine); https upstreams use
// http.Transport. A request is written at most once: idle connections are
// checked before reuse, and any failure after writing is an error (502, the
// claim is released, Stripe retries) rather than a resend that could
// deliver an event twice.
func newLeanClient(hostport string, timeout time.Duration) *httppool.Pool {
	return httppool.New(httppool.Options{Addr: hostport, Timeout: timeout, DialTimeout: 5 * time.Second, MaxIdle: 1024})
}

func writeRequest(w *bufio.Writer, r *http.Request, uri, host string, fwd *forwarded, body []byte) {
	w.WriteString(r.Method)
	w.WriteByte(' ')
	w.WriteString(uri)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	conn := r.Header["Connection"]
	for k, vv := range r.Header {
		if k == "Host" || k == "Content-Length" || k == "Expect" || isHop(k) || listed(conn, k) || !validHeaderKey(k) || forwardingHeaders[k] {
			continue
		}
		for _, v := range vv {
			httppool.WriteField(w, k, v)
		}
	}
	httppool.WriteField(w, "X-Forwarded-For", fwd.xff)
	httppool.WriteField(w, "X-Forwarded-Proto", fwd.proto)
	if fwd.host != "" {
		httppool.WriteField(w, "X-Forwarded-Host", fwd.host)
	}
	httppool.WriteField(w, "Forwarded", fwd.fwd)
	if fwd.realIP != "" {
		httppool.WriteField(w, "X-Real-Ip", fwd.realIP)
	}
	w.WriteString("Content-Length: ")
	w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(body)), 10))
	w.WriteString("\r\n\r\n")
	w.Write(body)
}

// validHeaderKey: the Go server refused malformed names in incoming
// requests already; stay defensive.
func validHeaderKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c == ':' || c >= 0x7f {
			return false
		}
	}
	return k != ""
}
