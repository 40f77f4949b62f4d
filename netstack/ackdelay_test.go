package netstack

import (
	"encoding/binary"
	"testing"
	"time"
)

// tcpFrame builds an Ethernet frame with an IPv4 TCP segment from port sport
// to 80: flags, acknowledgement number, payload length, and TCP options.
func tcpFrame(sport uint16, flags byte, ack uint32, payload int, opts []byte) []byte {
	tcpLen := 20 + len(opts)
	f := make([]byte, 14+20+tcpLen+payload)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+tcpLen+payload))
	ip[8], ip[9] = 64, 6
	copy(ip[12:], []byte{10, 0, 2, 15})
	copy(ip[16:], []byte{10, 0, 2, 2})
	t := ip[20:]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], 80)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12] = byte(tcpLen/4) << 4
	t[13] = flags
	copy(t[20:], opts)
	return f
}

func sentAcks(t *testing.T, frames [][]byte) []uint32 {
	t.Helper()
	var acks []uint32
	for _, f := range frames {
		seg, ok := parseTCP(f)
		if !ok {
			t.Fatalf("a frame that is not TCP went out")
		}
		acks = append(acks, seg.ack)
	}
	return acks
}

func equal(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseTCP(t *testing.T) {
	seg, ok := parseTCP(tcpFrame(1000, tcpACK, 42, 0, nil))
	if !ok || !seg.pureAck || seg.ack != 42 || seg.flow.sport != 1000 || seg.flow.dpt != 80 {
		t.Errorf("pure ACK parsed as %+v, %v", seg, ok)
	}
	if seg, ok := parseTCP(tcpFrame(1000, tcpACK|0x08, 42, 10, nil)); !ok || seg.pureAck {
		t.Errorf("a data segment is not a pure ACK: %+v, %v", seg, ok)
	}
	if seg, ok := parseTCP(tcpFrame(1000, tcpACK|tcpFIN, 42, 0, nil)); !ok || seg.pureAck {
		t.Errorf("a FIN is not a pure ACK: %+v, %v", seg, ok)
	}
	sack := []byte{1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	if seg, ok := parseTCP(tcpFrame(1000, tcpACK, 42, 0, sack)); !ok || seg.pureAck {
		t.Errorf("an ACK with SACK blocks is not delayable: %+v, %v", seg, ok)
	}
	ts := []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	if seg, ok := parseTCP(tcpFrame(1000, tcpACK, 42, 0, ts)); !ok || !seg.pureAck {
		t.Errorf("an ACK with timestamps is a pure ACK: %+v, %v", seg, ok)
	}
	if _, ok := parseTCP(tcpFrame(1000, tcpSYN, 0, 0, nil)); ok {
		t.Errorf("a SYN without ACK parsed")
	}
	bad := tcpFrame(1000, tcpACK, 42, 0, nil)
	binary.BigEndian.PutUint16(bad[14+2:], 500) // IP total length past the frame
	if _, ok := parseTCP(bad); ok {
		t.Errorf("a truncated packet parsed")
	}
	if _, ok := parseTCP([]byte{1, 2, 3}); ok {
		t.Errorf("a runt parsed")
	}
}

// quickStart sends a flow's quick ACKs, acknowledging up to ack, and
// checks that none of them waited.
func quickStart(t *testing.T, d *ackDelayer, now time.Time, sport uint16, ack uint32) {
	t.Helper()
	for k := quickAcks - 1; k >= 0; k-- {
		a := ack - uint32(k)
		if got := sentAcks(t, d.filter([][]byte{tcpFrame(sport, tcpACK, a, 0, nil)}, now)); !equal(got, []uint32{a}) {
			t.Fatalf("quick ACK %d of port %d: sent %v, want it at once", quickAcks-k, sport, got)
		}
	}
}

func TestAckDelay(t *testing.T) {
	now := time.Unix(1000, 0)
	d := newAckDelayer()
	// The handshake's ACK and the next ones are sent at once (quick ACKs).
	quickStart(t, d, now, 1, 100)

	// A request arrives: its ACK waits, and the response carries it.
	if got := d.filter([][]byte{tcpFrame(1, tcpACK, 140, 0, nil)}, now); len(got) != 0 {
		t.Fatalf("the ACK of a small request went out at once: %v", sentAcks(t, got))
	}
	if due, ok := d.next(); !ok || !due.Equal(now.Add(ackDelay)) {
		t.Fatalf("next() = %v, %v; want the ACK due after %v", due, ok, ackDelay)
	}
	got := sentAcks(t, d.filter([][]byte{tcpFrame(1, tcpACK|0x08, 140, 149, nil)}, now.Add(time.Millisecond)))
	if !equal(got, []uint32{140}) {
		t.Fatalf("response: sent %v, want only the response", got)
	}
	if _, ok := d.next(); ok {
		t.Fatalf("the replaced ACK is still held")
	}

	// No response: the ACK goes out when due, not before.
	if got := d.filter([][]byte{tcpFrame(1, tcpACK, 180, 0, nil)}, now); len(got) != 0 {
		t.Fatalf("held ACK went out at once")
	}
	if got := d.filter(nil, now.Add(ackDelay-time.Microsecond)); len(got) != 0 {
		t.Fatalf("held ACK went out early")
	}
	if got := sentAcks(t, d.filter(nil, now.Add(ackDelay))); !equal(got, []uint32{180}) {
		t.Fatalf("due ACK: sent %v", got)
	}

	// A duplicate ACK, an ACK with SACK blocks, and one for two full
	// segments go out at once.
	if got := sentAcks(t, d.filter([][]byte{tcpFrame(1, tcpACK, 180, 0, nil)}, now)); !equal(got, []uint32{180}) {
		t.Errorf("duplicate ACK: sent %v", got)
	}
	sack := []byte{1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	if got := sentAcks(t, d.filter([][]byte{tcpFrame(1, tcpACK, 200, 0, sack)}, now)); !equal(got, []uint32{200}) {
		t.Errorf("SACK: sent %v", got)
	}
	if got := sentAcks(t, d.filter([][]byte{tcpFrame(1, tcpACK, 200+ackEvery, 0, nil)}, now)); !equal(got, []uint32{200 + ackEvery}) {
		t.Errorf("ACK of two segments: sent %v", got)
	}

	// Another connection's frames do not replace a held ACK.
	quickStart(t, d, now, 2, 450)
	d.filter([][]byte{tcpFrame(2, tcpACK, 500, 0, nil)}, now)
	d.filter([][]byte{tcpFrame(1, tcpACK, 3300, 0, nil)}, now)
	if got := sentAcks(t, d.filter([][]byte{tcpFrame(2, tcpACK|0x08, 600, 10, nil)}, now)); !equal(got, []uint32{600}) {
		t.Errorf("other flow: sent %v", got)
	}
	if got := sentAcks(t, d.filter(nil, now.Add(ackDelay))); !equal(got, []uint32{3300}) {
		t.Errorf("the held ACK of flow 1 after flow 2's data: sent %v", got)
	}

	// After a quiet spell the next ACK goes at once (Linux's quick ACK
	// after idle), and the one after it waits again.
	quiet := now.Add(ackDelay + quickAckIdle) // flow 1 last sent an ACK at now+ackDelay
	if got := sentAcks(t, d.filter([][]byte{tcpFrame(1, tcpACK, 3400, 0, nil)}, quiet)); !equal(got, []uint32{3400}) {
		t.Errorf("first ACK after %v idle: sent %v, want it at once", quickAckIdle, got)
	}
	if got := d.filter([][]byte{tcpFrame(1, tcpACK, 3450, 0, nil)}, quiet.Add(time.Millisecond)); len(got) != 0 {
		t.Errorf("second ACK after idle went out at once: %v", sentAcks(t, got))
	}
	d.filter([][]byte{tcpFrame(1, tcpACK|0x08, 3450, 10, nil)}, quiet.Add(time.Millisecond))

	// Frames that are not TCP pass in order.
	arp := make([]byte, 42)
	binary.BigEndian.PutUint16(arp[12:], 0x0806)
	if out := d.filter([][]byte{arp}, now); len(out) != 1 {
		t.Errorf("ARP frame dropped")
	}
	var none *ackDelayer
	in := [][]byte{tcpFrame(1, tcpACK, 9999, 0, nil)}
	if out := none.filter(in, now); len(out) != 1 {
		t.Errorf("a stack without delayed ACKs held a frame")
	}
}
