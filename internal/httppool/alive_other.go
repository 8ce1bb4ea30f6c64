//go:build !unix

package httppool

import "net"

// alive cannot peek portably here; a dead pooled connection then costs what
// the caller decides for a failed exchange (a resend of an idempotent
// request, or an error).
func alive(net.Conn) bool { return true }
