package virtio

import "fmt"

// virtio PCI capability (struct virtio_pci_cap, §4.1.4): cap_vndr u8 @0,
// cap_next u8 @1, cap_len u8 @2, cfg_type u8 @3, bar u8 @4, id u8 @5,
// offset u32 @8, length u32 @12; the notify capability adds
// notify_off_multiplier u32 @16 (§4.1.4.4).
const (
	pciCapVendor = 0x09

	pciCapCommonCfg = 1
	pciCapNotifyCfg = 2
	pciCapISRCfg    = 3
	pciCapDeviceCfg = 4
)

// Common configuration structure (struct virtio_pci_common_cfg, §4.1.4.3).
// The driver writes the select, driver_feature, status and queue fields; the
// device writes the rest.
const (
	commonDeviceFeatureSelect = 0x00
	commonDeviceFeature       = 0x04
	commonDriverFeatureSelect = 0x08
	commonDriverFeature       = 0x0c
	commonDeviceStatus        = 0x14
	commonConfigGeneration    = 0x15
	commonQueueSelect         = 0x16
	commonQueueSize           = 0x18
	commonQueueEnable         = 0x1c
	commonQueueNotifyOff      = 0x1e
	commonQueueDesc           = 0x20
	commonQueueDriver         = 0x28
	commonQueueDevice         = 0x30
	commonCfgLen              = 0x38
)

// pciRegion is one capability's structure located in a BAR.
type pciRegion struct {
	addr, len uint64
}

// PCI is the virtio-over-PCI transport (§4.1) of one modern or transitional
// device, driven through its capabilities (never the legacy I/O BAR).
type PCI struct {
	bus     Bus
	addr    PCIAddr
	devType uint32
	irq     uint8

	common, isr, device pciRegion
	notify              pciRegion
	notifyMul           uint32
	notifyAddr          map[uint16]uint64 // by queue, filled by EnableQueue
}

// NewPCI reads the virtio capabilities of function a (§4.1.4), enables memory
// decoding and bus mastering, and returns its transport. The BARs must have
// been assigned by firmware.
func NewPCI(c ConfigSpace, bus Bus, a PCIAddr) (*PCI, error) {
	where := fmt.Sprintf("virtio-pci %02x:%02x.%d", a.Bus, a.Device, a.Function)
	id := c.Read32(a, pciVendorID)
	if uint16(id) != pciVendorVirtio {
		return nil, fmt.Errorf("%s: vendor %#04x: %w", where, uint16(id), ErrNoDevice)
	}
	p := &PCI{bus: bus, addr: a, irq: read8(c, a, pciInterrupt), notifyAddr: map[uint16]uint64{}}
	// §4.1.2: modern device IDs are 0x1040 + type; transitional ones
	// (0x1000-0x103f) carry the type in the subsystem device ID.
	switch dev := uint16(id >> 16); {
	case dev >= 0x1040 && dev <= 0x107f:
		p.devType = uint32(dev - 0x1040)
	case dev >= 0x1000 && dev <= 0x103f:
		p.devType = uint32(read16(c, a, pciSubsystemID))
	default:
		return nil, fmt.Errorf("%s: device id %#04x is not virtio", where, dev)
	}
	if read16(c, a, pciStatus)&pciStatusCapList == 0 {
		return nil, fmt.Errorf("%s: no capability list (a legacy-only device; use QEMU's disable-legacy=on or a modern machine)", where)
	}
	seen := map[uint8]bool{}
	ptr := uint16(read8(c, a, pciCapabilities)) &^ 3
	// Cap: the list is device-controlled and could loop; 48 entries of at
	// least 4 bytes fill the 192 bytes after the standard header.
	for n := 0; ptr >= 0x40 && n < 48; n++ {
		hdr := c.Read32(a, ptr)
		next := uint16(hdr>>8) & 0xfc
		if uint8(hdr) == pciCapVendor {
			typ := uint8(hdr >> 24)
			if !seen[typ] { // §4.1.4: use the first capability of each type
				seen[typ] = true
				if err := p.capability(c, a, ptr, typ); err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
			}
		}
		ptr = next
	}
	for _, want := range []struct {
		typ  uint8
		r    pciRegion
		min  uint64
		name string
	}{
		{pciCapCommonCfg, p.common, commonCfgLen, "common configuration"},
		{pciCapNotifyCfg, p.notify, 2, "notification"},
		{pciCapISRCfg, p.isr, 1, "ISR"},
	} {
		if !seen[want.typ] {
			return nil, fmt.Errorf("%s: no %s capability", where, want.name)
		}
		if want.r.len < want.min {
			return nil, fmt.Errorf("%s: %s structure is %d bytes, want at least %d", where, want.name, want.r.len, want.min)
		}
	}
	cmd := c.Read32(a, pciCommand)
	c.Write32(a, pciCommand, cmd&0xffff|pciCommandMemory|pciCommandBusMaster)
	return p, nil
}

// capability records the structure described by the virtio capability at ptr.
func (p *PCI) capability(c ConfigSpace, a PCIAddr, ptr uint16, typ uint8) error {
	bar := read8(c, a, ptr+4)
	off := uint64(c.Read32(a, ptr+8))
	length := uint64(c.Read32(a, ptr+12))
	if typ != pciCapCommonCfg && typ != pciCapNotifyCfg && typ != pciCapISRCfg && typ != pciCapDeviceCfg {
		return nil // PCI configuration access and shared memory: unused
	}
	if bar > 5 {
		return fmt.Errorf("capability type %d names BAR %d", typ, bar)
	}
	base, err := barAddress(c, a, bar)
	if err != nil {
		return err
	}
	r := pciRegion{addr: base + off, len: length}
	switch typ {
	case pciCapCommonCfg:
		p.common = r
	case pciCapNotifyCfg:
		p.notify = r
		p.notifyMul = c.Read32(a, ptr+16)
	case pciCapISRCfg:
		p.isr = r
	case pciCapDeviceCfg:
		p.device = r
	}
	return nil
}

// barAddress decodes memory BAR n (PCI Local Bus 3.0 §6.2.5.1).
func barAddress(c ConfigSpace, a PCIAddr, n uint8) (uint64, error) {
	lo := c.Read32(a, pciBAR0+4*uint16(n))
	if lo&1 != 0 {
		return 0, fmt.Errorf("BAR %d is an I/O BAR; virtio structures must be in memory BARs", n)
	}
	addr := uint64(lo &^ 0xf)
	if lo>>1&3 == 2 { // 64-bit BAR: the next register holds the high half
		if n == 5 {
			return 0, fmt.Errorf("BAR 5 claims to be 64-bit")
		}
		addr |= uint64(c.Read32(a, pciBAR0+4*uint16(n+1))) << 32
	}
	if addr == 0 {
		return 0, fmt.Errorf("BAR %d is not assigned (firmware left it 0)", n)
	}
	return addr, nil
}

// IRQLine is the legacy INTx line firmware assigned (configuration offset
// 0x3c). The driver does not enable MSI-X, so the device interrupts there.
func (p *PCI) IRQLine() uint8 { return p.irq }

// DeviceType implements Transport.
func (p *PCI) DeviceType() uint32 { return p.devType }

// Status implements Transport.
func (p *PCI) Status() uint8 { return p.bus.Read8(p.common.addr + commonDeviceStatus) }

// SetStatus implements Transport.
func (p *PCI) SetStatus(s uint8) { p.bus.Write8(p.common.addr+commonDeviceStatus, s) }

// DeviceFeatures implements Transport.
func (p *PCI) DeviceFeatures() uint64 {
	p.bus.Write32(p.common.addr+commonDeviceFeatureSelect, 0)
	lo := p.bus.Read32(p.common.addr + commonDeviceFeature)
	p.bus.Write32(p.common.addr+commonDeviceFeatureSelect, 1)
	hi := p.bus.Read32(p.common.addr + commonDeviceFeature)
	return uint64(hi)<<32 | uint64(lo)
}

// SetDriverFeatures implements Transport.
func (p *PCI) SetDriverFeatures(f uint64) {
	p.bus.Write32(p.common.addr+commonDriverFeatureSelect, 0)
	p.bus.Write32(p.common.addr+commonDriverFeature, uint32(f))
	p.bus.Write32(p.common.addr+commonDriverFeatureSelect, 1)
	p.bus.Write32(p.common.addr+commonDriverFeature, uint32(f>>32))
}

// QueueMax implements Transport: queue_size reads the maximum until the
// driver writes it (§4.1.4.3).
func (p *PCI) QueueMax(i uint16) uint16 {
	p.bus.Write16(p.common.addr+commonQueueSelect, i)
	if p.bus.Read16(p.common.addr+commonQueueEnable) != 0 {
		return 0
	}
	// Cap: queue_size is device-controlled and sizes our allocations.
	return min(p.bus.Read16(p.common.addr+commonQueueSize), MaxQueueSize)
}

// write64 writes a 64-bit common-configuration field as two 32-bit halves,
// low first, which §4.1.3.1 permits.
func (p *PCI) write64(off, v uint64) {
	p.bus.Write32(p.common.addr+off, uint32(v))
	p.bus.Write32(p.common.addr+off+4, uint32(v>>32))
}

// EnableQueue implements Transport (§4.1.5.1.3).
func (p *PCI) EnableQueue(i, size uint16, desc, driver, device uint64) error {
	p.bus.Write16(p.common.addr+commonQueueSelect, i)
	// Cap: queue_notify_off and the multiplier are device-controlled; the
	// address they give must stay inside the notification structure.
	off := uint64(p.bus.Read16(p.common.addr+commonQueueNotifyOff)) * uint64(p.notifyMul)
	if off+2 > p.notify.len {
		return fmt.Errorf("virtio-pci: queue %d notify offset %d is outside the %d-byte notification structure", i, off, p.notify.len)
	}
	p.notifyAddr[i] = p.notify.addr + off
	p.bus.Write16(p.common.addr+commonQueueSize, size)
	p.write64(commonQueueDesc, desc)
	p.write64(commonQueueDriver, driver)
	p.write64(commonQueueDevice, device)
	p.bus.Write16(p.common.addr+commonQueueEnable, 1)
	return nil
}

// Notifier implements Transport: a 16-bit write of the queue index to the
// queue's notification address (§4.1.5.2).
func (p *PCI) Notifier(i uint16) func() {
	addr := p.notifyAddr[i]
	return func() { p.bus.Write16(addr, i) }
}

// InterruptStatus implements Transport: reading the ISR byte also clears it
// (§4.1.4.5).
func (p *PCI) InterruptStatus() uint32 { return uint32(p.bus.Read8(p.isr.addr)) }

// ConfigGeneration implements Transport.
func (p *PCI) ConfigGeneration() uint32 {
	return uint32(p.bus.Read8(p.common.addr + commonConfigGeneration))
}

// inConfig reports whether n bytes at off lie inside the device-specific
// structure; reads outside it (or without one) return 0 rather than touching
// whatever else the BAR holds.
func (p *PCI) inConfig(off, n int) bool { return off >= 0 && uint64(off+n) <= p.device.len }

// ReadConfig8 implements Transport.
func (p *PCI) ReadConfig8(off int) uint8 {
	if !p.inConfig(off, 1) {
		return 0
	}
	return p.bus.Read8(p.device.addr + uint64(off))
}

// ReadConfig16 implements Transport.
func (p *PCI) ReadConfig16(off int) uint16 {
	if !p.inConfig(off, 2) {
		return 0
	}
	return p.bus.Read16(p.device.addr + uint64(off))
}

// ReadConfig32 implements Transport.
func (p *PCI) ReadConfig32(off int) uint32 {
	if !p.inConfig(off, 4) {
		return 0
	}
	return p.bus.Read32(p.device.addr + uint64(off))
}
