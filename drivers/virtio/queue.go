package virtio

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/gobi-os/gobi/drivers/virtio/internal/shm"
)

// Buffer is one element of a descriptor chain: Len bytes of device-accessible
// memory at physical address Addr. Writable buffers are written by the device
// (receive buffers); the others are read by it.
type Buffer struct {
	Addr     uint64
	Len      uint32
	Writable bool
}

// Used is a completed descriptor chain returned by the device (§2.7.8).
type Used struct {
	// Head is the id Add returned for the chain.
	Head uint16
	// Len is the number of bytes the device wrote into the chain's writable
	// buffers, capped to their total length.
	Len uint32
}

// chain is the driver's private record of a chain the device owns. It is kept
// out of shared memory so that a device scribbling on the descriptor table
// cannot corrupt the free list.
type chain struct {
	n        uint16 // descriptors in the chain; 0 when the head is free
	writable uint32 // total length of the writable buffers
}

// Queue is a split virtqueue (§2.7), driver side. Its methods are safe for
// concurrent use.
type Queue struct {
	index    uint16
	size     uint16
	eventIdx bool   // VIRTIO_F_EVENT_IDX negotiated (§2.7.10)
	notify   func() // tells the device that the available ring moved (§2.7.13.4)

	desc, avail, used Region

	mu         sync.Mutex
	next       []uint16 // private free-list links and chain links, by descriptor
	chains     []chain  // by head descriptor
	freeHead   uint16
	numFree    uint16
	availIdx   uint16 // next available-ring slot (free-running)
	published  uint16 // avail.idx the device has been shown
	lastUsed   uint16 // next used-ring entry to consume (free-running)
	availFlags uint16
}

// newQueue allocates the three areas of a queue of the given size, which the
// caller has checked is a power of two no larger than MaxQueueSize.
func newQueue(dma DMA, index, size uint16, eventIdx bool) (*Queue, error) {
	n := int(size)
	q := &Queue{index: index, size: size, eventIdx: eventIdx,
		next: make([]uint16, n), chains: make([]chain, n), numFree: size}
	var err error
	// Alignments from §2.7 table "Virtqueue Part Alignment".
	if q.desc, err = dma.Alloc(descSize*n, 16); err != nil {
		return nil, fmt.Errorf("allocating descriptor table of queue %d: %w", index, err)
	}
	if q.avail, err = dma.Alloc(availBytes(n), 4); err != nil {
		return nil, fmt.Errorf("allocating available ring of queue %d: %w", index, err)
	}
	if q.used, err = dma.Alloc(usedBytes(n), 4); err != nil {
		return nil, fmt.Errorf("allocating used ring of queue %d: %w", index, err)
	}
	for i := range q.next {
		q.next[i] = uint16(i + 1)
	}
	return q, nil
}

// Index is the queue's number within its device.
func (q *Queue) Index() uint16 { return q.index }

// Size is the number of descriptors (and ring slots).
func (q *Queue) Size() uint16 { return q.size }

// Free is the number of descriptors not owned by the device.
func (q *Queue) Free() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return int(q.numFree)
}

// Add makes a descriptor chain of bufs available to the device and returns
// its head id, which Pop reports when the device is done with it. The device
// does not see the chain until Kick, so several Adds can share one
// notification. Readable buffers must precede writable ones (§2.7.4.2).
func (q *Queue) Add(bufs []Buffer) (uint16, error) {
	if len(bufs) == 0 {
		return 0, fmt.Errorf("adding to queue %d: empty descriptor chain", q.index)
	}
	var writable uint32
	for i, b := range bufs {
		if b.Len == 0 {
			return 0, fmt.Errorf("adding to queue %d: buffer %d is empty", q.index, i)
		}
		if !b.Writable && i > 0 && bufs[i-1].Writable {
			return 0, fmt.Errorf("adding to queue %d: readable buffer %d after a writable one (virtio §2.7.4.2)", q.index, i)
		}
		if b.Writable {
			writable += b.Len
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(bufs) > int(q.numFree) {
		return 0, ErrQueueFull
	}
	head := q.freeHead
	d := head
	for i, b := range bufs {
		var flags uint16
		if b.Writable {
			flags |= descFWrite
		}
		nextFree := q.next[d]
		last := i == len(bufs)-1
		if !last {
			flags |= descFNext
		}
		e := q.desc.Bytes[int(d)*descSize:]
		binary.LittleEndian.PutUint64(e[0:], b.Addr)
		binary.LittleEndian.PutUint32(e[8:], b.Len)
		binary.LittleEndian.PutUint16(e[12:], flags)
		binary.LittleEndian.PutUint16(e[14:], nextFree)
		if last {
			q.freeHead = nextFree
		} else {
			d = nextFree
		}
	}
	q.numFree -= uint16(len(bufs))
	q.chains[head] = chain{n: uint16(len(bufs)), writable: writable}
	slot := 4 + 2*int(q.availIdx%q.size)
	binary.LittleEndian.PutUint16(q.avail.Bytes[slot:], head)
	q.availIdx++
	return head, nil
}

// Kick publishes every chain added since the last Kick (§2.7.13.3: the index
// is written after the ring entries, with a barrier between, here the
// sequentially consistent store) and notifies the device unless it has
// suppressed notifications (§2.7.13.4).
func (q *Queue) Kick() {
	q.mu.Lock()
	old, new := q.published, q.availIdx
	if old == new {
		q.mu.Unlock()
		return
	}
	shm.Store32(q.avail.Bytes, 0, uint32(new)<<16|uint32(q.availFlags))
	q.published = new
	// The store above is a full barrier, so the reads below cannot be
	// satisfied before the device could see the new index (§2.7.13.4: "the
	// driver MUST perform a suitable memory barrier before reading").
	var kick bool
	if q.eventIdx {
		event := uint16(shm.Load32(q.used.Bytes, availEventOff(int(q.size))))
		kick = needEvent(event, new, old)
	} else {
		kick = shm.Load32(q.used.Bytes, 0)&usedFNoNotify == 0
	}
	q.mu.Unlock()
	if kick {
		q.notify()
	}
}

// Pop returns the next chain the device has finished with and frees its
// descriptors. ok is false when there is none. An error means the device
// broke the protocol (ErrDeviceBroken).
func (q *Queue) Pop() (u Used, ok bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	usedIdx := uint16(shm.Load32(q.used.Bytes, 0) >> 16)
	pending := usedIdx - q.lastUsed
	if pending == 0 {
		return Used{}, false, nil
	}
	// Cap: the device controls used.idx. It can never be more than size
	// entries ahead of us, because no more chains than descriptors exist.
	if pending > q.size {
		return Used{}, false, fmt.Errorf("queue %d: used index %d is %d ahead of %d, more than the queue size %d: %w",
			q.index, usedIdx, pending, q.lastUsed, q.size, ErrDeviceBroken)
	}
	e := q.used.Bytes[4+8*int(q.lastUsed%q.size):]
	id := binary.LittleEndian.Uint32(e[0:])
	n := binary.LittleEndian.Uint32(e[4:])
	// Cap: the id is device-controlled; it must name a chain we gave it.
	if id >= uint32(q.size) || q.chains[id].n == 0 {
		return Used{}, false, fmt.Errorf("queue %d: used id %d was not made available: %w", q.index, id, ErrDeviceBroken)
	}
	c := q.chains[id]
	// Cap: len is device-controlled and callers slice buffers with it; a
	// device cannot have written more than the chain's writable bytes.
	n = min(n, c.writable)
	q.freeChainLocked(uint16(id), c.n)
	q.lastUsed++
	if q.eventIdx && q.availFlags&availFNoInterrupt == 0 {
		// Ask to be interrupted at the next entry (§2.7.10).
		shm.Store32(q.avail.Bytes, usedEventOff(int(q.size)), uint32(q.lastUsed))
	}
	return Used{Head: uint16(id), Len: n}, true, nil
}

// freeChainLocked returns the n descriptors of the chain at head to the free
// list, following the driver's private links, never the shared table.
func (q *Queue) freeChainLocked(head, n uint16) {
	last := head
	for i := uint16(1); i < n; i++ {
		last = q.next[last]
	}
	q.next[last] = q.freeHead
	q.freeHead = head
	q.numFree += n
	q.chains[head] = chain{}
}

// DisableInterrupts asks the device not to interrupt when it uses buffers
// (§2.7.7, §2.7.10); the device may still do so.
func (q *Queue) DisableInterrupts() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.availFlags |= availFNoInterrupt
	shm.Store32(q.avail.Bytes, 0, uint32(q.published)<<16|uint32(q.availFlags))
	if q.eventIdx {
		// An event index just behind the one we will consume next is
		// crossed only after 2^16 more entries: no interrupt (§2.7.10).
		shm.Store32(q.avail.Bytes, usedEventOff(int(q.size)), uint32(q.lastUsed-1))
	}
}

// EnableInterrupts asks the device to interrupt again when it uses a buffer.
// It reports whether used entries are already pending, which the device may
// have added before it saw the request without interrupting; the caller must
// then Pop them instead of waiting (the classic lost-wakeup race).
func (q *Queue) EnableInterrupts() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.availFlags &^= availFNoInterrupt
	shm.Store32(q.avail.Bytes, 0, uint32(q.published)<<16|uint32(q.availFlags))
	if q.eventIdx {
		shm.Store32(q.avail.Bytes, usedEventOff(int(q.size)), uint32(q.lastUsed))
	}
	return uint16(shm.Load32(q.used.Bytes, 0)>>16) != q.lastUsed
}

// Indices reports where the rings stand: avail is the available index the
// device has been shown, next the used entry the driver consumes next, and
// used the device's used index. Chains from used to avail are the
// device's, made available and not yet used; chains from next to used the
// device returned and the driver has not popped.
func (q *Queue) Indices() (avail, next, used uint16) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.published, q.lastUsed, uint16(shm.Load32(q.used.Bytes, 0) >> 16)
}

// Notify notifies the device whatever its suppression asks (§2.7.13.4
// allows a notification the device did not ask for): for a driver that
// finds the device idle with chains available to it.
func (q *Queue) Notify() { q.notify() }
