package netstack

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// The explicit stack API. Addresses are "IP:port" or ":port" (any address);
// names are not resolved here — this is the layer a resolver runs on.
// Networks are "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6". An unqualified
// network with the any address listens on IPv4: gVisor endpoints are
// single-stack unless bound to an IPv6 address.

// parse splits network into transport and family and resolves address.
func parse(network, address string) (isTCP bool, fa tcpip.FullAddress, p tcpip.NetworkProtocolNumber, err error) {
	base := strings.TrimRight(network, "46")
	if base != "tcp" && base != "udp" {
		return false, fa, 0, fmt.Errorf("network %q: want tcp, tcp4, tcp6, udp, udp4 or udp6", network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return false, fa, 0, fmt.Errorf("address %q: %w", address, err)
	}
	ap, err := netip.ParseAddrPort(net.JoinHostPort(orAny(host, network), port))
	if err != nil {
		return false, fa, 0, fmt.Errorf("address %q: want IP:port (names are not resolved at this layer): %w", address, err)
	}
	ip := ap.Addr().Unmap()
	switch {
	case strings.HasSuffix(network, "4") && !ip.Is4(), strings.HasSuffix(network, "6") && !ip.Is6():
		return false, fa, 0, fmt.Errorf("address %s is not %s", ip, network)
	}
	fa = tcpip.FullAddress{Port: ap.Port()}
	if !ip.IsUnspecified() {
		fa.Addr = addr(ip)
	}
	p = ipv4.ProtocolNumber
	if ip.Is6() {
		p = ipv6.ProtocolNumber
	}
	return base == "tcp", fa, p, nil
}

func orAny(host, network string) string {
	if host != "" {
		return host
	}
	if strings.HasSuffix(network, "6") {
		return "::"
	}
	return "0.0.0.0"
}

// Listen announces a TCP address, like net.Listen.
func (st *Stack) Listen(network, address string) (net.Listener, error) {
	isTCP, fa, p, err := parse(network, address)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", network, address, err)
	}
	if !isTCP {
		return nil, fmt.Errorf("listen %s %s: use ListenPacket for UDP", network, address)
	}
	l, err := gonet.ListenTCP(st.s, fa, p)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", network, address, err)
	}
	return l, nil
}

// Dial connects to address, like net.Dialer.DialContext: TCP, or a
// connected UDP socket.
func (st *Stack) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	isTCP, fa, p, err := parse(network, address)
	if err != nil {
		return nil, fmt.Errorf("dial %s %s: %w", network, address, err)
	}
	if fa.Addr.BitLen() == 0 {
		return nil, fmt.Errorf("dial %s %s: no destination address", network, address)
	}
	var c net.Conn
	if isTCP {
		c, err = gonet.DialContextTCP(ctx, st.s, fa, p)
	} else {
		c, err = gonet.DialUDP(st.s, nil, &fa, p)
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s %s: %w", network, address, err)
	}
	return c, nil
}

// ListenPacket opens a UDP socket at address, like net.ListenPacket.
func (st *Stack) ListenPacket(network, address string) (net.PacketConn, error) {
	isTCP, fa, p, err := parse(network, address)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", network, address, err)
	}
	if isTCP {
		return nil, fmt.Errorf("listen %s %s: use Listen for TCP", network, address)
	}
	c, err := gonet.DialUDP(st.s, &fa, nil, p)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", network, address, err)
	}
	return c, nil
}
