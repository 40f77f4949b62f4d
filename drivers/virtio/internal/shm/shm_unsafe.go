// Package shm gives the virtio driver and its test device the few atomic
// accesses that shared ring memory needs: 32-bit loads and stores that are
// also full memory barriers, so that the ordering rules of the virtio spec
// (§2.7.13.3.1 "update the idx field", §2.7.13.4 "read flags or avail_event")
// hold on every architecture Go supports. It uses unsafe to view a byte slice
// of ring memory as a uint32.
package shm

import (
	"sync/atomic"
	"unsafe"
)

// Load32 atomically loads the little-endian uint32 at mem[off:off+4]. off must
// be a multiple of 4 and the slice's backing array 4-byte aligned; both hold
// for every ring field it is used on because rings are page aligned and the
// fields it reads are at offsets 0 and 4+k*(2 or 8) with k a power of two.
// Go only supports little-endian targets for Gobi (amd64, arm64), which is the
// byte order virtio 1.x mandates (§2.4 "little-endian"), so a native load is
// the right one.
func Load32(mem []byte, off int) uint32 {
	w := mem[off : off+4] // bounds check by slicing: indexing would count as a plain read under -race
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&w[0])))
}

// Store32 atomically stores v as the little-endian uint32 at mem[off:off+4],
// under the same alignment rules as Load32. Go's atomic stores are
// sequentially consistent, so every plain store before it (descriptors, used
// elements) is visible to the other side before the index it publishes.
func Store32(mem []byte, off int, v uint32) {
	w := mem[off : off+4]
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&w[0])), v)
}
