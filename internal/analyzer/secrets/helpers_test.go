package secrets

import "encoding/base64"

func stdB64(b []byte, pad bool) string {
	if pad {
		return base64.StdEncoding.EncodeToString(b)
	}
	return base64.RawStdEncoding.EncodeToString(b)
}
