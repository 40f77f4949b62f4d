package netstack

import (
	"context"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

const (
	// outQueueLen is how many outbound packets gVisor may queue for the
	// transmit pump before its writes fail with "would block".
	outQueueLen = 1024
	// txBatch caps how many frames the pump hands the NIC at once.
	txBatch = 64
	// txRetry and txRetries bound how long the pump waits for the NIC's
	// transmit queue to drain before dropping the rest of a batch: the
	// virtio-net driver reclaims completed buffers only when asked to
	// transmit, so the pump polls.
	txRetry   = 50 * time.Microsecond
	txRetries = 200
)

// link connects a NIC to gVisor through a channel endpoint and two pump
// goroutines.
type link struct {
	nic    NIC
	ch     *channel.Endpoint
	ep     *groEndpoint // ch wrapped in gVisor's Ethernet endpoint and GRO (gro.go)
	cancel context.CancelFunc
	done   sync.WaitGroup

	mu      sync.Mutex
	lastErr error // the NIC's last error; the pumps stop on one

	delayACKs bool // hold pure ACKs for a response to carry (ackdelay.go)
}

func newLink(nic NIC, delayACKs bool) *link {
	ch := channel.New(outQueueLen, uint32(nic.MTU()+header.EthernetMinimumSize), tcpip.LinkAddress(nic.MAC()))
	return &link{nic: nic, ch: ch, ep: newGROEndpoint(ethernet.New(ch)), delayACKs: delayACKs}
}

// start runs the pumps until stop.
func (l *link) start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.done.Add(2)
	go l.receivePump(ctx)
	go l.transmitPump(ctx)
}

func (l *link) stop() {
	if l.cancel != nil {
		l.cancel()
		l.done.Wait()
	}
	l.ch.Close()
}

func (l *link) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastErr == nil {
		l.lastErr = err
	}
}

// err is the error that stopped a pump, if any.
func (l *link) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

func (l *link) receivePump(ctx context.Context) {
	defer l.done.Done()
	for {
		_, err := l.nic.Receive(l.deliver)
		l.ep.flush() // the batch's coalesced segments (gro.go)
		if err != nil {
			l.fail(err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-l.nic.Ready():
		}
	}
}

// deliver hands one received frame to the stack; the receive pump calls
// it for each frame of a batch.
func (l *link) deliver(frame []byte) {
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
		Payload: buffer.MakeWithData(frame), // copies: frame is the NIC's
	})
	// An IPv4 TCP segment whose checksums are right may be coalesced
	// (gro.go).
	if t, ok := findTCP(frame); ok && len(t.src) == 4 && t.checksumsValid() {
		pkt.RXChecksumValidated = true
	}
	// The Ethernet endpoint reads the protocol from the frame.
	l.ch.InjectInbound(0, pkt)
	pkt.DecRef()
}

func (l *link) transmitPump(ctx context.Context) {
	defer l.done.Done()
	frames := make([][]byte, 0, txBatch)
	views := make([]*buffer.View, 0, txBatch)
	var acks *ackDelayer
	if l.delayACKs {
		acks = newAckDelayer()
	}
	// gVisor signals queued packets through wake, so that one select can
	// wait for them, a held ACK's due time and the end together, with one
	// timer reused throughout (ackdelay.go).
	wake := make(notifier, 1)
	h := l.ch.AddNotify(wake)
	defer l.ch.RemoveNotify(h)
	due := time.NewTimer(time.Hour)
	due.Stop()
	// take adds pkt and the packets queued behind it to the batch.
	take := func(pkt *stack.PacketBuffer) {
		for pkt != nil {
			// One contiguous view per packet; the NIC copies it into its
			// own buffer, after which the view is released.
			v := pkt.ToView()
			pkt.DecRef()
			frames, views = append(frames, v.AsSlice()), append(views, v)
			if len(frames) == txBatch {
				return
			}
			pkt = l.ch.Read()
		}
	}
	for {
		pkt := l.ch.Read()
		if pkt == nil {
			var dueC <-chan time.Time
			if at, held := acks.next(); held {
				due.Reset(time.Until(at))
				dueC = due.C
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
				continue
			case <-dueC: // no new packet: send the held ACKs now due
			}
		}
		take(pkt)
		err := l.transmit(ctx, acks.filter(frames, time.Now()))
		for i, v := range views {
			v.Release()
			views[i] = nil
		}
		clear(frames[:cap(frames)])
		frames, views = frames[:0], views[:0]
		if err != nil {
			l.fail(err)
			return
		}
	}
}

// notifier is a channel.Notification that wakes the transmit pump.
type notifier chan struct{}

// WriteNotify is called by gVisor after it queues an outbound packet.
func (n notifier) WriteNotify() {
	select {
	case n <- struct{}{}:
	default:
	}
}

// transmit hands frames to the NIC, retrying while its queue is full.
func (l *link) transmit(ctx context.Context, frames [][]byte) error {
	for try := 0; len(frames) > 0 && try < txRetries; try++ {
		n, err := l.nic.Transmit(frames)
		if err != nil {
			return err
		}
		frames = frames[n:]
		if len(frames) > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(txRetry):
			}
		}
	}
	// Frames still left are dropped, as a NIC with a full ring drops them;
	// TCP retransmits.
	return nil
}
