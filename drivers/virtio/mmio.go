package virtio

import "fmt"

// MMIO transport register offsets, virtio 1.2 §4.2.2 (version 2 layout).
const (
	mmioMagicValue        = 0x000
	mmioVersion           = 0x004
	mmioDeviceID          = 0x008
	mmioDeviceFeatures    = 0x010
	mmioDeviceFeaturesSel = 0x014
	mmioDriverFeatures    = 0x020
	mmioDriverFeaturesSel = 0x024
	mmioQueueSel          = 0x030
	mmioQueueNumMax       = 0x034
	mmioQueueNum          = 0x038
	mmioQueueReady        = 0x044
	mmioQueueNotify       = 0x050
	mmioInterruptStatus   = 0x060
	mmioInterruptACK      = 0x064
	mmioStatus            = 0x070
	mmioQueueDescLow      = 0x080
	mmioQueueDescHigh     = 0x084
	mmioQueueDriverLow    = 0x090
	mmioQueueDriverHigh   = 0x094
	mmioQueueDeviceLow    = 0x0a0
	mmioQueueDeviceHigh   = 0x0a4
	mmioConfigGeneration  = 0x0fc
	mmioConfig            = 0x100

	mmioMagic = 0x74726976 // "virt" in little-endian
)

// QEMU's microvm machine (hw/i386/microvm.c, QEMU 7.2) creates its virtio-mmio
// transports at MicrovmMMIOBase + n*MicrovmMMIOStride. With ACPI on (the
// default) and its second IO-APIC, transport n raises GSI 24+n and there are
// 24 of them; with acpi=off there are 8 on GSI 5+n. QEMU's virtio-mmio is
// legacy (version 1) unless started with -global virtio-mmio.force-legacy=false.
const (
	MicrovmMMIOBase   = 0xfeb00000
	MicrovmMMIOStride = 512
)

// MMIO is the virtio-over-MMIO transport (§4.2) of one device.
type MMIO struct {
	bus  Bus
	base uint64
}

// NewMMIO probes the register block at base (§4.2.3.1.1: check the magic
// value and the version, then the device ID) and returns its transport.
// It returns ErrNoDevice when the slot is empty (device ID 0).
func NewMMIO(bus Bus, base uint64) (*MMIO, error) {
	m := &MMIO{bus: bus, base: base}
	if v := m.read(mmioMagicValue); v != mmioMagic {
		return nil, fmt.Errorf("virtio-mmio at %#x: magic value %#x, want %#x", base, v, mmioMagic)
	}
	switch v := m.read(mmioVersion); v {
	case 2:
	case 1:
		return nil, fmt.Errorf("virtio-mmio at %#x is legacy (version 1): start QEMU with -global virtio-mmio.force-legacy=false", base)
	default:
		return nil, fmt.Errorf("virtio-mmio at %#x: unknown version %d", base, v)
	}
	if m.DeviceType() == 0 {
		return nil, fmt.Errorf("virtio-mmio at %#x: %w", base, ErrNoDevice)
	}
	return m, nil
}

func (m *MMIO) read(off uint64) uint32     { return m.bus.Read32(m.base + off) }
func (m *MMIO) write(off uint64, v uint32) { m.bus.Write32(m.base+off, v) }

// DeviceType implements Transport.
func (m *MMIO) DeviceType() uint32 { return m.read(mmioDeviceID) }

// Status implements Transport.
func (m *MMIO) Status() uint8 { return uint8(m.read(mmioStatus)) }

// SetStatus implements Transport.
func (m *MMIO) SetStatus(s uint8) { m.write(mmioStatus, uint32(s)) }

// DeviceFeatures implements Transport: two 32-bit halves selected by
// DeviceFeaturesSel.
func (m *MMIO) DeviceFeatures() uint64 {
	m.write(mmioDeviceFeaturesSel, 0)
	lo := m.read(mmioDeviceFeatures)
	m.write(mmioDeviceFeaturesSel, 1)
	hi := m.read(mmioDeviceFeatures)
	return uint64(hi)<<32 | uint64(lo)
}

// SetDriverFeatures implements Transport.
func (m *MMIO) SetDriverFeatures(f uint64) {
	m.write(mmioDriverFeaturesSel, 0)
	m.write(mmioDriverFeatures, uint32(f))
	m.write(mmioDriverFeaturesSel, 1)
	m.write(mmioDriverFeatures, uint32(f>>32))
}

// QueueMax implements Transport.
func (m *MMIO) QueueMax(i uint16) uint16 {
	m.write(mmioQueueSel, uint32(i))
	if m.read(mmioQueueReady) != 0 {
		return 0 // already in use: not ours to set up again
	}
	// Cap: QueueNumMax is device-controlled and sizes our allocations.
	return uint16(min(m.read(mmioQueueNumMax), MaxQueueSize))
}

// EnableQueue implements Transport (§4.2.3.2).
func (m *MMIO) EnableQueue(i, size uint16, desc, driver, device uint64) error {
	m.write(mmioQueueSel, uint32(i))
	if m.read(mmioQueueReady) != 0 {
		return fmt.Errorf("virtio-mmio at %#x: queue %d is already ready", m.base, i)
	}
	m.write(mmioQueueNum, uint32(size))
	m.write(mmioQueueDescLow, uint32(desc))
	m.write(mmioQueueDescHigh, uint32(desc>>32))
	m.write(mmioQueueDriverLow, uint32(driver))
	m.write(mmioQueueDriverHigh, uint32(driver>>32))
	m.write(mmioQueueDeviceLow, uint32(device))
	m.write(mmioQueueDeviceHigh, uint32(device>>32))
	m.write(mmioQueueReady, 1)
	return nil
}

// Notifier implements Transport: a write of the queue index to QueueNotify.
func (m *MMIO) Notifier(i uint16) func() {
	return func() { m.write(mmioQueueNotify, uint32(i)) }
}

// InterruptStatus implements Transport: read InterruptStatus, then write the
// bits back to InterruptACK (§4.2.2).
func (m *MMIO) InterruptStatus() uint32 {
	s := m.read(mmioInterruptStatus)
	if s != 0 {
		m.write(mmioInterruptACK, s)
	}
	return s
}

// ConfigGeneration implements Transport.
func (m *MMIO) ConfigGeneration() uint32 { return m.read(mmioConfigGeneration) }

// ReadConfig8 implements Transport. §4.2.2 allows byte-wide access to the
// device-specific configuration space.
func (m *MMIO) ReadConfig8(off int) uint8 { return m.bus.Read8(m.base + mmioConfig + uint64(off)) }

// ReadConfig16 implements Transport.
func (m *MMIO) ReadConfig16(off int) uint16 { return m.bus.Read16(m.base + mmioConfig + uint64(off)) }

// ReadConfig32 implements Transport.
func (m *MMIO) ReadConfig32(off int) uint32 { return m.bus.Read32(m.base + mmioConfig + uint64(off)) }
