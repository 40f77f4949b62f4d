package virtionet

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gobi-os/gobi/drivers/virtio"
	"github.com/gobi-os/gobi/drivers/virtio/virtiotest"
)

var testMAC = []byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

// netConfig builds struct virtio_net_config.
func netConfig(mac []byte, status, mtu uint16) []byte {
	c := make([]byte, 12)
	copy(c, mac)
	binary.LittleEndian.PutUint16(c[6:], status)
	binary.LittleEndian.PutUint16(c[8:], 1)
	binary.LittleEndian.PutUint16(c[10:], mtu)
	return c
}

const allFeatures = virtio.FeatureVersion1 | virtio.FeatureEventIdx | featMAC | featMTU | featStatus |
	1<<0 | 1<<1 | 1<<15 // CSUM, GUEST_CSUM, MRG_RXBUF: offered, must not be taken

func newTestDevice(t testing.TB, features uint64, cfg []byte, qmax uint16) (*Device, *virtiotest.Device) {
	t.Helper()
	ram := virtiotest.NewRAM()
	fake := virtiotest.NewDevice(ram, DeviceType, features, []uint16{qmax, qmax}, cfg)
	tr, err := virtio.NewMMIO(&virtiotest.MMIO{Dev: fake}, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(tr, ram)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d, fake
}

func frame(i, size int) []byte {
	f := make([]byte, size)
	copy(f, testMAC)
	copy(f[6:], testMAC)
	f[12], f[13] = 0x08, 0x00
	for j := 14; j < size; j++ {
		f[j] = byte(i + j)
	}
	return f
}

func TestNegotiation(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, statusLinkUp, 9000), 256)
	if !bytes.Equal(d.MAC(), testMAC) || d.MTU() != 9000 || !d.LinkUp() {
		t.Errorf("MAC %v MTU %d link %v; want %x 9000 true", d.MAC(), d.MTU(), d.LinkUp(), testMAC)
	}
	want := uint64(virtio.FeatureVersion1 | virtio.FeatureEventIdx | featMAC | featMTU | featStatus)
	if got := fake.DriverFeatures(); got != want {
		t.Errorf("driver accepted %#x, want %#x (no offloads, no mergeable buffers)", got, want)
	}
	if fake.Status()&virtio.StatusDriverOK == 0 {
		t.Errorf("status %#x: DRIVER_OK not set", fake.Status())
	}
	rx := fake.Queue(rxQueue)
	if rx.Pending() != 256 {
		t.Errorf("receive queue holds %d buffers, want 256", rx.Pending())
	}
	_, chain, _, _ := rx.Next()
	if len(chain) != 1 || !chain[0].Writable || len(chain[0].Data) < HeaderLen+ethHeaderLen+9000 {
		t.Errorf("receive buffer: %d chunks, %d bytes; want one writable buffer for a 9000-byte MTU", len(chain), len(chain[0].Data))
	}
}

func TestNegotiationDefaults(t *testing.T) {
	d, _ := newTestDevice(t, virtio.FeatureVersion1, netConfig(nil, 0, 0), 64)
	if d.MTU() != 1500 || !d.LinkUp() {
		t.Errorf("MTU %d link %v without MTU/STATUS features; want 1500, up", d.MTU(), d.LinkUp())
	}
	if m := d.MAC(); len(m) != 6 || m[0]&1 != 0 || m[0]&2 == 0 {
		t.Errorf("random MAC %v is not a locally administered unicast address", m)
	}
}

func TestBadMTURefused(t *testing.T) {
	ram := virtiotest.NewRAM()
	fake := virtiotest.NewDevice(ram, DeviceType, allFeatures, []uint16{8, 8}, netConfig(testMAC, 1, 20))
	tr, _ := virtio.NewMMIO(&virtiotest.MMIO{Dev: fake}, 0)
	if _, err := New(tr, ram); err == nil {
		t.Fatal("New accepted an MTU of 20")
	}
}

// deviceSend is the device taking every transmitted frame off the wire.
func deviceSend(t *testing.T, q *virtiotest.Queue) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		h, chain, ok, err := q.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		var pkt []byte
		for _, c := range chain {
			if c.Writable {
				t.Fatal("transmit chain has a writable buffer")
			}
			pkt = append(pkt, c.Data...)
		}
		if !bytes.Equal(pkt[:HeaderLen], make([]byte, HeaderLen)) {
			t.Fatalf("transmit header %x, want all zeros", pkt[:HeaderLen])
		}
		out = append(out, pkt[HeaderLen:])
		q.Complete(h, 0)
	}
}

func TestTransmitBatches(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 64)
	txq := fake.Queue(txQueue)
	var sent, got [][]byte
	for batch := range 30 { // 300 frames through a 64-entry queue
		var frames [][]byte
		for i := range 10 {
			frames = append(frames, frame(batch*10+i, 60+batch*40+i))
		}
		n, err := d.Transmit(frames)
		if err != nil || n != 10 {
			t.Fatalf("batch %d: Transmit = %d, %v", batch, n, err)
		}
		sent = append(sent, frames...)
		if batch%3 == 2 { // the device runs behind the driver
			got = append(got, deviceSend(t, txq)...)
		}
	}
	got = append(got, deviceSend(t, txq)...)
	if len(got) != len(sent) {
		t.Fatalf("device received %d frames, sent %d", len(got), len(sent))
	}
	for i := range sent {
		if !bytes.Equal(got[i], sent[i]) {
			t.Fatalf("frame %d differs: %x... vs %x...", i, got[i][:20], sent[i][:20])
		}
	}
	if n := fake.Notifies(txQueue); n > 30 {
		t.Errorf("%d notifications for 30 batches, want at most one per batch", n)
	}
	if s := d.Stats(); s.TxFrames != 300 || s.TxDropped != 0 {
		t.Errorf("Stats() = %+v, want 300 frames sent", s)
	}
}

// TestCork checks that under a cork the first transmit notifies at once
// and the rest are published, with one notification, at Uncork, unless
// half the queue is waiting: then they are published at once.
func TestCork(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 64)
	txq := fake.Queue(txQueue)
	d.Cork()
	var sent [][]byte
	for i := range 3 {
		f := frame(i, 100)
		if n, err := d.Transmit([][]byte{f}); n != 1 || err != nil {
			t.Fatalf("Transmit = %d, %v", n, err)
		}
		sent = append(sent, f)
	}
	if n := fake.Notifies(txQueue); n != 1 {
		t.Fatalf("%d notifications for 3 corked transmits, want 1 (the first)", n)
	}
	if got := deviceSend(t, txq); len(got) != 1 || !bytes.Equal(got[0], sent[0]) {
		t.Fatalf("the device saw %d frames while corked, want the first", len(got))
	}
	d.Uncork()
	if n := fake.Notifies(txQueue); n != 2 {
		t.Fatalf("%d notifications after Uncork, want 2", n)
	}
	if got := deviceSend(t, txq); len(got) != 2 || !bytes.Equal(got[1], sent[2]) {
		t.Fatalf("the device got %d frames after Uncork, want the other 2", len(got))
	}

	// A cork does not hold back a queue more than half full.
	d.Cork()
	defer d.Uncork()
	for i := range 40 {
		d.Transmit([][]byte{frame(i, 100)})
	}
	if got := deviceSend(t, txq); len(got) < 32 {
		t.Errorf("the device can see %d of 40 corked frames in a 64-entry queue, want at least the 32 that half-filled it", len(got))
	}
}

func TestTransmitFullAndOversize(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 16)
	frames := make([][]byte, 20)
	for i := range frames {
		frames[i] = frame(i, 100)
	}
	frames[3] = make([]byte, 1600) // larger than 14 + 4 + 1500
	n, err := d.Transmit(frames)
	if err != nil || n != 17 { // 16 queued plus the oversize one dropped
		t.Fatalf("Transmit into a 16-entry queue = %d, %v; want 17", n, err)
	}
	if s := d.Stats(); s.TxFrames != 16 || s.TxDropped != 1 {
		t.Errorf("Stats() = %+v, want 16 sent and 1 dropped", s)
	}
	if got := deviceSend(t, fake.Queue(txQueue)); len(got) != 16 {
		t.Fatalf("device got %d frames, want 16", len(got))
	}
	if n, err := d.Transmit(frames[17:]); err != nil || n != 3 {
		t.Errorf("Transmit after the device completed = %d, %v; want 3 (buffers reclaimed)", n, err)
	}
}

// deviceDeliver is the device putting frames into receive buffers, with the
// header a well-behaved device writes, and raising its interrupt if asked.
func deviceDeliver(t testing.TB, fake *virtiotest.Device, frames ...[]byte) {
	t.Helper()
	q := fake.Queue(rxQueue)
	for _, f := range frames {
		h, chain, ok, err := q.Next()
		if err != nil || !ok {
			t.Fatalf("no receive buffer: %v %v", ok, err)
		}
		b := chain[0].Data
		clear(b[:HeaderLen])
		binary.LittleEndian.PutUint16(b[10:], 1)
		n := copy(b[HeaderLen:], f)
		q.Complete(h, uint32(HeaderLen+n))
	}
	if q.WantsInterrupt() {
		fake.Interrupt(virtio.InterruptUsedBuffer)
	}
}

func TestReceive(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 32)
	var want [][]byte
	for round := range 10 { // 100 frames through 32 buffers
		var frames [][]byte
		for i := range 10 {
			frames = append(frames, frame(round*10+i, 60+i*100))
		}
		want = append(want, frames...)
		deviceDeliver(t, fake, frames...)
		if !d.HandleInterrupt() {
			t.Fatalf("round %d: HandleInterrupt() = false, the device raised one", round)
		}
		select {
		case <-d.Ready():
		default:
			t.Fatalf("round %d: Ready not signalled after an interrupt", round)
		}
		var got [][]byte
		n, err := d.Receive(func(f []byte) { got = append(got, bytes.Clone(f)) })
		if err != nil || n != 10 {
			t.Fatalf("round %d: Receive = %d, %v", round, n, err)
		}
		for i := range frames {
			if !bytes.Equal(got[i], frames[i]) {
				t.Fatalf("round %d frame %d differs", round, i)
			}
		}
		if p := fake.Queue(rxQueue).Pending(); p != 32 {
			t.Fatalf("round %d: %d receive buffers posted after Receive, want all 32 back", round, p)
		}
	}
	if d.HandleInterrupt() {
		t.Error("HandleInterrupt() = true with no interrupt raised")
	}
}

// TestSetReceiver checks that an interrupt runs the receiver in the
// interrupting goroutine instead of signalling Ready.
func TestSetReceiver(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 32)
	var got [][]byte
	d.SetReceiver(func() {
		if _, err := d.Receive(func(f []byte) { got = append(got, bytes.Clone(f)) }); err != nil {
			t.Errorf("Receive: %v", err)
		}
	})
	want := [][]byte{frame(1, 60), frame(2, 1514)}
	deviceDeliver(t, fake, want...)
	if !d.HandleInterrupt() {
		t.Fatal("HandleInterrupt() = false, the device raised one")
	}
	if len(got) != len(want) || !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[1], want[1]) {
		t.Fatalf("the receiver got %d frames, want the %d delivered", len(got), len(want))
	}
	select {
	case <-d.Ready():
		t.Error("Ready signalled though a receiver is set")
	default:
	}
}

func TestReceiveDropsMalformed(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 8)
	q := fake.Queue(rxQueue)
	put := func(hdr []byte, n uint32) {
		h, chain, _, _ := q.Next()
		copy(chain[0].Data, hdr)
		q.Complete(h, n)
	}
	good := make([]byte, HeaderLen)
	put(good, 5)                          // runt: shorter than the header
	put([]byte{0, 4, 0, 0}, HeaderLen+60) // gso_type TCPv4, not negotiated
	put([]byte{1}, HeaderLen+60)          // NEEDS_CSUM, not negotiated
	put(good, 1<<20)                      // len beyond the buffer: capped
	var sizes []int
	n, err := d.Receive(func(f []byte) { sizes = append(sizes, len(f)) })
	if err != nil || n != 1 || sizes[0] != d.bufSize-HeaderLen {
		t.Fatalf("Receive = %d, %v, sizes %v; want one frame capped to %d", n, err, sizes, d.bufSize-HeaderLen)
	}
	if s := d.Stats(); s.RxDropped != 3 || s.RxFrames != 1 {
		t.Errorf("Stats() = %+v, want 3 dropped 1 received", s)
	}
	if p := q.Pending(); p != 8 {
		t.Errorf("%d buffers posted, want all 8 back", p)
	}
}

func TestLinkStatusChange(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 8)
	fake.SetConfig(cfgStatus, []byte{0, 0})
	if !d.HandleInterrupt() || d.LinkUp() {
		t.Fatalf("after link-down config change: LinkUp() = %v, want false", d.LinkUp())
	}
	fake.SetConfig(cfgStatus, []byte{1, 0})
	d.HandleInterrupt()
	if !d.LinkUp() {
		t.Error("after link-up config change: LinkUp() = false")
	}
}

// FuzzReceive plays a hostile device that writes arbitrary bytes and lengths
// into receive buffers: the driver must not panic, must hand up frames no
// longer than its buffers, and must repost every buffer.
func FuzzReceive(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, uint32(100))
	f.Add([]byte{1, 3}, uint32(3))
	f.Fuzz(func(t *testing.T, payload []byte, n uint32) {
		d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 4)
		q := fake.Queue(rxQueue)
		h, chain, _, _ := q.Next()
		copy(chain[0].Data, payload)
		q.Complete(h, n)
		_, err := d.Receive(func(f []byte) {
			if len(f) > d.bufSize-HeaderLen {
				t.Fatalf("frame of %d bytes from a %d-byte buffer", len(f), d.bufSize)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if q.Pending() != 4 {
			t.Fatalf("%d buffers posted, want 4", q.Pending())
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add(make([]byte, HeaderLen))
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHeader(b)
		if err == nil && (len(b) < HeaderLen || h.GSOType != 0 || h.NumBuffers > 1) {
			t.Fatalf("DecodeHeader(%x) = %+v accepted", b, h)
		}
	})
}

// TestWatchServesLostInterrupt checks the guard against a lost interrupt:
// frames the device returned without an interrupt reaching the driver are
// served by the second Watch that finds them still waiting, and frames
// whose interrupt is served in between are never counted as lost.
func TestWatchServesLostInterrupt(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 32)
	var got int
	d.SetReceiver(func() {
		n, err := d.Receive(func([]byte) {})
		if err != nil {
			t.Errorf("Receive: %v", err)
		}
		got += n
	})
	watch := func(want int, what string) {
		t.Helper()
		if rx, tx := d.Watch(); rx != want || tx != 0 {
			t.Fatalf("Watch() = %d, %d %s; want %d, 0", rx, tx, what, want)
		}
	}
	watch(0, "with nothing received")

	// Frames whose interrupt is served before the next Watch: not lost.
	deviceDeliver(t, fake, frame(1, 60))
	watch(0, "right after the frame came: its interrupt may be on its way")
	d.HandleInterrupt()
	watch(0, "after the interrupt was served")
	if got != 1 {
		t.Fatalf("received %d frames, want 1", got)
	}

	// Frames whose interrupt never comes: the device returns them, the
	// driver is not told.
	q := fake.Queue(rxQueue)
	for i := range 3 {
		h, chain, ok, err := q.Next()
		if err != nil || !ok {
			t.Fatalf("no receive buffer: %v %v", ok, err)
		}
		clear(chain[0].Data[:HeaderLen])
		n := copy(chain[0].Data[HeaderLen:], frame(10+i, 100))
		q.Complete(h, uint32(HeaderLen+n))
	}
	watch(0, "the first time: it must give the interrupt a period")
	watch(3, "the second time")
	if got != 4 {
		t.Fatalf("received %d frames, want 4", got)
	}
	if s := d.Stats(); s.LostInterrupts != 1 || s.Interrupts != 1 {
		t.Errorf("Stats() = %+v, want 1 interrupt and 1 lost", s)
	}
	watch(0, "with the queue drained")
}

// TestWatchRenotifiesStalledTransmit checks the guard against a lost
// transmit notification: frames the device leaves unused across two
// Watch calls get a notification of their own, and frames it is taking
// do not.
func TestWatchRenotifiesStalledTransmit(t *testing.T) {
	d, fake := newTestDevice(t, allFeatures, netConfig(testMAC, 1, 1500), 32)
	if _, err := d.Transmit([][]byte{frame(1, 60), frame(2, 60)}); err != nil {
		t.Fatal(err)
	}
	kicks := fake.Notifies(txQueue)
	if _, tx := d.Watch(); tx != 0 {
		t.Fatalf("first Watch() = %d stalled: the device may just be slow", tx)
	}
	// The device takes one frame between the calls: it is making progress.
	q := fake.Queue(txQueue)
	h, _, ok, err := q.Next()
	if err != nil || !ok {
		t.Fatalf("device found no frame: %v %v", ok, err)
	}
	q.Complete(h, 0)
	if _, tx := d.Watch(); tx != 0 {
		t.Fatalf("Watch() = %d stalled while the device used a frame", tx)
	}
	if _, tx := d.Watch(); tx != 1 {
		t.Fatalf("Watch() = %d stalled, want the 1 frame the device left", tx)
	}
	if n := fake.Notifies(txQueue); n != kicks+1 {
		t.Errorf("device notified %d times by the guard, want 1", n-kicks)
	}
	if s := d.Stats(); s.TxStalls != 1 {
		t.Errorf("Stats().TxStalls = %d, want 1", s.TxStalls)
	}
}
