package pyast

import (
	"slices"
	"sync"
	"unique"
)

// Anchor is a bit set of what a file's bytes mention, computed by one
// token pass without parsing. Analyzers use it to decide per file whether
// it must be parsed and analysed (a "driver"), and the cross-file pass uses
// it to find the few files that can hold a project-wide registration (a
// before_request hook, a MIDDLEWARE list) without loading every file.
type Anchor uint32

const (
	// AVerify: Stripe verification or event construction names
	// (construct_event, verify_header, construct_from, WebhookSignature…).
	AVerify Anchor = 1 << iota
	// AHmac: hmac / compare_digest (hand-rolled verification).
	AHmac
	// ASignature: a token containing "signature" in any case.
	ASignature
	// ABody: request body readers (json, loads, body, data, media…).
	ABody
	// ALambda: lambda_handler or a context parameter.
	ALambda
	// AWiring: URL wiring calls and tables (urlpatterns, path, add_url_rule…).
	AWiring
	// AExcept: an except clause.
	AExcept
	// AClass: a class statement.
	AClass
	// ADecorator: a line starting with '@'.
	ADecorator
	// AWebhookDef: `def <name with webhook/hook/stripe>(request…` or `(req…`.
	AWebhookDef
	// AKeyName: key-ish names (api_key, StripeClient, secret, key, whsec,
	// signing, restricted, endpoint) and key literal prefixes.
	AKeyName
	// AFromImport: a line starting with `from` (names imported from
	// project modules may hold keys).
	AFromImport
	// ALogCall: print/log/echo/write/response calls and raise statements.
	ALogCall
	// ABeforeRequest: Flask/Quart before_request hooks.
	ABeforeRequest
	// AMiddleware: middleware classes, lists and registrations.
	AMiddleware
	// ADRFDefaults: REST_FRAMEWORK default permission/authentication classes.
	ADRFDefaults
	// AErrorHandler: framework-level exception handlers.
	AErrorHandler
	// ADependencies: FastAPI router/app-level dependencies.
	ADependencies
	// AConfig: configuration objects (app.config[...], config classes).
	AConfig
	// ASettingsFlag: dev/test-only settings names (TESTING, PRODUCTION…).
	ASettingsFlag
)

// anchorTokens maps whole identifiers to their anchor.
var anchorTokens = map[string]Anchor{
	"construct_event": AVerify, "construct_from": AVerify, "construct_event_without_verification": AVerify,
	"verify_header": AVerify, "parse_event_notification": AVerify, "parse_thin_event": AVerify,
	"convert_to_stripe_object": AVerify, "WebhookSignature": AVerify, "Webhook": AVerify,
	"hmac": AHmac, "compare_digest": AHmac,
	"json": ABody, "loads": ABody, "get_json": ABody, "json_body": ABody, "raw_body": ABody, "body": ABody,
	"data": ABody, "media": ABody, "get_data": ABody, "parse_obj": ABody, "model_validate": ABody,
	"bounded_stream": ABody, "current_request": ABody,
	"lambda_handler": ALambda, "context": ALambda,
	"urlpatterns": AWiring, "path": AWiring, "re_path": AWiring, "url": AWiring, "add_url_rule": AWiring,
	"add_route": AWiring, "add_api_route": AWiring, "add_view": AWiring, "add_post": AWiring,
	"add_resource": AWiring, "Route": AWiring, "include_router": AWiring, "register_blueprint": AWiring,
	"view_config": AWiring, "add_routes": AWiring, "add_sink": AWiring, "route": AWiring,
	"except": AExcept, "class": AClass,
	"api_key": AKeyName, "StripeClient": AKeyName,
	// The API base and base_addresses decide whether calls go through
	// stripeguard broker (codekeys/broker.go).
	"api_base": AKeyName, "base_addresses": AKeyName,
	"print": ALogCall, "pprint": ALogCall, "echo": ALogCall, "write": ALogCall, "debug": ALogCall,
	"info": ALogCall, "warning": ALogCall, "warn": ALogCall, "error": ALogCall, "exception": ALogCall,
	"critical": ALogCall, "log": ALogCall, "fatal": ALogCall, "raise": ALogCall, "jsonify": ALogCall,
	"JsonResponse": ALogCall, "HttpResponse": ALogCall, "JSONResponse": ALogCall, "Response": ALogCall,
	"PlainTextResponse": ALogCall, "make_response": ALogCall, "json_response": ALogCall, "HTMLResponse": ALogCall,
	"return":         ALogCall,
	"before_request": ABeforeRequest, "before_app_request": ABeforeRequest, "before_serving": ABeforeRequest,
	"middleware": AMiddleware, "MIDDLEWARE": AMiddleware, "Middleware": AMiddleware, "add_middleware": AMiddleware,
	"MIDDLEWARE_CLASSES": AMiddleware, "BaseHTTPMiddleware": AMiddleware, "process_request": AMiddleware,
	"process_view": AMiddleware, "tween_factory": AMiddleware, "add_tween": AMiddleware,
	"DEFAULT_PERMISSION_CLASSES": ADRFDefaults, "DEFAULT_AUTHENTICATION_CLASSES": ADRFDefaults, "REST_FRAMEWORK": ADRFDefaults,
	"errorhandler": AErrorHandler, "register_error_handler": AErrorHandler, "exception_handler": AErrorHandler,
	"add_exception_handler": AErrorHandler, "EXCEPTION_HANDLER": AErrorHandler, "process_exception": AErrorHandler,
	"app_errorhandler": AErrorHandler, "exception_handlers": AErrorHandler, "add_error_handler": AErrorHandler,
	"dependencies": ADependencies,
	"config":       AConfig, "Config": AConfig,
	"TESTING": ASettingsFlag, "TEST_SUITE": ASettingsFlag, "PRODUCTION": ASettingsFlag, "IS_PRODUCTION": ASettingsFlag,
	"ENVIRONMENT": ASettingsFlag, "ENV": ASettingsFlag, "DEBUG": ASettingsFlag, "IS_TEST": ASettingsFlag,
	"TEST": ASettingsFlag, "TESTS": ASettingsFlag, "testing": ASettingsFlag,
}

// Facts is what one token pass over a Python file's bytes learns: the
// anchors it mentions and the names it calls (the identifier before each
// "(", def and class names excluded). Call names let the cross-file pass
// find a function's callers without parsing every file.
type Facts struct {
	Anchors Anchor
	Calls   []unique.Handle[string] // sorted by value, unique
	Defs    []unique.Handle[string] // names after def, unique
}

// CallsName reports whether the file contains a call whose callee's last
// name segment is name.
func (f *Facts) CallsName(name string) bool {
	h := unique.Make(name)
	for _, c := range f.Calls {
		if c == h {
			return true
		}
	}
	return false
}

var identStart, identChar [256]bool

// anchorFilter rules out most identifiers before the map look-up: a token
// can be an anchor only if its (length, first byte, last byte) class is
// set here.
var anchorFilter [1 << 12]bool

func filterKey(tok []byte) uint16 {
	n := len(tok)
	return (uint16(n&15)<<8 | uint16(tok[0]&15)<<4 | uint16(tok[n-1]&15)) & (1<<12 - 1)
}

func init() {
	for k := range anchorTokens {
		anchorFilter[filterKey([]byte(k))] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		identStart[c], identChar[c] = true, true
		identStart[c-32], identChar[c-32] = true, true
	}
	identStart['_'], identChar['_'] = true, true
	for c := '0'; c <= '9'; c++ {
		identChar[c] = true
	}
}

var callBufPool = sync.Pool{New: func() any { s := make([][]byte, 0, 256); return &s }}

// ScanFacts computes the facts of a Python file's bytes. It runs on every
// file that passes the Stripe gate, so it is one pass with a table lookup
// per byte and a map lookup per identifier.
func ScanFacts(d []byte) *Facts {
	var a Anchor
	bp := callBufPool.Get().(*[][]byte)
	calls := (*bp)[:0]
	var defs [][]byte
	lineStart := true
	var prev []byte
	for i := 0; i < len(d); {
		c := d[i]
		if !identStart[c] {
			switch c {
			case '\n':
				lineStart = true
			case ' ', '\t', '\r', '\f':
			case '@':
				if lineStart {
					a |= ADecorator
				}
				lineStart = false
			default:
				lineStart = false
			}
			i++
			continue
		}
		j := i + 1
		for j < len(d) && identChar[d[j]] {
			j++
		}
		tok := d[i:j]
		first := lineStart
		lineStart = false
		if anchorFilter[filterKey(tok)] {
			if x, ok := anchorTokens[string(tok)]; ok {
				a |= x
			}
		}
		if first && string(tok) == "from" {
			a |= AFromImport
		}
		if len(tok) >= 3 {
			a |= keyish(tok)
		}
		k := j
		for k < len(d) && (d[k] == ' ' || d[k] == '\t') {
			k++
		}
		if k < len(d) && d[k] == '(' {
			isDef := string(prev) == "def" || string(prev) == "class"
			if !isDef {
				calls = append(calls, tok)
			} else if string(prev) == "def" {
				defs = append(defs, tok)
				if webhookish(tok) && firstParamIsRequest(d[k+1:]) {
					a |= AWebhookDef
				}
			}
		}
		prev = tok
		i = j
	}
	f := &Facts{Anchors: a}
	if len(calls) > 0 {
		slices.SortFunc(calls, func(x, y []byte) int { return compareBytes(x, y) })
		f.Calls = make([]unique.Handle[string], 0, len(calls)/2+1)
		var last []byte
		for n, c := range calls {
			if n > 0 && string(c) == string(last) {
				continue
			}
			last = c
			f.Calls = append(f.Calls, unique.Make(string(c)))
		}
		f.Calls = slices.Clip(f.Calls)
	}
	f.Defs = internNames(defs)
	clear(calls)
	*bp = calls[:0]
	callBufPool.Put(bp)
	return f
}

func internNames(names [][]byte) []unique.Handle[string] {
	if len(names) == 0 {
		return nil
	}
	slices.SortFunc(names, compareBytes)
	out := make([]unique.Handle[string], 0, len(names))
	for n, c := range names {
		if n > 0 && string(c) == string(names[n-1]) {
			continue
		}
		out = append(out, unique.Make(string(c)))
	}
	return slices.Clip(out)
}

func compareBytes(x, y []byte) int {
	switch {
	case string(x) < string(y):
		return -1
	case string(x) > string(y):
		return 1
	}
	return 0
}

// keyish flags tokens that name secrets or hold key literals: secret,
// key, whsec, signing, restricted, endpoint (any case) and sk_/rk_/pk_
// prefixes. Over-approximate on purpose: it only decides what is parsed.
func keyish(tok []byte) Anchor {
	var a Anchor
	for p := 0; p < len(tok); p++ {
		switch tok[p] | 0x20 {
		case 's':
			if hasFold(tok[p:], "secret") || hasFold(tok[p:], "signing") {
				return AKeyName
			}
			if p == 0 && len(tok) > 3 && (tok[1]|0x20) == 'k' && tok[2] == '_' {
				return AKeyName
			}
		case 'k':
			if hasFold(tok[p:], "key") {
				return AKeyName
			}
		case 'w':
			if hasFold(tok[p:], "whsec") {
				return AKeyName
			}
		case 'r':
			if hasFold(tok[p:], "restricted") {
				return AKeyName
			}
			if p == 0 && len(tok) > 3 && (tok[1]|0x20) == 'k' && tok[2] == '_' {
				return AKeyName
			}
		case 'e':
			if hasFold(tok[p:], "endpoint") {
				return AKeyName
			}
		case 'g':
			if hasFold(tok[p:], "gnature") {
				a |= ASignature
			}
		}
	}
	return a
}

// hasFold: b starts with the lower-case ASCII word w, ignoring case.
func hasFold(b []byte, w string) bool {
	if len(b) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

func webhookish(name []byte) bool {
	for p := 0; p < len(name); p++ {
		switch name[p] | 0x20 {
		case 'w':
			if hasFold(name[p:], "webhook") {
				return true
			}
		case 'h':
			if hasFold(name[p:], "hook") {
				return true
			}
		case 's':
			if hasFold(name[p:], "stripe") {
				return true
			}
		}
	}
	return false
}

// firstParamIsRequest: the parameter list starts with request or req.
func firstParamIsRequest(d []byte) bool {
	i := 0
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	j := i
	for j < len(d) && identChar[d[j]] {
		j++
	}
	w := string(d[i:j])
	return w == "request" || w == "req"
}
