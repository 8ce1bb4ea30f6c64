package guard

import (
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/testutil"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

// startFlask runs testdata/flask_app.py (Flask + stripe-python's
// construct_event) on a free loopback port and returns its base URL.
func startFlask(t testing.TB, secret string) string {
	py := testutil.NeedPython(t, "stripe", "flask")
	port := freePort(t)
	cmd := exec.Command(py, "testdata/flask_app.py", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "STRIPE_WEBHOOK_SECRET="+secret)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	for i := 0; i < 600; i++ {
		if resp, err := http.Get(base + "/ready"); err == nil {
			resp.Body.Close()
			return base
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("flask app did not start")
	return ""
}

// TestGuardInFrontOfStripePythonApp: what the guard forwards still verifies
// in a real Flask app with stripe-python (exact bytes, original header).
func TestGuardInFrontOfStripePythonApp(t *testing.T) {
	app := startFlask(t, secret)
	_, gs := newGuard(t, app, nil)
	tests := []struct {
		name   string
		body   []byte
		header string
		status int
		want   string
	}{
		{"signed", event("evt_flask_1"), "", 200, `"id":"evt_flask_1"`},
		{"rotation header", event("evt_flask_2"), webhooksig.Header(time.Now().Unix(), event("evt_flask_2"), secret2, secret), 200, `"id":"evt_flask_2"`},
		{"unicode body", []byte(`{"id":"evt_flask_3","description":"café ☕"}`), "", 200, `"id":"evt_flask_3"`},
		{"duplicate", event("evt_flask_1"), "", 200, `"duplicate":true`},
		{"forged", event("evt_flask_4"), webhooksig.Header(time.Now().Unix(), event("evt_flask_4"), "whsec_forger"), 400, "signature-mismatch"},
		// stripe-python raises TypeError (500 in Flask) on this; the guard answers 400.
		{"non-ascii v1", event("evt_flask_5"), "t=" + strconv.FormatInt(time.Now().Unix(), 10) + ",v1=é" + strings.Repeat("a", 63), 400, "malformed-header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == "" {
				h = signed(tc.body)
			}
			st, b, _ := post(t, gs.URL+"/webhook", tc.body, h)
			if st != tc.status || !strings.Contains(strings.ReplaceAll(b, " ", ""), tc.want) {
				t.Fatalf("got %d %q, want %d %q", st, b, tc.status, tc.want)
			}
		})
	}
}
