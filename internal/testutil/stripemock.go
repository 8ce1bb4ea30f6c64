package testutil

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// StripeMockVersion is the stripe-mock .ci/run installs.
const StripeMockVersion = "v0.203.0"

// StripeMock starts stripe-mock (Stripe's API mock: it accepts any
// sk_test_/rk_test_ key and answers 401 to live keys) on a loopback port
// for the test and returns its base URL. It looks for the program on PATH
// and in $GOPATH/bin; missing, it skips the test (fails in CI).
func StripeMock(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		home, _ := os.UserHomeDir()
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			gopath = filepath.Join(home, "go")
		}
		bin = filepath.Join(gopath, "bin", "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			Unavailable(t, "stripe-mock not installed (go install github.com/stripe/stripe-mock@%s)", StripeMockVersion)
		}
	}
	for attempt := 0; attempt < 3; attempt++ {
		port := freePort(t) // shared with browser.go
		var out bytes.Buffer
		cmd := exec.Command(bin, "-http-addr", "127.0.0.1:"+port, "-https-addr", "127.0.0.1:0")
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start stripe-mock: %v", err)
		}
		base := "http://127.0.0.1:" + port
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if waitReady(base, exited) {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return base
		}
		_ = cmd.Process.Kill()
		<-exited
		t.Logf("stripe-mock did not come up on port %s: %s", port, out.String())
	}
	t.Fatal("stripe-mock did not start")
	return ""
}

// waitReady polls the mock until it answers (it loads its OpenAPI
// fixtures first, which takes a moment on a busy machine).
func waitReady(base string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(30 * time.Second)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer sk_"+"test_123")
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
