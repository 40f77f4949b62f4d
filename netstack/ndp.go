package netstack

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// IPv6 autoconfiguration from router advertisements (RFC 4861, RFC 4862):
// gVisor solicits routers, forms SLAAC addresses on advertised prefixes
// itself, and reports the routes it learns through an NDPDispatcher, which
// must not call back into the stack. The dispatcher queues the route changes
// and a goroutine applies them, merged with the static routes of Configure.

// ndpConfig enables router discovery, on-link prefix discovery and SLAAC.
func ndpConfig() ipv6.NDPConfigurations {
	c := ipv6.DefaultNDPConfigurations()
	c.HandleRAs = ipv6.HandlingRAsEnabledWhenForwardingDisabled
	c.DiscoverDefaultRouters = true
	c.DiscoverOnLinkPrefixes = true
	c.AutoGenGlobalAddresses = true
	// No temporary (privacy) addresses (RFC 8981): a server keeps the
	// stable address peers were told, as Linux does by default
	// (use_tempaddr=0); gVisor would otherwise prefer a random one for
	// outgoing connections.
	c.AutoGenTempGlobalAddresses = false
	return c
}

// routeChange is a route learned (add) or withdrawn from advertisements.
type routeChange struct {
	route tcpip.Route
	add   bool
}

// ndpDispatcher implements ipv6.NDPDispatcher by queueing route changes.
type ndpDispatcher struct {
	wake chan struct{}

	mu      sync.Mutex
	pending []routeChange
}

func newNDPDispatcher() *ndpDispatcher {
	return &ndpDispatcher{wake: make(chan struct{}, 1)}
}

func (d *ndpDispatcher) push(r tcpip.Route, add bool) {
	d.mu.Lock()
	d.pending = append(d.pending, routeChange{r, add})
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *ndpDispatcher) take() []routeChange {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.pending
	d.pending = nil
	return p
}

// OnDuplicateAddressDetectionResult implements ipv6.NDPDispatcher.
func (*ndpDispatcher) OnDuplicateAddressDetectionResult(tcpip.NICID, tcpip.Address, stack.DADResult) {
}

// OnOffLinkRouteUpdated implements ipv6.NDPDispatcher: a router (default
// route when dest is ::/0).
func (d *ndpDispatcher) OnOffLinkRouteUpdated(nic tcpip.NICID, dest tcpip.Subnet, router tcpip.Address, _ header.NDPRoutePreference) {
	d.push(tcpip.Route{Destination: dest, Gateway: router, NIC: nic}, true)
}

// OnOffLinkRouteInvalidated implements ipv6.NDPDispatcher.
func (d *ndpDispatcher) OnOffLinkRouteInvalidated(nic tcpip.NICID, dest tcpip.Subnet, router tcpip.Address) {
	d.push(tcpip.Route{Destination: dest, Gateway: router, NIC: nic}, false)
}

// OnOnLinkPrefixDiscovered implements ipv6.NDPDispatcher.
func (d *ndpDispatcher) OnOnLinkPrefixDiscovered(nic tcpip.NICID, prefix tcpip.Subnet) {
	d.push(tcpip.Route{Destination: prefix, NIC: nic}, true)
}

// OnOnLinkPrefixInvalidated implements ipv6.NDPDispatcher.
func (d *ndpDispatcher) OnOnLinkPrefixInvalidated(nic tcpip.NICID, prefix tcpip.Subnet) {
	d.push(tcpip.Route{Destination: prefix, NIC: nic}, false)
}

// OnAutoGenAddress implements ipv6.NDPDispatcher; gVisor adds the address.
func (*ndpDispatcher) OnAutoGenAddress(tcpip.NICID, tcpip.AddressWithPrefix) stack.AddressDispatcher {
	return nil
}

// OnAutoGenAddressDeprecated implements ipv6.NDPDispatcher.
func (*ndpDispatcher) OnAutoGenAddressDeprecated(tcpip.NICID, tcpip.AddressWithPrefix) {}

// OnAutoGenAddressInvalidated implements ipv6.NDPDispatcher.
func (*ndpDispatcher) OnAutoGenAddressInvalidated(tcpip.NICID, tcpip.AddressWithPrefix) {}

// OnRecursiveDNSServerOption implements ipv6.NDPDispatcher. Name servers
// from advertisements (RFC 8106) are not used: resolv.conf comes from DHCPv4
// or the boot arguments.
func (*ndpDispatcher) OnRecursiveDNSServerOption(tcpip.NICID, []tcpip.Address, time.Duration) {}

// OnDNSSearchListOption implements ipv6.NDPDispatcher.
func (*ndpDispatcher) OnDNSSearchListOption(tcpip.NICID, []string, time.Duration) {}

// OnDHCPv6Configuration implements ipv6.NDPDispatcher; there is no DHCPv6
// client.
func (*ndpDispatcher) OnDHCPv6Configuration(tcpip.NICID, ipv6.DHCPv6ConfigurationFromNDPRA) {}

// applyNDP applies learned routes until done is closed.
func (st *Stack) applyNDP(done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-st.ndp.wake:
		}
		changes := st.ndp.take()
		st.mu.Lock()
		for _, c := range changes {
			i := slices.Index(st.learned, c.route)
			switch {
			case c.add && i < 0:
				st.learned = append(st.learned, c.route)
			case !c.add && i >= 0:
				st.learned = slices.Delete(st.learned, i, i+1)
			}
		}
		st.setRoutesLocked()
		st.mu.Unlock()
	}
}

// Addrs lists every address on the interface now: configured, leased and
// autoconfigured (SLAAC, link-local).
func (st *Stack) Addrs() []netip.Prefix {
	var out []netip.Prefix
	for _, pa := range st.s.AllAddresses()[nicID] {
		a := fromTCPIP(pa.AddressWithPrefix.Address)
		if a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			continue
		}
		out = append(out, netip.PrefixFrom(a, pa.AddressWithPrefix.PrefixLen))
	}
	return out
}
