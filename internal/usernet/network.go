package usernet

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// The user network's addresses: QEMU slirp's defaults, so that a guest
// configured for QEMU's user network works unchanged.
var (
	// Subnet is the guest's network.
	Subnet = netip.MustParsePrefix("10.0.2.0/24")
	// Gateway is the guest's default router; connections to it reach the
	// host's loopback address 127.0.0.1.
	Gateway = netip.MustParseAddr("10.0.2.2")
	// DNS is the guest's nameserver, relayed to the host's.
	DNS = netip.MustParseAddr("10.0.2.3")
	// Guest is the guest's own address, to be configured statically.
	Guest = netip.MustParseAddr("10.0.2.15")
)

const (
	nicID tcpip.NICID = 1
	// gatewayMAC is slirp's MAC for the gateway: locally administered
	// (IEEE 802 bit 1 of the first octet), ending in the gateway address.
	gatewayMAC = tcpip.LinkAddress("\x52\x55\x0a\x00\x02\x02")
	// timeWait is the TIME_WAIT timeout: 5 s outlives any segment on a
	// link inside one host, and gVisor holds a whole endpoint per
	// connection in TIME_WAIT, so Linux's 60 s would pile them up under
	// many short NAT connections.
	timeWait = 5 * time.Second
	// resolvConf is where the host's nameserver is read from.
	resolvConf = "/etc/resolv.conf"
)

// Network is a running user network. Close stops it.
type Network struct {
	cfg    config
	stack  *stack.Stack
	link   *link
	ctx    context.Context // cancelled by Close: ends dials and relays
	cancel context.CancelFunc
	socks  []io.Closer   // the forwards' host listeners and sockets
	flows  chan struct{} // one token per guest-initiated flow, see maxFlows

	mu     sync.Mutex
	closed bool           // set by Close: no goroutine starts after it
	wg     sync.WaitGroup // every goroutine of the network but the link's
}

// config is what start needs; tests set what Start reads from the host.
type config struct {
	fwds     []Forward
	logf     func(format string, args ...any)
	resolver netip.AddrPort // the host nameserver DNS relays to; invalid: none
	udpIdle  time.Duration  // how long an idle UDP flow lives, see udpIdle
}

// Start runs a user network over guestLink, one end of socketpair(AF_UNIX,
// SOCK_SEQPACKET, 0) whose other end is the guest's NIC, and serves the
// port forwards fwds. It takes ownership of guestLink, closing it even when
// it fails. It returns once every forward's host socket is bound, so that a
// port in use is reported here. logf receives problems worth a user's
// attention, nil discards them.
func Start(guestLink *os.File, fwds []Forward, logf func(format string, args ...any)) (*Network, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	cfg := config{fwds: fwds, logf: logf, udpIdle: udpIdle}
	if r, err := hostResolver(resolvConf); err != nil {
		logf("usernet: %v", err)
	} else {
		cfg.resolver = r
	}
	return start(guestLink, cfg)
}

func start(f *os.File, cfg config) (*Network, error) {
	conn, err := linkConn(f)
	if err != nil {
		return nil, err
	}
	socks, err := listen(cfg.fwds)
	if err != nil {
		conn.Close()
		return nil, err
	}
	n := &Network{cfg: cfg, socks: socks, flows: make(chan struct{}, maxFlows)}
	n.link = newLink(conn, gatewayMAC, gatewayARP, cfg.logf)
	if n.stack, err = newStack(n.link.ep); err != nil {
		conn.Close()
		for _, s := range socks {
			s.Close()
		}
		return nil, err
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	tcpFwd := tcp.NewForwarder(n.stack, 0, maxInFlight, func(r *tcp.ForwarderRequest) {
		if !n.spawn(func() { n.natTCP(r) }) {
			r.Complete(true)
		}
	})
	n.stack.SetTransportProtocolHandler(tcp.ProtocolNumber, tcpFwd.HandlePacket)
	udpFwd := udp.NewForwarder(n.stack, n.natUDP)
	n.stack.SetTransportProtocolHandler(udp.ProtocolNumber, udpFwd.HandlePacket)
	n.link.start()
	for i, fw := range cfg.fwds {
		n.serve(fw, socks[i])
	}
	return n, nil
}

// newStack returns the gateway's stack on ep. The NIC is promiscuous, so
// that packets to any address reach the forwarders, and spoofing, so that
// replies can come from those addresses (gVisor's transparent proxy mode).
func newStack(ep stack.LinkEndpoint) (_ *stack.Stack, err error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	defer func() {
		if err != nil {
			s.Destroy()
		}
	}()
	sack := tcpip.TCPSACKEnabled(true) // RFC 2018
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	tw := tcpip.TCPTimeWaitTimeoutOption(timeWait)
	for _, opt := range []tcpip.SettableTransportProtocolOption{&sack, &moderate, &tw} {
		if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, opt); err != nil {
			return nil, fmt.Errorf("usernet: setting TCP option %T: %s", opt, err)
		}
	}
	if err := s.CreateNIC(nicID, ep); err != nil {
		return nil, fmt.Errorf("usernet: creating the gateway NIC: %s", err)
	}
	for _, a := range []netip.Addr{Gateway, DNS} { // Gateway first: the primary
		pa := tcpip.ProtocolAddress{
			Protocol:          ipv4.ProtocolNumber,
			AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpAddr(a), PrefixLen: Subnet.Bits()},
		}
		if err := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
			return nil, fmt.Errorf("usernet: adding %s to the gateway NIC: %s", a, err)
		}
	}
	if err := s.SetPromiscuousMode(nicID, true); err != nil {
		return nil, fmt.Errorf("usernet: making the gateway NIC promiscuous: %s", err)
	}
	if err := s.SetSpoofing(nicID, true); err != nil {
		return nil, fmt.Errorf("usernet: letting the gateway NIC spoof: %s", err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: nicID}})
	return s, nil
}

// gatewayARP reports whether a frame from the guest may reach gVisor: any
// but an ARP request for an address other than Gateway and DNS. A spoofing
// NIC answers ARP for every address, which would claim the guest's own
// address and every other one in Subnet; RFC 826 has only the target
// answer, and usernet is the target of Gateway and DNS alone.
func gatewayARP(frame []byte) bool {
	if header.Ethernet(frame).Type() != header.ARPProtocolNumber {
		return true
	}
	a := header.ARP(frame[header.EthernetMinimumSize:])
	if !a.IsValid() || a.Op() != header.ARPRequest {
		return true
	}
	target := netip.AddrFrom4([4]byte(a.ProtocolAddressTarget()))
	return target == Gateway || target == DNS
}

// spawn runs f in a goroutine that Close waits for, unless Close has begun.
func (n *Network) spawn(f func()) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.wg.Go(f)
	return true
}

// Close stops the network: it closes the forwards' host sockets, aborts
// every relayed connection and flow, stops the link and waits for all of
// its goroutines. Calling it again does nothing.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()

	n.cancel()
	for _, s := range n.socks {
		s.Close()
	}
	n.wg.Wait()
	err := n.link.stop()
	n.stack.Destroy()
	if err != nil {
		return fmt.Errorf("usernet: closing the link: %w", err)
	}
	return nil
}

// tcpAddr converts an IPv4 address to gVisor's form.
func tcpAddr(a netip.Addr) tcpip.Address { return tcpip.AddrFrom4(a.As4()) }

// addrPort converts a gVisor IPv4 address and port to netip's form.
func addrPort(a tcpip.Address, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4(a.As4()), port)
}
