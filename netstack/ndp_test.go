package netstack

import (
	"context"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// routerAdvert builds an Ethernet frame carrying an ICMPv6 router
// advertisement (RFC 4861 §4.2) from the link-local address of routerMAC to
// all nodes, announcing prefix for on-link use and SLAAC (§4.6.2).
func routerAdvert(routerMAC []byte, prefix netip.Prefix) []byte {
	src := header.LinkLocalAddr(tcpip.LinkAddress(routerMAC))
	dst := header.IPv6AllNodesMulticastAddress
	icmp := make([]byte, header.ICMPv6HeaderSize+header.NDPRAMinimumSize+32)
	icmp[0] = byte(header.ICMPv6RouterAdvert)
	ra := icmp[header.ICMPv6HeaderSize:]
	ra[0] = 64                               // current hop limit
	binary.BigEndian.PutUint16(ra[2:], 1800) // router lifetime: a default router
	opt := ra[header.NDPRAMinimumSize:]
	opt[0], opt[1] = 3, 4 // prefix information, 4 units of 8 bytes
	opt[2] = byte(prefix.Bits())
	opt[3] = 0x80 | 0x40                      // on-link, autonomous
	binary.BigEndian.PutUint32(opt[4:], 3600) // valid lifetime
	binary.BigEndian.PutUint32(opt[8:], 1800) // preferred lifetime
	copy(opt[16:], prefix.Masked().Addr().AsSlice())
	binary.BigEndian.PutUint16(icmp[2:], header.ICMPv6Checksum(header.ICMPv6ChecksumParams{Header: icmp, Src: src, Dst: dst}))

	ip := make([]byte, header.IPv6MinimumSize)
	header.IPv6(ip).Encode(&header.IPv6Fields{
		PayloadLength: uint16(len(icmp)), TransportProtocol: header.ICMPv6ProtocolNumber,
		HopLimit: 255, SrcAddr: src, DstAddr: dst,
	})
	eth := make([]byte, header.EthernetMinimumSize)
	header.Ethernet(eth).Encode(&header.EthernetFields{
		SrcAddr: tcpip.LinkAddress(routerMAC), DstAddr: header.EthernetAddressFromMulticastIPv6Address(dst),
		Type: header.IPv6ProtocolNumber,
	})
	return append(append(eth, ip...), icmp...)
}

// TestSLAAC checks IPv6 autoconfiguration: a router advertisement gives the
// unconfigured stack an address in the prefix, an on-link route and a
// default route, and the address carries TCP.
func TestSLAAC(t *testing.T) {
	a, b, nicA := stackPair(t, false)
	nicA.inject(routerAdvert(nicA.peer.mac, netip.MustParsePrefix("fd00::/64")))
	var got netip.Prefix
	deadline := time.Now().Add(10 * time.Second)
	for !got.IsValid() && time.Now().Before(deadline) {
		for _, p := range a.Addrs() {
			if p.Addr().Is6() && netip.MustParsePrefix("fd00::/64").Contains(p.Addr()) {
				got = p
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !got.IsValid() {
		t.Fatalf("no SLAAC address after a router advertisement; addresses %v", a.Addrs())
	}
	defaultVia := header.LinkLocalAddr(tcpip.LinkAddress(nicA.peer.mac))
	found := false
	for time.Now().Before(deadline) && !found {
		for _, r := range a.s.GetRouteTable() {
			found = found || r.Destination == header.IPv6EmptySubnet && r.Gateway == defaultVia
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !found {
		t.Errorf("no default route via %s; routes %v", defaultVia, a.s.GetRouteTable())
	}
	// Wait for duplicate address detection to finish, then use the address.
	ln, err := b.Listen("tcp6", "[::]:7")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte(c.RemoteAddr().String()))
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := a.Dial(ctx, "tcp6", "[fd00::2]:7")
	if err != nil {
		t.Fatalf("dial from the SLAAC address: %v", err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	if from, err := netip.ParseAddrPort(string(buf[:n])); err != nil || from.Addr() != got.Addr() {
		t.Errorf("server saw %q, want a connection from %s", buf[:n], got.Addr())
	}
}
