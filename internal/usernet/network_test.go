package usernet

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// packageGoroutine matches a stack frame of the package's own code, not of
// its tests.
var packageGoroutine = regexp.MustCompile(`internal/usernet\.(\(\*(Network|link|udpForward)\)|relayTCP|relayUDP|pipe|copyDatagrams|readActive)`)

// packageGoroutines counts the goroutines running the package's code, but
// for the pumps of the guest stack's link, guest.
func packageGoroutines(guest *link) (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if packageGoroutine.MatchString(g) && !strings.Contains(g, fmt.Sprintf("Pump(%p", guest)) {
			n++
		}
	}
	return n, string(buf)
}

// TestClose closes a network with a forwarded connection, a relayed
// connection and a UDP flow open, and checks that no goroutine is left.
func TestClose(t *testing.T) {
	before := runtime.NumGoroutine()
	host := freePort(t, false)
	hostUDP := freePort(t, true)
	n, g, gl := newGuestLink(t, config{fwds: []Forward{{Host: host, GuestPort: 80}, {UDP: true, Host: hostUDP, GuestPort: 7}}})

	l, err := gonet.ListenTCP(g, tcpip.FullAddress{NIC: nicID, Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c
		}
	}()
	fc, err := net.Dial("tcp", host.String()) // forwarded, left open
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	fc.Write([]byte("x"))

	hl, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer hl.Close()
	go func() {
		if c, err := hl.Accept(); err == nil {
			accepted <- c
		}
	}()
	nc, err := guestDial(g, netip.AddrPortFrom(Gateway, uint16(hl.Addr().(*net.TCPAddr).Port))) // relayed, left open
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for range 2 {
		select {
		case c := <-accepted:
			defer c.Close()
		case <-time.After(testTimeout):
			t.Fatal("a connection was not accepted")
		}
	}
	uc, err := net.Dial("udp", hostUDP.String()) // a forward session
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	uc.Write([]byte("x"))

	if k, _ := packageGoroutines(gl); k == 0 {
		t.Fatal("no goroutine of the package found while it runs: the check below would prove nothing")
	}
	done := make(chan error, 1)
	go func() { done <- n.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close() = %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Close did not return")
	}
	if k, stacks := packageGoroutines(gl); k != 0 {
		t.Errorf("%d goroutines of the package still run after Close:\n%s", k, stacks)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	// The forward's port is free again.
	if l, err := net.Listen("tcp", host.String()); err != nil {
		t.Errorf("listening on %v after Close: %v", host, err)
	} else {
		l.Close()
	}

	// The guest stack (its link is the package's code too) and the test's
	// connections go with the test's cleanups; after them the count of
	// goroutines returns to where it was, give or take the runtime's.
	t.Cleanup(func() {
		deadline := time.Now().Add(testTimeout)
		for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if now := runtime.NumGoroutine(); now > before+2 {
			_, stacks := packageGoroutines(gl)
			t.Errorf("%d goroutines after the test, %d before:\n%s", now, before, stacks)
		}
	})
}

func TestStartRejectsStreamSocket(t *testing.T) {
	host, guest := socketpair(t, unix.SOCK_STREAM)
	defer guest.Close()
	n, err := Start(host, nil, nil)
	if err == nil {
		n.Close()
		t.Fatal("Start(a SOCK_STREAM socket) = nil error")
	}
	if !strings.Contains(err.Error(), "SOCK_SEQPACKET") {
		t.Errorf("Start(a SOCK_STREAM socket) = %v, want it to name SOCK_SEQPACKET", err)
	}
}

// TestARP speaks ARP on the link directly: usernet answers for Gateway and
// DNS, and not for the guest's own address or others in Subnet.
func TestARP(t *testing.T) {
	hostEnd, guestEnd := socketpair(t, unix.SOCK_SEQPACKET)
	conn, err := linkConn(guestEnd)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n, err := start(hostEnd, config{logf: t.Logf, udpIdle: udpIdle})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	request := func(target netip.Addr) []byte {
		b := make([]byte, header.EthernetMinimumSize+header.ARPSize)
		header.Ethernet(b).Encode(&header.EthernetFields{SrcAddr: guestMAC, DstAddr: header.EthernetBroadcastAddress, Type: header.ARPProtocolNumber})
		a := header.ARP(b[header.EthernetMinimumSize:])
		a.SetIPv4OverEthernet()
		a.SetOp(header.ARPRequest)
		copy(a.HardwareAddressSender(), guestMAC)
		copy(a.ProtocolAddressSender(), Guest.AsSlice())
		copy(a.ProtocolAddressTarget(), target.AsSlice())
		return b
	}
	// Replies come in the order of the requests, so one for an address
	// usernet must not claim would come before Gateway's.
	for _, target := range []netip.Addr{Guest, netip.MustParseAddr("10.0.2.9"), Gateway, DNS} {
		if _, err := conn.Write(request(target)); err != nil {
			t.Fatal(err)
		}
	}
	conn.SetReadDeadline(time.Now().Add(testTimeout))
	buf := make([]byte, maxFrame)
	for _, want := range []netip.Addr{Gateway, DNS} {
		var a header.ARP
		for a == nil {
			k, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("reading the ARP reply for %v: %v", want, err)
			}
			if header.Ethernet(buf[:k]).Type() == header.ARPProtocolNumber {
				a = header.ARP(buf[header.EthernetMinimumSize:k])
			}
		}
		if a.Op() != header.ARPReply || tcpip.LinkAddress(a.HardwareAddressSender()) != gatewayMAC {
			t.Fatalf("ARP message op %d from %v, want a reply from %v", a.Op(), tcpip.LinkAddress(a.HardwareAddressSender()), gatewayMAC)
		}
		if got := netip.AddrFrom4([4]byte(a.ProtocolAddressSender())); got != want {
			t.Errorf("ARP reply for %v, want one for %v", got, want)
		}
	}
}
