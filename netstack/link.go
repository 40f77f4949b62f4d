package netstack

import (
	"context"
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// link connects a NIC to gVisor. Received frames go up from the NIC's
// interrupt goroutine (DirectNIC) or a receive pump goroutine; frames gVisor
// sends go to the NIC in the goroutine that sends them (transmitter), so a
// response leaves without waking another goroutine.
type link struct {
	nic    NIC
	cork   CorkNIC           // nic, when it can batch notifications; nil otherwise
	ch     *channel.Endpoint // delivers received frames; its outbound queue is unused
	ep     *groEndpoint      // the transmitter wrapped in gVisor's Ethernet endpoint and GRO (gro.go)
	cancel context.CancelFunc
	done   sync.WaitGroup

	mu      sync.Mutex
	lastErr error         // the NIC's first error; the link stops on one
	failed  chan struct{} // closed with lastErr's first setting

	rxMu    sync.Mutex // held by receiveDirect
	stopped bool       // receiveDirect delivers nothing more

	tx transmitter
}

func newLink(nic NIC, delayACKs bool) *link {
	// The channel endpoint is kept for what it does on the receive side
	// (attaching to the stack, InjectInbound); its queue of outbound
	// packets is never filled, as transmitter replaces WritePackets.
	ch := channel.New(1, uint32(nic.MTU()+header.EthernetMinimumSize), tcpip.LinkAddress(nic.MAC()))
	l := &link{nic: nic, ch: ch, failed: make(chan struct{})}
	l.cork, _ = nic.(CorkNIC)
	l.tx.init(l, delayACKs)
	l.ep = newGROEndpoint(ethernet.New(&txEndpoint{Endpoint: ch, tx: &l.tx}))
	return l
}

// start runs the receive side until stop: the NIC's own interrupt
// goroutine receives if it can (DirectNIC), the receive pump otherwise.
func (l *link) start() {
	if d, ok := l.nic.(DirectNIC); ok {
		d.SetReceiver(l.receiveDirect)
		l.receiveDirect() // frames that came before
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.done.Add(1)
	go l.receivePump(ctx)
}

func (l *link) stop() {
	if l.cancel != nil {
		l.cancel()
		l.done.Wait()
	}
	l.rxMu.Lock()
	l.stopped = true
	l.rxMu.Unlock()
	l.tx.close()
	l.ch.Close()
}

func (l *link) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastErr == nil {
		l.lastErr = err
		close(l.failed)
	}
}

// err is the error that stopped the link, if any.
func (l *link) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

func (l *link) receivePump(ctx context.Context) {
	defer l.done.Done()
	for l.receive() {
		select {
		case <-ctx.Done():
			return
		case <-l.nic.Ready():
		}
	}
}

// receiveDirect is the receive work a DirectNIC runs after an interrupt.
func (l *link) receiveDirect() {
	l.rxMu.Lock()
	defer l.rxMu.Unlock()
	if !l.stopped {
		l.stopped = !l.receive()
	}
}

// receive delivers the frames the NIC holds; it reports false, having
// recorded the error, when the NIC failed.
func (l *link) receive() bool {
	_, err := l.nic.Receive(l.deliver)
	l.ep.flush() // the batch's coalesced segments (gro.go)
	if err != nil {
		l.fail(err)
		return false
	}
	return true
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

// txEndpoint is the channel endpoint with its transmit side replaced by the
// transmitter.
type txEndpoint struct {
	*channel.Endpoint
	tx *transmitter
}

// WritePackets implements stack.LinkEndpoint.
func (e *txEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	return e.tx.write(pkts)
}
