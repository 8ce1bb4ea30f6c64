package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte("ok\n"))
	}))
	defer srv.Close()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"health"}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run(srv.URL + "/healthz"); code != 0 || out != "ok\n" {
		t.Errorf("healthy: %d %q", code, out)
	}
	status = http.StatusServiceUnavailable
	if code, _, errs := run(srv.URL + "/healthz"); code != 1 || !strings.Contains(errs, "503") {
		t.Errorf("503: %d %q", code, errs)
	}
	srv.Close()
	if code, _, _ := run("--timeout", "500ms", srv.URL+"/healthz"); code != 1 {
		t.Errorf("down: %d", code)
	}
	for _, bad := range [][]string{{"ftp://x"}, {"a", "b"}, {"--timeout", "x"}} {
		if code, _, _ := run(bad...); code != 2 {
			t.Errorf("%v: %d, want 2", bad, code)
		}
	}
}
