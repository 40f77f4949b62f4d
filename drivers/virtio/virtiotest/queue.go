package virtiotest

import (
	"encoding/binary"
	"fmt"

	"github.com/gobi-os/gobi/drivers/virtio/internal/shm"
)

// Chunk is one buffer of a descriptor chain as the device sees it.
type Chunk struct {
	Data     []byte
	Writable bool
}

// Queue is the device side of a split virtqueue (virtio 1.2 §2.7.6-§2.7.8).
// Only the device model's goroutine (the test) uses it; it is not locked.
type Queue struct {
	ram                 *RAM
	size                uint16
	eventIdx            bool
	desc, avail, used   []byte
	lastAvail, usedIdx  uint16
	signalled           uint16 // used.idx at the last interrupt decision
	usedFlags           uint16
	descAddr            uint64
	availAddr, usedAddr uint64
}

func newQueue(ram *RAM, size uint16, eventIdx bool, desc, avail, used uint64) (*Queue, error) {
	n := uint32(size)
	q := &Queue{ram: ram, size: size, eventIdx: eventIdx, descAddr: desc, availAddr: avail, usedAddr: used}
	var err error
	if q.desc, err = ram.Slice(desc, 16*n); err != nil {
		return nil, fmt.Errorf("descriptor table: %w", err)
	}
	// The rings are read through 32-bit words, so include the padding the
	// driver allocates after the trailing u16.
	if q.avail, err = ram.Slice(avail, (6+2*n+3)&^3); err != nil {
		return nil, fmt.Errorf("available ring: %w", err)
	}
	if q.used, err = ram.Slice(used, (6+8*n+3)&^3); err != nil {
		return nil, fmt.Errorf("used ring: %w", err)
	}
	return q, nil
}

// Size is the queue size the driver chose.
func (q *Queue) Size() uint16 { return q.size }

// Addrs are the physical addresses of the descriptor table, available ring
// and used ring the driver gave.
func (q *Queue) Addrs() (desc, avail, used uint64) { return q.descAddr, q.availAddr, q.usedAddr }

// Pending is the number of chains the driver has made available and the
// device not yet taken.
func (q *Queue) Pending() int {
	return int(uint16(shm.Load32(q.avail, 0)>>16) - q.lastAvail)
}

// Next takes the next available chain. ok is false if there is none. An error
// means the driver wrote a malformed chain.
func (q *Queue) Next() (head uint16, chain []Chunk, ok bool, err error) {
	if q.Pending() == 0 {
		return 0, nil, false, nil
	}
	if q.Pending() > int(q.size) {
		return 0, nil, false, fmt.Errorf("avail.idx is %d entries ahead, queue size %d", q.Pending(), q.size)
	}
	head = binary.LittleEndian.Uint16(q.avail[4+2*int(q.lastAvail%q.size):])
	q.lastAvail++
	if q.eventIdx {
		// Publish avail_event = the next entry we will read (§2.7.10).
		shm.Store32(q.used, 4+8*int(q.size), uint32(q.lastAvail))
	}
	d := head
	sawWritable := false
	for range q.size { // a chain longer than the table is a loop (§2.7.5.2)
		if d >= q.size {
			return 0, nil, false, fmt.Errorf("descriptor %d out of range", d)
		}
		e := q.desc[16*int(d):]
		addr := binary.LittleEndian.Uint64(e)
		n := binary.LittleEndian.Uint32(e[8:])
		flags := binary.LittleEndian.Uint16(e[12:])
		data, err := q.ram.Slice(addr, n)
		if err != nil {
			return 0, nil, false, fmt.Errorf("descriptor %d: %w", d, err)
		}
		w := flags&2 != 0
		if sawWritable && !w {
			return 0, nil, false, fmt.Errorf("descriptor %d: readable after writable", d)
		}
		sawWritable = sawWritable || w
		chain = append(chain, Chunk{Data: data, Writable: w})
		if flags&1 == 0 {
			return head, chain, true, nil
		}
		d = binary.LittleEndian.Uint16(e[14:])
	}
	return 0, nil, false, fmt.Errorf("descriptor chain from %d loops", head)
}

// Complete puts head in the used ring with n bytes written and publishes it.
func (q *Queue) Complete(head uint16, n uint32) {
	e := q.used[4+8*int(q.usedIdx%q.size):]
	binary.LittleEndian.PutUint32(e, uint32(head))
	binary.LittleEndian.PutUint32(e[4:], n)
	q.usedIdx++
	q.publish()
}

// CompleteRaw writes an arbitrary used element and index, for tests of how a
// driver copes with a misbehaving device.
func (q *Queue) CompleteRaw(slot uint16, id, n uint32, usedIdx uint16) {
	e := q.used[4+8*int(slot%q.size):]
	binary.LittleEndian.PutUint32(e, id)
	binary.LittleEndian.PutUint32(e[4:], n)
	q.usedIdx = usedIdx
	q.publish()
}

func (q *Queue) publish() {
	shm.Store32(q.used, 0, uint32(q.usedIdx)<<16|uint32(q.usedFlags))
}

// SuppressNotifications sets or clears VIRTQ_USED_F_NO_NOTIFY (§2.7.10),
// which the driver honours when EVENT_IDX was not negotiated.
func (q *Queue) SuppressNotifications(on bool) {
	q.usedFlags = 0
	if on {
		q.usedFlags = 1
	}
	q.publish()
}

// SetAvailEvent writes avail_event (§2.7.10): with EVENT_IDX the driver
// notifies only when avail.idx moves past it.
func (q *Queue) SetAvailEvent(v uint16) {
	shm.Store32(q.used, 4+8*int(q.size), uint32(v))
}

// WantsInterrupt reports whether the driver asked to be interrupted for the
// entries completed since the last call: VIRTQ_AVAIL_F_NO_INTERRUPT clear, or
// with EVENT_IDX, used.idx having crossed used_event (§2.7.7, §2.7.10).
func (q *Queue) WantsInterrupt() bool {
	old := q.signalled
	q.signalled = q.usedIdx
	if old == q.usedIdx {
		return false
	}
	if q.eventIdx {
		event := uint16(shm.Load32(q.avail, 4+2*int(q.size)))
		return q.usedIdx-event-1 < q.usedIdx-old
	}
	return shm.Load32(q.avail, 0)&1 == 0
}
