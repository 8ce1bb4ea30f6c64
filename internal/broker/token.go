package broker

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// TokenPrefix starts every application token. It keeps the shape of a
// Stripe secret key (sk_…) so Stripe libraries accept it as an api_key, and
// says what it is: a token that is worthless outside the broker. The
// secrets analyzer never mistakes it for a Stripe key (no _live_/_test_).
const TokenPrefix = "sk_broker_"

// tokenRandomLen is the length of the random part of a new token: 43
// base-62 characters, 256 bits.
const tokenRandomLen = 43

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewToken returns a fresh application token, sk_broker_ + 43 random
// base-62 characters (rejection sampling, so uniform).
func NewToken() string {
	out := make([]byte, 0, len(TokenPrefix)+tokenRandomLen)
	out = append(out, TokenPrefix...)
	var buf [64]byte
	for len(out) < cap(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			panic(err) // crypto/rand never fails on supported systems
		}
		for _, b := range buf {
			if b < 248 && len(out) < cap(out) { // 248 = 4*62
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out)
}

// TokenHash is the SHA-256 of a token; policies may hold only hashes.
type TokenHash [32]byte

// HashToken hashes a token.
func HashToken(tok string) TokenHash { return sha256.Sum256([]byte(tok)) }

// String is the hex form used in policy files (token_sha256).
func (h TokenHash) String() string { return hex.EncodeToString(h[:]) }

// ParseTokenHash reads a hex SHA-256.
func ParseTokenHash(s string) (TokenHash, error) {
	var h TokenHash
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "sha256:"))
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("token_sha256 %q: want 64 hex digits", s)
	}
	copy(h[:], b)
	return h, nil
}

// CheckToken validates a token given in clear (token_file, token_env).
func CheckToken(tok string) error {
	if looksLikeStripeKey(tok) {
		return errors.New("a real Stripe key was given as an application token; generate a token with `stripeguard broker token`")
	}
	if !strings.HasPrefix(tok, TokenPrefix) {
		return fmt.Errorf("token must start with %s (generate one with `stripeguard broker token`)", TokenPrefix)
	}
	rest := tok[len(TokenPrefix):]
	if len(rest) < 32 {
		return fmt.Errorf("token too short: %s needs at least 32 random characters after the prefix", TokenPrefix)
	}
	if !tokenChars(rest) {
		return errors.New("token has characters other than letters, digits and _")
	}
	return nil
}

func tokenChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// looksLikeStripeKey: a real secret or restricted key, live or test.
func looksLikeStripeKey(s string) bool {
	for _, p := range []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Authorization errors.
var (
	errNoAuth    = errors.New("no Authorization header")
	errManyAuth  = errors.New("more than one Authorization header")
	errAuthShape = errors.New("the Authorization header must be \"Bearer <token>\" or Basic with the token as user name")
)

// credential extracts the presented credential from the Authorization
// header values: "Bearer <tok>" (what stripe-python sends) or "Basic
// base64(<tok>:)" (curl -u tok:). Exactly one header, one value.
func credential(values []string) (string, error) {
	switch len(values) {
	case 0:
		return "", errNoAuth
	case 1:
	default:
		return "", errManyAuth
	}
	v := values[0]
	sp := strings.IndexByte(v, ' ')
	if sp < 0 {
		return "", errAuthShape
	}
	scheme, rest := v[:sp], v[sp+1:]
	var tok string
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		tok = rest
	case strings.EqualFold(scheme, "Basic"):
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", errAuthShape
		}
		user, pass, _ := strings.Cut(string(b), ":")
		if pass != "" {
			return "", errAuthShape
		}
		tok = user
	default:
		return "", errAuthShape
	}
	if tok == "" || len(tok) > 512 || !tokenChars(tok) {
		return "", errAuthShape
	}
	return tok, nil
}
