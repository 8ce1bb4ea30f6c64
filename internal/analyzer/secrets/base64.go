package secrets

import "bytes"

// A key that starts on a 3-byte boundary of base64 text has a fixed
// encoded prefix: "sk_live_" -> "c2tfbGl2ZV8" ("rk_" -> "cmtf", "pk_" ->
// "cGtf", "test_" -> "dGVzdF8"), "whsec_" -> "d2hzZWNf". That is where a
// key sits in an HTTP Basic credential (curl -u sk_live_…: sends
// base64("sk_live_…:")), in a base64 config blob, or in code that "hides"
// a key behind b64decode.
//
// The search is driven by bytes that are rare in text, so it costs about
// one IndexByte pass: the 'G' of "bGl2"/"dGVz" for API keys and the 'Z' of
// "ZWNf" for webhook secrets. Needles starting with common letters ('c',
// 'd') would make bytes.Index fall back to its slower brute force.
var (
	b64KeyPrefixes = [][]byte{[]byte("c2tf"), []byte("cmtf"), []byte("cGtf")}
	b64Whsec       = []byte("ZWNf")
)

// maxB64Run bounds how much encoded text is decoded per hit.
const maxB64Run = 8192

// scanBase64 finds keys inside base64 runs anywhere in data. Matches span
// the encoded run.
func scanBase64(data []byte) []Match {
	var out []Match
	next := 0 // runs already decoded end here; hits inside are skipped
	hit := func(anchor int) {
		if anchor < next {
			return
		}
		start := anchor
		for start > 0 && anchor-start < maxB64Run && isB64(data[start-1]) {
			start--
		}
		if (anchor-start)%4 != 0 {
			// Not on a 3-byte boundary of this run: a coincidence.
			return
		}
		end := anchor
		for end < len(data) && end-start < maxB64Run && isB64(data[end]) {
			end++
		}
		for k := 0; k < 2 && end < len(data) && data[end] == '='; k++ {
			end++
		}
		for _, m := range scanEncoded(data[start:end]) {
			m.Start, m.End, m.Encoded = start, end, true
			out = append(out, m)
		}
		next = end
	}
	for off := 0; off < len(data); {
		i := bytes.IndexByte(data[off:], 'G')
		if i < 0 {
			break
		}
		p := off + i
		off = p + 1
		if p < 5 || p+5 > len(data) {
			continue
		}
		mode := data[p-1]
		if !(mode == 'b' && string(data[p+1:p+5]) == "l2ZV" || mode == 'd' && string(data[p+1:p+5]) == "VzdF") {
			continue
		}
		for _, pre := range b64KeyPrefixes {
			if bytes.Equal(data[p-5:p-1], pre) {
				hit(p - 5)
				break
			}
		}
	}
	next = 0
	for off := 0; off < len(data); {
		i := bytes.Index(data[off:], b64Whsec)
		if i < 0 {
			break
		}
		p := off + i
		off = p + len(b64Whsec)
		if p >= 4 && string(data[p-4:p]) == "d2hz" {
			hit(p - 4)
		}
	}
	if len(out) > 1 {
		sortMatches(out)
	}
	return out
}

// isB64 is the base64 alphabet (standard and URL-safe) without padding.
func isB64(c byte) bool {
	return isAlnum(c) || c == '+' || c == '/' || c == '-' || c == '_'
}
