package secrets

import (
	"bytes"
	"encoding/base64"
)

// maxEncodedValue bounds the base64 values decoded from a Secret manifest:
// a Stripe key, or a whole .env file, is far smaller.
const maxEncodedValue = 1 << 20

// scanK8sSecret decodes the base64 values under `data:` in Kubernetes
// Secret manifests and scans them. Matches point at the encoded value in
// the manifest, since the decoded text has no place in the file. The
// manifest is read line by line: Secret data is a flat map, so indentation
// is all the YAML structure needed, and malformed YAML cannot make us fail.
func scanK8sSecret(data []byte) []Match {
	var out []Match
	inData := false
	dataIndent := 0
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off
		}
		line := data[off:end]
		lineStart := off
		off = end + 1

		indent := 0
		for indent < len(line) && (line[indent] == ' ' || line[indent] == '\t') {
			indent++
		}
		body := bytes.TrimRight(line[indent:], " \t\r")
		if len(body) == 0 || body[0] == '#' {
			continue
		}
		if bytes.Equal(body, []byte("---")) {
			inData = false
			continue
		}
		if inData && indent > dataIndent {
			k := bytes.IndexByte(body, ':')
			if k < 0 {
				continue
			}
			v := bytes.TrimSpace(body[k+1:])
			vStart := lineStart + indent + k + 1
			vStart += bytes.Index(data[vStart:end], v)
			if n := len(v); n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n-1] == v[0] {
				v = v[1 : n-1]
				vStart++
			}
			for _, m := range scanEncoded(v) {
				m.Start, m.End, m.Encoded = vStart, vStart+len(v), true
				out = append(out, m)
			}
			continue
		}
		inData = bytes.Equal(body, []byte("data:"))
		dataIndent = indent
	}
	return out
}

// scanEncoded decodes one base64 value (standard or URL alphabet, padded
// or not) and scans the plain text.
func scanEncoded(v []byte) []Match {
	if len(v) < 16 || len(v) > maxEncodedValue {
		return nil
	}
	v = bytes.TrimRight(v, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		dec := make([]byte, enc.DecodedLen(len(v)))
		n, err := enc.Decode(dec, v)
		if err == nil {
			return Scan(dec[:n], false)
		}
	}
	return nil
}
