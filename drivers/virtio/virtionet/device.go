package virtionet

import (
	"crypto/rand"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gobi-os/gobi/drivers/virtio"
)

// Feature bits, §5.1.3.
const (
	featMTU    = 1 << 3
	featMAC    = 1 << 5
	featStatus = 1 << 16
)

// Configuration layout (struct virtio_net_config, §5.1.4), written by the
// device: mac[6] @0, status u16 @6, max_virtqueue_pairs u16 @8, mtu u16 @10.
const (
	cfgMAC    = 0
	cfgStatus = 6
	cfgMTU    = 10

	statusLinkUp = 1
)

const (
	// DeviceType is the virtio device ID of a network card (§5.1.1).
	DeviceType = 1

	rxQueue = 0
	txQueue = 1

	// queueSize is how many frames each direction can have in flight.
	queueSize = 256

	defaultMTU = 1500
	// minMTU is the smallest MTU the device may report (§5.1.4.1: "MUST NOT
	// set mtu below 68"); maxMTU the largest a 16-bit field and a 64 KiB
	// buffer allow with the headers.
	minMTU = 68
	maxMTU = 65535 - HeaderLen - ethHeaderLen

	// ethHeaderLen is an Ethernet header with one 802.1Q tag.
	ethHeaderLen = 18
)

// Stats counts frames. Dropped receive frames are those the device returned
// malformed; dropped transmit frames did not fit the queue or the MTU.
// Interrupts counts the interrupts the device raised (HandleInterrupt
// calls that found a cause), LostInterrupts the times Watch found received
// frames that no interrupt announced, and TxStalls the times it found the
// device idle with frames to send.
type Stats struct {
	RxFrames, RxDropped, TxFrames, TxDropped uint64
	Interrupts, LostInterrupts, TxStalls     uint64
}

// Device is a virtio network device.
type Device struct {
	dev     *virtio.Device
	mac     net.HardwareAddr
	mtu     int
	bufSize int // HeaderLen + the largest frame
	ready   chan struct{}
	onRx    atomic.Pointer[func()] // SetReceiver's function; nil: signal ready
	linkUp  atomic.Bool

	rxMu   sync.Mutex
	rx     *virtio.Queue
	rxBufs []virtio.Region // by head id

	txMu     sync.Mutex
	tx       *virtio.Queue
	txFree   []virtio.Region
	txFlight []virtio.Region // by head id
	corked   int             // Cork depth: Transmit leaves the notification to Uncork
	corkSent bool            // a Transmit under the current Cork notified already

	rxFrames, rxDropped, txFrames, txDropped atomic.Uint64
	interrupts, lostInterrupts, txStalls     atomic.Uint64

	// Watch's view of each queue at its previous call.
	watchRx, watchTx progress
}

// New initialises the network device behind t: negotiates features, reads
// the MAC address and MTU, sets up the receive and transmit queues, fills the
// receive queue and sets DRIVER_OK (§5.1.5).
func New(t virtio.Transport, dma virtio.DMA) (*Device, error) {
	if t.DeviceType() != DeviceType {
		return nil, fmt.Errorf("virtio device type %d is not a network device (%d)", t.DeviceType(), DeviceType)
	}
	vd, err := virtio.Negotiate(t, dma, featMAC|featMTU|featStatus|virtio.FeatureEventIdx)
	if err != nil {
		return nil, fmt.Errorf("virtio-net: %w", err)
	}
	d := &Device{dev: vd, mtu: defaultMTU, ready: make(chan struct{}, 1)}
	if err := d.readConfig(); err != nil {
		vd.Fail()
		return nil, err
	}
	// §5.1.6.3.1: without mergeable buffers or GUEST_TSO, each receive
	// buffer must hold the header and a whole frame (at least 1526 bytes).
	d.bufSize = max(1526, HeaderLen+ethHeaderLen+d.mtu)
	if err := d.setupQueues(dma); err != nil {
		vd.Fail()
		return nil, fmt.Errorf("virtio-net: %w", err)
	}
	vd.Start()
	d.rx.Kick() // notifications only after DRIVER_OK (§3.1.1)
	return d, nil
}

func (d *Device) readConfig() error {
	var mac [6]byte
	var status, mtu uint16
	err := d.dev.ReadConfig(func(t virtio.Transport) {
		for i := range mac {
			mac[i] = t.ReadConfig8(cfgMAC + i)
		}
		status = t.ReadConfig16(cfgStatus)
		mtu = t.ReadConfig16(cfgMTU)
	})
	if err != nil {
		return fmt.Errorf("virtio-net: reading configuration: %w", err)
	}
	if d.dev.Has(featMAC) {
		d.mac = mac[:]
	} else {
		// §5.1.5: without VIRTIO_NET_F_MAC the driver picks a random one:
		// locally administered, unicast.
		d.mac = make(net.HardwareAddr, 6)
		rand.Read(d.mac)
		d.mac[0] = d.mac[0]&^1 | 2
	}
	if d.dev.Has(featMTU) {
		// Cap: the MTU is device-controlled and sizes every buffer.
		if mtu < minMTU || int(mtu) > maxMTU {
			return fmt.Errorf("virtio-net: device reports MTU %d, outside [%d, %d]: %w", mtu, minMTU, maxMTU, virtio.ErrDeviceBroken)
		}
		d.mtu = int(mtu)
	}
	// §5.1.4.2: without VIRTIO_NET_F_STATUS the link is assumed up.
	d.linkUp.Store(!d.dev.Has(featStatus) || status&statusLinkUp != 0)
	return nil
}

func (d *Device) setupQueues(dma virtio.DMA) error {
	var err error
	if d.rx, err = d.dev.SetupQueue(rxQueue, queueSize); err != nil {
		return fmt.Errorf("receive queue: %w", err)
	}
	if d.tx, err = d.dev.SetupQueue(txQueue, queueSize); err != nil {
		return fmt.Errorf("transmit queue: %w", err)
	}
	// Completed transmissions are reclaimed on the next Transmit; their
	// interrupts would only wake us for nothing.
	d.tx.DisableInterrupts()
	d.rxBufs = make([]virtio.Region, d.rx.Size())
	rx, err := carve(dma, int(d.rx.Size()), d.bufSize)
	if err != nil {
		return fmt.Errorf("receive buffers: %w", err)
	}
	for _, b := range rx {
		if err := d.postLocked(b); err != nil {
			return err
		}
	}
	d.txFlight = make([]virtio.Region, d.tx.Size())
	if d.txFree, err = carve(dma, int(d.tx.Size()), d.bufSize); err != nil {
		return fmt.Errorf("transmit buffers: %w", err)
	}
	return nil
}

// carve allocates n buffers of size bytes in one DMA allocation (the
// platform's allocator works in pages, so one call per buffer would waste
// most of each page) and cuts it up, keeping each buffer 8-byte aligned.
func carve(dma virtio.DMA, n, size int) ([]virtio.Region, error) {
	stride := (size + 7) &^ 7
	all, err := dma.Alloc(n*stride, 8)
	if err != nil {
		return nil, err
	}
	bufs := make([]virtio.Region, n)
	for i := range bufs {
		off := i * stride
		bufs[i] = virtio.Region{Bytes: all.Bytes[off : off+size : off+size], Phys: all.Phys + uint64(off)}
	}
	return bufs, nil
}

// postLocked makes receive buffer b available to the device (not yet kicked).
func (d *Device) postLocked(b virtio.Region) error {
	h, err := d.rx.Add([]virtio.Buffer{{Addr: b.Phys, Len: uint32(len(b.Bytes)), Writable: true}})
	if err != nil {
		return fmt.Errorf("posting receive buffer: %w", err)
	}
	d.rxBufs[h] = b
	return nil
}

// MAC is the device's Ethernet address.
func (d *Device) MAC() net.HardwareAddr { return d.mac }

// MTU is the largest IP packet (Ethernet payload) the link carries.
func (d *Device) MTU() int { return d.mtu }

// LinkUp reports the link status (VIRTIO_NET_S_LINK_UP), updated when the
// device signals a configuration change.
func (d *Device) LinkUp() bool { return d.linkUp.Load() }

// Ready is signalled when frames may be waiting for Receive. It holds at most
// one pending signal, so a consumer that drains with Receive after every
// wake-up misses nothing.
func (d *Device) Ready() <-chan struct{} { return d.ready }

// SetReceiver makes HandleInterrupt call receive, in the goroutine serving
// the interrupt, instead of signalling Ready: the consumer's receive work
// then runs without a switch to another goroutine. receive typically calls
// Receive. HandleInterrupt is never called concurrently with itself, so
// neither is receive.
func (d *Device) SetReceiver(receive func()) { d.onRx.Store(&receive) }

// Stats returns the frame counters.
func (d *Device) Stats() Stats {
	return Stats{RxFrames: d.rxFrames.Load(), RxDropped: d.rxDropped.Load(),
		TxFrames: d.txFrames.Load(), TxDropped: d.txDropped.Load(),
		Interrupts: d.interrupts.Load(), LostInterrupts: d.lostInterrupts.Load(),
		TxStalls: d.txStalls.Load()}
}

// HandleInterrupt is what the platform calls when the device's interrupt
// line fires. It reads and acknowledges the cause (§4.1.5.3, §4.2.3.3),
// re-reads the link status on a configuration change, and runs or wakes the
// receiver (SetReceiver, Ready). It reports whether the device had raised the interrupt, for
// platforms that share interrupt lines. It takes no locks that Receive or
// Transmit hold for long, but it does lock: call it from a goroutine, not
// from trap context.
func (d *Device) HandleInterrupt() bool {
	cause := d.dev.Transport.InterruptStatus()
	if cause&virtio.InterruptConfigChanged != 0 {
		d.readLinkStatus()
	}
	if cause != 0 {
		d.interrupts.Add(1)
		d.serveRx()
	}
	return cause != 0
}

// serveRx runs the receiver (SetReceiver) or wakes the consumer (Ready).
func (d *Device) serveRx() {
	if rx := d.onRx.Load(); rx != nil {
		(*rx)()
	} else {
		d.wake()
	}
}

// Watch is the driver's guard against a lost notification in either
// direction, each of which would otherwise stop that direction for good
// with EVENT_IDX (§2.7.10): the device interrupts again only when its used
// index passes the event index the driver last set, which a driver that
// missed the interrupt never moves, and it looks at the available ring
// again only when notified. Call it periodically from the goroutine that
// calls HandleInterrupt.
//
//   - Receive: when frames were already waiting at the previous call, are
//     still the next to take, and no interrupt was served in between, it
//     serves them as HandleInterrupt would and returns how many had
//     waited in lostRx. Frames that arrive between two calls, whose
//     interrupt is on its way, are not mistaken for lost ones.
//   - Transmit: when frames were outstanding at the previous call and the
//     device has used none since, it notifies the device again and
//     returns how many are outstanding in stalledTx.
//
// Both are counted in Stats.
func (d *Device) Watch() (lostRx, stalledTx int) {
	_, next, returned := d.rx.Indices()
	if d.watchRx.stuck(next, returned, d.interrupts.Load()) {
		d.lostInterrupts.Add(1)
		d.serveRx()
		lostRx = int(returned - next)
	}
	avail, _, used := d.tx.Indices()
	if d.watchTx.stuck(used, avail, 0) {
		d.txStalls.Add(1)
		d.tx.Notify()
		stalledTx = int(avail - used)
	}
	return lostRx, stalledTx
}

// progress is where one queue stood at Watch's previous call: the
// position of the side that should be moving (the driver's next used
// entry on receive, the device's used index on transmit), whether work was
// waiting beyond it, and a count of events that move it (interrupts).
type progress struct {
	pos     uint16
	events  uint64
	waiting bool
}

// stuck records the queue at pos with work waiting up to end and events
// so far, and reports whether work was already waiting at the previous
// call and neither the position nor the events moved since.
func (p *progress) stuck(pos, end uint16, events uint64) bool {
	waiting := pos != end
	s := waiting && p.waiting && pos == p.pos && events == p.events
	*p = progress{pos: pos, events: events, waiting: waiting}
	return s
}

func (d *Device) readLinkStatus() {
	if !d.dev.Has(featStatus) {
		return
	}
	var status uint16
	if d.dev.ReadConfig(func(t virtio.Transport) { status = t.ReadConfig16(cfgStatus) }) == nil {
		d.linkUp.Store(status&statusLinkUp != 0)
	}
}

func (d *Device) wake() {
	select {
	case d.ready <- struct{}{}:
	default:
	}
}

// Receive hands every frame the device has delivered to fn, without the
// virtio header, and gives the buffers back to the device. The frame is valid
// only during the call: copy what you keep. It returns the number of frames
// delivered; an error means the device broke the protocol and should be
// abandoned. Interrupts are suppressed while draining and re-enabled after,
// with the re-check that closes the race with a late frame (§2.7.7).
func (d *Device) Receive(fn func(frame []byte)) (int, error) {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	total := 0
	for {
		d.rx.DisableInterrupts()
		n, err := d.receiveLocked(fn)
		total += n
		if err != nil {
			return total, fmt.Errorf("virtio-net receive: %w", err)
		}
		if !d.rx.EnableInterrupts() {
			return total, nil
		}
	}
}

func (d *Device) receiveLocked(fn func([]byte)) (int, error) {
	n := 0
	defer d.rx.Kick()
	for {
		u, ok, err := d.rx.Pop()
		if err != nil || !ok {
			return n, err
		}
		b := d.rxBufs[u.Head]
		d.rxBufs[u.Head] = virtio.Region{}
		// u.Len is capped by Pop to the buffer's length.
		data := b.Bytes[:u.Len]
		if _, herr := DecodeHeader(data); herr != nil || len(data) < HeaderLen+14 {
			d.rxDropped.Add(1)
		} else {
			fn(data[HeaderLen:])
			d.rxFrames.Add(1)
			n++
		}
		if err := d.postLocked(b); err != nil {
			return n, err
		}
	}
}

// Transmit queues frames (complete Ethernet frames without FCS) for sending
// and notifies the device once for the whole batch. It first reclaims the
// buffers of frames the device has finished with. It returns how many frames
// it consumed from the front of frames; the rest did not fit in the queue and
// the caller may retry them later or drop them. Consumed frames shorter than
// an Ethernet header or longer than the MTU allows are dropped and counted in
// Stats, not sent.
func (d *Device) Transmit(frames [][]byte) (int, error) {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if err := d.reclaimLocked(); err != nil {
		return 0, fmt.Errorf("virtio-net transmit: %w", err)
	}
	sent := 0
	defer func() {
		// Corked, the first frames notify at once, so that the device
		// starts on them while the caller prepares the rest; the rest
		// wait for Uncork, unless the queue is half in flight (the device
		// frees nothing it was not told of).
		if d.corked == 0 || !d.corkSent || 2*len(d.txFree) < len(d.txFlight) {
			d.corkSent = d.corked > 0
			d.tx.Kick()
		}
	}()
	for _, f := range frames {
		if len(f) > d.bufSize-HeaderLen || len(f) < 14 {
			d.txDropped.Add(1)
			sent++
			continue
		}
		if len(d.txFree) == 0 {
			break
		}
		b := d.txFree[len(d.txFree)-1]
		clear(b.Bytes[:HeaderLen]) // no offloads: an all-zero header (§5.1.6.2)
		copy(b.Bytes[HeaderLen:], f)
		h, err := d.tx.Add([]virtio.Buffer{{Addr: b.Phys, Len: uint32(HeaderLen + len(f))}})
		if err != nil {
			break // queue full
		}
		d.txFree = d.txFree[:len(d.txFree)-1]
		d.txFlight[h] = b
		d.txFrames.Add(1)
		sent++
	}
	return sent, nil
}

// Cork batches device notifications (§2.7.13.3) until the matching Uncork:
// the first Transmit under it notifies at once, so the device starts on
// those frames while the caller prepares the rest, and the later ones wait
// for Uncork, which sends one notification for them all. A caller about to
// send to several connections in a row pays two traps into the hypervisor
// instead of one per frame, as Linux's xmit_more saves them. (Holding back
// the first frames too left a TCG guest idle 7% of the time under wrk:
// every response of a batch reached the host at once, and the guest waited
// for the next requests together.) Corks nest; keep them short, as the
// frames wait.
func (d *Device) Cork() {
	d.txMu.Lock()
	d.corked++
	d.txMu.Unlock()
}

// Uncork ends a Cork, notifying the device of the frames it held back.
func (d *Device) Uncork() {
	d.txMu.Lock()
	d.corked--
	kick := d.corked == 0
	if kick {
		d.corkSent = false
	}
	d.txMu.Unlock()
	if kick {
		d.tx.Kick() // nothing new published: no notification
	}
}

func (d *Device) reclaimLocked() error {
	for {
		u, ok, err := d.tx.Pop()
		if err != nil || !ok {
			return err
		}
		d.txFree = append(d.txFree, d.txFlight[u.Head])
		d.txFlight[u.Head] = virtio.Region{}
	}
}

// Close resets the device, which stops it from using any buffer (§2.4).
func (d *Device) Close() error {
	d.dev.Transport.SetStatus(0)
	return nil
}
