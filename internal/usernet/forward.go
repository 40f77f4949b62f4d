package usernet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
)

// Forward is a port forward, like QEMU's hostfwd and the -p flag of
// container tools: what reaches Host on the host is relayed to GuestPort on
// Guest, and the guest sees it coming from Gateway.
type Forward struct {
	// UDP selects UDP datagrams; otherwise TCP connections are forwarded.
	UDP bool
	// Host is the host address and port to listen on, such as
	// 127.0.0.1:8080, or 0.0.0.0:8080 for every interface.
	Host netip.AddrPort
	// GuestPort is the guest's port that receives the traffic.
	GuestPort uint16
}

// String names the forward in messages, as "tcp 127.0.0.1:8080->80".
func (f Forward) String() string {
	proto := "tcp"
	if f.UDP {
		proto = "udp"
	}
	return fmt.Sprintf("%s %s->%d", proto, f.Host, f.GuestPort)
}

// listen binds the host socket of every forward, in order: a
// *net.TCPListener or a *net.UDPConn. On failure none stays open.
func listen(fwds []Forward) ([]io.Closer, error) {
	var socks []io.Closer
	for _, fw := range fwds {
		s, err := bind(fw)
		if err != nil {
			for _, s := range socks {
				s.Close()
			}
			return nil, err
		}
		socks = append(socks, s)
	}
	return socks, nil
}

func bind(fw Forward) (io.Closer, error) {
	if !fw.Host.IsValid() {
		return nil, fmt.Errorf("usernet: forward %v: no host address: give one such as 127.0.0.1:8080", fw)
	}
	if fw.GuestPort == 0 {
		return nil, fmt.Errorf("usernet: forward %v: guest port 0: give a port from 1 to 65535", fw)
	}
	var (
		s   io.Closer
		err error
	)
	if fw.UDP {
		var c *net.UDPConn
		c, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(fw.Host))
		s = c
	} else {
		var l *net.TCPListener
		l, err = net.ListenTCP("tcp", net.TCPAddrFromAddrPort(fw.Host))
		s = l
	}
	if err != nil {
		return nil, fmt.Errorf("usernet: forward %v: %w%s", fw, err, bindHint(err, fw.Host))
	}
	return s, nil
}

// bindHint is the fix for a failed bind, if there is a usual one.
func bindHint(err error, host netip.AddrPort) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Sprintf(": another program or forward holds %s; choose another host port", host)
	case errors.Is(err, syscall.EACCES):
		return ": ports below 1024 need privilege (CAP_NET_BIND_SERVICE); choose a port of 1024 or above"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Sprintf(": the host has no address %s; use 127.0.0.1 or 0.0.0.0", host.Addr())
	}
	return ""
}

// serve relays the traffic of fw's host socket sock until Close.
func (n *Network) serve(fw Forward, sock io.Closer) {
	switch s := sock.(type) {
	case *net.TCPListener:
		n.spawn(func() { n.serveTCP(fw, s) })
	case *net.UDPConn:
		u := &udpForward{n: n, fw: fw, pc: s, sessions: make(map[netip.AddrPort]*udpSession)}
		n.spawn(u.serve)
	}
}
