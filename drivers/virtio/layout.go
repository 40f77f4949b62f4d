package virtio

// Split virtqueue layout, virtio 1.2 §2.7. All fields are little-endian.
//
//	descriptor table (driver writes, device reads), 16 bytes each, align 16:
//	  addr u64 @0, len u32 @8, flags u16 @12, next u16 @14
//	available ring (driver writes, device reads), align 2 (we use 4):
//	  flags u16 @0, idx u16 @2, ring[size] u16 @4, used_event u16 @4+2*size
//	used ring (device writes, driver reads), align 4:
//	  flags u16 @0, idx u16 @2, ring[size] {id u32, len u32} @4,
//	  avail_event u16 @4+8*size
const (
	descSize = 16

	// Descriptor flags, §2.7.5.
	descFNext  = 1
	descFWrite = 2

	// availFNoInterrupt asks the device not to interrupt (§2.7.7); usedFNoNotify
	// asks the driver not to notify (§2.7.10). Both are hints without
	// VIRTIO_F_EVENT_IDX and ignored with it.
	availFNoInterrupt = 1
	usedFNoNotify     = 1

	// MaxQueueSize is the largest queue size the split format allows (§2.7:
	// "Queue Size ... maximum 32768").
	MaxQueueSize = 32768
)

// availBytes and usedBytes are the ring sizes rounded up to a multiple of 4
// so that the trailing u16 event field can be accessed as an aligned 32-bit
// word (package shm) without leaving the allocation.
func availBytes(size int) int { return (6 + 2*size + 3) &^ 3 }
func usedBytes(size int) int  { return (6 + 8*size + 3) &^ 3 }

// usedEventOff and availEventOff locate the event-index fields (§2.7.10).
func usedEventOff(size int) int  { return 4 + 2*size }
func availEventOff(size int) int { return 4 + 8*size }

// needEvent is vring_need_event from §2.7.10: whether moving an index from
// old to new crossed the other side's event index. All arithmetic is modulo
// 2^16 because the indices are free-running 16-bit counters.
func needEvent(event, new, old uint16) bool {
	return new-event-1 < new-old
}
