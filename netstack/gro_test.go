package netstack

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// received is a packet as the stack would have received it.
type received struct {
	proto tcpip.NetworkProtocolNumber
	data  []byte // IP header onwards
}

// recorder is a stack.NetworkDispatcher that keeps what it is given.
type recorder struct{ got []received }

func (r *recorder) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	r.got = append(r.got, received{proto, pkt.Data().AsRange().ToSlice()})
}

func (r *recorder) DeliverLinkPacket(tcpip.NetworkProtocolNumber, *stack.PacketBuffer) {}

// segment builds an Ethernet frame with a TCP segment from 10.0.2.2:1234
// (or fd00::2) to 10.0.2.15:80 (or fd00::15), with valid checksums.
func segment(v6 bool, seq uint32, flags header.TCPFlags, payload []byte) []byte {
	ipLen := header.IPv4MinimumSize
	if v6 {
		ipLen = header.IPv6MinimumSize
	}
	f := make([]byte, header.EthernetMinimumSize+ipLen+header.TCPMinimumSize+len(payload))
	eth := header.Ethernet(f)
	var src, dst tcpip.Address
	if v6 {
		eth.Encode(&header.EthernetFields{Type: header.IPv6ProtocolNumber})
		src, dst = tcpip.AddrFrom16Slice(net.ParseIP("fd00::2")), tcpip.AddrFrom16Slice(net.ParseIP("fd00::15"))
		header.IPv6(f[14:]).Encode(&header.IPv6Fields{
			PayloadLength: uint16(header.TCPMinimumSize + len(payload)), TransportProtocol: header.TCPProtocolNumber,
			HopLimit: 64, SrcAddr: src, DstAddr: dst,
		})
	} else {
		eth.Encode(&header.EthernetFields{Type: header.IPv4ProtocolNumber})
		src, dst = tcpip.AddrFrom4([4]byte{10, 0, 2, 2}), tcpip.AddrFrom4([4]byte{10, 0, 2, 15})
		ip := header.IPv4(f[14:])
		ip.Encode(&header.IPv4Fields{
			TotalLength: uint16(ipLen + header.TCPMinimumSize + len(payload)), TTL: 64,
			Protocol: uint8(header.TCPProtocolNumber), SrcAddr: src, DstAddr: dst,
		})
		ip.SetChecksum(^ip.CalculateChecksum())
	}
	tcp := header.TCP(f[14+ipLen:])
	tcp.Encode(&header.TCPFields{
		SrcPort: 1234, DstPort: 80, SeqNum: seq, AckNum: 1,
		DataOffset: header.TCPMinimumSize, Flags: flags, WindowSize: 65535,
	})
	copy(tcp.Payload(), payload)
	sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(len(tcp)))
	tcp.SetChecksum(^checksum.Checksum(tcp, sum))
	return f
}

// batch delivers frames to a link as one receive batch and returns what
// reached the stack.
func batch(t *testing.T, frames ...[]byte) []received {
	t.Helper()
	l := newLink(nicStub{}, false)
	r := &recorder{}
	l.ep.Attach(r)
	for _, f := range frames {
		l.deliver(f)
	}
	l.ep.flush()
	return r.got
}

// nicStub is a NIC for links whose pumps do not run.
type nicStub struct{}

func (nicStub) MAC() net.HardwareAddr                      { return net.HardwareAddr{2, 0, 0, 0, 0, 0x15} }
func (nicStub) MTU() int                                   { return 1500 }
func (nicStub) Transmit(frames [][]byte) (int, error)      { return len(frames), nil }
func (nicStub) Receive(fn func(frame []byte)) (int, error) { return 0, nil }
func (nicStub) Ready() <-chan struct{}                     { return nil }

// ethernet puts a received IP packet back in an Ethernet frame, for findTCP.
func (p received) ethernet() []byte {
	f := make([]byte, header.EthernetMinimumSize, header.EthernetMinimumSize+len(p.data))
	binary.BigEndian.PutUint16(f[12:], uint16(p.proto))
	return append(f, p.data...)
}

func payloadOf(p received) []byte {
	t, ok := findTCP(p.ethernet())
	if !ok {
		return nil
	}
	return header.TCP(t.l4).Payload()
}

func TestGROCoalescesABurst(t *testing.T) {
	var frames [][]byte
	var want []byte
	for i := 0; i < 5; i++ {
		p := bytes.Repeat([]byte{byte('a' + i)}, 1460)
		frames = append(frames, segment(false, uint32(1000+i*1460), header.TCPFlagAck, p))
		want = append(want, p...)
	}
	got := batch(t, frames...)
	if len(got) != 1 {
		t.Fatalf("5 in-order segments reached the stack as %d packets, want 1", len(got))
	}
	tcp, ok := findTCP(got[0].ethernet())
	if !ok {
		t.Fatal("the merged packet is not a TCP segment")
	}
	if !tcp.checksumsValid() {
		t.Error("the merged segment's IPv4 or TCP checksum is wrong")
	}
	if s := header.TCP(tcp.l4).SequenceNumber(); s != 1000 {
		t.Errorf("merged segment starts at %d, want 1000", s)
	}
	if !bytes.Equal(payloadOf(got[0]), want) {
		t.Error("the merged segment's payload is not the five payloads in order")
	}
}

func TestGROPassesBadSegmentsThrough(t *testing.T) {
	p := bytes.Repeat([]byte{'x'}, 1460)
	good1 := segment(false, 1000, header.TCPFlagAck, p)
	good2 := segment(false, 2460, header.TCPFlagAck, p)
	bad := segment(false, 3920, header.TCPFlagAck, p)
	bad[len(bad)-1] ^= 0xff // payload no longer matches the checksum
	good4 := segment(false, 5380, header.TCPFlagAck, p)
	got := batch(t, good1, good2, bad, good4)
	var badSeen bool
	for _, g := range got {
		tcp, _ := findTCP(g.ethernet())
		if bytes.Equal(g.data, bad[14:]) {
			badSeen = true // unchanged: the stack checks it and drops it
			continue
		}
		if !tcp.checksumsValid() {
			t.Errorf("a packet with wrong checksums other than the bad segment reached the stack (seq %d)", header.TCP(tcp.l4).SequenceNumber())
		}
		if s := header.TCP(tcp.l4).SequenceNumber(); len(tcp.l4) > 20+1460 && s+uint32(len(tcp.l4)-20) > 3920 {
			t.Errorf("the bad segment was merged into the one at seq %d", s)
		}
	}
	if !badSeen {
		t.Error("the segment with a bad checksum did not reach the stack unchanged")
	}
}

func TestGROLeavesOthersAlone(t *testing.T) {
	p := bytes.Repeat([]byte{'y'}, 1000)
	v6 := [][]byte{
		segment(true, 1000, header.TCPFlagAck, p),
		segment(true, 2000, header.TCPFlagAck, p),
		segment(true, 3000, header.TCPFlagAck, p),
	}
	if got := batch(t, v6...); len(got) != 3 {
		t.Errorf("3 IPv6 segments reached the stack as %d packets, want 3 (not coalesced)", len(got))
	}
	// A gap in sequence numbers, and a PSH that ends a message, end a
	// merged segment.
	gap := [][]byte{
		segment(false, 1000, header.TCPFlagAck, p),
		segment(false, 2000, header.TCPFlagAck|header.TCPFlagPsh, p),
		segment(false, 5000, header.TCPFlagAck, p),
	}
	got := batch(t, gap...)
	if len(got) != 2 {
		t.Fatalf("got %d packets, want 2 (1000-2999 merged, 5000 alone)", len(got))
	}
	for _, g := range got {
		if tcp, _ := findTCP(g.ethernet()); !tcp.checksumsValid() {
			t.Error("a packet reached the stack with wrong checksums")
		}
	}
	// Frames that are not TCP pass unchanged.
	arp := make([]byte, 42)
	binary.BigEndian.PutUint16(arp[12:], uint16(header.ARPProtocolNumber))
	arp[14] = 0x42
	if got := batch(t, arp); len(got) != 1 || got[0].proto != header.ARPProtocolNumber || got[0].data[0] != 0x42 {
		t.Errorf("an ARP frame reached the stack as %v", got)
	}
}
