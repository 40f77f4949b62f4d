package netstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

func TestStackOptions(t *testing.T) {
	a, _, _ := stackPair(t, true)
	var sack tcpip.TCPSACKEnabled
	var cc tcpip.CongestionControlOption
	a.s.TransportProtocolOption(tcp.ProtocolNumber, &sack)
	a.s.TransportProtocolOption(tcp.ProtocolNumber, &cc)
	if !sack || cc != "cubic" {
		t.Errorf("TCP options: SACK %v, congestion control %q; want true, cubic", sack, cc)
	}
}

// TestTCPTransfer sends 10 MiB through an echo server and checks every byte
// comes back, over IPv4 and IPv6.
func TestTCPTransfer(t *testing.T) {
	for _, tc := range []struct{ network, listen, dial string }{
		{"tcp4", ":8080", "10.0.2.2:8080"},
		{"tcp6", "[::]:8080", "[fd00::2]:8080"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			a, b, _ := stackPair(t, true)
			ln, err := b.Listen(tc.network, tc.listen)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				io.Copy(c, c)
			}()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, err := a.Dial(ctx, tc.network, tc.dial)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			const size = 10 << 20
			data := make([]byte, size)
			rand.Read(data)
			go func() {
				c.Write(data)
				c.(*gonet.TCPConn).CloseWrite()
			}()
			h := sha256.New()
			n, err := io.Copy(h, c)
			if err != nil || n != size {
				t.Fatalf("read back %d bytes, err %v; want %d", n, err, size)
			}
			if want := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), want[:]) {
				t.Fatal("data came back changed")
			}
		})
	}
}

func TestUDPEcho(t *testing.T) {
	a, b, _ := stackPair(t, true)
	pc, err := b.ListenPacket("udp", ":7")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	c, err := a.Dial(context.Background(), "udp", "10.0.2.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	for i := range 10 {
		msg := []byte{byte(i), 'p', 'i', 'n', 'g'}
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("echo %d: got %q, %v; want %q", i, buf[:n], err, msg)
		}
	}
}

// TestPingAnswered sends an ICMP echo request from A and expects B's stack
// to answer it.
func TestPingAnswered(t *testing.T) {
	a, _, _ := stackPair(t, true)
	var wq waiter.Queue
	ep, terr := a.s.NewEndpoint(icmp.ProtocolNumber4, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		t.Fatal(terr)
	}
	c := gonet.NewUDPConn(&wq, ep)
	defer c.Close()
	if terr := ep.Connect(tcpip.FullAddress{Addr: addr(addrB.Addr())}); terr != nil {
		t.Fatal(terr)
	}
	req := header.ICMPv4(make([]byte, header.ICMPv4MinimumSize+4))
	req.SetType(header.ICMPv4Echo)
	req.SetSequence(7)
	copy(req.Payload(), "gobi")
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no echo reply: %v", err)
	}
	reply := header.ICMPv4(buf[:n])
	if reply.Type() != header.ICMPv4EchoReply || reply.Sequence() != 7 || string(reply.Payload()) != "gobi" {
		t.Errorf("reply type %d seq %d payload %q; want echo reply 7 \"gobi\"", reply.Type(), reply.Sequence(), reply.Payload())
	}
}

// TestMalformedFrames injects frames no honest peer sends — truncated
// Ethernet, IPv4 with lying lengths, truncated TCP — and checks that the
// stack survives and still serves.
func TestMalformedFrames(t *testing.T) {
	a, b, nicA := stackPair(t, true)
	eth := func(typ uint16, payload []byte) []byte {
		f := make([]byte, 14, 14+len(payload))
		copy(f, nicA.mac)
		copy(f[6:], nicA.peer.mac)
		binary.BigEndian.PutUint16(f[12:], typ)
		return append(f, payload...)
	}
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], 60000) // total length beyond the frame
	ip[9] = 6
	copy(ip[12:], addrB.Addr().AsSlice())
	copy(ip[16:], addrA.Addr().AsSlice())
	truncTCP := append(bytes.Clone(ip), 0, 80, 0x1f, 0x90)
	binary.BigEndian.PutUint16(truncTCP[2:], uint16(len(truncTCP)))
	for _, f := range [][]byte{
		{}, {1, 2, 3}, eth(0x0800, nil), eth(0x0800, ip), eth(0x0800, truncTCP),
		eth(0x0806, []byte{0, 1, 8, 0, 6, 4}), eth(0x86dd, make([]byte, 39)),
	} {
		nicA.inject(f)
	}
	ln, err := a.Listen("tcp", ":9")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte("still here"))
			c.Close()
		}
	}()
	c, err := b.Dial(context.Background(), "tcp", "10.0.2.15:9")
	if err != nil {
		t.Fatalf("dial after malformed frames: %v", err)
	}
	got, _ := io.ReadAll(c)
	if string(got) != "still here" {
		t.Errorf("read %q after malformed frames, want %q", got, "still here")
	}
}

func TestDialErrors(t *testing.T) {
	a, _, _ := stackPair(t, true)
	for _, tc := range []struct{ network, address string }{
		{"tcp", "example.com:80"}, {"sctp", "10.0.2.2:1"}, {"tcp4", "[fd00::2]:80"}, {"tcp", ":80"},
	} {
		if c, err := a.Dial(context.Background(), tc.network, tc.address); err == nil {
			c.Close()
			t.Errorf("Dial(%q, %q) succeeded, want an error", tc.network, tc.address)
		}
	}
	if _, err := a.Listen("udp", ":53"); err == nil {
		t.Error("Listen(udp) succeeded, want an error pointing to ListenPacket")
	}
}

// FuzzInboundFrame injects arbitrary frames, as a hostile peer or device
// could, into a stack with a connection open: gVisor's decoders must not
// crash the guest, and the connection must keep working. The fuzzed bytes
// are wrapped in an Ethernet header addressed to the stack so they get past
// the link layer.
func FuzzInboundFrame(f *testing.F) {
	a, b, nicA := stackPair(f, true)
	ln, err := a.Listen("tcp", ":9")
	if err != nil {
		f.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(c, c)
		}
	}()
	c, err := b.Dial(context.Background(), "tcp", "10.0.2.15:9")
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	f.Add(uint16(0x0800), []byte{0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 2, 2, 10, 0, 2, 15, 0, 9, 0, 9})
	f.Add(uint16(0x86dd), []byte{0x60, 0, 0, 0, 0, 8, 58, 255})
	f.Add(uint16(0x0806), []byte{0, 1, 8, 0, 6, 4, 0, 2})
	f.Fuzz(func(t *testing.T, ethertype uint16, payload []byte) {
		frame := make([]byte, 14, 14+len(payload))
		copy(frame, nicA.mac)
		copy(frame[6:], nicA.peer.mac)
		binary.BigEndian.PutUint16(frame[12:], ethertype)
		nicA.inject(append(frame, payload...))
		// The open connection still works after the frame.
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("ok")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ok" {
			t.Fatalf("echo after frame %x: %q, %v", frame, buf, err)
		}
	})
}

// breakingNIC is a card whose device breaks the protocol once broken is
// set: every Receive after that fails.
type breakingNIC struct {
	*pipeNIC
	broken atomic.Bool
}

var errBroken = errors.New("used id 7 was not made available")

func (n *breakingNIC) Receive(fn func([]byte)) (int, error) {
	if n.broken.Load() {
		return 0, errBroken
	}
	return n.pipeNIC.Receive(fn)
}

// TestFailedNIC checks that a NIC's failure is announced (Failed, Err), so
// that the network's owner can say the network is down instead of leaving
// connections to hang without a word.
func TestFailedNIC(t *testing.T) {
	a, _ := nicPair()
	nic := &breakingNIC{pipeNIC: a}
	st, err := New(nic)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	select {
	case <-st.Failed():
		t.Fatal("Failed closed before any receive")
	default:
	}
	if st.Err() != nil {
		t.Fatalf("Err before any receive: %v", st.Err())
	}
	nic.broken.Store(true)
	a.inject(make([]byte, 60)) // wakes the receive pump, whose Receive fails
	select {
	case <-st.Failed():
	case <-time.After(10 * time.Second):
		t.Fatal("Failed not closed after the NIC failed")
	}
	if !errors.Is(st.Err(), errBroken) {
		t.Fatalf("Err = %v, want %v", st.Err(), errBroken)
	}
}
