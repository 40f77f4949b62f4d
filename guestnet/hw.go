package guestnet

import (
	"fmt"

	"github.com/gobi-os/gobi/drivers/virtio"
	"github.com/gobi-os/gobi/platform"
)

// bus is virtio.Bus over the platform's register access.
type bus struct{}

func (bus) Read8(a uint64) uint8       { return platform.Read8(a) }
func (bus) Read16(a uint64) uint16     { return platform.Read16(a) }
func (bus) Read32(a uint64) uint32     { return platform.Read32(a) }
func (bus) Write8(a uint64, v uint8)   { platform.Write8(a, v) }
func (bus) Write16(a uint64, v uint16) { platform.Write16(a, v) }
func (bus) Write32(a uint64, v uint32) { platform.Write32(a, v) }

// dma is virtio.DMA over the kernel's contiguous allocations, which are page
// aligned.
type dma struct{}

func (dma) Alloc(size, align int) (virtio.Region, error) {
	if align > 4096 {
		return virtio.Region{}, fmt.Errorf("dma: alignment %d beyond a page", align)
	}
	b, phys, err := platform.DMAAlloc(size)
	if err != nil {
		return virtio.Region{}, err
	}
	return virtio.Region{Bytes: b, Phys: phys}, nil
}

const (
	mmioBase   = 0xfeb00000
	mmioStride = 512
	mmioSlots  = 8
	mmioIRQ    = 5
	deviceNet  = 1 // virtio 1.2 §5: device ID 1 is a network card
)

// findNet returns the first virtio-mmio network device and its interrupt line.
func findNet() (*virtio.MMIO, int, bool) {
	for i := mmioSlots - 1; i >= 0; i-- {
		m, err := virtio.NewMMIO(bus{}, mmioBase+uint64(i)*mmioStride)
		if err != nil || m.DeviceType() != deviceNet {
			continue
		}
		return m, mmioIRQ + i, true
	}
	return nil, 0, false
}
