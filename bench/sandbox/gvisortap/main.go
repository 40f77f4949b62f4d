// Command gvisortap is the sandbox benchmark's ceiling: the benchmark's
// server (package serve) as a plain host process whose TCP/IP is gVisor's
// netstack on a tap device, attached with gVisor's own link endpoint
// (link/fdbased) and listeners (adapters/gonet). No seccomp, no Gobi kernel,
// no pump: what is left is the stack the sandbox must use and the tap it
// must cross, so the sandbox can do no better than this.
//
//	gvisortap -tap NAME -ip ADDR/PREFIX
//
// It needs root (or a tap device owned by the user) and serves HTTP on port
// 8080 and the sink on 9000 of ADDR, as bench/net/server does in a guest.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/netip"

	"github.com/gobi-os/gobi/bench/net/serve"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/fdbased"
	"gvisor.dev/gvisor/pkg/tcpip/link/tun"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

const nicID = 1

func main() {
	tap := flag.String("tap", "", "tap device to attach to")
	prefix := flag.String("ip", "", "the server's IPv4 address and prefix length, e.g. 10.78.0.2/24")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gvisortap: ")
	p, err := netip.ParsePrefix(*prefix)
	if *tap == "" || err != nil || !p.Addr().Is4() {
		log.Fatal("usage: gvisortap -tap NAME -ip ADDR/PREFIX (IPv4)")
	}
	s, err := newStack(*tap, p)
	if err != nil {
		log.Fatal(err)
	}
	listen := func(port uint16) *gonet.TCPListener {
		ln, err := gonet.ListenTCP(s, tcpip.FullAddress{NIC: nicID, Port: port}, ipv4.ProtocolNumber)
		if err != nil {
			log.Fatalf("listening on port %d: %v", port, err)
		}
		return ln
	}
	log.Fatal(serve.Serve(listen(8080), listen(9000)))
}

// newStack attaches a gVisor stack to the tap device with address p. TCP
// gets the options Gobi's netstack sets (SACK, CUBIC, receive-buffer
// moderation), so the two differ in the path to the stack, not in TCP.
func newStack(tap string, p netip.Prefix) (*stack.Stack, error) {
	fd, err := tun.OpenTAP(tap)
	if err != nil {
		return nil, fmt.Errorf("opening tap device %s: %w (run as root, or create it with `ip tuntap add %s mode tap user $USER`)", tap, err, tap)
	}
	ep, err := fdbased.New(&fdbased.Options{
		FDs:            []int{fd},
		MTU:            1500,
		EthernetHeader: true,
		Address:        tcpip.LinkAddress([]byte{2, 0, 0x47, 0x6f, 0x62, 0x69}), // locally administered
	})
	if err != nil {
		return nil, fmt.Errorf("attaching to %s: %w", tap, err)
	}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	sack := tcpip.TCPSACKEnabled(true)
	cubic := tcpip.CongestionControlOption("cubic")
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	for _, opt := range []tcpip.SettableTransportProtocolOption{&sack, &cubic, &moderate} {
		if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, opt); err != nil {
			return nil, fmt.Errorf("setting TCP option %T: %v", opt, err)
		}
	}
	if err := s.CreateNIC(nicID, ep); err != nil {
		return nil, fmt.Errorf("creating the NIC: %v", err)
	}
	addr := tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(p.Addr().As4()), PrefixLen: p.Bits()},
	}
	if err := s.AddProtocolAddress(nicID, addr, stack.AddressProperties{}); err != nil {
		return nil, fmt.Errorf("adding %v: %v", p, err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: nicID}})
	return s, nil
}
