package pump

import (
	"net/netip"
	"syscall"

	"github.com/gobi-os/gobi/platform"
)

// Kernel is the guest kernel's side of the sockets (docs/guestabi.md).
type Kernel interface {
	// Work returns sockets with pending work, clearing it.
	Work(buf []platform.Work) (int, error)
	// Info describes a socket.
	Info(sock uint32) (platform.SockInfo, error)
	// Push delivers received bytes (or one datagram from from) and
	// returns how much the receive buffer took.
	Push(sock uint32, b []byte, from netip.AddrPort) (int, error)
	// Pull takes bytes (or one datagram record) the program sent.
	Pull(sock uint32, b []byte) (int, error)
	// Event reports a connection's fate.
	Event(sock uint32, event int, arg syscall.Errno) error
	// Connected reports an established connection and its local address.
	Connected(sock uint32, local netip.AddrPort) error
	// Accept queues a connection accepted on a listener.
	Accept(listener uint32, local, remote netip.AddrPort) (uint32, error)
}

// Guest is the Kernel of a running Gobi guest.
type Guest struct{}

// Work implements Kernel.
func (Guest) Work(buf []platform.Work) (int, error) { return platform.NetWork(buf) }

// Info implements Kernel.
func (Guest) Info(sock uint32) (platform.SockInfo, error) { return platform.NetInfo(sock) }

// Push implements Kernel.
func (Guest) Push(sock uint32, b []byte, from netip.AddrPort) (int, error) {
	return platform.NetPush(sock, b, from)
}

// Pull implements Kernel.
func (Guest) Pull(sock uint32, b []byte) (int, error) { return platform.NetPull(sock, b) }

// Event implements Kernel.
func (Guest) Event(sock uint32, event int, arg syscall.Errno) error {
	return platform.NetEvent(sock, event, arg)
}

// Connected implements Kernel.
func (Guest) Connected(sock uint32, local netip.AddrPort) error {
	return platform.NetConnected(sock, local)
}

// Accept implements Kernel.
func (Guest) Accept(listener uint32, local, remote netip.AddrPort) (uint32, error) {
	return platform.NetAccept(listener, local, remote)
}
