package pump

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/gobi-os/gobi/platform"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// connectTimeout bounds a connection attempt, as Linux's SYN retries do.
const connectTimeout = 75 * time.Second

// Pump serves the kernel's network sockets from a gVisor stack.
type Pump struct {
	k     Kernel
	s     *stack.Stack
	ready <-chan struct{} // closed once the stack has an address

	mu    sync.Mutex
	socks map[uint32]*sock

	corker Corker // nil: none

	txBuf []byte // transmitNow's, used by the work goroutine only
}

// sock is one kernel socket the pump serves.
type sock struct {
	id   uint32
	info platform.SockInfo
	tx   chan struct{} // the transmit buffer has data (or shutdown/close)
	rx   chan struct{} // the receive buffer has room again
	done chan struct{} // closed by the program

	// Goroutines touching the kernel socket: close waits for them before
	// the kernel may free the socket and give its number to another one.
	workers sync.WaitGroup
	txw     sync.WaitGroup // the transmit goroutine alone

	mu     sync.Mutex
	conn   net.Conn
	ep     tcpip.Endpoint // conn's, for writes that must not block
	ln     *tcpListener
	pc     *gonet.UDPConn
	shutWr bool
	closed bool

	// txMu orders the writers of a stream: the transmit goroutine, the
	// work goroutine's transmitNow and close. pending is what transmitNow
	// pulled but the endpoint did not take; it goes first.
	txMu    sync.Mutex
	pending []byte
}

// A Corker batches the device notifications of frames sent between Cork
// and Uncork; *netstack.Stack implements it.
type Corker interface {
	Cork()
	Uncork()
}

// CorkWith makes the pump cork c while it serves each batch of the kernel's
// work, so that the responses it writes to several connections in a row
// cost the device fewer notifications. Call it before RunOn.
func (p *Pump) CorkWith(c Corker) { p.corker = c }

// New returns a pump for stack s. Connections wait until ready is closed
// (the stack has its address: DHCP may still be running at start).
func New(k Kernel, s *stack.Stack, ready <-chan struct{}) *Pump {
	return &Pump{k: k, s: s, ready: ready, socks: map[uint32]*sock{}, txBuf: make([]byte, txChunk)}
}

// RunOn serves the kernel's work, waiting for the kernel's attach eventfd to
// become readable through rc, its raw connection, without reading it: the
// kernel's net_work consumes the count (docs/guestabi.md), which saves a
// crossing per wakeup. Everything runs inside one rc.Read, because RawConn
// forgets a readiness edge at the start of each Read (it expects the
// callback to look at the descriptor itself): here the callback's NetWork
// call is that look, and an edge that arrives while it runs makes the wait
// after it return at once. RunOn returns when the eventfd is closed or
// NetWork fails.
func (p *Pump) RunOn(ctx context.Context, rc syscall.RawConn) error {
	var buf [64]platform.Work
	var werr error
	err := rc.Read(func(uintptr) bool {
		werr = p.serveWork(ctx, buf[:])
		return werr != nil // false: wait for the next kick
	})
	if werr != nil {
		return werr
	}
	return err
}

// serveWork takes the kernel's work until there is no more.
func (p *Pump) serveWork(ctx context.Context, buf []platform.Work) error {
	for {
		n, err := p.k.Work(buf)
		if err != nil {
			return err
		}
		if p.corker != nil {
			p.corker.Cork()
		}
		for _, w := range buf[:n] {
			p.handle(ctx, w)
		}
		if p.corker != nil {
			p.corker.Uncork()
		}
		if n < len(buf) {
			return nil
		}
	}
}

func (p *Pump) handle(ctx context.Context, w platform.Work) {
	p.mu.Lock()
	s := p.socks[w.Sock]
	if s == nil && w.Bits&(platform.WorkListen|platform.WorkConnect) == 0 {
		// Not a socket the pump serves (any more): nothing to move, but a
		// close must still be answered so the kernel frees it.
		p.mu.Unlock()
		if w.Bits&platform.WorkClose != 0 {
			p.k.Event(w.Sock, platform.EventRelease, 0)
		}
		return
	}
	if s == nil {
		info, err := p.k.Info(w.Sock)
		if err != nil {
			p.mu.Unlock()
			return
		}
		s = &sock{id: w.Sock, info: info, tx: make(chan struct{}, 1), rx: make(chan struct{}, 1), done: make(chan struct{})}
		p.socks[w.Sock] = s
	}
	p.mu.Unlock()
	if w.Bits&platform.WorkListen != 0 {
		p.spawn(s, func() { p.listen(ctx, s) })
	}
	if w.Bits&platform.WorkConnect != 0 {
		p.spawn(s, func() { p.connect(ctx, s) })
	}
	if w.Bits&platform.WorkShutWr != 0 {
		s.mu.Lock()
		s.shutWr = true
		s.mu.Unlock()
		signal(s.tx)
	}
	if w.Bits&platform.WorkTx != 0 {
		if s.info.Type == syscall.SOCK_DGRAM {
			p.spawn(s, func() { p.sendDatagrams(ctx, s) })
		} else if !p.transmitNow(s) {
			signal(s.tx)
		}
	}
	if w.Bits&platform.WorkRxSpace != 0 {
		signal(s.rx)
	}
	if w.Bits&platform.WorkClose != 0 {
		go p.close(s) // it waits for the socket's goroutines: not here
	}
}

// spawn runs fn for s as one of its workers, unless s is closed.
func (p *Pump) spawn(s *sock, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		fn()
	}()
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// waitReady blocks until the stack is configured or the socket closes.
func (p *Pump) waitReady(s *sock) bool {
	select {
	case <-p.ready:
		return true
	case <-s.done:
		return false
	}
}

func netProto(a netip.Addr, family uint16) tcpip.NetworkProtocolNumber {
	if family == syscall.AF_INET6 && !a.Is4() {
		return ipv6.ProtocolNumber
	}
	return ipv4.ProtocolNumber
}

func fullAddr(ap netip.AddrPort) tcpip.FullAddress {
	fa := tcpip.FullAddress{Port: ap.Port()}
	if a := ap.Addr(); a.IsValid() && !a.IsUnspecified() {
		fa.Addr = tcpip.AddrFromSlice(a.AsSlice())
	}
	return fa
}

func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// listen serves a listener (stream) or a bound datagram socket.
func (p *Pump) listen(ctx context.Context, s *sock) {
	if !p.waitReady(s) {
		return
	}
	local := s.info.Local
	proto := netProto(local.Addr(), s.info.Family)
	if s.info.Type == syscall.SOCK_DGRAM {
		p.datagramEndpoint(s)
		return
	}
	ln, err := listenTCP(p.s, fullAddr(local), proto)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.ln = ln
	closed := s.closed
	s.mu.Unlock()
	if closed {
		ln.close()
		return
	}
	for {
		c, ep, err := ln.accept()
		if err != nil {
			return
		}
		cs := &sock{tx: make(chan struct{}, 1), rx: make(chan struct{}, 1), done: make(chan struct{}), conn: c, ep: ep}
		cs.info.Type = syscall.SOCK_STREAM
		// The program may use the connection as soon as Accept returns:
		// register it first, under the lock handle takes, so no work for
		// it can arrive unclaimed.
		if _, err := p.accept(s, cs); err != nil { // the listener is gone, or its backlog stayed full
			c.Close()
			continue
		}
		p.serve(cs)
	}
}

// acceptWait bounds how long a connection waits for room in a listener's
// backlog (the program accepting too slowly) before it is refused.
const acceptWait = 10 * time.Second

// accept queues connection cs on listener s in the kernel. The program may
// use the connection as soon as the kernel has it, so it is registered under
// the lock handle takes: no work for it can arrive unclaimed.
func (p *Pump) accept(s, cs *sock) (uint32, error) {
	local, remote := addrPort(cs.conn.LocalAddr()), addrPort(cs.conn.RemoteAddr())
	delay := time.Millisecond
	for deadline := time.Now().Add(acceptWait); ; {
		p.mu.Lock()
		id, err := p.k.Accept(s.id, local, remote)
		if err == nil {
			cs.id = id
			p.socks[id] = cs
		}
		p.mu.Unlock()
		if err != syscall.EAGAIN || time.Now().After(deadline) {
			return id, err
		}
		select {
		case <-s.done:
			return 0, err
		case <-time.After(delay):
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// connect opens the program's outgoing connection from its bound address.
func (p *Pump) connect(ctx context.Context, s *sock) {
	if !p.waitReady(s) {
		return
	}
	local, remote := s.info.Local, s.info.Remote
	proto := netProto(remote.Addr(), s.info.Family)
	dctx, cancel := context.WithTimeout(ctx, connectTimeout)
	go func() {
		select {
		case <-s.done:
		case <-dctx.Done():
		}
		cancel()
	}()
	// The kernel bound the socket; with no address then (DHCP was still
	// running) only its port is kept, and the stack picks the address.
	c, ep, errno := dialTCP(dctx, p.s, fullAddr(local), fullAddr(remote), proto)
	cancel()
	if errno != 0 {
		p.k.Event(s.id, platform.EventRefused, errno)
		return
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.conn, s.ep = c, ep
	}
	s.mu.Unlock()
	if closed {
		c.Close()
		return
	}
	p.k.Connected(s.id, addrPort(c.LocalAddr()))
	p.serve(s)
}

// serve runs the two directions of a connected stream socket.
func (p *Pump) serve(s *sock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		p.receive(s)
	}()
	s.txw.Add(1)
	go func() {
		defer s.txw.Done()
		p.transmit(s)
	}()
	signal(s.tx)
}

// receive moves bytes from the connection into the kernel's receive buffer.
func (p *Pump) receive(s *sock) {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.conn.Read(buf)
		select {
		case <-s.done:
			return // closed by the program: nothing may reach the kernel socket now
		default:
		}
		for off := 0; off < n; {
			m, perr := p.k.Push(s.id, buf[off:n], netip.AddrPort{})
			if perr != nil {
				return
			}
			off += m
			if off < n {
				select {
				case <-s.rx:
				case <-s.done:
					return
				}
			}
		}
		if err != nil {
			ev := platform.EventEOF
			if !errors.Is(err, io.EOF) {
				ev = platform.EventReset
			}
			select {
			case <-s.done:
			default:
				p.k.Event(s.id, ev, 0)
			}
			return
		}
	}
}

// txChunk is how much one pull moves from a socket's transmit ring.
const txChunk = 32 << 10

// transmitNow moves what the program sent onto the connection in the work
// goroutine, sparing a switch to the socket's transmit goroutine, when that
// cannot block: the transmit goroutine is idle, nothing is pending, the
// socket is not shutting down, and the endpoint takes everything. What it
// does not take (its send buffer is full) is kept in s.pending, and false
// tells the caller to wake the transmit goroutine, which waits for room.
func (p *Pump) transmitNow(s *sock) bool {
	s.mu.Lock()
	ep, shut := s.ep, s.shutWr
	s.mu.Unlock()
	if ep == nil || shut || !s.txMu.TryLock() {
		return false
	}
	defer s.txMu.Unlock()
	select {
	case <-s.done:
		// Closed since handle looked it up: close flushed it, and the
		// kernel may have given its number to another socket already.
		return true
	default:
	}
	if len(s.pending) > 0 {
		return false
	}
	var r bytes.Reader
	for {
		n, err := p.k.Pull(s.id, p.txBuf)
		if err != nil || n == 0 {
			return true
		}
		r.Reset(p.txBuf[:n])
		m, werr := ep.Write(&r, tcpip.WriteOptions{})
		if werr != nil || int(m) < n {
			s.pending = append(s.pending, p.txBuf[m:n]...)
			return false
		}
		if n < len(p.txBuf) {
			// The ring is empty now: the program's next write sets the
			// socket's WorkTx again.
			return true
		}
	}
}

// transmit moves what the program sent onto the connection, waiting for
// room in it, until the program closes the socket (close sends the rest).
func (p *Pump) transmit(s *sock) {
	buf := make([]byte, txChunk)
	for {
		select {
		case <-s.done:
			return
		default:
		}
		s.txMu.Lock()
		ok := p.flushLocked(s, buf)
		s.txMu.Unlock()
		if !ok {
			select {
			case <-s.done:
			default:
				p.k.Event(s.id, platform.EventReset, 0)
			}
			return
		}
		s.mu.Lock()
		shut := s.shutWr
		s.mu.Unlock()
		if shut {
			if cw, ok := s.conn.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
		}
		select {
		case <-s.tx:
		case <-s.done:
			return
		}
	}
}

// flushLocked writes s.pending and then what the transmit ring holds onto
// the connection, waiting for room; false means the connection failed. The
// caller holds s.txMu.
func (p *Pump) flushLocked(s *sock, buf []byte) bool {
	if len(s.pending) > 0 {
		if _, err := s.conn.Write(s.pending); err != nil {
			return false
		}
		s.pending = s.pending[:0]
	}
	for {
		n, err := p.k.Pull(s.id, buf)
		if err != nil || n == 0 {
			return true
		}
		if _, err := s.conn.Write(buf[:n]); err != nil {
			return false
		}
		if n < len(buf) {
			// The ring is empty now: the program's next write sets the
			// socket's WorkTx again, which signals s.tx, so there is no
			// need to pull once more to see nothing.
			return true
		}
	}
}

// datagramEndpoint returns the gVisor endpoint of datagram socket s,
// opening it at the socket's bound address on first use (by whichever of
// listening and sending comes first) with a goroutine receiving on it.
func (p *Pump) datagramEndpoint(s *sock) *gonet.UDPConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pc != nil || s.closed {
		return s.pc
	}
	local := s.info.Local
	pc, err := gonet.DialUDP(p.s, &tcpip.FullAddress{Port: local.Port(), Addr: fullAddr(local).Addr}, nil, netProto(local.Addr(), s.info.Family))
	if err != nil {
		return nil
	}
	s.pc = pc
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		p.receiveDatagrams(s, pc)
	}()
	return pc
}

func (p *Pump) receiveDatagrams(s *sock, pc *gonet.UDPConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		select {
		case <-s.done:
			return
		default:
		}
		p.k.Push(s.id, buf[:n], addrPort(from)) // a full buffer drops it, as UDP does
	}
}

// sendDatagrams sends every queued datagram of a datagram socket.
// Concurrent calls share the socket's transmit ring: each datagram is pulled
// whole by exactly one of them.
func (p *Pump) sendDatagrams(ctx context.Context, s *sock) {
	if !p.waitReady(s) {
		return
	}
	buf := make([]byte, 65536+20)
	for {
		select {
		case <-s.done:
			return
		default:
		}
		n, err := p.k.Pull(s.id, buf)
		if err != nil || n == 0 {
			return
		}
		payload, to, ok := platform.ParseDatagram(buf[:n])
		if !ok {
			return
		}
		pc := p.datagramEndpoint(s)
		if pc == nil {
			return
		}
		pc.WriteTo(payload, net.UDPAddrFromAddrPort(to))
	}
}

// close ends a socket the program closed and lets the kernel free it, once
// no goroutine of the socket can touch it any more: the transmit goroutine
// stops first, then close sends what the program wrote before closing (as a
// kernel does), closes the endpoint, which ends the readers, and waits for
// every worker before the release.
func (p *Pump) close(s *sock) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.txw.Wait()
	s.mu.Lock()
	conn, ln, pc := s.conn, s.ln, s.pc
	s.mu.Unlock()
	if conn != nil {
		s.txMu.Lock()
		p.flushLocked(s, make([]byte, txChunk))
		s.txMu.Unlock()
		conn.Close()
	}
	if ln != nil {
		ln.close()
	}
	if pc != nil {
		pc.Close()
	}
	s.workers.Wait()
	p.mu.Lock()
	delete(p.socks, s.id)
	p.mu.Unlock()
	p.k.Event(s.id, platform.EventRelease, 0)
}
