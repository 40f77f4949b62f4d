package usernet

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// maxSessions caps the host clients one UDP forward relays at once: each
// holds a gVisor endpoint and a goroutine, and anyone who can reach the host
// port can create them.
const maxSessions = 1024

// udpForward relays the datagrams of one UDP forward. Each host client gets
// its own gVisor UDP endpoint on Gateway, so that the guest's replies, sent
// to that endpoint's port, go back to the client they answer.
type udpForward struct {
	n  *Network
	fw Forward
	pc *net.UDPConn // the host socket

	mu       sync.Mutex
	sessions map[netip.AddrPort]*udpSession // by host client
}

// udpSession is one host client's relay.
type udpSession struct {
	conn *gonet.UDPConn // connected to the guest's port
	last atomic.Int64   // when a datagram last passed, either way, in Unix ns
}

// serve relays datagrams from host clients to the guest until Close.
func (u *udpForward) serve() {
	buf := make([]byte, maxDatagram)
	for {
		nr, client, err := u.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if u.n.ctx.Err() != nil {
				return
			}
			u.n.cfg.logf("usernet: forward %v: %v", u.fw, err)
			continue
		}
		s := u.session(client)
		if s == nil {
			continue // dropped: UDP's to lose
		}
		touch(&s.last)
		s.conn.Write(buf[:nr])
	}
}

// session returns client's session, starting one if there is room.
func (u *udpForward) session(client netip.AddrPort) *udpSession {
	u.mu.Lock()
	defer u.mu.Unlock()
	if s, ok := u.sessions[client]; ok {
		return s
	}
	if len(u.sessions) >= maxSessions {
		return nil
	}
	gc, err := gonet.DialUDP(u.n.stack,
		&tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(Gateway)},
		&tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(Guest), Port: u.fw.GuestPort},
		ipv4.ProtocolNumber)
	if err != nil {
		u.n.cfg.logf("usernet: forward %v: %v", u.fw, err)
		return nil
	}
	s := &udpSession{conn: gc}
	touch(&s.last)
	if !u.n.spawn(func() { u.replies(client, s) }) {
		gc.Close()
		return nil
	}
	u.sessions[client] = s
	return s
}

// replies relays the guest's datagrams back to client until the session has
// been idle for udpIdle or Close, then ends the session.
func (u *udpForward) replies(client netip.AddrPort, s *udpSession) {
	stop := context.AfterFunc(u.n.ctx, func() { s.conn.Close() })
	defer stop()
	buf := make([]byte, maxDatagram)
	for {
		nr, err := readActive(s.conn, buf, u.n.cfg.udpIdle, &s.last)
		if err != nil {
			break
		}
		touch(&s.last)
		u.pc.WriteToUDPAddrPort(buf[:nr], client)
	}
	u.mu.Lock()
	delete(u.sessions, client)
	u.mu.Unlock()
	s.conn.Close()
}
