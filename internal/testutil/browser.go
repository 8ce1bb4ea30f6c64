package testutil

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Browser is a headless Chromium driven through chromedriver (W3C
// WebDriver over HTTP on loopback), for tests that check what a person
// sees: DOM contents, clicks, typing, screenshots.
type Browser struct {
	t       testing.TB
	base    string // http://127.0.0.1:port/session/<id>
	client  *http.Client
	cmd     *exec.Cmd
	profile string
}

// ChromiumFlags are the flags that work in a sandboxed CI container: no
// sandbox, no GPU, and no background traffic of any kind (the tests must
// not touch the network).
var ChromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
}

// NewBrowser starts chromedriver and a Chromium session with a fresh
// profile; it skips (fails in CI) when Debian's chromium or
// chromium-driver is missing. The browser stops with the test.
func NewBrowser(t testing.TB, width, height int) *Browser {
	t.Helper()
	chromium := ""
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			chromium = path
			break
		}
	}
	if chromium == "" {
		Unavailable(t, "chromium not on PATH (apt-get install chromium)")
	}
	driver := NeedProgram(t, "chromedriver")
	port := freePort(t)
	profile := t.TempDir()
	cmd := exec.Command(driver, "--port="+port, "--allowed-ips=127.0.0.1")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("chromedriver: %v", err)
	}
	b := &Browser{t: t, client: &http.Client{Timeout: 60 * time.Second}, cmd: cmd, profile: profile}
	t.Cleanup(b.close)
	root := "http://127.0.0.1:" + port
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := b.client.Get(root + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	args := append(append([]string{}, ChromiumFlags...), "--user-data-dir="+profile,
		fmt.Sprintf("--window-size=%d,%d", width, height))
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":        "chrome",
		"pageLoadStrategy":   "normal",
		"goog:chromeOptions": map[string]any{"binary": chromium, "args": args},
		"goog:loggingPrefs":  map[string]string{"browser": "ALL"},
	}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	b.base = root
	if err := b.call("POST", "/session", caps, &sess); err != nil {
		t.Fatalf("new browser session: %v\n%s", err, logs.String())
	}
	b.base = root + "/session/" + sess.SessionID
	return b
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func (b *Browser) close() {
	if b.cmd == nil {
		return
	}
	if strings.Contains(b.base, "/session/") {
		req, _ := http.NewRequest("DELETE", b.base, nil)
		if resp, err := b.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	b.cmd.Process.Kill()
	b.cmd.Wait()
	b.cmd = nil
}

// call sends one WebDriver command and decodes its "value" into out.
func (b *Browser) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, env.Value)
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

// Open loads a URL (file:// for a report) and waits for the load event.
func (b *Browser) Open(url string) {
	b.t.Helper()
	if err := b.call("POST", "/url", map[string]string{"url": url}, nil); err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
}

// Eval runs a script in the page ("return …") and decodes its result.
func (b *Browser) Eval(script string, out any, args ...any) {
	b.t.Helper()
	if args == nil {
		args = []any{}
	}
	if err := b.call("POST", "/execute/sync", map[string]any{"script": script, "args": args}, out); err != nil {
		b.t.Fatalf("script %q: %v", script, err)
	}
}

const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// Element finds the first element matching a CSS selector.
func (b *Browser) Element(css string) string {
	b.t.Helper()
	var el map[string]string
	if err := b.call("POST", "/element", map[string]string{"using": "css selector", "value": css}, &el); err != nil {
		b.t.Fatalf("find %s: %v", css, err)
	}
	return el[elementKey]
}

// Click clicks the element matching css, as a user would (real input
// events). The element is first scrolled to the middle of the window:
// chromedriver scrolls it to the top edge, under any sticky header.
func (b *Browser) Click(css string) {
	b.t.Helper()
	el := b.Element(css)
	b.Eval(`arguments[0].scrollIntoView({block: "center"}); return null`, nil, map[string]string{elementKey: el})
	if err := b.call("POST", "/element/"+el+"/click", map[string]any{}, nil); err != nil {
		b.t.Fatalf("click %s: %v", css, err)
	}
}

// Type types text into the element matching css.
func (b *Browser) Type(css, text string) {
	b.t.Helper()
	if err := b.call("POST", "/element/"+b.Element(css)+"/value", map[string]string{"text": text}, nil); err != nil {
		b.t.Fatalf("type into %s: %v", css, err)
	}
}

// Clear empties an input.
func (b *Browser) Clear(css string) {
	b.t.Helper()
	if err := b.call("POST", "/element/"+b.Element(css)+"/clear", map[string]any{}, nil); err != nil {
		b.t.Fatalf("clear %s: %v", css, err)
	}
}

// Resize sets the window size (a full-page screenshot is a tall window).
func (b *Browser) Resize(width, height int) {
	b.t.Helper()
	if err := b.call("POST", "/window/rect", map[string]int{"width": width, "height": height}, nil); err != nil {
		b.t.Fatalf("resize: %v", err)
	}
}

// Screenshot returns a PNG of the viewport.
func (b *Browser) Screenshot() []byte {
	b.t.Helper()
	var s string
	if err := b.call("GET", "/screenshot", nil, &s); err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	png, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	return png
}

// Log returns the browser console messages so far (errors from the page's
// script, refused fetches, CSP violations).
func (b *Browser) Log() []string {
	b.t.Helper()
	var entries []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	if err := b.call("POST", "/se/log", map[string]string{"type": "browser"}, &entries); err != nil {
		// Not every chromedriver exposes the legacy log endpoint.
		fmt.Fprintf(os.Stderr, "browser log unavailable: %v\n", err)
		return nil
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Level+": "+e.Message)
	}
	return out
}
