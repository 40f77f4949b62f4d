package usernet

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

func TestForwardTCP(t *testing.T) {
	host := freePort(t, false)
	_, g := newGuest(t, config{fwds: []Forward{{Host: host, GuestPort: 80}}})
	l, err := gonet.ListenTCP(g, tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(Guest), Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	req, reply := pattern(200<<10, 1), pattern(300<<10, 2)
	got := make(chan []byte, 1)
	remote := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		remote <- c.RemoteAddr().String()
		serveHalfClose(c, reply, got)
	}()

	c, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(host))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The guest replies only after reading to EOF, so the reply proves
	// that the host's half-close reached it, and the reply's EOF that the
	// guest's close reached the host.
	if r := exchange(t, c, req); !bytes.Equal(r, reply) {
		t.Errorf("reply from the guest: %d bytes, want the %d sent", len(r), len(reply))
	}
	if r := <-got; !bytes.Equal(r, req) {
		t.Errorf("request at the guest: %d bytes, want the %d sent", len(r), len(req))
	}
	if r, want := <-remote, Gateway.String()+":"; !strings.HasPrefix(r, want) {
		t.Errorf("guest saw the connection from %s, want %s...", r, want)
	}
}

func TestForwardTCPNoListener(t *testing.T) {
	host := freePort(t, false)
	newGuest(t, config{fwds: []Forward{{Host: host, GuestPort: 81}}, logf: func(string, ...any) {}})
	// The reset can come before connect returns.
	c, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(host))
	if errors.Is(err, syscall.ECONNRESET) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Read from a forward to a closed guest port = %d, %v; want a reset", n, err)
	}
}

func TestForwardUDP(t *testing.T) {
	host := freePort(t, true)
	_, g := newGuest(t, config{fwds: []Forward{{UDP: true, Host: host, GuestPort: 7}}, udpIdle: 300 * time.Millisecond})
	pc, err := gonet.DialUDP(g, &tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(Guest), Port: 7}, nil, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	senders := make(chan string, 16)
	go func() { // echo, upper-cased, noting each sender
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			senders <- from.String()
			pc.WriteTo(bytes.ToUpper(buf[:n]), from)
		}
	}()

	roundTrip := func(c *net.UDPConn, msg string) {
		t.Helper()
		c.SetDeadline(time.Now().Add(testTimeout))
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("reading the echo of %q: %v", msg, err)
		}
		if got, want := string(buf[:n]), strings.ToUpper(msg); got != want {
			t.Errorf("echo of %q = %q, want %q", msg, got, want)
		}
	}
	var clients [2]*net.UDPConn
	for i := range clients {
		if clients[i], err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(host)); err != nil {
			t.Fatal(err)
		}
		defer clients[i].Close()
	}
	roundTrip(clients[0], "first client")
	roundTrip(clients[1], "second client")
	roundTrip(clients[0], "first client again")
	a, b, a2 := <-senders, <-senders, <-senders
	if a == b || a != a2 {
		t.Errorf("guest saw the clients' datagrams from %s, %s, %s; want one source per client", a, b, a2)
	}
	if !strings.HasPrefix(a, Gateway.String()+":") {
		t.Errorf("guest saw a datagram from %s, want %s", a, Gateway)
	}
	// After udpIdle without traffic the session ends, and the client's
	// next datagram comes from a new one.
	time.Sleep(600 * time.Millisecond)
	roundTrip(clients[0], "after idling")
	if a3 := <-senders; a3 == a {
		t.Errorf("after the idle timeout the guest saw the client from %s again, want a new session", a3)
	}
}

func TestForwardBindConflict(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().(*net.TCPAddr).AddrPort()
	free := freePort(t, true)

	hostEnd, guestEnd := socketpair(t, unix.SOCK_SEQPACKET)
	defer guestEnd.Close()
	fwds := []Forward{{UDP: true, Host: free, GuestPort: 53}, {Host: taken, GuestPort: 80}}
	n, err := Start(hostEnd, fwds, nil)
	if err == nil {
		n.Close()
		t.Fatalf("Start with %v already bound = nil error", taken)
	}
	for _, want := range []string{fmt.Sprintf("tcp %s->80", taken), "address already in use", "choose another host port"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start error = %q, want it to contain %q", err, want)
		}
	}
	// The forward bound before the failure was released.
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(free))
	if err != nil {
		t.Errorf("binding %v after Start failed: %v; want it released", free, err)
	} else {
		c.Close()
	}
}

func TestForwardInvalid(t *testing.T) {
	for _, fw := range []Forward{
		{GuestPort: 80},
		{Host: freePort(t, false)},
	} {
		host, guest := socketpair(t, unix.SOCK_SEQPACKET)
		guest.Close()
		if n, err := Start(host, []Forward{fw}, nil); err == nil {
			n.Close()
			t.Errorf("Start(%v) = nil error, want one", fw)
		}
	}
}
