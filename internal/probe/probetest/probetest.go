// Package probetest starts the Python webhook apps of
// internal/probe/testdata/apps for the probe's tests (internal/probe and the
// probe command in internal/cli). Only tests may import it.
package probetest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Secret is the STRIPE_WEBHOOK_SECRET the apps are started with.
const Secret = "whsec_stripeguard_probe_test_5b1f0c2e9a7d"

// syncBuffer collects a child's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FreePort returns a 127.0.0.1 port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func script(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", "apps", "webhook_apps.py")
}

// StartApp runs webhook_apps.py --app app --framework framework with the
// interpreter py (testutil.NeedPython) on a free loopback port, with
// STRIPE_WEBHOOK_SECRET=Secret, and returns the webhook URL once the port
// accepts connections. The process is killed in t.Cleanup.
func StartApp(t testing.TB, py, framework, app string) string {
	t.Helper()
	port := FreePort(t)
	cmd := exec.Command(py, script(t), "--app", app, "--framework", framework, "--port", fmt.Sprint(port))
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "STRIPE_WEBHOOK_SECRET") && !strings.HasPrefix(e, "PYTHON") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "STRIPE_WEBHOOK_SECRET="+Secret, "PYTHONDONTWRITEBYTECODE=1")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s/%s output:\n%s", framework, app, out.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		select {
		case <-exited:
			t.Fatalf("%s/%s exited before listening:\n%s", framework, app, out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i >= 300 {
			t.Fatalf("%s/%s not listening on %s after 300 attempts:\n%s", framework, app, addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "http://" + addr + "/webhooks/stripe"
}
