package virtiotest

import (
	"encoding/binary"

	"github.com/gobi-os/gobi/drivers/virtio"
)

// Where the fake PCI device's memory lives.
const (
	// PCIBARBase is the address of the fake device's 64-bit BAR 4.
	PCIBARBase = 0xfe00_0000
	// ECAMBase is where PCI implements ECAM configuration access.
	ECAMBase = 0xb000_0000

	pciCommonOff = 0x0000
	pciISROff    = 0x1000
	pciDeviceOff = 0x2000
	pciNotifyOff = 0x3000
	pciNotifyMul = 4
	pciBARSize   = 0x4000
)

// PCIAddr is where the fake device sits: bus 0, device 3, function 0.
var PCIAddr = virtio.PCIAddr{Device: 3}

// PCI is a fake virtio-pci modern device (virtio 1.2 §4.1) at PCIAddr backed
// by Dev: its configuration space with the four virtio capabilities, and
// BAR 4 holding the common, ISR, device and notification structures. It
// implements virtio.ConfigSpace directly, configuration mechanism #1 through
// virtio.Ports, and ECAM plus the BAR through virtio.Bus.
type PCI struct {
	Dev *Device

	cfg  [256]byte
	addr uint32 // latched 0xCF8 value
}

// NewPCI builds the configuration space of a modern virtio device.
func NewPCI(dev *Device) *PCI {
	p := &PCI{Dev: dev}
	c := p.cfg[:]
	le := binary.LittleEndian
	le.PutUint16(c[0x00:], 0x1af4)
	le.PutUint16(c[0x02:], 0x1040+uint16(dev.Type))
	le.PutUint16(c[0x06:], 1<<4) // capabilities list
	le.PutUint32(c[0x20:], PCIBARBase|0x4)
	le.PutUint32(c[0x24:], 0)
	c[0x34] = 0x40
	c[0x3c] = 11
	capability := func(at, next, typ byte, off, length uint32, extra int) {
		c[at], c[at+1], c[at+2], c[at+3], c[at+4] = 0x09, next, byte(16+extra), typ, 4
		le.PutUint32(c[at+8:], off)
		le.PutUint32(c[at+12:], length)
	}
	capability(0x40, 0x50, 1, pciCommonOff, 0x38, 0)
	capability(0x50, 0x68, 2, pciNotifyOff, 0x1000, 4)
	le.PutUint32(c[0x60:], pciNotifyMul)
	capability(0x68, 0x78, 3, pciISROff, 1, 0)
	capability(0x78, 0x00, 4, pciDeviceOff, uint32(len(dev.Config)), 0)
	return p
}

// Command is the PCI command register the driver wrote.
func (p *PCI) Command() uint16 { return binary.LittleEndian.Uint16(p.cfg[0x04:]) }

// Read32 implements virtio.ConfigSpace.
func (p *PCI) Read32(a virtio.PCIAddr, off uint16) uint32 {
	if a != PCIAddr {
		return 0xffffffff // nothing there
	}
	if off >= 256 {
		return 0
	}
	return binary.LittleEndian.Uint32(p.cfg[off&0xfc:])
}

// Write32 implements virtio.ConfigSpace; only the command register is
// writable (BAR sizing is not modelled).
func (p *PCI) Write32(a virtio.PCIAddr, off uint16, v uint32) {
	if a == PCIAddr && off == 0x04 {
		binary.LittleEndian.PutUint16(p.cfg[0x04:], uint16(v))
	}
}

// Out32 implements virtio.Ports for configuration mechanism #1.
func (p *PCI) Out32(port uint16, v uint32) {
	switch port {
	case 0xcf8:
		p.addr = v
	case 0xcfc:
		if a, off, ok := p.decode(); ok {
			p.Write32(a, off, v)
		}
	}
}

// In32 implements virtio.Ports.
func (p *PCI) In32(port uint16) uint32 {
	if a, off, ok := p.decode(); ok && port == 0xcfc {
		return p.Read32(a, off)
	}
	return 0xffffffff
}

func (p *PCI) decode() (virtio.PCIAddr, uint16, bool) {
	v := p.addr
	a := virtio.PCIAddr{Bus: uint8(v >> 16), Device: uint8(v>>11) & 31, Function: uint8(v>>8) & 7}
	return a, uint16(v & 0xfc), v&(1<<31) != 0
}

// ecam decodes an ECAM address.
func ecam(addr uint64) (virtio.PCIAddr, uint16, bool) {
	if addr < ECAMBase || addr >= ECAMBase+256<<20 {
		return virtio.PCIAddr{}, 0, false
	}
	o := addr - ECAMBase
	return virtio.PCIAddr{Bus: uint8(o >> 20), Device: uint8(o>>15) & 31, Function: uint8(o>>12) & 7}, uint16(o & 0xfff), true
}

// Read8 implements virtio.Bus.
func (p *PCI) Read8(addr uint64) uint8 { return uint8(p.read(addr, 1)) }

// Read16 implements virtio.Bus.
func (p *PCI) Read16(addr uint64) uint16 { return uint16(p.read(addr, 2)) }

// read32 is the bus view's 32-bit read: ECAM or BAR 4.
func (p *PCI) read32(addr uint64) uint32 { return p.read(addr, 4) }

// Write8 implements virtio.Bus.
func (p *PCI) Write8(addr uint64, v uint8) { p.write(addr, 1, uint32(v)) }

// Write16 implements virtio.Bus.
func (p *PCI) Write16(addr uint64, v uint16) { p.write(addr, 2, uint32(v)) }

// Bus returns p as a virtio.Bus. (PCI's own Read32/Write32 are the
// configuration-space methods, so the 32-bit bus accessors live on a view.)
func (p *PCI) Bus() virtio.Bus { return pciBus{p} }

type pciBus struct{ *PCI }

// Read32 implements virtio.Bus.
func (b pciBus) Read32(addr uint64) uint32 { return b.read32(addr) }

// Write32 implements virtio.Bus.
func (b pciBus) Write32(addr uint64, v uint32) { b.write(addr, 4, v) }

func (p *PCI) read(addr uint64, n int) uint32 {
	if a, off, ok := ecam(addr); ok {
		return p.Read32(a, off&^3) >> (8 * (off & 3))
	}
	if addr < PCIBARBase || addr >= PCIBARBase+pciBARSize {
		return 0xffffffff
	}
	off := addr - PCIBARBase
	d := p.Dev
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case off == pciISROff:
		return d.takeISRLocked()
	case off >= pciDeviceOff && off < pciNotifyOff:
		return d.configReadLocked(off-pciDeviceOff, n)
	case off >= 0x38:
		return 0
	}
	r := d.selectedLocked()
	switch off {
	case 0x04:
		return d.features(d.devFeatSel)
	case 0x12:
		return uint32(len(d.QueueMax))
	case 0x14:
		return uint32(d.status)
	case 0x15:
		return d.generation & 0xff
	case 0x16:
		return uint32(d.queueSel)
	case 0x18:
		if r == nil {
			return 0
		}
		if r.size != 0 {
			return uint32(r.size)
		}
		return uint32(d.QueueMax[d.queueSel])
	case 0x1c:
		if d.queueReadyLocked() {
			return 1
		}
		return 0
	case 0x1e:
		return uint32(d.queueSel) // queue_notify_off = queue index
	}
	return 0
}

func (p *PCI) write(addr uint64, n int, v uint32) {
	if a, off, ok := ecam(addr); ok {
		if n == 4 {
			p.Write32(a, off, v)
		}
		return
	}
	if addr < PCIBARBase || addr >= PCIBARBase+pciBARSize {
		return
	}
	off := addr - PCIBARBase
	d := p.Dev
	if off >= pciNotifyOff {
		if n == 2 && (off-pciNotifyOff)%pciNotifyMul == 0 && uint32((off-pciNotifyOff)/pciNotifyMul) == v {
			d.notify(uint16(v))
		} else {
			d.mu.Lock()
			d.errs = append(d.errs, errNotify{off - pciNotifyOff, v})
			d.mu.Unlock()
		}
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.selectedLocked()
	setLow := func(p *uint64) { *p = *p&^0xffffffff | uint64(v) }
	setHigh := func(p *uint64) { *p = *p&0xffffffff | uint64(v)<<32 }
	switch off {
	case 0x00:
		d.devFeatSel = v
	case 0x08:
		d.drvFeatSel = v
	case 0x0c:
		d.setDriverFeaturesLocked(d.drvFeatSel, v)
	case 0x14:
		d.setStatusLocked(uint8(v))
	case 0x16:
		d.queueSel = uint16(v)
	}
	if r == nil {
		return
	}
	switch off {
	case 0x18:
		r.size = uint16(v)
	case 0x1c:
		if v == 1 {
			d.enableQueueLocked()
		}
	case 0x20:
		setLow(&r.desc)
	case 0x24:
		setHigh(&r.desc)
	case 0x28:
		setLow(&r.driver)
	case 0x2c:
		setHigh(&r.driver)
	case 0x30:
		setLow(&r.device)
	case 0x34:
		setHigh(&r.device)
	}
}

// Poke overwrites configuration space bytes at off, to model firmware or a
// device that does something unusual (an unassigned BAR, a looping
// capability list).
func (p *PCI) Poke(off int, b []byte) { copy(p.cfg[off:], b) }
