package virtio_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/gobi-os/gobi/drivers/virtio"
	"github.com/gobi-os/gobi/drivers/virtio/virtiotest"
)

// setup negotiates with a fake MMIO device offering features and returns
// queue 0 of the given size with both sides of it.
func setup(t testing.TB, features uint64, size uint16) (*virtio.Queue, *virtiotest.Queue, *virtiotest.Device, *virtiotest.RAM) {
	t.Helper()
	ram := virtiotest.NewRAM()
	dev := virtiotest.NewDevice(ram, 1, virtio.FeatureVersion1|features, []uint16{size}, nil)
	m, err := virtio.NewMMIO(&virtiotest.MMIO{Dev: dev}, 0)
	if err != nil {
		t.Fatalf("NewMMIO: %v", err)
	}
	d, err := virtio.Negotiate(m, ram, features)
	if err != nil {
		t.Fatalf("Negotiate: %v", err)
	}
	q, err := d.SetupQueue(0, size)
	if err != nil {
		t.Fatalf("SetupQueue: %v", err)
	}
	d.Start()
	dq := dev.Queue(0)
	if dq == nil {
		t.Fatalf("queue 0 not ready on the device; device errors: %v", dev.Errors())
	}
	return q, dq, dev, ram
}

func alloc(t testing.TB, ram *virtiotest.RAM, data []byte) virtio.Region {
	t.Helper()
	r, err := ram.Alloc(len(data), 8)
	if err != nil {
		t.Fatal(err)
	}
	copy(r.Bytes, data)
	return r
}

func TestQueueChain(t *testing.T) {
	q, dq, _, ram := setup(t, 0, 8)
	hdr := alloc(t, ram, []byte("header"))
	body := alloc(t, ram, []byte("body"))
	reply := alloc(t, ram, make([]byte, 16))
	head, err := q.Add([]virtio.Buffer{
		{Addr: hdr.Phys, Len: 6}, {Addr: body.Phys, Len: 4}, {Addr: reply.Phys, Len: 16, Writable: true},
	})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if got := q.Free(); got != 5 {
		t.Errorf("Free() after a 3-descriptor Add = %d, want 5", got)
	}
	if dq.Pending() != 0 {
		t.Errorf("device sees %d chains before Kick, want 0", dq.Pending())
	}
	q.Kick()
	h, chain, ok, err := dq.Next()
	if err != nil || !ok {
		t.Fatalf("device Next() = ok %v, err %v", ok, err)
	}
	if h != head || len(chain) != 3 {
		t.Fatalf("device got head %d with %d buffers, want head %d with 3", h, len(chain), head)
	}
	if string(chain[0].Data) != "header" || string(chain[1].Data) != "body" || !chain[2].Writable || chain[0].Writable {
		t.Fatalf("device read chain %q %q (writable %v %v %v)", chain[0].Data, chain[1].Data, chain[0].Writable, chain[1].Writable, chain[2].Writable)
	}
	n := copy(chain[2].Data, "done")
	dq.Complete(h, uint32(n))
	u, ok, err := q.Pop()
	if err != nil || !ok || u.Head != head || u.Len != 4 {
		t.Fatalf("Pop() = %+v, %v, %v; want head %d len 4", u, ok, err, head)
	}
	if !bytes.Equal(reply.Bytes[:u.Len], []byte("done")) {
		t.Errorf("reply buffer = %q, want %q", reply.Bytes[:u.Len], "done")
	}
	if got := q.Free(); got != 8 {
		t.Errorf("Free() after Pop = %d, want 8", got)
	}
	if _, ok, _ := q.Pop(); ok {
		t.Error("second Pop() found an entry, want none")
	}
}

func TestQueueRejectsBadChains(t *testing.T) {
	q, _, _, ram := setup(t, 0, 4)
	b := alloc(t, ram, make([]byte, 8))
	for name, bufs := range map[string][]virtio.Buffer{
		"empty chain":             nil,
		"empty buffer":            {{Addr: b.Phys, Len: 0}},
		"readable after writable": {{Addr: b.Phys, Len: 4, Writable: true}, {Addr: b.Phys, Len: 4}},
	} {
		if _, err := q.Add(bufs); err == nil {
			t.Errorf("Add(%s) succeeded, want an error", name)
		}
	}
	five := make([]virtio.Buffer, 5)
	for i := range five {
		five[i] = virtio.Buffer{Addr: b.Phys, Len: 1}
	}
	if _, err := q.Add(five); !errors.Is(err, virtio.ErrQueueFull) {
		t.Errorf("Add(5 buffers) on a 4-entry queue = %v, want ErrQueueFull", err)
	}
	if got := q.Free(); got != 4 {
		t.Errorf("Free() after failed Adds = %d, want 4 (nothing lost)", got)
	}
}

// TestQueueWraparound runs more than 2^16 chains through a small queue, so
// both free-running 16-bit indices wrap, completing out of order.
func TestQueueWraparound(t *testing.T) {
	for _, eventIdx := range []bool{false, true} {
		t.Run(fmt.Sprintf("event_idx=%v", eventIdx), func(t *testing.T) {
			var f uint64
			if eventIdx {
				f = virtio.FeatureEventIdx
			}
			q, dq, _, ram := setup(t, f, 4)
			bufs := make([]virtio.Region, 4)
			for i := range bufs {
				bufs[i] = alloc(t, ram, make([]byte, 8))
			}
			owner := map[uint16]int{} // head -> buffer index
			seq := 0
			for round := 0; round < 35000; round++ {
				// Fill three chains, then complete them in reverse.
				var heads []uint16
				for k := range 3 {
					i := (round + k) % 4
					bufs[i].Bytes[0] = byte(seq)
					h, err := q.Add([]virtio.Buffer{{Addr: bufs[i].Phys, Len: 1}, {Addr: bufs[i].Phys + 4, Len: 4, Writable: true}})
					if errors.Is(err, virtio.ErrQueueFull) {
						break // 4 descriptors hold 2 two-buffer chains
					}
					if err != nil {
						t.Fatalf("round %d: Add: %v", round, err)
					}
					owner[h] = i
					heads = append(heads, h)
					seq++
				}
				q.Kick()
				type got struct {
					h uint16
					v byte
				}
				var taken []got
				for {
					h, chain, ok, err := dq.Next()
					if err != nil {
						t.Fatalf("round %d: device Next: %v", round, err)
					}
					if !ok {
						break
					}
					chain[1].Data[0] = chain[0].Data[0] + 1
					taken = append(taken, got{h, chain[0].Data[0]})
				}
				if len(taken) != len(heads) {
					t.Fatalf("round %d: device took %d chains, driver added %d", round, len(taken), len(heads))
				}
				for i := len(taken) - 1; i >= 0; i-- {
					dq.Complete(taken[i].h, 1)
				}
				for range taken {
					u, ok, err := q.Pop()
					if err != nil || !ok {
						t.Fatalf("round %d: Pop() = %v, %v", round, ok, err)
					}
					b := bufs[owner[u.Head]].Bytes
					if b[4] != b[0]+1 {
						t.Fatalf("round %d: head %d reply %d for request %d", round, u.Head, b[4], b[0])
					}
				}
				if q.Free() != 4 {
					t.Fatalf("round %d: Free() = %d, want 4", round, q.Free())
				}
			}
			if seq < 1<<16 {
				t.Fatalf("only %d chains went through, want > 65536 to wrap the indices", seq)
			}
		})
	}
}
