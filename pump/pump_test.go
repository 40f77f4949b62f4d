package pump

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobi-os/gobi/platform"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// fakeKernel plays the guest kernel's socket buffers (kernel/socket_ext.go)
// for the pump: bounded receive and transmit buffers, work bits, events and
// an accept queue per listener.
type fakeKernel struct {
	mu     sync.Mutex
	socks  map[uint32]*fakeSock
	next   uint32
	kicks  *os.File      // an eventfd, as net_attach returns: each kick is an edge
	kickFD int           // its descriptor, for reads that must not wait
	change chan struct{} // signalled on every push, event or accept
}

type fakeSock struct {
	info      platform.SockInfo
	rx, tx    bytes.Buffer
	dgrams    [][]byte // datagram records waiting for Pull
	work      uint32
	events    []int
	accepted  []uint32
	released  bool
	fromAddrs []netip.AddrPort
}

const fakeRing = 4096 // small, so flow control is exercised

func newFake(t *testing.T) *fakeKernel {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeKernel{socks: map[uint32]*fakeSock{}, next: 1, kicks: os.NewFile(uintptr(fd), "kicks"), kickFD: fd, change: make(chan struct{}, 64)}
	t.Cleanup(func() { f.kicks.Close() }) // ends RunOn
	return f
}

// run starts p on the fake's eventfd, as guestnet starts the real pump.
func (f *fakeKernel) run(t *testing.T, p *Pump) <-chan error {
	rc, err := f.kicks.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.RunOn(context.Background(), rc) }()
	return done
}

func (f *fakeKernel) add(info platform.SockInfo, work uint32) uint32 {
	f.mu.Lock()
	id := f.next
	f.next++
	f.socks[id] = &fakeSock{info: info, work: work}
	f.mu.Unlock()
	f.kick()
	return id
}

func (f *fakeKernel) setWork(id, bits uint32) {
	f.mu.Lock()
	f.socks[id].work |= bits
	f.mu.Unlock()
	f.kick()
}

func (f *fakeKernel) kick() {
	var one [8]byte
	one[0] = 1 // little-endian 1
	f.kicks.Write(one[:])
}

func (f *fakeKernel) changed() {
	select {
	case f.change <- struct{}{}:
	default:
	}
}

func (f *fakeKernel) Work(buf []platform.Work) (int, error) {
	var count [8]byte
	unix.Read(f.kickFD, count[:]) // net_work consumes the count, as the kernel's does
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for id, s := range f.socks {
		if s.work != 0 && n < len(buf) {
			buf[n] = platform.Work{Sock: id, Bits: s.work}
			s.work = 0
			n++
		}
	}
	return n, nil
}

func (f *fakeKernel) Info(id uint32) (platform.SockInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.socks[id]
	if !ok {
		return platform.SockInfo{}, syscall.EBADF
	}
	return s.info, nil
}

func (f *fakeKernel) Push(id uint32, b []byte, from netip.AddrPort) (int, error) {
	defer f.changed()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.socks[id]
	if s.info.Type == syscall.SOCK_DGRAM {
		s.rx.Write(b)
		s.fromAddrs = append(s.fromAddrs, from)
		return len(b), nil
	}
	n := min(len(b), fakeRing-s.rx.Len())
	s.rx.Write(b[:n])
	return n, nil
}

func (f *fakeKernel) Pull(id uint32, b []byte) (int, error) {
	defer f.changed()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.socks[id]
	if s.info.Type == syscall.SOCK_DGRAM {
		if len(s.dgrams) == 0 {
			return 0, nil
		}
		n := copy(b, s.dgrams[0])
		s.dgrams = s.dgrams[1:]
		return n, nil
	}
	return s.tx.Read(b)
}

func (f *fakeKernel) Event(id uint32, ev int, arg syscall.Errno) error {
	defer f.changed()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.socks[id]
	s.events = append(s.events, ev)
	if ev == platform.EventRelease {
		s.released = true
	}
	return nil
}

func (f *fakeKernel) Connected(id uint32, local netip.AddrPort) error {
	defer f.changed()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.socks[id]
	s.events = append(s.events, platform.EventConnected)
	s.info.Local = local
	return nil
}

func (f *fakeKernel) Accept(l uint32, local, remote netip.AddrPort) (uint32, error) {
	defer f.changed()
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.next
	f.next++
	f.socks[id] = &fakeSock{info: platform.SockInfo{Family: syscall.AF_INET, Type: syscall.SOCK_STREAM, State: platform.StateConnected, Local: local, Remote: remote}}
	f.socks[l].accepted = append(f.socks[l].accepted, id)
	return id, nil
}

// until waits for cond (checked under the lock) or fails the test.
func (f *fakeKernel) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		ok := cond()
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-f.change:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

var hostAddr = netip.MustParseAddr("10.0.0.1")

// newStack is a gVisor stack on a loopback link holding hostAddr.
func newStack(t *testing.T) *stack.Stack {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	if err := s.CreateNIC(1, loopback.New()); err != nil {
		t.Fatal(err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddrFromSlice(hostAddr.AsSlice()).WithPrefix()}
	if err := s.AddProtocolAddress(1, pa, stack.AddressProperties{}); err != nil {
		t.Fatal(err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: pa.AddressWithPrefix.Subnet(), NIC: 1}})
	t.Cleanup(s.Close)
	return s
}

func startPump(t *testing.T) (*fakeKernel, *stack.Stack) {
	f, s := newFake(t), newStack(t)
	ready := make(chan struct{})
	close(ready)
	f.run(t, New(f, s, ready))
	return f, s
}

// acceptOne has the program listen on port and the peer stack s connect to
// it; it returns the peer's end and the kernel socket the pump accepted.
func acceptOne(t *testing.T, f *fakeKernel, s *stack.Stack, port uint16) (net.Conn, uint32) {
	t.Helper()
	local := netip.AddrPortFrom(netip.IPv4Unspecified(), port)
	l := f.add(platform.SockInfo{Family: syscall.AF_INET, Type: syscall.SOCK_STREAM, State: platform.StateListening, Local: local}, platform.WorkListen)
	var c net.Conn
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		c, err = gonet.DialTCP(s, tcpip.FullAddress{Addr: tcpip.AddrFromSlice(hostAddr.AsSlice()), Port: port}, ipv4.ProtocolNumber)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { c.Close() })
	var id uint32
	f.until(t, "an accepted connection", func() bool {
		if acc := f.socks[l].accepted; len(acc) > 0 {
			id = acc[0]
			return true
		}
		return false
	})
	return c, id
}

func TestListenerAcceptsAndMovesData(t *testing.T) {
	f, s := startPump(t)
	c, id := acceptOne(t, f, s, 8080)

	// Network -> program, larger than the receive ring: flow control.
	want := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	go c.Write(want)
	var got bytes.Buffer
	f.until(t, "64 KiB through the receive ring", func() bool {
		got.ReadFrom(&f.socks[id].rx)
		if got.Len() < len(want) {
			f.socks[id].work |= platform.WorkRxSpace
			f.kick()
			return false
		}
		return true
	})
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("received %d bytes, not the ones sent", got.Len())
	}

	// Program -> network.
	f.mu.Lock()
	f.socks[id].tx.WriteString("reply from the guest")
	f.mu.Unlock()
	f.setWork(id, platform.WorkTx)
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.ReadAtLeast(c, buf, len("reply from the guest"))
	if err != nil || string(buf[:n]) != "reply from the guest" {
		t.Fatalf("read %q, %v; want the reply", buf[:n], err)
	}

	// The program closes: the peer sees EOF, the kernel is released.
	f.setWork(id, platform.WorkClose)
	if _, err := c.Read(buf); err != io.EOF {
		t.Errorf("after close, peer read = %v, want EOF", err)
	}
	f.until(t, "release", func() bool { return f.socks[id].released })
}

// countCorker records Cork and Uncork calls.
type countCorker struct {
	mu           sync.Mutex
	depth, corks int
}

func (c *countCorker) Cork()   { c.mu.Lock(); c.depth++; c.corks++; c.mu.Unlock() }
func (c *countCorker) Uncork() { c.mu.Lock(); c.depth--; c.mu.Unlock() }

// TestTransmitBackpressure sends more than the connection's buffers hold
// to a peer that reads late: what the endpoint does not take at once waits
// in the pump and arrives intact, in order. The pump corks around its work
// batches, balanced.
func TestTransmitBackpressure(t *testing.T) {
	f, s := newFake(t), newStack(t)
	ready := make(chan struct{})
	close(ready)
	p := New(f, s, ready)
	corker := &countCorker{}
	p.CorkWith(corker)
	f.run(t, p)
	c, id := acceptOne(t, f, s, 8081)
	want := make([]byte, 16<<20)
	for i := range want {
		want[i] = byte(i * 7 / 5)
	}
	f.mu.Lock()
	f.socks[id].tx.Write(want)
	f.mu.Unlock()
	f.setWork(id, platform.WorkTx)
	time.Sleep(300 * time.Millisecond) // the buffers fill while the peer does not read
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("peer read: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the peer received different bytes than the program sent")
	}
	corker.mu.Lock()
	defer corker.mu.Unlock()
	if corker.corks == 0 || corker.depth != 0 {
		t.Errorf("%d corks, depth %d after the work: want some, balanced", corker.corks, corker.depth)
	}
}

func TestConnectOutgoing(t *testing.T) {
	f, s := startPump(t)
	ln, err := gonet.ListenTCP(s, tcpip.FullAddress{Port: 9000}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	id := f.add(platform.SockInfo{Family: syscall.AF_INET, Type: syscall.SOCK_STREAM, State: platform.StateConnecting,
		Local: netip.AddrPortFrom(hostAddr, 40000), Remote: netip.AddrPortFrom(hostAddr, 9000)}, platform.WorkConnect)
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.RemoteAddr().String(); got != "10.0.0.1:40000" {
		t.Errorf("connection from %s, want the kernel's bound address 10.0.0.1:40000", got)
	}
	f.until(t, "connected event", func() bool { return len(f.socks[id].events) > 0 })
	if ev := f.socks[id].events[0]; ev != platform.EventConnected {
		t.Fatalf("event %d, want connected", ev)
	}
	c.Write([]byte("hello guest"))
	f.until(t, "data pushed", func() bool { return f.socks[id].rx.String() == "hello guest" })
	c.Close()
	f.until(t, "EOF event", func() bool {
		ev := f.socks[id].events
		return ev[len(ev)-1] == platform.EventEOF
	})
}

func TestConnectRefused(t *testing.T) {
	f, _ := startPump(t)
	id := f.add(platform.SockInfo{Family: syscall.AF_INET, Type: syscall.SOCK_STREAM, State: platform.StateConnecting,
		Local: netip.AddrPortFrom(hostAddr, 40001), Remote: netip.AddrPortFrom(hostAddr, 9)}, platform.WorkConnect)
	f.until(t, "refused event", func() bool { return len(f.socks[id].events) > 0 })
	if ev := f.socks[id].events[0]; ev != platform.EventRefused {
		t.Fatalf("event %d, want refused", ev)
	}
}

func TestDatagrams(t *testing.T) {
	f, s := startPump(t)
	id := f.add(platform.SockInfo{Family: syscall.AF_INET, Type: syscall.SOCK_DGRAM, State: platform.StateOpen,
		Local: netip.AddrPortFrom(netip.IPv4Unspecified(), 5353)}, platform.WorkListen)
	peer, err := gonet.DialUDP(s, &tcpip.FullAddress{Addr: tcpip.AddrFromSlice(hostAddr.AsSlice()), Port: 6000}, nil, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	to := &net.UDPAddr{IP: hostAddr.AsSlice(), Port: 5353}
	f.until(t, "a datagram received", func() bool {
		if f.socks[id].rx.Len() > 0 {
			return true
		}
		peer.WriteTo([]byte("question"), to) // until the pump's socket is bound
		return false
	})
	if got := f.socks[id].rx.String(); got[:8] != "question" || f.socks[id].fromAddrs[0].Port() != 6000 {
		t.Fatalf("received %q from %v", got, f.socks[id].fromAddrs)
	}
	// A reply: [len u16][port u16][ip 16] + payload, as the kernel queues it.
	rec := make([]byte, 20+6)
	rec[0], rec[2], rec[3] = 6, byte(6000&0xff), byte(6000>>8)
	ip := netip.AddrFrom4(hostAddr.As4()).As16()
	ip[10], ip[11] = 0xff, 0xff
	copy(rec[4:20], ip[:])
	copy(rec[20:], "answer")
	f.mu.Lock()
	f.socks[id].dgrams = append(f.socks[id].dgrams, rec)
	f.mu.Unlock()
	f.setWork(id, platform.WorkTx)
	buf := make([]byte, 100)
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := peer.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "answer" {
		t.Fatalf("peer got %q, %v", buf[:n], err)
	}
}

// kickingKernel counts Work calls; during the calls the test names, it kicks,
// as the kernel does when a socket changes while the pump is busy.
type kickingKernel struct {
	*fakeKernel
	mu     sync.Mutex
	calls  int
	kickAt map[int]bool
}

func (k *kickingKernel) Work(buf []platform.Work) (int, error) {
	k.fakeKernel.Work(buf[:0])
	k.mu.Lock()
	k.calls++
	kick := k.kickAt[k.calls]
	k.mu.Unlock()
	if kick {
		k.kick()
	}
	return 0, nil
}

func (k *kickingKernel) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls
}

// TestRunOnLosesNoKick: every kick, including one that lands while the pump
// is inside NetWork, is followed by another NetWork call. The pump never
// reads the descriptor, as with the kernel's eventfd.
func TestRunOnLosesNoKick(t *testing.T) {
	k := &kickingKernel{fakeKernel: newFake(t), kickAt: map[int]bool{}}
	for i := 2; i < 400; i += 3 {
		k.kickAt[i] = true
	}
	done := k.run(t, New(k, stack.New(stack.Options{}), nil))
	deadline := time.Now().Add(10 * time.Second)
	for want := 1; want < 400; want++ {
		for k.count() < want {
			if time.Now().After(deadline) {
				t.Fatalf("NetWork called %d times; a kick after call %d was lost", k.count(), want-1)
			}
			time.Sleep(time.Millisecond)
		}
		if !k.kickAt[want] && k.count() == want {
			k.kick() // a kick between calls
		}
	}
	k.kicks.Close() // ends RunOn
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunOn did not return when its descriptor was closed")
	}
}
