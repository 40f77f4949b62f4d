package netstack

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// DHCPv4 client (RFC 2131). Messages are encoded and decoded by
// github.com/insomniacslk/dhcp/dhcpv4; the exchange runs over a gVisor UDP
// endpoint bound to port 68 on the interface, with broadcast enabled.
const (
	dhcpClientPort = 68
	dhcpServerPort = 67

	// dhcpFirstWait is the first retransmission timeout, doubled on every
	// retry up to dhcpMaxWait (RFC 2131 §4.1 suggests 4 s doubling to 64 s;
	// a shorter first wait gets a booting unikernel up sooner).
	dhcpFirstWait = 500 * time.Millisecond
	dhcpMaxWait   = 16 * time.Second

	// dhcpDefaultLease is assumed when the server gives no lease time.
	dhcpDefaultLease = time.Hour
	// dhcpMinLease caps how often the client renews: a server cannot make
	// it spin by offering a lease of 0 seconds.
	dhcpMinLease = 10 * time.Second
)

// dhcpConn is the client's socket. While the interface has no IPv4 address
// it carries 0.0.0.0, the source RFC 2131 §4.1 requires, so that gVisor can
// route broadcasts.
type dhcpConn struct {
	*gonet.UDPConn
	st       *Stack
	anyAdded bool
}

func (st *Stack) dhcpOpen() (*dhcpConn, error) {
	c := &dhcpConn{st: st}
	if len(st.Config().Addrs) == 0 {
		any := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: header.IPv4Any}}
		if err := st.s.AddProtocolAddress(nicID, any, stack.AddressProperties{}); err != nil {
			return nil, fmt.Errorf("dhcp: adding 0.0.0.0: %s", err)
		}
		c.anyAdded = true
	}
	var wq waiter.Queue
	ep, terr := st.s.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		c.Close()
		return nil, fmt.Errorf("dhcp: udp endpoint: %s", terr)
	}
	ep.SocketOptions().SetBroadcast(true)
	if terr := ep.Bind(tcpip.FullAddress{NIC: nicID, Port: dhcpClientPort}); terr != nil {
		ep.Close()
		c.Close()
		return nil, fmt.Errorf("dhcp: binding port %d: %s", dhcpClientPort, terr)
	}
	c.UDPConn = gonet.NewUDPConn(&wq, ep)
	return c, nil
}

// Close closes the socket and removes 0.0.0.0 if it was added for it.
func (c *dhcpConn) Close() error {
	if c.anyAdded {
		c.st.s.RemoveAddress(nicID, header.IPv4Any)
	}
	if c.UDPConn != nil {
		return c.UDPConn.Close()
	}
	return nil
}

var broadcastAddr = &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpServerPort}

// exchange sends msg and waits for a reply with its transaction id and one of
// the wanted message types, retransmitting with backoff until ctx ends.
func (c *dhcpConn) exchange(ctx context.Context, to *net.UDPAddr, msg *dhcpv4.DHCPv4, want ...dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
	buf := make([]byte, 1500)
	wait := dhcpFirstWait
	for {
		if _, err := c.WriteTo(msg.ToBytes(), to); err != nil {
			return nil, fmt.Errorf("sending %s: %w", msg.MessageType(), err)
		}
		deadline := time.Now().Add(wait)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		c.SetReadDeadline(deadline)
		for {
			n, _, err := c.ReadFrom(buf)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("waiting for %v: %w", want, err)
			}
			reply, err := dhcpv4.FromBytes(buf[:n])
			if err != nil || reply.OpCode != dhcpv4.OpcodeBootReply || reply.TransactionID != msg.TransactionID {
				continue // not ours, or malformed: ignore (RFC 2131 §4.1)
			}
			for _, w := range want {
				if reply.MessageType() == w {
					return reply, nil
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("no DHCP %v after retries (is there a DHCP server on the link? use gobi.ip= for a static address): %w", want, err)
		}
		wait = min(2*wait, dhcpMaxWait)
	}
}

// DHCP obtains an IPv4 lease (RFC 2131 §3.1: DISCOVER, OFFER, REQUEST, ACK),
// applies it with Configure and returns the configuration. Name servers and
// search domains in override, when given, replace the lease's. It keeps
// retrying until ctx ends. KeepLease keeps the lease alive afterwards.
func (st *Stack) DHCP(ctx context.Context, override Config) (Config, error) {
	c, err := st.dhcpOpen()
	if err != nil {
		return Config{}, err
	}
	defer c.Close()
	mac := st.link.nic.MAC()
	for {
		discover, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithBroadcast(true),
			dhcpv4.WithRequestedOptions(dhcpv4.OptionDNSDomainSearchList, dhcpv4.OptionIPAddressLeaseTime))
		if err != nil {
			return Config{}, fmt.Errorf("dhcp: building DISCOVER: %w", err)
		}
		offer, err := c.exchange(ctx, broadcastAddr, discover, dhcpv4.MessageTypeOffer)
		if err != nil {
			return Config{}, fmt.Errorf("dhcp: %w", err)
		}
		request, err := dhcpv4.NewRequestFromOffer(offer, dhcpv4.WithBroadcast(true))
		if err != nil {
			return Config{}, fmt.Errorf("dhcp: building REQUEST: %w", err)
		}
		ack, err := c.exchange(ctx, broadcastAddr, request, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
		if err != nil {
			return Config{}, fmt.Errorf("dhcp: %w", err)
		}
		if ack.MessageType() == dhcpv4.MessageTypeNak {
			continue // RFC 2131 §3.1 step 5: start over
		}
		cfg, err := leaseConfig(ack, override)
		if err != nil {
			return Config{}, err
		}
		c.Close() // drop 0.0.0.0 before the real address goes on
		c.anyAdded = false
		if err := st.Configure(cfg); err != nil {
			return Config{}, fmt.Errorf("dhcp: applying lease: %w", err)
		}
		st.mu.Lock()
		st.lease = ack
		st.mu.Unlock()
		return cfg, nil
	}
}

// leaseConfig turns an ACK into a Config, checking what the server sent.
func leaseConfig(ack *dhcpv4.DHCPv4, override Config) (Config, error) {
	ip, ok := netip.AddrFromSlice(ack.YourIPAddr.To4())
	if !ok || !ip.IsGlobalUnicast() {
		return Config{}, fmt.Errorf("dhcp: server offered address %v, not a unicast IPv4 address", ack.YourIPAddr)
	}
	bits := 24
	if m := ack.SubnetMask(); m != nil {
		ones, size := m.Size()
		if size != 32 || ones == 0 {
			return Config{}, fmt.Errorf("dhcp: server sent subnet mask %v, not a valid IPv4 mask", net.IP(m))
		}
		bits = ones
	}
	cfg := Config{Addrs: []netip.Prefix{netip.PrefixFrom(ip, bits)}}
	if routers := ack.Router(); len(routers) > 0 {
		if gw, ok := netip.AddrFromSlice(routers[0].To4()); ok && gw != ip {
			cfg.Gateways = []netip.Addr{gw}
		}
	}
	for _, d := range ack.DNS() {
		if a, ok := netip.AddrFromSlice(d.To4()); ok {
			cfg.DNS = append(cfg.DNS, a)
		}
	}
	if l := ack.DomainSearch(); l != nil {
		cfg.Search = l.Labels
	} else if d := ack.DomainName(); d != "" {
		cfg.Search = []string{d}
	}
	cfg.Lease = max(ack.IPAddressLeaseTime(dhcpDefaultLease), dhcpMinLease)
	if len(override.DNS) > 0 {
		cfg.DNS = override.DNS
	}
	if len(override.Search) > 0 {
		cfg.Search = override.Search
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("dhcp: lease: %w", err)
	}
	return cfg, nil
}

// KeepLease renews the DHCP lease until ctx ends (RFC 2131 §4.4.5): at half
// the lease time it asks the server that granted it (RENEWING, unicast), and
// keeps asking with backoff; if the lease runs out first, the address is
// removed and DHCP starts over. Call it in its own goroutine after DHCP.
func (st *Stack) KeepLease(ctx context.Context, override Config) error {
	for {
		st.mu.Lock()
		lease, length := st.lease, st.cfg.Lease
		st.mu.Unlock()
		if lease == nil {
			return fmt.Errorf("dhcp: no lease to keep: call DHCP first")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(length / 2):
		}
		rctx, cancel := context.WithTimeout(ctx, length-length/2)
		err := st.renew(rctx, lease, override)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			// The lease expired: stop using the address (§4.4.5) and
			// start over.
			if err := st.Configure(Config{}); err != nil {
				return err
			}
			if _, err := st.DHCP(ctx, override); err != nil {
				return err
			}
		}
	}
}

// renew runs one RENEWING exchange and applies the new lease.
func (st *Stack) renew(ctx context.Context, lease *dhcpv4.DHCPv4, override Config) error {
	c, err := st.dhcpOpen()
	if err != nil {
		return err
	}
	defer c.Close()
	req, err := dhcpv4.NewRenewFromAck(lease)
	if err != nil {
		return fmt.Errorf("dhcp: building renewal: %w", err)
	}
	server := &net.UDPAddr{IP: lease.ServerIdentifier(), Port: dhcpServerPort}
	if server.IP == nil {
		server = broadcastAddr
	}
	ack, err := c.exchange(ctx, server, req, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
	if err != nil {
		return fmt.Errorf("dhcp: renewing: %w", err)
	}
	if ack.MessageType() == dhcpv4.MessageTypeNak {
		return fmt.Errorf("dhcp: server refused the renewal")
	}
	cfg, err := leaseConfig(ack, override)
	if err != nil {
		return err
	}
	st.mu.Lock()
	same := slices.Equal(cfg.Addrs, st.cfg.Addrs) && slices.Equal(cfg.Gateways, st.cfg.Gateways)
	if same {
		// Leave the interface alone so connections are undisturbed.
		st.cfg, st.lease = cfg, ack
	}
	st.mu.Unlock()
	if same {
		return nil
	}
	if err := st.Configure(cfg); err != nil {
		return fmt.Errorf("dhcp: applying renewed lease: %w", err)
	}
	st.mu.Lock()
	st.lease = ack
	st.mu.Unlock()
	return nil
}
