package virtio

// Transport is how a device's registers are reached: the MMIO transport
// (§4.2) or the PCI transport (§4.1). The device-independent initialisation
// in Device and the device drivers use only this interface.
type Transport interface {
	// DeviceType is the virtio device ID (§5: 1 = network, 2 = block, ...).
	DeviceType() uint32
	// Status reads the device status field (§2.1).
	Status() uint8
	// SetStatus writes the device status field; 0 resets the device (§2.4).
	SetStatus(s uint8)
	// DeviceFeatures reads all 64 device feature bits (§2.2).
	DeviceFeatures() uint64
	// SetDriverFeatures writes the 64 driver feature bits.
	SetDriverFeatures(f uint64)
	// QueueMax is the largest size queue i supports; 0 if it does not exist.
	QueueMax(i uint16) uint16
	// EnableQueue gives queue i its size and the physical addresses of its
	// three areas and marks it ready.
	EnableQueue(i, size uint16, desc, driver, device uint64) error
	// Notifier returns the function that notifies the device about queue i
	// (§2.7.13.4); EnableQueue must have succeeded for i.
	Notifier(i uint16) func()
	// InterruptStatus reads and acknowledges the interrupt cause: bit 0 a
	// used buffer, bit 1 a configuration change (§4.1.4.5, §4.2.2).
	InterruptStatus() uint32
	// ConfigGeneration reads the configuration generation counter (§2.5.1).
	ConfigGeneration() uint32
	// ReadConfig8, ReadConfig16 and ReadConfig32 read the device-specific
	// configuration space at byte offset off.
	ReadConfig8(off int) uint8
	ReadConfig16(off int) uint16
	ReadConfig32(off int) uint32
}

// Device status bits, §2.1.
const (
	StatusAcknowledge = 1
	StatusDriver      = 2
	StatusDriverOK    = 4
	StatusFeaturesOK  = 8
	StatusFailed      = 128
)

// Reserved feature bits, §6.
const (
	FeatureEventIdx = 1 << 29
	FeatureVersion1 = 1 << 32
)

// Interrupt status bits (§4.1.4.5 ISR, §4.2.2 InterruptStatus).
const (
	InterruptUsedBuffer    = 1
	InterruptConfigChanged = 2
)
