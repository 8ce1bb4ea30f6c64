package guard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLeanForwarder covers the upstream behaviours the lean client must
// survive: Connection: close, chunked and large bodies, keep-alive
// connections the upstream closed while idle, 1xx before the answer,
// hop-by-hop headers.
func TestLeanForwarder(t *testing.T) {
	big := strings.Repeat("0123456789", 50_000)
	app := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Hop") != "" || r.Header.Get("Keep-Alive") != "" {
			w.WriteHeader(418)
			return
		}
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "closing")
		case "/chunked":
			for i := 0; i < 5; i++ {
				io.WriteString(w, big[:1000])
				w.(http.Flusher).Flush()
			}
		case "/big":
			io.WriteString(w, big)
		case "/continue":
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(202)
			io.WriteString(w, "accepted")
		default:
			io.WriteString(w, "ok")
		}
	}))
	app.Config.IdleTimeout = 50 * time.Millisecond
	app.Start()
	defer app.Close()
	g, gs := newGuard(t, app.URL, nil)
	if g.lean == nil {
		t.Fatal("lean forwarder not used")
	}
	tests := []struct {
		path    string
		sleep   time.Duration
		status  int
		bodyLen int
	}{
		{"/close", 0, 200, len("closing")},
		{"/close", 0, 200, len("closing")},
		{"/chunked", 0, 200, 5000},
		{"/big", 0, 200, len(big)},
		{"/x", 200 * time.Millisecond, 200, 2}, // upstream closed the idle conn meanwhile
		{"/x", 200 * time.Millisecond, 200, 2},
		{"/continue", 0, 202, len("accepted")},
	}
	for i, tc := range tests {
		time.Sleep(tc.sleep)
		body := event("evt_lean_" + strconv.Itoa(i))
		req, _ := http.NewRequest("POST", gs.URL+tc.path, strings.NewReader(string(body)))
		req.Header.Set("Stripe-Signature", signed(body))
		req.Header.Set("Connection", "X-Hop")
		req.Header.Set("X-Hop", "1")
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || len(b) != tc.bodyLen {
			t.Fatalf("%d %s: %d, %d bytes; want %d, %d bytes", i, tc.path, resp.StatusCode, len(b), tc.status, tc.bodyLen)
		}
	}
}
