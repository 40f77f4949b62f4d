package virtiotest

// MMIO is the register file of a virtio-mmio version 2 device (virtio 1.2
// §4.2.2) at Base, backed by Dev. It implements virtio.Bus; accesses outside
// the register block read as zero and are ignored, like an unmapped hole.
type MMIO struct {
	Dev  *Device
	Base uint64
	// Version is the value of the Version register; 0 means 2. Set it to 1 to
	// model QEMU's default legacy virtio-mmio.
	Version uint32
}

// Read8 implements virtio.Bus: byte reads reach only the configuration space.
func (m *MMIO) Read8(addr uint64) uint8 { return uint8(m.config(addr, 1)) }

// Read16 implements virtio.Bus.
func (m *MMIO) Read16(addr uint64) uint16 { return uint16(m.config(addr, 2)) }

func (m *MMIO) config(addr uint64, n int) uint32 {
	off := addr - m.Base
	if off < 0x100 {
		return 0 // §4.2.2: registers are 32-bit only
	}
	m.Dev.mu.Lock()
	defer m.Dev.mu.Unlock()
	return m.Dev.configReadLocked(off-0x100, n)
}

// Write8 implements virtio.Bus; the configuration space of a network device
// is read-only, so byte and half-word writes are ignored.
func (m *MMIO) Write8(addr uint64, v uint8) {}

// Write16 implements virtio.Bus.
func (m *MMIO) Write16(addr uint64, v uint16) {}

// Read32 implements virtio.Bus.
func (m *MMIO) Read32(addr uint64) uint32 {
	off := addr - m.Base
	if off >= 0x100 {
		return m.config(addr, 4)
	}
	d := m.Dev
	d.mu.Lock()
	defer d.mu.Unlock()
	switch off {
	case 0x000:
		return 0x74726976
	case 0x004:
		if m.Version != 0 {
			return m.Version
		}
		return 2
	case 0x008:
		return d.Type
	case 0x00c:
		return 0x554d4551 // "QEMU"
	case 0x010:
		return d.features(d.devFeatSel)
	case 0x034:
		return uint32(d.queueMaxLocked())
	case 0x044:
		if d.queueReadyLocked() {
			return 1
		}
		return 0
	case 0x060:
		return d.isr
	case 0x070:
		return uint32(d.status)
	case 0x0fc:
		return d.generation
	}
	return 0
}

// Write32 implements virtio.Bus.
func (m *MMIO) Write32(addr uint64, v uint32) {
	off := addr - m.Base
	d := m.Dev
	if off == 0x050 {
		d.notify(uint16(v))
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.selectedLocked()
	setLow := func(p *uint64) { *p = *p&^0xffffffff | uint64(v) }
	setHigh := func(p *uint64) { *p = *p&0xffffffff | uint64(v)<<32 }
	switch off {
	case 0x014:
		d.devFeatSel = v
	case 0x020:
		d.setDriverFeaturesLocked(d.drvFeatSel, v)
	case 0x024:
		d.drvFeatSel = v
	case 0x030:
		d.queueSel = uint16(v)
	case 0x064:
		d.isr &^= v
	case 0x070:
		d.setStatusLocked(uint8(v))
	}
	if r == nil {
		return
	}
	switch off {
	case 0x038:
		r.size = uint16(v)
	case 0x044:
		if v == 1 {
			d.enableQueueLocked()
		}
	case 0x080:
		setLow(&r.desc)
	case 0x084:
		setHigh(&r.desc)
	case 0x090:
		setLow(&r.driver)
	case 0x094:
		setHigh(&r.driver)
	case 0x0a0:
		setLow(&r.device)
	case 0x0a4:
		setHigh(&r.device)
	}
}
