package testutil

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// StripeMockServer is a real stripe-mock (github.com/stripe/stripe-mock)
// listening on loopback for HTTP and HTTPS (StripeMock in stripemock.go
// gives the HTTP base URL alone).
type StripeMockServer struct {
	HTTPAddr  string // 127.0.0.1:port
	HTTPSAddr string
	cmd       *exec.Cmd
}

// stripeMockPath finds stripe-mock on PATH or where `go install` puts it.
func stripeMockPath() string {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	var dirs []string
	if gb := os.Getenv("GOBIN"); gb != "" {
		dirs = append(dirs, gb)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(strings.Split(gp, string(os.PathListSeparator))[0], "bin"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "stripe-mock")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// StripeMockTLS starts stripe-mock on free loopback ports (-http-addr and
// -https-addr 127.0.0.1:0, the ports it chose read from its output) and
// stops it when the test ends. It skips on a laptop without stripe-mock and
// fails in CI (.ci/run installs it).
func StripeMockTLS(t testing.TB) *StripeMockServer {
	t.Helper()
	bin := stripeMockPath()
	if bin == "" {
		Unavailable(t, "stripe-mock (go install github.com/stripe/stripe-mock@%s)", StripeMockVersion)
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &StripeMockServer{cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addrs := make(chan [2]string, 1)
	go func() {
		// stripe-mock logs every request on stdout: keep draining it so it
		// never blocks on a full pipe.
		sc := bufio.NewScanner(out)
		var a [2]string
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "Listening for HTTPS at address: "); ok {
				a[1] = rest
			} else if rest, ok := strings.CutPrefix(line, "Listening for HTTP at address: "); ok {
				a[0] = rest
			}
			if !sent && a[0] != "" && a[1] != "" {
				addrs <- a
				sent = true
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case a := <-addrs:
		s.HTTPAddr, s.HTTPSAddr = a[0], a[1]
	case <-time.After(60 * time.Second):
		t.Fatal("stripe-mock did not report its addresses within 60 s")
	}
	// The listeners are up once the addresses are printed; wait until the
	// HTTP one answers anyway (the spec is loaded before).
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", s.HTTPAddr); err == nil {
			c.Close()
			return s
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("stripe-mock on %s did not accept connections", s.HTTPAddr)
	return nil
}

// RedisServer is a real redis-server on a free loopback port.
type RedisServer struct {
	t    testing.TB
	bin  string
	dir  string
	Port int
	args []string
	cmd  *exec.Cmd
}

// Redis starts redis-server (no persistence unless extra says so) and stops
// it when the test ends; skips on a laptop without it, fails in CI.
func Redis(t testing.TB, extra ...string) *RedisServer {
	t.Helper()
	bin := NeedProgram(t, "redis-server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &RedisServer{t: t, bin: bin, dir: t.TempDir(), Port: port, args: extra}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is redis://127.0.0.1:port/0.
func (r *RedisServer) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(r.Port) + "/0" }

// Start (re)starts the server on the same port and directory.
func (r *RedisServer) Start() {
	r.t.Helper()
	args := []string{"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--dir", r.dir, "--save", "", "--appendonly", "no"}
	args = append(args, r.args...)
	r.cmd = exec.Command(r.bin, args...)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(r.Port)})
	defer c.Close()
	for i := 0; i < 200; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on port %d did not answer", r.Port)
}

// Stop kills the server.
func (r *RedisServer) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}
