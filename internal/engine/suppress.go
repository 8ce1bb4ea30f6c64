package engine

import (
	"bytes"
	"strings"
)

// suppressMarker in a comment on the finding's line hides it. Forms:
//
//	key = "sk_test_…"  # stripeguard:ignore
//	key = "sk_test_…"  # stripeguard:ignore secrets/stripe-test-secret-key
//	key = "sk_test_…"  # stripeguard:ignore[secrets/stripe-test-secret-key,codekeys/x]
//
// Without rule ids every finding on the line is hidden.
const suppressMarker = "stripeguard:ignore"

func suppressedInline(line []byte, ruleID string) bool {
	i := bytes.Index(line, []byte(suppressMarker))
	if i < 0 {
		return false
	}
	rest := string(line[i+len(suppressMarker):])
	var ids []string
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			end = len(rest)
		}
		for _, id := range strings.Split(rest[1:end], ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	} else {
		for _, w := range strings.Fields(strings.NewReplacer(",", " ").Replace(rest)) {
			if !strings.Contains(w, "/") || strings.ContainsAny(w, "\"'`") {
				break
			}
			ids = append(ids, w)
		}
	}
	if len(ids) == 0 {
		return true
	}
	for _, id := range ids {
		if id == ruleID {
			return true
		}
	}
	return false
}
