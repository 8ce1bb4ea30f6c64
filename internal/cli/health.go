package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

func init() {
	Register(&Command{Name: "health", Summary: "check a running guard's admin /healthz (container HEALTHCHECK, no curl needed)", Run: runHealth})
}

// runHealth exits 0 when URL answers 200, 1 when it does not (Docker and
// Kubernetes read 1 as unhealthy), 2 on a usage error. Images built FROM
// distroless or scratch have no shell or curl; the binary checks itself.
func runHealth(args []string, std Stdio) int {
	fs := newFlagSet("health", "health [--timeout D] [URL]", std.Err)
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		return Fail(std, err)
	}
	if len(pos) > 1 {
		return Fail(std, fmt.Errorf("health takes one URL, got %d", len(pos)))
	}
	url := "http://127.0.0.1:8788/healthz"
	if len(pos) == 1 {
		url = pos[0]
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return Fail(std, fmt.Errorf("health: %q is not an http(s) URL", url))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Fail(std, err)
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		fmt.Fprintf(std.Err, "stripeguard: unhealthy: %v\n", err)
		return ExitFindings
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(std.Err, "stripeguard: unhealthy: %s %s\n", resp.Status, strings.TrimSpace(string(body)))
		return ExitFindings
	}
	fmt.Fprintf(std.Out, "%s", body)
	return ExitOK
}
