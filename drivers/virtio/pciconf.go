package virtio

// PCIAddr names a PCI function.
type PCIAddr struct {
	Bus, Device, Function uint8
}

// ConfigSpace reads and writes PCI configuration space, 32 bits at a time at
// 4-byte aligned offsets. PortConfig and ECAM implement it.
type ConfigSpace interface {
	Read32(a PCIAddr, off uint16) uint32
	Write32(a PCIAddr, off uint16, v uint32)
}

// PortConfig is PCI configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2):
// an address written to port 0xCF8, data through port 0xCFC. It reaches the
// first 256 bytes of each function, which is where virtio's capabilities live
// (§4.1.4: "located in the PCI configuration space"). Callers must not use it
// from two goroutines at once: the address/data pair is not atomic.
type PortConfig struct {
	Ports Ports
}

func (c PortConfig) address(a PCIAddr, off uint16) uint32 {
	return 1<<31 | uint32(a.Bus)<<16 | uint32(a.Device&31)<<11 | uint32(a.Function&7)<<8 | uint32(off&0xfc)
}

// Read32 implements ConfigSpace.
func (c PortConfig) Read32(a PCIAddr, off uint16) uint32 {
	c.Ports.Out32(0xcf8, c.address(a, off))
	return c.Ports.In32(0xcfc)
}

// Write32 implements ConfigSpace.
func (c PortConfig) Write32(a PCIAddr, off uint16, v uint32) {
	c.Ports.Out32(0xcf8, c.address(a, off))
	c.Ports.Out32(0xcfc, v)
}

// ECAM is PCI Express enhanced configuration access (PCIe base spec §7.2.2):
// each function's 4 KiB of configuration space mapped at
// Base + bus<<20 + device<<15 + function<<12 (q35 puts Base at 0xb0000000 and
// reports it in the ACPI MCFG table).
type ECAM struct {
	Bus  Bus
	Base uint64
}

func (c ECAM) address(a PCIAddr, off uint16) uint64 {
	return c.Base + uint64(a.Bus)<<20 + uint64(a.Device&31)<<15 + uint64(a.Function&7)<<12 + uint64(off&0xffc)
}

// Read32 implements ConfigSpace.
func (c ECAM) Read32(a PCIAddr, off uint16) uint32 { return c.Bus.Read32(c.address(a, off)) }

// Write32 implements ConfigSpace.
func (c ECAM) Write32(a PCIAddr, off uint16, v uint32) { c.Bus.Write32(c.address(a, off), v) }

// Standard PCI configuration header offsets (type 0).
const (
	pciVendorID     = 0x00
	pciCommand      = 0x04
	pciStatus       = 0x06
	pciHeaderType   = 0x0e
	pciBAR0         = 0x10
	pciSubsystemID  = 0x2e
	pciCapabilities = 0x34
	pciInterrupt    = 0x3c

	pciCommandMemory    = 1 << 1
	pciCommandBusMaster = 1 << 2
	pciStatusCapList    = 1 << 4

	pciVendorVirtio = 0x1af4
)

func read16(c ConfigSpace, a PCIAddr, off uint16) uint16 {
	return uint16(c.Read32(a, off) >> (8 * (off & 2)))
}

func read8(c ConfigSpace, a PCIAddr, off uint16) uint8 {
	return uint8(c.Read32(a, off) >> (8 * (off & 3)))
}

// FindPCI lists the virtio functions (vendor 0x1af4) on every bus, in
// bus/device/function order.
func FindPCI(c ConfigSpace) []PCIAddr {
	var found []PCIAddr
	for bus := 0; bus < 256; bus++ {
		for dev := uint8(0); dev < 32; dev++ {
			a := PCIAddr{Bus: uint8(bus), Device: dev}
			if read16(c, a, pciVendorID) == 0xffff {
				continue // no device
			}
			nfn := uint8(1)
			if read8(c, a, pciHeaderType)&0x80 != 0 {
				nfn = 8 // multi-function
			}
			for fn := uint8(0); fn < nfn; fn++ {
				a.Function = fn
				if read16(c, a, pciVendorID) == pciVendorVirtio {
					found = append(found, a)
				}
			}
		}
	}
	return found
}
