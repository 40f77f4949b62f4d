package virtio_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/gobi-os/gobi/drivers/virtio"
	"github.com/gobi-os/gobi/drivers/virtio/virtiotest"
)

// transports builds each transport over a fake device: the same checks run
// against all of them.
var transports = []struct {
	name string
	open func(t *testing.T, dev *virtiotest.Device) virtio.Transport
}{
	{"mmio", func(t *testing.T, dev *virtiotest.Device) virtio.Transport {
		m, err := virtio.NewMMIO(&virtiotest.MMIO{Dev: dev, Base: virtio.MicrovmMMIOBase}, virtio.MicrovmMMIOBase)
		if err != nil {
			t.Fatalf("NewMMIO: %v", err)
		}
		return m
	}},
	{"pci-ports", func(t *testing.T, dev *virtiotest.Device) virtio.Transport {
		return openPCI(t, dev, func(p *virtiotest.PCI) virtio.ConfigSpace { return virtio.PortConfig{Ports: p} })
	}},
	{"pci-ecam", func(t *testing.T, dev *virtiotest.Device) virtio.Transport {
		return openPCI(t, dev, func(p *virtiotest.PCI) virtio.ConfigSpace {
			return virtio.ECAM{Bus: p.Bus(), Base: virtiotest.ECAMBase}
		})
	}},
}

func openPCI(t *testing.T, dev *virtiotest.Device, cfg func(*virtiotest.PCI) virtio.ConfigSpace) virtio.Transport {
	p := virtiotest.NewPCI(dev)
	c := cfg(p)
	found := virtio.FindPCI(c)
	if !slices.Equal(found, []virtio.PCIAddr{virtiotest.PCIAddr}) {
		t.Fatalf("FindPCI() = %v, want [%v]", found, virtiotest.PCIAddr)
	}
	tr, err := virtio.NewPCI(c, p.Bus(), found[0])
	if err != nil {
		t.Fatalf("NewPCI: %v", err)
	}
	if cmd := p.Command(); cmd&6 != 6 {
		t.Errorf("PCI command = %#x, want memory space and bus master enabled", cmd)
	}
	if tr.IRQLine() != 11 {
		t.Errorf("IRQLine() = %d, want 11", tr.IRQLine())
	}
	return tr
}

const (
	featMAC  = 1 << 5
	featMTU  = 1 << 3
	featGSO  = 1 << 6
	featRing = virtio.FeatureEventIdx
)

func TestTransportNegotiation(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ram := virtiotest.NewRAM()
			cfg := []byte{0x52, 0x54, 0, 0x12, 0x34, 0x56, 1, 0}
			dev := virtiotest.NewDevice(ram, 1, virtio.FeatureVersion1|featMAC|featGSO|featRing, []uint16{256, 64}, cfg)
			tp := tr.open(t, dev)
			if tp.DeviceType() != 1 {
				t.Errorf("DeviceType() = %d, want 1", tp.DeviceType())
			}
			d, err := virtio.Negotiate(tp, ram, featMAC|featMTU|featRing)
			if err != nil {
				t.Fatalf("Negotiate: %v", err)
			}
			want := uint64(virtio.FeatureVersion1 | featMAC | featRing)
			if d.Features() != want || dev.DriverFeatures() != want {
				t.Errorf("agreed features: driver %#x, device %#x; want %#x (the intersection, plus VERSION_1)", d.Features(), dev.DriverFeatures(), want)
			}
			q0, err := d.SetupQueue(0, 1024)
			if err != nil {
				t.Fatalf("SetupQueue(0): %v", err)
			}
			q1, err := d.SetupQueue(1, 48)
			if err != nil {
				t.Fatalf("SetupQueue(1): %v", err)
			}
			if q0.Size() != 256 || q1.Size() != 32 {
				t.Errorf("queue sizes = %d, %d; want 256 (device max) and 32 (power of two <= 48)", q0.Size(), q1.Size())
			}
			if _, err := d.SetupQueue(2, 8); err == nil {
				t.Error("SetupQueue(2) on a two-queue device succeeded")
			}
			d.Start()
			wantLog := []uint8{0, 1, 3, 11, 15}
			if got := dev.StatusLog(); !slices.Equal(got, wantLog) {
				t.Errorf("status writes = %v, want %v (§3.1.1)", got, wantLog)
			}
			if errs := dev.Errors(); len(errs) > 0 {
				t.Errorf("device saw protocol errors: %v", errs)
			}
			var mac [6]byte
			var status uint16
			if err := d.ReadConfig(func(tp virtio.Transport) {
				for i := range mac {
					mac[i] = tp.ReadConfig8(i)
				}
				status = tp.ReadConfig16(6)
			}); err != nil {
				t.Fatal(err)
			}
			if mac != [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56} || status != 1 {
				t.Errorf("config read mac %x status %d", mac, status)
			}
			// A notification reaches the right queue.
			b, _ := ram.Alloc(8, 8)
			if _, err := q1.Add([]virtio.Buffer{{Addr: b.Phys, Len: 8}}); err != nil {
				t.Fatal(err)
			}
			q1.Kick()
			if dev.Notifies(1) != 1 || dev.Notifies(0) != 0 {
				t.Errorf("notifies = %d on queue 0, %d on queue 1; want 0, 1", dev.Notifies(0), dev.Notifies(1))
			}
			if dev.Queue(1).Pending() != 1 {
				t.Errorf("device queue 1 has %d chains, want 1", dev.Queue(1).Pending())
			}
			// Interrupt status is read once and acknowledged.
			dev.Interrupt(virtio.InterruptUsedBuffer)
			if got := tp.InterruptStatus(); got != virtio.InterruptUsedBuffer {
				t.Errorf("InterruptStatus() = %d, want 1", got)
			}
			if got := tp.InterruptStatus(); got != 0 {
				t.Errorf("InterruptStatus() after acknowledging = %d, want 0", got)
			}
			dev.SetConfig(6, []byte{0, 0})
			if got := tp.InterruptStatus(); got != virtio.InterruptConfigChanged {
				t.Errorf("InterruptStatus() after a config change = %d, want 2", got)
			}
			d.Fail()
			if dev.Status() != 0 {
				t.Errorf("status after Fail = %d, want the device reset (0)", dev.Status())
			}
		})
	}
}

func TestTransportFeaturesRefused(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ram := virtiotest.NewRAM()
			dev := virtiotest.NewDevice(ram, 1, virtio.FeatureVersion1|featMAC, []uint16{8}, nil)
			dev.Refuse = featMAC
			_, err := virtio.Negotiate(tr.open(t, dev), ram, featMAC)
			if !errors.Is(err, virtio.ErrFeaturesRefused) {
				t.Fatalf("Negotiate = %v, want ErrFeaturesRefused", err)
			}
			if dev.Status()&virtio.StatusFailed == 0 {
				t.Errorf("status = %#x, want FAILED set", dev.Status())
			}
		})
	}
}

func TestTransportLegacyDeviceRefused(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ram := virtiotest.NewRAM()
			dev := virtiotest.NewDevice(ram, 1, featMAC, []uint16{8}, nil)
			_, err := virtio.Negotiate(tr.open(t, dev), ram, featMAC)
			if !errors.Is(err, virtio.ErrFeaturesRefused) {
				t.Fatalf("Negotiate without VERSION_1 = %v, want ErrFeaturesRefused", err)
			}
		})
	}
}

func TestMMIOProbe(t *testing.T) {
	ram := virtiotest.NewRAM()
	dev := virtiotest.NewDevice(ram, 1, virtio.FeatureVersion1, []uint16{8}, nil)
	if _, err := virtio.NewMMIO(&virtiotest.MMIO{Dev: dev, Version: 1}, 0); err == nil {
		t.Error("NewMMIO accepted a legacy (version 1) device")
	}
	empty := virtiotest.NewDevice(ram, 0, 0, nil, nil)
	if _, err := virtio.NewMMIO(&virtiotest.MMIO{Dev: empty}, 0); !errors.Is(err, virtio.ErrNoDevice) {
		t.Errorf("NewMMIO on an empty slot = %v, want ErrNoDevice", err)
	}
	if _, err := virtio.NewMMIO(&virtiotest.MMIO{Dev: dev, Base: 0x1000}, 0); err == nil {
		t.Error("NewMMIO with no magic value succeeded")
	}
}
