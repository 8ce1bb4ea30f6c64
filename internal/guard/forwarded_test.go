package guard

import (
	"bytes"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// What the app sees: forwarding headers set from the guard's view of the
// client, spoofed ones from an untrusted client dropped, a trusted
// proxy's chain kept and extended; on both upstream paths (the lean
// client for http upstreams, http.Transport otherwise).
func TestForwardingHeaders(t *testing.T) {
	for _, transport := range []bool{false, true} {
		for _, trusted := range []bool{false, true} {
			name := map[bool]string{false: "lean", true: "transport"}[transport] + map[bool]string{false: "/untrusted", true: "/trusted"}[trusted]
			t.Run(name, func(t *testing.T) {
				up := newUpstream(t)
				g, gs := newGuard(t, up.srv.URL, func(c *Config) {
					if transport {
						c.Transport = NewTransport(DefaultUpstreamTimeout)
					}
					if trusted {
						c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
					}
				})
				if (g.lean == nil) != transport {
					t.Fatalf("lean client in use: %v", g.lean != nil)
				}
				body := event("evt_fwd_" + strings.ReplaceAll(name, "/", "_"))
				req, _ := http.NewRequest("POST", gs.URL+"/hook", bytes.NewReader(body))
				req.Header.Set("Stripe-Signature", signed(body))
				req.Header.Set("X-Forwarded-For", "203.0.113.7")
				req.Header.Add("X-Forwarded-For", "198.51.100.1")
				req.Header.Set("Forwarded", `for=203.0.113.7;proto=https`)
				req.Header.Set("X-Forwarded-Proto", "https")
				req.Header.Set("X-Forwarded-Host", "shop.example")
				req.Header.Set("X-Real-Ip", "203.0.113.7")
				resp, err := testClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || up.count.Load() != 1 {
					t.Fatalf("status %d, forwarded %d", resp.StatusCode, up.count.Load())
				}
				h := up.got[0].header
				host := strings.TrimPrefix(gs.URL, "http://")
				want := map[string][]string{
					"X-Forwarded-For":   {"127.0.0.1"},
					"X-Forwarded-Proto": {"http"},
					"X-Forwarded-Host":  {host},
					"Forwarded":         {`for=127.0.0.1;host="` + host + `";proto=http`},
					"X-Real-Ip":         nil,
				}
				if trusted {
					want = map[string][]string{
						"X-Forwarded-For":   {"203.0.113.7, 198.51.100.1, 127.0.0.1"},
						"X-Forwarded-Proto": {"https"},
						"X-Forwarded-Host":  {"shop.example"},
						"Forwarded":         {`for=203.0.113.7;proto=https, for=127.0.0.1;host="` + host + `";proto=http`},
						"X-Real-Ip":         {"203.0.113.7"},
					}
				}
				for k, v := range want {
					if got := h.Values(k); strings.Join(got, "|") != strings.Join(v, "|") {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
				if h.Get("Stripe-Signature") == "" || !bytes.Equal(up.got[0].body, body) {
					t.Error("signature header or body not forwarded as received")
				}
			})
		}
	}
}

func TestForwardedSyntax(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.60", "192.0.2.60"},
		{"2001:db8:cafe::17", `"[2001:db8:cafe::17]"`},
		{"::ffff:192.0.2.1", `"[::ffff:192.0.2.1]"`},
	} {
		a := netip.MustParseAddr(tc.addr)
		if got := forwardedNode(a, a.String()); got != tc.want {
			t.Errorf("node %s = %s, want %s", tc.addr, got, tc.want)
		}
	}
	if got := forwardedNode(netip.Addr{}, "@pipe"); got != "\"@pipe\"" {
		t.Errorf("unix peer: %s", got)
	}
	for in, want := range map[string]string{
		"example.com": "example.com", "example.com:8443": `"example.com:8443"`, `a"b\c`: `"a\"b\\c"`, "x\r\ny": `"xy"`, "": `""`,
	} {
		if got := forwardedValue(in); got != want {
			t.Errorf("value %q = %s, want %s", in, got, want)
		}
	}
}

// An IPv6 client on the loopback: the Forwarded node is bracketed.
func TestForwardingIPv6(t *testing.T) {
	up := newUpstream(t)
	g, err := New(Config{Upstream: up.srv.URL}, []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	body := event("evt_fwd_v6")
	req, _ := http.NewRequest("POST", "http://[::1]:1/x", bytes.NewReader(body))
	req.RemoteAddr = "[::1]:40000"
	req.Header.Set("Stripe-Signature", signed(body))
	f := g.forwardedFor(req)
	if f.xff != "::1" || !strings.HasPrefix(f.fwd, `for="[::1]";host="[::1]:1";proto=http`) {
		t.Errorf("got %+v", f)
	}
}

// BenchmarkForwardedFor is the per-request cost of computing the
// forwarding headers (compare with BenchmarkProxy's round trip).
func BenchmarkForwardedFor(b *testing.B) {
	g, err := New(Config{Upstream: "http://127.0.0.1:9"}, []string{secret})
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8787/webhooks/stripe", nil)
	req.RemoteAddr = "203.0.113.9:54321"
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	b.ReportAllocs()
	for b.Loop() {
		f := g.forwardedFor(req)
		if f.xff == "" {
			b.Fatal("no header")
		}
	}
}
