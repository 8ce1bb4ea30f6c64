package secrets

import (
	"math"
	"strings"
)

// placeholderWords mark documentation and template values. They are
// matched case-insensitively inside the key body. Short words are kept few:
// each 4-letter word dismisses about 1 in 10,000 genuine 99-character keys
// by chance, so only unmistakable ones are listed. Digit and alphabet runs
// ("1234", "abcd") are left to the sequence check: as words they would
// dismiss about 1 in 300 of the hex secrets `stripe listen` prints.
var placeholderWords = []string{
	"xxxx", "your", "fake", "dummy", "example", "sample", "replace", "changeme",
	"placeholder", "insert", "redacted", "notreal", "mykey", "secretkey", "apikey",
	// Words test suites spell into wrong or throwaway secrets
	// ("whsec_WRONGSECRET…", "whsec_invalid…"). Five letters or more:
	// each matches a random 99-character body about once in 10^7.
	"wrong", "invalid", "bogus", "secret", "testing",
}

// placeholderReason says why a key body is an example, or "" when it looks
// like a generated key. Real bodies are random base62 (about 5.95 bits per
// character); examples are words, repeats, counting sequences or otherwise
// low in entropy.
func placeholderReason(body string) string {
	if body == "" {
		return "empty"
	}
	lower := strings.ToLower(body)
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return "contains " + quote(w)
		}
	}
	if p := period(body); p <= len(body)/2 {
		if p == 1 {
			return "one repeated character"
		}
		return "repeating pattern"
	}
	seq := 0
	for i := 1; i < len(body); i++ {
		if d := int(body[i]) - int(body[i-1]); d == 1 || d == -1 {
			seq++
		}
	}
	if seq*2 >= len(body)-1 {
		return "counting sequence"
	}
	if distinct(body) < 10 {
		return "too few distinct characters"
	}
	if entropy(body) < 3.0 {
		return "low entropy"
	}
	if w := repeatedWord(body); w != "" {
		return "repeats " + quote(w)
	}
	return ""
}

func quote(s string) string { return "\"" + s + "\"" }

// repeatedWord finds a word of 5 to 16 characters written several times
// so that its copies cover half the body or more ("WRONGSECRET" three
// times, padded with zeros). A random base62 body repeats a 5-character
// run about once in 10^5 99-character keys, and never over half of it.
// Cost: one pass per word length over the body, on key candidates only.
func repeatedWord(body string) string {
	const minWord, maxWord = 5, 16
	if !repeated5gram(body) {
		return "" // every repeated word repeats its first five characters
	}
	seen := make(map[string]bool, len(body))
	for n := maxWord; n >= minWord; n-- {
		if 2*n > len(body) {
			continue
		}
		clear(seen)
		for i := 0; i+n <= len(body); i++ {
			w := body[i : i+n]
			if !seen[w] {
				seen[w] = true
				continue
			}
			if strings.Count(body, w)*n*2 >= len(body) {
				return w
			}
		}
	}
	return ""
}

// repeated5gram reports whether some run of five characters occurs twice:
// an allocation-free filter (five bytes packed into a word, open
// addressing in a table on the stack) that random bodies almost always
// fail, so repeatedWord's full search runs for placeholders only.
func repeated5gram(body string) bool {
	if len(body) < 10 || len(body) > 400 {
		return len(body) > 400 // (no key is that long; keep the full check)
	}
	var table [1024]uint64
	for i := 0; i+5 <= len(body); i++ {
		h := uint64(1)<<63 | uint64(body[i])<<32 | uint64(body[i+1])<<24 | uint64(body[i+2])<<16 | uint64(body[i+3])<<8 | uint64(body[i+4])
		j := (h * 0x9E3779B97F4A7C15) >> 54
		for table[j] != 0 {
			if table[j] == h {
				return true
			}
			j = (j + 1) & 1023
		}
		table[j] = h
	}
	return false
}

// period is the smallest p such that s is a repetition of its first p bytes
// (the last repetition may be cut short).
func period(s string) int {
	for p := 1; p <= len(s)/2; p++ {
		ok := true
		for i := p; i < len(s); i++ {
			if s[i] != s[i-p] {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return len(s)
}

func distinct(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// entropy is the Shannon entropy in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// docKeys are the test keys printed in Stripe's public API reference and
// quickstarts. They are public by design; finding one means code was copied
// from the docs, so it is reported as information only. Built by
// concatenation so that this source file holds no key-shaped literal.
var docKeys = map[string]string{
	"sk_" + "test_" + "4eC39HqLyjWDarjtT1zdp7dc": "Stripe API reference test secret key",
	"pk_" + "test_" + "TYooMQauvdEDq54NiTphI7jx": "Stripe API reference test publishable key",
	"sk_" + "test_" + "BQokikJOvBiI2HlWgH4olfQ2": "Stripe API reference (older) test secret key",
	"pk_" + "test_" + "6pRNASCoBOKtIshFeQd4XMUh": "Stripe API reference (older) test publishable key",
	"sk_" + "test_" + "26PHem9AhJZvU623DfE1x4sd": "Stripe quickstart test secret key",
}

func isDocKey(k string) bool { _, ok := docKeys[k]; return ok }
