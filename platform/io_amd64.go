package platform

// Device register access. The loads and stores are single instructions in
// io_amd64.s, so the compiler neither merges, splits nor drops them; x86
// keeps them in program order for uncached device memory (Intel SDM vol. 3
// §11.3).

// Read8 reads the byte register at physical address addr.
func Read8(addr uint64) uint8

// Read16 reads a 16-bit register.
func Read16(addr uint64) uint16

// Read32 reads a 32-bit register.
func Read32(addr uint64) uint32

// Write8 writes a byte register.
func Write8(addr uint64, v uint8)

// Write16 writes a 16-bit register.
func Write16(addr uint64, v uint16)

// Write32 writes a 32-bit register.
func Write32(addr uint64, v uint32)

// In8 reads an I/O port.
func In8(port uint16) uint8

// In16 reads a 16-bit I/O port.
func In16(port uint16) uint16

// In32 reads a 32-bit I/O port.
func In32(port uint16) uint32

// Out8 writes an I/O port.
func Out8(port uint16, v uint8)

// Out16 writes a 16-bit I/O port.
func Out16(port uint16, v uint16)

// Out32 writes a 32-bit I/O port.
func Out32(port uint16, v uint32)
