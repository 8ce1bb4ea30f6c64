package guard

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Forwarding headers. The app behind the guard sees the guard as its
// client; these tell it who the real client was and how the request came
// in (RFC 7239 Forwarded, and the de-facto X-Forwarded-* trio). Only
// proxies set them, so a value sent by a peer that is not a trusted proxy
// is a spoof: it is dropped and replaced, never passed on (an app that
// allow-lists Stripe's IPs by X-Forwarded-For would otherwise trust any
// client that writes one).
var forwardingHeaders = map[string]bool{
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Host": true,
	"X-Forwarded-Proto": true, "X-Real-Ip": true,
}

// forwarded is what the guard sends upstream in place of the incoming
// forwarding headers; realIP is passed on only from a trusted proxy.
type forwarded struct {
	xff, proto, host, fwd, realIP string
}

// forwardedFor computes the forwarding headers for r. From a trusted proxy
// (Config.TrustedProxies) the chain it sent is kept and the proxy itself
// appended; from anyone else the chain starts at the peer.
func (g *Guard) forwardedFor(r *http.Request) forwarded {
	peer := r.RemoteAddr
	var addr netip.Addr
	if ap, err := netip.ParseAddrPort(peer); err == nil {
		addr = ap.Addr().Unmap()
		peer = addr.String()
	} else if h, _, err := net.SplitHostPort(peer); err == nil {
		peer = h
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	f := forwarded{xff: peer, proto: proto, host: r.Host}
	elem := "for=" + forwardedNode(addr, peer) + ";host=" + forwardedValue(r.Host) + ";proto=" + proto
	f.fwd = elem
	if !g.trusted(addr) {
		return f
	}
	if prior := strings.Join(r.Header.Values("X-Forwarded-For"), ", "); strings.TrimSpace(prior) != "" {
		f.xff = prior + ", " + peer
	}
	if v := r.Header.Get("X-Forwarded-Proto"); v != "" {
		f.proto = v
	}
	if v := r.Header.Get("X-Forwarded-Host"); v != "" {
		f.host = v
	}
	if prior := strings.Join(r.Header.Values("Forwarded"), ", "); strings.TrimSpace(prior) != "" {
		f.fwd = prior + ", " + elem
	}
	f.realIP = r.Header.Get("X-Real-Ip")
	return f
}

func (g *Guard) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range g.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// set writes the headers into h (the http.Transport path).
func (f *forwarded) set(h http.Header) {
	for k := range forwardingHeaders {
		delete(h, k)
	}
	h["X-Forwarded-For"] = []string{f.xff}
	h["X-Forwarded-Proto"] = []string{f.proto}
	if f.host != "" {
		h["X-Forwarded-Host"] = []string{f.host}
	}
	h["Forwarded"] = []string{f.fwd}
	if f.realIP != "" {
		h["X-Real-Ip"] = []string{f.realIP}
	}
}

// forwardedNode is the RFC 7239 node of the client: an IPv4 address as
// is, an IPv6 address bracketed and quoted, anything else quoted.
func forwardedNode(a netip.Addr, s string) string {
	switch {
	case a.Is4():
		return s
	case a.Is6():
		return `"[` + a.String() + `]"`
	}
	return forwardedValue(s)
}

// forwardedValue writes v as a token when it is one, else as a quoted
// string (a host:port has a ':' and must be quoted).
func forwardedValue(v string) string {
	token := v != ""
	for i := 0; i < len(v); i++ {
		if !isTokenChar(v[i]) {
			token = false
			break
		}
	}
	if token {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		if c < ' ' || c == 0x7f {
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

func isTokenChar(c byte) bool {
	if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
