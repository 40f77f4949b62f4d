package virtio_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/gobi-os/gobi/drivers/virtio"
	"github.com/gobi-os/gobi/drivers/virtio/virtiotest"
)

// TestPCIHostileConfig checks that configuration space a device or firmware
// got wrong gives an error naming the problem, never a hang or a bad access.
func TestPCIHostileConfig(t *testing.T) {
	le := binary.LittleEndian
	u32 := func(v uint32) []byte { return le.AppendUint32(nil, v) }
	tests := []struct {
		name string
		poke func(p *virtiotest.PCI)
		want string
	}{
		{"capability list loops", func(p *virtiotest.PCI) { p.Poke(0x51, []byte{0x40}) }, "no ISR capability"},
		{"no capability list", func(p *virtiotest.PCI) { p.Poke(0x06, []byte{0, 0}) }, "no capability list"},
		{"BAR unassigned", func(p *virtiotest.PCI) { p.Poke(0x20, u32(0x4)) }, "not assigned"},
		{"I/O BAR", func(p *virtiotest.PCI) { p.Poke(0x20, u32(0xc001)) }, "I/O BAR"},
		{"capability names BAR 7", func(p *virtiotest.PCI) { p.Poke(0x44, []byte{7}) }, "BAR 7"},
		{"common structure too short", func(p *virtiotest.PCI) { p.Poke(0x4c, u32(0x10)) }, "common configuration structure is 16 bytes"},
		{"not a virtio device id", func(p *virtiotest.PCI) { p.Poke(0x02, []byte{0x00, 0x20}) }, "not virtio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := virtiotest.NewPCI(virtiotest.NewDevice(virtiotest.NewRAM(), 1, virtio.FeatureVersion1, []uint16{8}, nil))
			tt.poke(p)
			_, err := virtio.NewPCI(p, p.Bus(), virtiotest.PCIAddr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewPCI = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestPCINotifyOffsetOutside checks the cap on queue_notify_off times the
// multiplier: a notification address outside the structure is refused.
func TestPCINotifyOffsetOutside(t *testing.T) {
	ram := virtiotest.NewRAM()
	p := virtiotest.NewPCI(virtiotest.NewDevice(ram, 1, virtio.FeatureVersion1, []uint16{8, 8}, nil))
	p.Poke(0x60, binary.LittleEndian.AppendUint32(nil, 0x10000)) // notify_off_multiplier
	tr, err := virtio.NewPCI(p, p.Bus(), virtiotest.PCIAddr)
	if err != nil {
		t.Fatal(err)
	}
	d, err := virtio.Negotiate(tr, ram, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetupQueue(0, 8); err != nil {
		t.Errorf("SetupQueue(0) = %v; queue 0's offset is 0 and fits", err)
	}
	if _, err := d.SetupQueue(1, 8); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("SetupQueue(1) = %v, want the notify offset refused", err)
	}
}

// FuzzPCIConfig gives NewPCI arbitrary configuration space after the
// standard header: capability lists, BARs and structure sizes the device
// and firmware control. It must return a transport or an error, never panic
// or loop.
func FuzzPCIConfig(f *testing.F) {
	p := virtiotest.NewPCI(virtiotest.NewDevice(virtiotest.NewRAM(), 1, virtio.FeatureVersion1, []uint16{8}, nil))
	seed := make([]byte, 256-0x10)
	for i := range seed {
		seed[i] = byte(p.Read32(virtiotest.PCIAddr, uint16(0x10+i&^3)) >> (8 * (i & 3)))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, cfg []byte) {
		p := virtiotest.NewPCI(virtiotest.NewDevice(virtiotest.NewRAM(), 1, virtio.FeatureVersion1, []uint16{8}, nil))
		p.Poke(0x10, cfg[:min(len(cfg), 256-0x10)])
		if tr, err := virtio.NewPCI(p, p.Bus(), virtiotest.PCIAddr); err == nil {
			tr.DeviceFeatures()
			tr.ReadConfig32(0)
		}
	})
}
