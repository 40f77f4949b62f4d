package netstack

import (
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

const (
	// backlogLen bounds how many frames wait for room in the NIC's
	// transmit queue; beyond it frames are dropped, as a full NIC drops
	// them, and TCP retransmits.
	backlogLen = 1024
	// txRetry is how often a backlog is offered to the NIC again: the
	// virtio-net driver reclaims completed buffers only when asked to
	// transmit, so the link polls. txGiveUp is how long the NIC may take
	// none of it before the backlog is dropped.
	txRetry  = 50 * time.Microsecond
	txGiveUp = 10 * time.Millisecond
)

// transmitter hands the stack's outbound frames to the NIC. gVisor writes
// from whichever goroutine sends — the pump writing a response, the TCP
// processor acknowledging, a timer retransmitting — and the frames go to
// the NIC in that goroutine, under one lock: a goroutine of its own would
// cost a wake-up and a switch for every response, which under TCG was a
// few percent of a request's time.
//
// Two things need a clock, and one timer serves both, armed only while one
// of them waits: delayed ACKs (ackdelay.go), and a backlog of frames that
// found the NIC's transmit queue full, retried every txRetry and dropped
// once the NIC has taken none of it for txGiveUp.
type transmitter struct {
	l *link

	mu      sync.Mutex
	acks    *ackDelayer // nil: ACKs go out at once
	backlog [][]byte    // frames waiting for room in the NIC's queue, oldest first; owned copies
	stalled time.Time   // since when the NIC has taken none of the backlog
	frames  [][]byte    // one write's frames, reused
	views   []*buffer.View
	timer   *time.Timer
	armed   time.Time // when timer fires; zero when it is not armed
	closed  bool
}

func (t *transmitter) init(l *link, delayACKs bool) {
	t.l = l
	if delayACKs {
		t.acks = newAckDelayer()
	}
	t.timer = time.AfterFunc(time.Hour, t.fire)
	t.timer.Stop()
}

// write sends one list of packets from gVisor.
func (t *transmitter) write(pkts stack.PacketBufferList) (int, tcpip.Error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return 0, &tcpip.ErrClosedForSend{}
	}
	for _, pkt := range pkts.AsSlice() {
		// One contiguous view per packet; the NIC copies it into its own
		// buffer, after which the view is released.
		v := pkt.ToView()
		t.frames, t.views = append(t.frames, v.AsSlice()), append(t.views, v)
	}
	n := len(t.frames)
	err := t.sendLocked(t.acks.filter(t.frames, time.Now()))
	for i, v := range t.views {
		v.Release()
		t.views[i] = nil
	}
	clear(t.frames) // the released views; slots past it hold only copies of held ACKs
	t.frames, t.views = t.frames[:0], t.views[:0]
	if err != nil {
		t.failLocked(err)
		return 0, &tcpip.ErrClosedForSend{}
	}
	return n, nil
}

// fire sends the held ACKs that are due and retries the backlog.
func (t *transmitter) fire() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.armed = time.Time{}
	if t.closed {
		return
	}
	if err := t.sendLocked(t.acks.filter(nil, time.Now())); err != nil {
		t.failLocked(err)
	}
}

// sendLocked hands frames to the NIC behind the backlog, keeps copies of
// what does not fit, and arms the timer for what waits.
func (t *transmitter) sendLocked(frames [][]byte) error {
	now := time.Now()
	if len(t.backlog) > 0 {
		n, err := t.l.nic.Transmit(t.backlog)
		if err != nil {
			return err
		}
		if n > 0 || t.stalled.IsZero() {
			t.stalled = now
		}
		clear(t.backlog[:n])
		t.backlog = append(t.backlog[:0], t.backlog[n:]...)
		if now.Sub(t.stalled) >= txGiveUp {
			// The NIC made no room for a while: drop the backlog, as a
			// NIC with a full ring drops frames; TCP retransmits.
			clear(t.backlog)
			t.backlog = t.backlog[:0]
		}
	}
	if len(t.backlog) == 0 && len(frames) > 0 {
		n, err := t.l.nic.Transmit(frames)
		if err != nil {
			return err
		}
		frames = frames[n:]
	}
	if len(t.backlog) == 0 {
		t.stalled = time.Time{}
	}
	for _, f := range frames {
		if len(t.backlog) == backlogLen {
			break // dropped
		}
		t.backlog = append(t.backlog, append([]byte(nil), f...))
	}
	t.armLocked(now)
	return nil
}

// armLocked sets the timer for the oldest held ACK or the backlog's next
// retry, unless it already fires sooner.
func (t *transmitter) armLocked(now time.Time) {
	at, ok := t.acks.next()
	if len(t.backlog) > 0 && (!ok || now.Add(txRetry).Before(at)) {
		at, ok = now.Add(txRetry), true
	}
	if !ok || (!t.armed.IsZero() && !at.Before(t.armed)) {
		return
	}
	t.armed = at
	t.timer.Reset(at.Sub(now))
}

func (t *transmitter) failLocked(err error) {
	t.l.fail(err)
	t.closeLocked()
}

// close stops sending: later writes fail, held ACKs and the backlog are
// dropped.
func (t *transmitter) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeLocked()
}

func (t *transmitter) closeLocked() {
	t.closed = true
	t.timer.Stop()
	t.backlog = nil
}
