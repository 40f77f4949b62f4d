package usernet

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// guestMAC is QEMU's default guest MAC.
const guestMAC = tcpip.LinkAddress("\x52\x54\x00\x12\x34\x56")

// testTimeout bounds every wait in the tests.
const testTimeout = 10 * time.Second

// socketpair returns both ends of socketpair(AF_UNIX, typ, 0).
func socketpair(t *testing.T, typ int) (host, guest *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	return os.NewFile(uintptr(fds[0]), "usernet-host"), os.NewFile(uintptr(fds[1]), "usernet-guest")
}

// newGuest starts a user network with cfg and a second gVisor stack on the
// other end of its link, configured as the guest: Guest/24, default route
// via Gateway. Both stop when the test ends.
func newGuest(t *testing.T, cfg config) (*Network, *stack.Stack) {
	t.Helper()
	n, s, _ := newGuestLink(t, cfg)
	return n, s
}

// newGuestLink is newGuest that also returns the guest stack's link.
func newGuestLink(t *testing.T, cfg config) (*Network, *stack.Stack, *link) {
	t.Helper()
	hostEnd, guestEnd := socketpair(t, unix.SOCK_SEQPACKET)
	conn, err := linkConn(guestEnd)
	if err != nil {
		t.Fatal(err)
	}
	l := newLink(conn, guestMAC, nil, t.Logf)
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	if err := s.CreateNIC(nicID, l.ep); err != nil {
		t.Fatalf("CreateNIC: %s", err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpAddr(Guest), PrefixLen: 24}}
	if err := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		t.Fatalf("AddProtocolAddress: %s", err)
	}
	subnet, _ := tcpip.NewSubnet(tcpAddr(Subnet.Addr()), tcpip.MaskFromBytes(net.CIDRMask(24, 32)))
	s.SetRouteTable([]tcpip.Route{
		{Destination: subnet, NIC: nicID},
		{Destination: header.IPv4EmptySubnet, Gateway: tcpAddr(Gateway), NIC: nicID},
	})
	l.start()
	t.Cleanup(func() {
		s.Close()
		l.stop()
		s.Wait()
	})

	if cfg.logf == nil {
		cfg.logf = t.Logf
	}
	if cfg.udpIdle == 0 {
		cfg.udpIdle = udpIdle
	}
	n, err := start(hostEnd, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return n, s, l
}

// freePort returns a host port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T, udp bool) netip.AddrPort {
	t.Helper()
	if udp {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).AddrPort()
	}
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).AddrPort()
}

// guestDial connects from the guest stack to dst.
func guestDial(s *stack.Stack, dst netip.AddrPort) (*gonet.TCPConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	return gonet.DialContextTCP(ctx, s, tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(dst.Addr()), Port: dst.Port()}, ipv4.ProtocolNumber)
}

// pattern returns n bytes that differ from a shifted copy of themselves.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

// serveHalfClose answers one connection: it reads until the peer's
// half-close, then writes reply and closes. The request goes to got.
func serveHalfClose(c net.Conn, reply []byte, got chan<- []byte) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	req, err := io.ReadAll(c)
	if err != nil {
		got <- nil
		return
	}
	got <- req
	c.Write(reply)
}

// exchange writes req to c, half-closes it, and reads the reply to EOF.
func exchange(t *testing.T, c halfCloser, req []byte) []byte {
	t.Helper()
	c.SetDeadline(time.Now().Add(testTimeout))
	if _, err := c.Write(req); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	return reply
}
