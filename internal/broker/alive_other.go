//go:build !unix

package broker

import "net"

// alive cannot peek portably here; a dead pooled connection then costs a
// resend (idempotent calls) or a 502.
func alive(net.Conn) bool { return true }
