package virtio

// Bus is memory-mapped I/O at physical addresses: device registers of the
// MMIO transport and the BARs of PCI devices. Accesses must be performed with
// exactly the given width and not be merged, split or cached (§4.2.2: "The
// driver MUST only use 32 bit wide and aligned reads and writes" for MMIO
// registers; §4.1.3.1 for PCI capability structures).
type Bus interface {
	Read8(addr uint64) uint8
	Read16(addr uint64) uint16
	Read32(addr uint64) uint32
	Write8(addr uint64, v uint8)
	Write16(addr uint64, v uint16)
	Write32(addr uint64, v uint32)
}

// Ports is x86 port I/O, used for PCI configuration mechanism #1 (ports
// 0xCF8/0xCFC).
type Ports interface {
	In32(port uint16) uint32
	Out32(port uint16, v uint32)
}

// Region is physically contiguous memory shared with a device.
type Region struct {
	// Bytes is the driver's view of the memory.
	Bytes []byte
	// Phys is the physical (guest-physical, bus) address of Bytes[0], the
	// address the device is given.
	Phys uint64
}

// DMA allocates memory that devices can access. Alloc returns size bytes,
// zeroed, physically contiguous and aligned to align (a power of two, at
// most 4096). The memory stays valid and unmoved as long as the Region is
// referenced; virtio never frees it (queues live as long as the device).
type DMA interface {
	Alloc(size, align int) (Region, error)
}
