package netstack

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
)

// benchTCP measures one-way TCP throughput from client to a discarding
// server.
func benchTCP(b *testing.B, client, server *Stack, dial string) {
	ln, err := server.Listen("tcp", ":9000")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) { io.Copy(io.Discard, c); c.Close() }(c)
		}
	}()
	c, err := client.Dial(context.Background(), "tcp", dial)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	c.(*gonet.TCPConn).CloseWrite()
}

// BenchmarkTCPPipe is the stack alone: two stacks over an in-memory cable.
func BenchmarkTCPPipe(b *testing.B) {
	a, s, _ := stackPair(b, true)
	benchTCP(b, a, s, "10.0.2.2:9000")
}

// BenchmarkTCPIntoVirtio sends into a stack on the virtio-net driver over
// the fake device: the guest's receive path.
func BenchmarkTCPIntoVirtio(b *testing.B) {
	dev, peerNIC := newWire(b)
	guest, err := New(dev)
	if err != nil {
		b.Fatal(err)
	}
	defer guest.Close()
	host, err := New(peerNIC)
	if err != nil {
		b.Fatal(err)
	}
	defer host.Close()
	guest.Configure(Config{Addrs: []netip.Prefix{addrA}})
	host.Configure(Config{Addrs: []netip.Prefix{addrB}})
	benchTCP(b, host, guest, "10.0.2.15:9000")
}
