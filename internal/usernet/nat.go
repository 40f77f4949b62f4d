package usernet

import (
	"context"
	"net"
	"net/netip"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

const (
	// maxFlows caps the TCP connections and UDP flows the guest has relayed
	// at once: each holds a host socket and up to 128 KiB of buffers, and
	// the guest, which may be hostile, must not exhaust the launcher's file
	// descriptors or memory. Beyond it new connections are reset and new
	// flows' datagrams dropped.
	maxFlows = 1024
	// maxInFlight caps the guest's connections whose host dial is under
	// way; gVisor's forwarder ignores further SYNs, which the guest resends.
	maxInFlight = 256
	// dialTimeout bounds a dial on the guest's behalf, and one to the
	// guest's port for a forward.
	dialTimeout = 30 * time.Second
)

// hostDest is where on the host to relay a guest flow to dst, or false to
// refuse it: Gateway is the host's loopback, DNS:53 the host's nameserver;
// other addresses in Subnet have no host behind them, and neither do
// loopback, link-local (RFC 3927: never forwarded), multicast and
// broadcast addresses.
func (n *Network) hostDest(dst netip.AddrPort) (netip.AddrPort, bool) {
	a := dst.Addr()
	switch {
	case a == Gateway:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), dst.Port()), true
	case a == DNS:
		return n.cfg.resolver, dst.Port() == 53 && n.cfg.resolver.IsValid()
	case Subnet.Contains(a) || !a.IsGlobalUnicast():
		return netip.AddrPort{}, false
	}
	return dst, true
}

// takeFlow reserves one of maxFlows, or reports that none is left.
func (n *Network) takeFlow() bool {
	select {
	case n.flows <- struct{}{}:
		return true
	default:
		return false
	}
}

func (n *Network) releaseFlow() { <-n.flows }

// natTCP relays a connection the guest opens to the same destination
// dialled from the host. The host's dial comes first, so that the guest's
// handshake completes only if the host's did, and a refused or unreachable
// destination resets the guest's connection.
func (n *Network) natTCP(r *tcp.ForwarderRequest) {
	id := r.ID()
	dst, ok := n.hostDest(addrPort(id.LocalAddress, id.LocalPort))
	if !ok || !n.takeFlow() {
		r.Complete(true)
		return
	}
	defer n.releaseFlow()
	ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
	hc, err := (&net.Dialer{}).DialContext(ctx, "tcp", dst.String())
	cancel()
	if err != nil {
		r.Complete(true)
		return
	}
	var wq waiter.Queue
	ep, terr := r.CreateEndpoint(&wq)
	r.Complete(false)
	if terr != nil {
		reset(hc)
		return
	}
	relayTCP(n.ctx, hc.(*net.TCPConn), gonet.NewTCPConn(&wq, ep))
}

// natUDP relays a UDP flow the guest starts (a new source and destination
// pair) through a host socket connected to the same destination. It runs
// in gVisor's receive path, so the host side starts in a goroutine. A
// refused flow is left to gVisor, which answers with ICMP port unreachable
// (RFC 1122 section 3.2.2.1).
func (n *Network) natUDP(r *udp.ForwarderRequest) bool {
	id := r.ID()
	dst, ok := n.hostDest(addrPort(id.LocalAddress, id.LocalPort))
	if !ok {
		return false
	}
	if !n.takeFlow() {
		return true // dropped
	}
	var wq waiter.Queue
	ep, err := r.CreateEndpoint(&wq)
	if err != nil {
		n.releaseFlow()
		return true
	}
	gc := gonet.NewUDPConn(&wq, ep)
	idle := n.cfg.udpIdle
	if addrPort(id.LocalAddress, id.LocalPort) == netip.AddrPortFrom(DNS, 53) {
		idle = dnsIdle
	}
	if !n.spawn(func() {
		defer n.releaseFlow()
		hc, err := (&net.Dialer{}).DialContext(n.ctx, "udp", dst.String())
		if err != nil {
			gc.Close()
			return
		}
		relayUDP(n.ctx, gc, hc, idle)
	}) {
		gc.Close()
		n.releaseFlow()
	}
	return true
}
