package usernet

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

func TestNATTCPToHostLoopback(t *testing.T) {
	_, g := newGuest(t, config{})
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	req, reply := pattern(100<<10, 3), pattern(150<<10, 4)
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		serveHalfClose(c, reply, got)
	}()

	port := l.Addr().(*net.TCPAddr).Port
	c, err := guestDial(g, netip.AddrPortFrom(Gateway, uint16(port)))
	if err != nil {
		t.Fatalf("guest dial %v:%d: %v", Gateway, port, err)
	}
	defer c.Close()
	if r := exchange(t, c, req); !bytes.Equal(r, reply) {
		t.Errorf("reply from the host: %d bytes, want the %d sent", len(r), len(reply))
	}
	if r := <-got; !bytes.Equal(r, req) {
		t.Errorf("request at the host: %d bytes, want the %d sent", len(r), len(req))
	}
}

func TestNATTCPRefused(t *testing.T) {
	_, g := newGuest(t, config{})
	closed := freePort(t, false)
	for _, dst := range []netip.AddrPort{
		netip.AddrPortFrom(Gateway, closed.Port()), // nothing listens on the host
		netip.AddrPortFrom(DNS, 80),                // DNS serves only port 53
	} {
		start := time.Now()
		c, err := guestDial(g, dst)
		if err == nil {
			c.Close()
			t.Errorf("guest dial %v succeeded, want refused", dst)
			continue
		}
		if !strings.Contains(err.Error(), "refused") {
			t.Errorf("guest dial %v = %v, want connection refused", dst, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("guest dial %v took %v to fail, want a prompt reset", dst, d)
		}
	}
}

func TestNATUDP(t *testing.T) {
	_, g := newGuest(t, config{})
	hc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	go func() { // echo, reversed
		buf := make([]byte, 2048)
		for {
			n, from, err := hc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			b := bytes.Clone(buf[:n])
			for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
				b[i], b[j] = b[j], b[i]
			}
			hc.WriteToUDPAddrPort(b, from)
		}
	}()

	port := hc.LocalAddr().(*net.UDPAddr).Port
	gc, err := gonet.DialUDP(g, nil, &tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(Gateway), Port: uint16(port)}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	buf := make([]byte, 2048)
	for _, msg := range []string{"abc", "hello, host"} {
		gc.SetDeadline(time.Now().Add(testTimeout))
		if _, err := gc.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		n, err := gc.Read(buf)
		if err != nil {
			t.Fatalf("reading the reply to %q: %v", msg, err)
		}
		want := []byte(msg)
		for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
			want[i], want[j] = want[j], want[i]
		}
		if !bytes.Equal(buf[:n], want) {
			t.Errorf("reply to %q = %q, want %q", msg, buf[:n], want)
		}
	}
}

func TestHostDest(t *testing.T) {
	resolver := netip.MustParseAddrPort("127.0.0.53:53")
	n := &Network{cfg: config{resolver: resolver}}
	for _, tc := range []struct {
		dst  string
		want string // "" for refused
	}{
		{"10.0.2.2:8080", "127.0.0.1:8080"},
		{"10.0.2.3:53", "127.0.0.53:53"},
		{"10.0.2.3:80", ""},
		{"10.0.2.15:80", ""},
		{"10.0.2.9:80", ""},
		{"10.0.2.255:80", ""},
		{"93.184.216.34:443", "93.184.216.34:443"},
		{"192.168.1.1:22", "192.168.1.1:22"},
		{"127.0.0.1:80", ""},
		{"169.254.169.254:80", ""},
		{"224.0.0.251:5353", ""},
		{"255.255.255.255:67", ""},
		{"0.0.0.0:80", ""},
	} {
		got, ok := n.hostDest(netip.MustParseAddrPort(tc.dst))
		gotS := ""
		if ok {
			gotS = got.String()
		}
		if gotS != tc.want {
			t.Errorf("hostDest(%s) = %q, want %q", tc.dst, gotS, tc.want)
		}
	}
	n.cfg.resolver = netip.AddrPort{}
	if got, ok := n.hostDest(netip.MustParseAddrPort("10.0.2.3:53")); ok {
		t.Errorf("hostDest(10.0.2.3:53) with no host nameserver = %v, true; want refused", got)
	}
}
