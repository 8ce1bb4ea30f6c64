package guard

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ParseSeconds reads a duration given as plain seconds ("300") or in Go
// syntax ("5m"). Negative values are refused. Callers map an explicit 0
// tolerance to webhooksig.Options.RejectAll: 0 never disables the check.
func ParseSeconds(v string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if n > int64(365*24*time.Hour/time.Second) {
			return 0, fmt.Errorf("%q is too large", v)
		}
		d = time.Duration(n) * time.Second
	} else if pd, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
		d = pd
	} else {
		return 0, fmt.Errorf("want seconds or a duration like 300s, got %q", v)
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// ParseCIDRs reads address ranges (--allow-cidr, --trusted-proxy): repeatable, comma-separated, a bare
// address means a single host.
func ParseCIDRs(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !strings.Contains(s, "/") {
				a, err := netip.ParseAddr(s)
				if err != nil {
					return nil, fmt.Errorf("%q: %w", s, err)
				}
				out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", s, err)
			}
			out = append(out, p.Masked())
		}
	}
	return out, nil
}
