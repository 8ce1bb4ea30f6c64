package pydeps

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/stripeguard/stripeguard/internal/source"
)

// decodeBOM decodes text that starts with a byte-order mark, checking the
// marks in the order current pip does (UTF-8, UTF-32, UTF-16: the UTF-16
// LE mark is a prefix of the UTF-32 LE one). ok is false without a mark.
func decodeBOM(data []byte) (text string, ok bool) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return string(data[3:]), true
	}
	if b, ok := source.DecodeUTF16or32(data); ok {
		return string(b), true
	}
	return "", false
}

// pep263RE is pip's PEP263_ENCODING_RE.
var pep263RE = regexp.MustCompile(`coding[:=]\s*([-\w.]+)`)

// decodeReqFile decodes a requirements file as pip's _decode_req_file
// does: a byte-order mark, else a "# -*- coding: X -*-" comment on one of
// the first two lines, else UTF-8. ok is false (with a warning) for
// binary or oversized input.
func (p *parser) decodeReqFile(rel string, data []byte) (string, bool) {
	if len(data) > MaxFileSize*4 {
		p.warn(rel, 0, "file too large (%d bytes, limit %d); not parsed", len(data), MaxFileSize)
		return "", false
	}
	text, ok := decodeBOM(data)
	if !ok {
		enc := "utf-8"
		for i, l := range bytes.SplitN(data, []byte("\n"), 3) {
			if i == 2 {
				break
			}
			if len(l) > 0 && l[0] == '#' {
				if m := pep263RE.FindSubmatch(l); m != nil {
					enc = string(m[1])
					break
				}
			}
		}
		text = decodeNamed(p, rel, data, enc)
	}
	if !p.checkData(rel, []byte(text)) {
		return "", false
	}
	return text, true
}

// decodeNamed decodes data with a Python codec name (PEP 263 spelling).
func decodeNamed(p *parser, rel string, data []byte, enc string) string {
	norm := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(enc))
	switch norm {
	case "utf_8", "utf8", "u8", "utf", "cp65001", "utf_8_sig":
		if !utf8.Valid(data) {
			// pip falls back to the locale's encoding (with a warning),
			// which on a UTF-8 system fails.
			p.reject(rel, 0, "the file is not valid UTF-8 and declares no coding: pip falls back to the locale's encoding, which fails on UTF-8 systems; invalid bytes read as U+FFFD")
			return strings.ToValidUTF8(string(data), "\uFFFD")
		}
		return strings.TrimPrefix(string(data), "\ufeff")
	case "latin_1", "latin1", "l1", "iso_8859_1", "iso8859_1", "8859", "cp819", "latin", "iso_ir_100":
		rs := make([]rune, len(data))
		for i, c := range data {
			rs[i] = rune(c)
		}
		return string(rs)
	case "ascii", "us_ascii", "646":
		for _, c := range data {
			if c >= 0x80 {
				p.warn(rel, 0, "declares coding %s but holds non-ASCII bytes (pip fails to decode it)", enc)
				break
			}
		}
		return strings.ToValidUTF8(string(data), "\uFFFD")
	case "cp1252", "windows_1252":
		var sb strings.Builder
		for _, c := range data {
			if c >= 0x80 && c < 0xa0 {
				sb.WriteRune(cp1252[c-0x80])
			} else {
				sb.WriteRune(rune(c))
			}
		}
		return sb.String()
	}
	p.warn(rel, 0, "declares coding %s, which stripeguard does not decode; read as UTF-8", enc)
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

// cp1252 maps bytes 0x80-0x9f of Windows-1252 (undefined bytes map to
// U+FFFD).
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}
