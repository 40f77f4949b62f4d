package netstack

import (
	"encoding/binary"
	"time"
)

// Delayed acknowledgements. gVisor acknowledges received data as soon as it
// has processed it; it has no delayed-ACK timer. For a request and its
// response that costs a third frame, a pure ACK sent a moment before the
// response that would have carried the same acknowledgement: one more trip
// through the NIC, the hypervisor and the peer's stack for every request.
// RFC 1122 §4.2.3.2 lets a receiver delay an ACK (by less than 0.5 s) and RFC
// 5681 §4.2 asks it to acknowledge at least every second full-sized segment,
// as Linux does. The link's transmitter applies that rule (transmit.go):
//
//   - A pure ACK (no data, no SYN, FIN or RST, no SACK blocks) that moves the
//     acknowledgement forward by less than two full segments may wait up to
//     ackDelay for another frame of the same connection; one that carries an
//     acknowledgement at least as new replaces it, and it is not sent.
//   - The first quickAcks acknowledgements of a connection go out at once,
//     as Linux's quick-ACK mode sends them (net/ipv4/tcp_input.c,
//     TCP_MAX_QUICKACKS): a peer that holds small segments back until the
//     last one is acknowledged (Nagle's algorithm, RFC 896) does not stall
//     while a connection starts. So does the first one after the
//     connection was quiet for quickAckIdle, as Linux re-enters quick-ACK
//     mode after an idle period: a request written in two parts by such a
//     peer on a kept-alive connection gets its first part acknowledged.
//   - Duplicate ACKs (the acknowledgement did not move), ACKs with SACK
//     blocks, window updates and everything else go out at once and in
//     order, so loss recovery (RFC 5681 §3.2, RFC 6675) sees what it would
//     have seen.

const (
	// ackDelay bounds how long an acknowledgement waits for a response to
	// carry it: Linux's minimum delayed-ACK timeout (TCP_DELACK_MIN). A
	// shorter wait lets a busy guest's ACKs go out alone: under TCG a
	// single CPU answering eight connections takes several milliseconds
	// per round, and 2 ms sent nearly every ACK by itself (a capture showed
	// 3.1 frames per request).
	ackDelay = 40 * time.Millisecond
	// ackEvery is how much new data forces an immediate ACK: two segments
	// of a 1500-byte MTU.
	ackEvery = 2 * 1460
	// quickAcks is how many acknowledgements of a connection are never
	// delayed: Linux's TCP_MAX_QUICKACKS.
	quickAcks = 16
	// quickAckIdle is how long a connection must have sent no ACK for its
	// next one to go at once: Linux's minimum retransmission timeout, its
	// test for an idle connection.
	quickAckIdle = 200 * time.Millisecond
	// maxFlows bounds the acknowledgement table; when full it starts over,
	// which only costs a few ACKs that are sent at once.
	maxFlows = 4096
)

// flowKey names one direction of a TCP connection: source and destination
// address and port, as they appear in the frame (IPv4 addresses in the
// first four bytes).
type flowKey struct {
	src, dst   [16]byte
	sport, dpt uint16
}

// tcpSegment is what the delay needs of an outbound frame.
type tcpSegment struct {
	flow    flowKey
	ack     uint32
	pureAck bool // ACK only, no data, no SACK blocks
}

// TCP flags (RFC 9293 §3.1).
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// parseTCP reads an Ethernet frame carrying TCP (findTCP). ok is false for
// anything else, and for a segment without the ACK flag.
func parseTCP(frame []byte) (seg tcpSegment, ok bool) {
	t, ok := findTCP(frame)
	if !ok {
		return seg, false
	}
	l4 := t.l4
	off := int(l4[12]>>4) * 4
	flags := l4[13]
	if flags&tcpACK == 0 {
		return seg, false
	}
	copy(seg.flow.src[:], t.src)
	copy(seg.flow.dst[:], t.dst)
	seg.flow.sport = binary.BigEndian.Uint16(l4[0:2])
	seg.flow.dpt = binary.BigEndian.Uint16(l4[2:4])
	seg.ack = binary.BigEndian.Uint32(l4[8:12])
	seg.pureAck = len(l4) == off && flags&(tcpFIN|tcpSYN|tcpRST) == 0 && !hasSACK(l4[20:off])
	return seg, true
}

// hasSACK reports whether TCP options carry SACK blocks (kind 5, RFC 2018).
func hasSACK(opts []byte) bool {
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0: // end of options
			return false
		case 1: // no-op
			i++
			continue
		case 5:
			return true
		}
		if i+1 >= len(opts) || opts[i+1] < 2 {
			return false
		}
		i += int(opts[i+1])
	}
	return false
}

// seqAfter reports whether a comes after b in sequence space (RFC 9293 §3.4).
func seqAfter(a, b uint32) bool { return int32(a-b) > 0 }

// ackDelayer applies the rule to the frames the transmitter sends. It is
// used under the transmitter's lock.
type ackDelayer struct {
	sent    map[flowKey]sentAck // per flow
	pending []heldAck           // delayed ACKs, oldest first
}

// sentAck is what a flow has sent: its last acknowledgement, when, and how
// many (up to quickAcks).
type sentAck struct {
	ack uint32
	at  time.Time
	n   int
}

// heldAck is a delayed pure ACK: a copy of its frame, sent at due unless a
// later frame of its connection replaces it first.
type heldAck struct {
	seg   tcpSegment
	frame []byte
	due   time.Time
}

func newAckDelayer() *ackDelayer { return &ackDelayer{sent: map[flowKey]sentAck{}} }

// delayable reports whether a pure ACK may wait for a response at now: its
// connection is past its quick ACKs and was not idle, and it moves the
// acknowledgement forward by less than ackEvery since the last one sent.
func (d *ackDelayer) delayable(seg tcpSegment, now time.Time) bool {
	if !seg.pureAck {
		return false
	}
	last := d.sent[seg.flow]
	return last.n >= quickAcks && now.Sub(last.at) < quickAckIdle &&
		seqAfter(seg.ack, last.ack) && seg.ack-last.ack < ackEvery
}

// next is when the oldest held ACK is due; ok is false when none is held
// (or d is nil: the stack does not delay ACKs).
func (d *ackDelayer) next() (due time.Time, ok bool) {
	if d == nil || len(d.pending) == 0 {
		return time.Time{}, false
	}
	return d.pending[0].due, true
}

// filter returns the frames to send now, in order (reusing frames' array):
// delayable ACKs are held instead, held ACKs that a frame of the same
// connection replaces are dropped, and held ACKs due by now are added. A
// nil d passes frames through.
func (d *ackDelayer) filter(frames [][]byte, now time.Time) [][]byte {
	if d == nil {
		return frames
	}
	out := frames[:0]
	for _, f := range frames {
		seg, ok := parseTCP(f)
		if !ok {
			out = append(out, f)
			continue
		}
		due := now.Add(ackDelay)
		for k := 0; k < len(d.pending); k++ {
			if h := d.pending[k]; h.seg.flow == seg.flow && !seqAfter(h.seg.ack, seg.ack) {
				due = h.due // a replacing ACK waits no longer than the one it replaces
				d.pending = append(d.pending[:k], d.pending[k+1:]...)
				k--
			}
		}
		if d.delayable(seg, now) {
			d.pending = append(d.pending, heldAck{seg: seg, frame: append([]byte(nil), f...), due: due})
			continue
		}
		d.record(seg, now)
		out = append(out, f)
	}
	for len(d.pending) > 0 && !d.pending[0].due.After(now) {
		h := d.pending[0]
		d.pending = d.pending[1:]
		d.record(h.seg, now)
		out = append(out, h.frame)
	}
	return out
}

func (d *ackDelayer) record(seg tcpSegment, now time.Time) {
	if len(d.sent) >= maxFlows {
		clear(d.sent)
	}
	last := d.sent[seg.flow]
	d.sent[seg.flow] = sentAck{ack: seg.ack, at: now, n: min(last.n+1, quickAcks)}
}
