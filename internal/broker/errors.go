package broker

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Denials are answered the way the Stripe API answers errors, so the
// application's Stripe library raises its usual exception and the
// application handles it like any Stripe error:
//
//	401 AuthenticationError  missing, malformed or unknown token; a real key sent
//	400 InvalidRequestError  malformed request (request target, path, body, repeated header)
//	400 IdempotencyError     an Idempotency-Key reused for a different request
//	403 PermissionError      the policy denies it (route, amount, currency, account,
//	                         API version, missing Idempotency-Key)
//	413 APIError             body over --max-body
//	429 RateLimitError       a rate limit of the policy (Retry-After set)
//	502 APIError             Stripe unreachable
//	503 APIError             the shared store is unavailable: fail closed
//
// Every denial carries Stripe-Should-Retry (false for policy denials, so
// libraries do not retry what will be denied again) and a Request-Id
// (req_broker_…) that the broker's log line also carries.

// Error types (Stripe's error.type values).
const (
	typeInvalidRequest = "invalid_request_error"
	typeAPI            = "api_error"
	typeIdempotency    = "idempotency_error"
)

// Denial codes (error.code, and the reason label of the metrics).
const (
	CodeNoToken             = "broker_token_missing"
	CodeBadToken            = "broker_token_invalid"
	CodeRealKey             = "broker_real_key_sent"
	CodeBadTarget           = "broker_bad_request_target"
	CodeBadPath             = "broker_bad_path"
	CodeRouteDenied         = "broker_route_not_allowed"
	CodeRepeatedHeader      = "broker_header_repeated"
	CodeAccountDenied       = "broker_account_not_allowed"
	CodeVersionDenied       = "broker_api_version_not_allowed"
	CodeIdemRequired        = "broker_idempotency_key_required"
	CodeBadIdemKey          = "broker_idempotency_key_invalid"
	CodeIdemConflict        = "broker_idempotency_key_reused"
	CodeBodyTooLarge        = "broker_body_too_large"
	CodeBadBody             = "broker_body_unreadable"
	CodeContentType         = "broker_content_type_not_allowed"
	CodeAmountOver          = "broker_amount_over_limit"
	CodeAmountBad           = "broker_amount_not_allowed"
	CodeCurrencyDenied      = "broker_currency_not_allowed"
	CodeRateLimited         = "broker_rate_limited"
	CodeStoreUnavailable    = "broker_store_unavailable"
	CodeUpstreamUnavailable = "broker_upstream_unavailable"
)

// Codes lists every denial code (metrics pre-create their series).
var Codes = []string{CodeNoToken, CodeBadToken, CodeRealKey, CodeBadTarget, CodeBadPath, CodeRouteDenied,
	CodeRepeatedHeader, CodeAccountDenied, CodeVersionDenied, CodeIdemRequired, CodeBadIdemKey, CodeIdemConflict,
	CodeBodyTooLarge, CodeBadBody, CodeContentType, CodeAmountOver, CodeAmountBad, CodeCurrencyDenied,
	CodeRateLimited, CodeStoreUnavailable, CodeUpstreamUnavailable}

// denial is a refused request.
type denial struct {
	status     int
	typ        string
	code       string
	param      string
	msg        string
	retry      bool
	retryAfter time.Duration
}

func deny(status int, code, msg string) *denial {
	return &denial{status: status, typ: typeInvalidRequest, code: code, msg: msg}
}

type stripeError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Param   string `json:"param,omitempty"`
		Type    string `json:"type"`
	} `json:"error"`
}

// write sends the Stripe-shaped error.
func (d *denial) write(w http.ResponseWriter, requestID string) {
	var e stripeError
	e.Error.Code, e.Error.Message, e.Error.Param, e.Error.Type = d.code, "stripeguard broker: "+d.msg, d.param, d.typ
	body, _ := json.Marshal(e)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("Request-Id", requestID)
	h.Set("Stripe-Should-Retry", strconv.FormatBool(d.retry))
	if d.retryAfter > 0 {
		secs := int64((d.retryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(d.status)
	w.Write(body)
}

// newRequestID makes the id of a request the broker answers itself.
func newRequestID() string {
	var b [10]byte
	rand.Read(b[:])
	out := make([]byte, 0, 12+14)
	out = append(out, "req_broker_"...)
	for _, c := range b {
		out = append(out, base62[int(c)%62])
	}
	return string(out)
}
