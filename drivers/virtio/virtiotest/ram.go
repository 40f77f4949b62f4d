package virtiotest

import (
	"fmt"
	"sync"

	"github.com/gobi-os/gobi/drivers/virtio"
)

// ramBase is where RAM's fake physical addresses start: not 0, so that a
// driver passing a zero address is caught.
const ramBase = 0x1000_0000

// RAM is fake physical memory. It implements virtio.DMA for the driver and
// resolves physical addresses for the device.
type RAM struct {
	mu      sync.Mutex
	next    uint64
	regions []virtio.Region
}

// NewRAM returns empty fake memory.
func NewRAM() *RAM { return &RAM{next: ramBase} }

// Alloc implements virtio.DMA.
func (r *RAM) Alloc(size, align int) (virtio.Region, error) {
	if size <= 0 || align <= 0 || align&(align-1) != 0 || align > 4096 {
		return virtio.Region{}, fmt.Errorf("alloc(%d, %d): bad size or alignment", size, align)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Regions are page aligned, so the Go backing array's alignment (at least
	// 8 for this size class) is all that shm's 4-byte atomics need.
	phys := (r.next + 4095) &^ 4095
	reg := virtio.Region{Bytes: make([]byte, size), Phys: phys}
	r.next = phys + uint64(size)
	r.regions = append(r.regions, reg)
	return reg, nil
}

// Slice returns the n bytes at physical address phys, which must lie inside
// one allocation, as a device's DMA would require.
func (r *RAM) Slice(phys uint64, n uint32) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, reg := range r.regions {
		if phys >= reg.Phys && phys+uint64(n) <= reg.Phys+uint64(len(reg.Bytes)) {
			off := phys - reg.Phys
			return reg.Bytes[off : off+uint64(n) : off+uint64(n)], nil
		}
	}
	return nil, fmt.Errorf("DMA to %#x+%d outside allocated memory", phys, n)
}
