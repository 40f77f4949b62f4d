package usernet

import (
	"context"
	"net"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// acceptBackoff is how long a forward waits after a failed accept, such as
// one for want of file descriptors, before the next: time for some to be
// freed, without spinning.
const acceptBackoff = 100 * time.Millisecond

// serveTCP accepts the host connections of fw until Close and relays each
// to the guest.
func (n *Network) serveTCP(fw Forward, l *net.TCPListener) {
	for {
		c, err := l.AcceptTCP()
		if err != nil {
			if n.ctx.Err() != nil {
				return
			}
			n.cfg.logf("usernet: forward %v: %v", fw, err)
			select {
			case <-n.ctx.Done():
				return
			case <-time.After(acceptBackoff):
			}
			continue
		}
		if !n.spawn(func() { n.forwardTCP(fw, c) }) {
			c.Close()
			return
		}
	}
}

// forwardTCP connects to the guest's port from Gateway and relays hc to it.
// If the guest refuses, hc is reset, as the guest's port would reset it.
func (n *Network) forwardTCP(fw Forward, hc *net.TCPConn) {
	ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
	gc, err := gonet.DialTCPWithBind(ctx, n.stack,
		tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(Gateway)},
		tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(Guest), Port: fw.GuestPort},
		ipv4.ProtocolNumber)
	cancel()
	if err != nil {
		if n.ctx.Err() == nil {
			n.cfg.logf("usernet: forward %v: %v: is the guest listening on port %d?", fw, err, fw.GuestPort)
		}
		reset(hc)
		return
	}
	relayTCP(n.ctx, hc, gc)
}
