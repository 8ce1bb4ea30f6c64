//go:build unix

package httppool

import (
	"net"
	"syscall"
)

// alive reports whether an idle keep-alive connection is still open: a
// non-blocking MSG_PEEK returns EAGAIN on a healthy idle connection, 0 bytes
// when the upstream closed it, and data when it sent something unsolicited.
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	res := false
	err = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, perr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		res = n < 0 && (perr == syscall.EAGAIN || perr == syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && res
}
