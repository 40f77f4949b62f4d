package netstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gobi-os/gobi/drivers/virtio"
	"github.com/gobi-os/gobi/drivers/virtio/virtionet"
	"github.com/gobi-os/gobi/drivers/virtio/virtiotest"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
)

// wire plays the virtio-net device behind a fake MMIO transport and connects
// it to a pipeNIC, so a stack on the real driver talks to a stack on the
// pipe: the whole guest path (netstack, virtionet, virtio queues, transport)
// runs, with the test standing in for QEMU.
type wire struct {
	fake *virtiotest.Device
	dev  *virtionet.Device
	peer *pipeNIC // the other stack's NIC; its Transmit feeds toGuest
	kick chan struct{}
}

func newWire(t testing.TB) (*virtionet.Device, *pipeNIC) {
	ram := virtiotest.NewRAM()
	cfg := make([]byte, 12)
	copy(cfg, []byte{0x52, 0x54, 0, 0, 0, 0x10})
	binary.LittleEndian.PutUint16(cfg[6:], 1)
	binary.LittleEndian.PutUint16(cfg[10:], 1500)
	w := &wire{kick: make(chan struct{}, 1)}
	w.fake = virtiotest.NewDevice(ram, virtionet.DeviceType,
		virtio.FeatureVersion1|virtio.FeatureEventIdx|1<<5|1<<3|1<<16, []uint16{256, 256}, cfg)
	w.fake.OnNotify = func(uint16) { w.signal() }
	tr, err := virtio.NewMMIO(&virtiotest.MMIO{Dev: w.fake, Base: virtio.MicrovmMMIOBase}, virtio.MicrovmMMIOBase)
	if err != nil {
		t.Fatal(err)
	}
	if w.dev, err = virtionet.New(tr, ram); err != nil {
		t.Fatal(err)
	}
	// The peer's frames arrive in its own pipeNIC's "in" queue via a
	// pipeNIC whose peer is a sink we drain into the device.
	sink := &pipeNIC{mac: w.dev.MAC(), ready: make(chan struct{}, 1)}
	w.peer = &pipeNIC{mac: net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x20}, ready: make(chan struct{}, 1), peer: sink}
	sink.peer = w.peer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		w.run(ctx, sink)
	}()
	return w.dev, w.peer
}

func (w *wire) signal() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// run moves frames until ctx ends: from the driver's transmit queue to the
// peer, and from the peer into the driver's receive buffers, raising the
// interrupt the driver asked for and delivering it as the kernel will, by
// calling HandleInterrupt.
func (w *wire) run(ctx context.Context, sink *pipeNIC) {
	var backlog [][]byte
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-sink.ready:
		case <-tick.C:
		}
		txq, rxq := w.fake.Queue(1), w.fake.Queue(0)
		var out [][]byte
		for {
			h, chain, ok, err := txq.Next()
			if err != nil || !ok {
				break
			}
			out = append(out, bytes.Clone(chain[0].Data[virtionet.HeaderLen:]))
			txq.Complete(h, 0)
		}
		if len(out) > 0 {
			sink.Transmit(out)
		}
		sink.Receive(func(f []byte) { backlog = append(backlog, bytes.Clone(f)) })
		delivered := false
		for len(backlog) > 0 {
			h, chain, ok, err := rxq.Next()
			if err != nil || !ok {
				break // no receive buffer: keep the frame for later
			}
			b := chain[0].Data
			clear(b[:virtionet.HeaderLen])
			b[10] = 1 // num_buffers
			n := copy(b[virtionet.HeaderLen:], backlog[0])
			rxq.Complete(h, uint32(virtionet.HeaderLen+n))
			backlog = backlog[1:]
			delivered = true
		}
		if delivered && rxq.WantsInterrupt() {
			w.fake.Interrupt(virtio.InterruptUsedBuffer)
			w.dev.HandleInterrupt()
		}
	}
}

// TestOverVirtio runs TCP and UDP between a stack on the virtio-net driver
// (over the fake MMIO device) and a stack on a plain pipe.
func TestOverVirtio(t *testing.T) {
	dev, peerNIC := newWire(t)
	guest, err := New(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer guest.Close()
	host, err := New(peerNIC)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if err := guest.Configure(Config{Addrs: []netip.Prefix{addrA}}); err != nil {
		t.Fatal(err)
	}
	if err := host.Configure(Config{Addrs: []netip.Prefix{addrB}}); err != nil {
		t.Fatal(err)
	}
	ln, err := guest.Listen("tcp", ":80")
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
	c, err := host.Dial(ctx, "tcp", "10.0.2.15:80")
	if err != nil {
		t.Fatalf("dial the guest: %v", err)
	}
	defer c.Close()
	data := make([]byte, 2<<20)
	rand.Read(data)
	go func() {
		c.Write(data)
		c.(*gonet.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("echo through the guest: %d of %d bytes intact, err %v", len(got), len(data), err)
	}
	if s := dev.Stats(); s.RxFrames == 0 || s.TxFrames == 0 || s.RxDropped != 0 {
		t.Errorf("driver stats %+v: want frames both ways and no drops", s)
	}
	if err := guest.Err(); err != nil {
		t.Errorf("guest link error: %v", err)
	}
}
