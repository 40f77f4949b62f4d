package netstack

import (
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/nested"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/stack/gro"
)

// groEndpoint coalesces the TCP segments of one receive batch before they
// reach the stack (generic receive offload, as Linux does in software):
// in-order, equal-sized segments of one IPv4 connection become one segment
// of up to 64 KiB, so IP, the TCP demultiplexer and the connection's
// receive path run once per batch instead of once per frame. A bulk
// transfer into the guest arrives as bursts of full-sized segments (the
// peer sends a whole window at once), which is where it pays.
//
// It sits between the Ethernet endpoint, which strips the link header, and
// the NIC. gVisor's GRO is written for cards that verify checksums (RX
// checksum offload), and this one does not, so the endpoint does the
// card's part around it:
//   - Only segments whose checksums the link has verified
//     (RXChecksumValidated; tcpframe.go) enter GRO. GRO's own check would
//     reject every segment: it sums from the start of the packet's buffer,
//     which still holds the consumed Ethernet header. Everything else goes
//     to the stack at once, as without GRO, and the stack checks it.
//   - GRO does not update the checksums of the segment it builds, and the
//     stack checks every packet again (the NIC clears RXChecksumValidated),
//     so groOut computes them (RFC 791 §3.1, RFC 9293 §3.1) for each segment
//     GRO merged. A merged segment is recognised by its IPv4 header
//     checksum, which GRO's new total length made wrong.
//
// IPv6 segments are not coalesced: nothing in a merged IPv6 header shows
// that it was merged, short of summing the whole segment.
//
// The link delivers one receive batch at a time (link.receive), so the GRO
// state needs no lock; it calls flush after each batch, so no segment waits
// longer than the batch it came in.
type groEndpoint struct {
	nested.Endpoint
	gro gro.GRO // used by link.receive only
	out groOut
}

func newGROEndpoint(child stack.LinkEndpoint) *groEndpoint {
	e := &groEndpoint{}
	e.Endpoint.Init(child, e)
	e.gro.Init(true)
	e.gro.Dispatcher = &e.out
	return e
}

// Attach implements stack.LinkEndpoint. The stack attaches and detaches
// the NIC from its own goroutines while the link may be delivering.
func (e *groEndpoint) Attach(d stack.NetworkDispatcher) {
	e.out.mu.Lock()
	e.out.d = d
	e.out.mu.Unlock()
	e.Endpoint.Attach(d)
}

// DeliverNetworkPacket implements stack.NetworkDispatcher for the Ethernet
// endpoint below.
func (e *groEndpoint) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	switch d := e.out.dispatcher(); {
	case d == nil: // detached: dropped
	case pkt.RXChecksumValidated && proto == header.IPv4ProtocolNumber:
		pkt.NetworkProtocolNumber = proto
		e.gro.Enqueue(pkt)
	default:
		d.DeliverNetworkPacket(proto, pkt)
	}
}

// flush hands the coalesced segments to the stack.
func (e *groEndpoint) flush() { e.gro.Flush() }

// groOut passes what GRO releases to the stack, with the checksums of
// merged segments made right, or drops it once the NIC is detached.
type groOut struct {
	mu sync.RWMutex
	d  stack.NetworkDispatcher
}

func (o *groOut) dispatcher() stack.NetworkDispatcher {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.d
}

// DeliverNetworkPacket implements stack.NetworkDispatcher.
func (o *groOut) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	d := o.dispatcher()
	if d == nil {
		return
	}
	if proto == header.IPv4ProtocolNumber {
		fixMergedChecksums(pkt)
	}
	d.DeliverNetworkPacket(proto, pkt)
}

// DeliverLinkPacket implements stack.NetworkDispatcher.
func (o *groOut) DeliverLinkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	if d := o.dispatcher(); d != nil {
		d.DeliverLinkPacket(proto, pkt)
	}
}

// fixMergedChecksums recomputes the IPv4 header and TCP checksums of a
// segment GRO merged from verified segments. GRO leaves the headers in the
// packet's first buffer chunk, where PullUp returns them in place.
func fixMergedChecksums(pkt *stack.PacketBuffer) {
	hdr, ok := pkt.Data().PullUp(header.IPv4MinimumSize + header.TCPMinimumSize)
	if !ok {
		return
	}
	ip := header.IPv4(hdr)
	if ip.HeaderLength() != header.IPv4MinimumSize || ip.IsChecksumValid() {
		return // GRO merges only option-less headers; a valid one was not merged
	}
	ip.SetChecksum(0)
	ip.SetChecksum(^ip.CalculateChecksum())
	tcp := header.TCP(hdr[header.IPv4MinimumSize:])
	tcp.SetChecksum(0)
	s := segmentSum{skip: header.IPv4MinimumSize}
	pkt.Data().ReadTo(&s, true)
	tcpLen := uint16(pkt.Data().Size() - header.IPv4MinimumSize)
	pseudo := header.PseudoHeaderChecksum(header.TCPProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), tcpLen)
	tcp.SetChecksum(^checksum.Combine(pseudo, s.c.Checksum()))
}

// segmentSum is an io.Writer that sums what is written to it after the
// first skip bytes: the TCP segment of a packet's data.
type segmentSum struct {
	skip int
	c    checksum.Checksumer
}

func (s *segmentSum) Write(b []byte) (int, error) {
	n := len(b)
	if s.skip >= n {
		s.skip -= n
		return n, nil
	}
	s.c.Add(b[s.skip:])
	s.skip = 0
	return n, nil
}
