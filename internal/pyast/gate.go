package pyast

import (
	"bytes"
	"sync"

	"github.com/stripeguard/stripeguard/internal/source"
)

// Gate bits: which cheap byte patterns a file contains.
const (
	GateStripe  uint8 = 1 << iota // "stripe" in any of the usual cases
	GateWebhook                   // "webhook" (lower or title case)
	GateLiveKey                   // a live key prefix (sk_live_, rk_live_)
	GateWhsec                     // a webhook signing secret prefix
)

// The gate runs on every Python file, so it is tuned: bytes.Index on a
// needle whose first byte is common ("tripe", "ebhook") thrashes between
// IndexByte and brute force; anchoring on a rarer byte ('p', 'k') and
// checking the neighbours was ~1.4x faster on CPython's library, and one
// 'k' pass serves both "webhook" and "k_live_". A file naming Stripe
// (which both analyzers accept) stops the search early.
var (
	needleSTRIPE = []byte("TRIPE")
	needleWhsec  = []byte("whsec_")
)

// GateBits computes the gate bits of data.
func GateBits(d []byte) uint8 {
	const all = GateStripe | GateWebhook | GateLiveKey | GateWhsec
	for i := 0; ; i++ {
		j := bytes.IndexByte(d[i:], 'p')
		if j < 0 {
			break
		}
		i += j
		// stri p e / Stri p e
		if i >= 3 && i+1 < len(d) && d[i+1] == 'e' && d[i-1] == 'i' && d[i-2] == 'r' && d[i-3] == 't' {
			return all
		}
	}
	if bytes.Contains(d, needleSTRIPE) {
		return all
	}
	var g uint8
	for i := 0; ; i++ {
		j := bytes.IndexByte(d[i:], 'k')
		if j < 0 {
			break
		}
		i += j
		if i >= 5 && d[i-1] == 'o' && d[i-2] == 'o' && d[i-3] == 'h' && d[i-4] == 'b' && d[i-5] == 'e' {
			g |= GateWebhook
		}
		if i+7 <= len(d) && d[i+1] == '_' && string(d[i+1:i+7]) == "_live_" {
			g |= GateLiveKey
		}
	}
	if bytes.Contains(d, needleWhsec) {
		g |= GateWhsec
	}
	// "webhook" alone is common (Slack, GitHub, internal hooks): without a
	// Stripe event type in the file nothing in it can be recognised as a
	// Stripe webhook handler, and parsing it would dominate large scans.
	if g&GateWebhook != 0 && !mentionsStripeEvent(d) {
		g &^= GateWebhook
	}
	return g
}

// stripeEventHints are prefixes of Stripe event types as they appear in
// string literals (the quote keeps `invoice.total` attribute access out),
// plus the calls that verify or build events.
var stripeEventHints = func() [][]byte {
	var hs [][]byte
	for _, t := range []string{"checkout.session", "payment_intent.", "invoice.", "customer.subscription",
		"charge.", "payout.", "payment_method.", "setup_intent.", "account.updated", "evt_"} {
		hs = append(hs, []byte(`"`+t), []byte(`'`+t))
	}
	return append(hs, []byte("construct_event"), []byte("verify_header"))
}()

func mentionsStripeEvent(d []byte) bool {
	for _, h := range stripeEventHints {
		if bytes.Contains(d, h) {
			return true
		}
	}
	return false
}

// gateCache remembers the bits of the files in flight so that the Python
// analyzers, which the engine calls one after the other with the same
// *source.File, scan each file's bytes once between them.
type gateEntry struct {
	f     *source.File
	rel   string
	ptr   *byte
	size  int
	bits  uint8
	facts *Facts
}

var gateCache struct {
	mu   sync.Mutex
	ring [64]gateEntry
	next int
}

// Gates returns f's gate bits, computing them once per file even though
// several analyzers ask. An entry is trusted only for the same File, path,
// buffer and size: workers reuse read buffers, so a pointer match alone
// could serve another file's bits.
func Gates(f *source.File) uint8 {
	ptr := dataPtr(f)
	gateCache.mu.Lock()
	if e := gateLookup(f, ptr); e != nil {
		b := e.bits
		gateCache.mu.Unlock()
		return b
	}
	gateCache.mu.Unlock()
	bits := GateBits(f.Data)
	gateCache.mu.Lock()
	gateCache.ring[gateCache.next] = gateEntry{f: f, rel: f.Rel, ptr: ptr, size: len(f.Data), bits: bits}
	gateCache.next = (gateCache.next + 1) % len(gateCache.ring)
	gateCache.mu.Unlock()
	return bits
}

func dataPtr(f *source.File) *byte {
	if len(f.Data) > 0 {
		return &f.Data[0]
	}
	return nil
}

// gateLookup finds f's entry; the caller holds gateCache.mu.
func gateLookup(f *source.File, ptr *byte) *gateEntry {
	for i := range gateCache.ring {
		e := &gateCache.ring[i]
		if e.f == f && e.rel == f.Rel && e.ptr == ptr && e.size == len(f.Data) {
			return e
		}
	}
	return nil
}

// FileFacts returns f's token facts, computed once per file however many
// analyzers ask (same trust rules as Gates).
func FileFacts(f *source.File) *Facts {
	ptr := dataPtr(f)
	gateCache.mu.Lock()
	if e := gateLookup(f, ptr); e != nil && e.facts != nil {
		fa := e.facts
		gateCache.mu.Unlock()
		return fa
	}
	gateCache.mu.Unlock()
	fa := ScanFacts(f.Data)
	gateCache.mu.Lock()
	if e := gateLookup(f, ptr); e != nil {
		e.facts = fa
	}
	gateCache.mu.Unlock()
	return fa
}
