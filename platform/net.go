package platform

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"
)

// The network pump's calls (docs/guestabi.md, "Network stack").
const (
	sysNetAttach = 0x6010
	sysNetAddr   = 0x6011
	sysNetWork   = 0x6012
	sysNetInfo   = 0x6013
	sysNetPush   = 0x6014
	sysNetPull   = 0x6015
	sysNetEvent  = 0x6016
	sysNetAccept = 0x6017
	sysNetLink   = 0x6018
)

// Work bits reported by NetWork.
const (
	WorkListen  = 1 << iota // listen on (or receive datagrams at) the bound port
	WorkConnect             // open a connection to the remote address
	WorkTx                  // the transmit buffer has data
	WorkRxSpace             // the receive buffer has room again
	WorkShutWr              // the program shut down writing
	WorkClose               // the program closed the socket
)

// Events for NetEvent.
const (
	EventConnected = 1
	EventRefused   = 2
	EventEOF       = 3
	EventReset     = 4
	EventRelease   = 5
)

// Socket states in SockInfo.State.
const (
	StateOpen       = 1
	StateListening  = 2
	StateConnecting = 3
	StateConnected  = 4
	StateClosing    = 5
)

// Work is one socket's pending work.
type Work struct {
	Sock uint32
	Bits uint32
}

// SockInfo describes a kernel socket.
type SockInfo struct {
	Family, Type   uint16 // AF_INET or AF_INET6; SOCK_STREAM or SOCK_DGRAM
	State          uint8
	ReadShut       bool
	WriteShut      bool
	Local, Remote  netip.AddrPort
	RxRoom, TxUsed int
}

// NetAttach makes the caller the network pump. The returned file becomes
// readable whenever a socket has work.
func NetAttach() (*os.File, error) {
	fd, err := call(sysNetAttach, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		return nil, err
	}
	return os.NewFile(fd, "netpump"), nil
}

// NetAddr tells the kernel an address of this host and the length of its
// network's prefix.
func NetAddr(p netip.Prefix) error {
	b := p.Addr().As16()
	_, err := result(rawSyscall(sysNetAddr, uintptr(unsafe.Pointer(&b)), uintptr(p.Bits()), 0, 0))
	return err
}

// NetLink describes the network card to the kernel (for rtnetlink, which
// net.Interfaces reads): its Ethernet address and MTU.
func NetLink(mac net.HardwareAddr, mtu int) error {
	var b [6]byte
	if copy(b[:], mac) != len(b) {
		return fmt.Errorf("platform: the card's address %v is not an Ethernet address", mac)
	}
	_, err := result(rawSyscall(sysNetLink, uintptr(unsafe.Pointer(&b)), uintptr(mtu), 0, 0))
	return err
}

// NetWork returns the sockets with pending work, clearing it.
func NetWork(buf []Work) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	n, err := result(rawSyscall(sysNetWork, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0))
	return int(n), err
}

// NetInfo describes socket sock.
func NetInfo(sock uint32) (SockInfo, error) {
	var b [52]byte
	if _, err := result(rawSyscall(sysNetInfo, uintptr(sock), uintptr(unsafe.Pointer(&b)), 0, 0)); err != nil {
		return SockInfo{}, err
	}
	le := binary.LittleEndian
	return SockInfo{
		Family:    le.Uint16(b[0:]),
		Type:      le.Uint16(b[2:]),
		State:     b[4],
		ReadShut:  b[5]&1 != 0,
		WriteShut: b[5]&2 != 0,
		Local:     addrPort(b[8:24], le.Uint16(b[24:])),
		Remote:    addrPort(b[26:42], le.Uint16(b[42:])),
		RxRoom:    int(le.Uint32(b[44:])),
		TxUsed:    int(le.Uint32(b[48:])),
	}, nil
}

func addrPort(ip []byte, port uint16) netip.AddrPort {
	a := netip.AddrFrom16([16]byte(ip)).Unmap()
	return netip.AddrPortFrom(a, port)
}

// NetPush delivers received stream bytes, or one datagram from from, to
// socket sock; it returns how much the receive buffer took.
func NetPush(sock uint32, b []byte, from netip.AddrPort) (int, error) {
	var f [18]byte
	ip := from.Addr().As16()
	copy(f[:16], ip[:])
	binary.LittleEndian.PutUint16(f[16:], from.Port())
	var p *byte
	if len(b) > 0 {
		p = &b[0]
	}
	n, err := result(rawSyscall(sysNetPush, uintptr(sock), uintptr(unsafe.Pointer(p)), uintptr(len(b)), uintptr(unsafe.Pointer(&f))))
	return int(n), err
}

// NetPull takes bytes the program sent on a stream socket; for a datagram
// socket it takes one datagram and returns its destination too.
func NetPull(sock uint32, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := result(rawSyscall(sysNetPull, uintptr(sock), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0))
	return int(n), err
}

// ParseDatagram splits a record NetPull returned for a datagram socket.
func ParseDatagram(rec []byte) (payload []byte, to netip.AddrPort, ok bool) {
	if len(rec) < 20 {
		return nil, netip.AddrPort{}, false
	}
	n := int(binary.LittleEndian.Uint16(rec[0:]))
	if 20+n > len(rec) {
		return nil, netip.AddrPort{}, false
	}
	return rec[20 : 20+n], addrPort(rec[4:20], binary.LittleEndian.Uint16(rec[2:])), true
}

// NetEvent reports what happened to socket sock on the network.
func NetEvent(sock uint32, event int, arg syscall.Errno) error {
	_, err := result(rawSyscall(sysNetEvent, uintptr(sock), uintptr(event), uintptr(arg), 0))
	return err
}

// NetConnected reports that sock's connection is established from local.
func NetConnected(sock uint32, local netip.AddrPort) error {
	var b [18]byte
	ip := local.Addr().As16()
	copy(b[:16], ip[:])
	binary.LittleEndian.PutUint16(b[16:], local.Port())
	_, err := result(rawSyscall(sysNetEvent, uintptr(sock), EventConnected, uintptr(unsafe.Pointer(&b)), 0))
	return err
}

// NetAccept queues a connection accepted on listener; it returns the new
// socket, or EAGAIN when the listener's backlog is full.
func NetAccept(listener uint32, local, remote netip.AddrPort) (uint32, error) {
	var b [36]byte
	l, r := local.Addr().As16(), remote.Addr().As16()
	copy(b[0:16], l[:])
	binary.LittleEndian.PutUint16(b[16:], local.Port())
	copy(b[18:34], r[:])
	binary.LittleEndian.PutUint16(b[34:], remote.Port())
	s, err := result(rawSyscall(sysNetAccept, uintptr(listener), uintptr(unsafe.Pointer(&b)), 0, 0))
	return uint32(s), err
}

// rawSyscall is syscall.RawSyscall6 for up to four arguments: the kernel never
// blocks these calls, so the runtime need not be told. It must not split the
// stack: its callers convert pointers to uintptr in its argument list, and a
// stack copy between that and the system call would leave them stale.
//
//go:nosplit
func rawSyscall(nr, a0, a1, a2, a3 uintptr) (uintptr, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(nr, a0, a1, a2, a3, 0, 0)
	return r, e
}
