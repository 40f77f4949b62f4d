package netstack

import (
	"bytes"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// pipeNIC is one end of an in-memory Ethernet cable: frames transmitted on
// one end are received on the other. It plays the role of the virtio-net
// device in these tests.
type pipeNIC struct {
	mac   net.HardwareAddr
	peer  *pipeNIC
	ready chan struct{}

	mu sync.Mutex
	in [][]byte
}

func nicPair() (*pipeNIC, *pipeNIC) {
	a := &pipeNIC{mac: net.HardwareAddr{0x52, 0x54, 0, 0, 0, 1}, ready: make(chan struct{}, 1)}
	b := &pipeNIC{mac: net.HardwareAddr{0x52, 0x54, 0, 0, 0, 2}, ready: make(chan struct{}, 1)}
	a.peer, b.peer = b, a
	return a, b
}

func (p *pipeNIC) MAC() net.HardwareAddr  { return p.mac }
func (p *pipeNIC) MTU() int               { return 1500 }
func (p *pipeNIC) Ready() <-chan struct{} { return p.ready }

func (p *pipeNIC) Transmit(frames [][]byte) (int, error) {
	for _, f := range frames {
		p.peer.inject(bytes.Clone(f))
	}
	return len(frames), nil
}

// inject delivers a frame as if it came off the wire.
func (p *pipeNIC) inject(f []byte) {
	p.mu.Lock()
	p.in = append(p.in, f)
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
}

func (p *pipeNIC) Receive(fn func([]byte)) (int, error) {
	p.mu.Lock()
	in := p.in
	p.in = nil
	p.mu.Unlock()
	for _, f := range in {
		fn(f)
	}
	return len(in), nil
}

var (
	addrA = netip.MustParsePrefix("10.0.2.15/24")
	addrB = netip.MustParsePrefix("10.0.2.2/24")
)

// stackPair returns two stacks cabled back to back. Unless unconfigured, A is
// 10.0.2.15/24 and B 10.0.2.2/24, with fd00::15/64 and fd00::2/64.
func stackPair(t testing.TB, configureA bool) (a, b *Stack, nicA *pipeNIC) {
	t.Helper()
	na, nb := nicPair()
	var err error
	if a, err = New(na); err != nil {
		t.Fatal(err)
	}
	if b, err = New(nb); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	if configureA {
		if err := a.Configure(Config{Addrs: []netip.Prefix{addrA, netip.MustParsePrefix("fd00::15/64")}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Configure(Config{Addrs: []netip.Prefix{addrB, netip.MustParsePrefix("fd00::2/64")}}); err != nil {
		t.Fatal(err)
	}
	return a, b, na
}
