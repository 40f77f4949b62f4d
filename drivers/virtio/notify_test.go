package virtio_test

import (
	"errors"
	"testing"

	"github.com/gobi-os/gobi/drivers/virtio"
	"github.com/gobi-os/gobi/drivers/virtio/virtiotest"
)

// addKick adds one single-buffer chain and kicks.
func addKick(t *testing.T, q *virtio.Queue, r virtio.Region) uint16 {
	t.Helper()
	h, err := q.Add([]virtio.Buffer{{Addr: r.Phys, Len: uint32(len(r.Bytes)), Writable: true}})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	q.Kick()
	return h
}

func drain(t *testing.T, dq *virtiotest.Queue) {
	t.Helper()
	for {
		h, _, ok, err := dq.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
		dq.Complete(h, 0)
	}
}

func popAll(t *testing.T, q *virtio.Queue) {
	t.Helper()
	for {
		_, ok, err := q.Pop()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
	}
}

// TestNotifySuppressionFlag checks VIRTQ_USED_F_NO_NOTIFY (§2.7.10).
func TestNotifySuppressionFlag(t *testing.T) {
	q, dq, dev, ram := setup(t, 0, 8)
	b := alloc(t, ram, make([]byte, 4))
	addKick(t, q, b)
	if got := dev.Notifies(0); got != 1 {
		t.Fatalf("notifications after one Kick = %d, want 1", got)
	}
	q.Kick() // nothing new: no notification
	if got := dev.Notifies(0); got != 1 {
		t.Fatalf("notifications after an empty Kick = %d, want 1", got)
	}
	dq.SuppressNotifications(true)
	addKick(t, q, b)
	if got := dev.Notifies(0); got != 1 {
		t.Errorf("notifications with NO_NOTIFY set = %d, want 1", got)
	}
	dq.SuppressNotifications(false)
	addKick(t, q, b)
	if got := dev.Notifies(0); got != 2 {
		t.Errorf("notifications after NO_NOTIFY cleared = %d, want 2", got)
	}
	if dq.Pending() != 3 {
		t.Errorf("device sees %d chains, want 3 (suppression must not hide buffers)", dq.Pending())
	}
}

// TestNotifyEventIdx checks that with VIRTIO_F_EVENT_IDX the driver notifies
// exactly when avail.idx crosses avail_event (§2.7.10).
func TestNotifyEventIdx(t *testing.T) {
	q, dq, dev, ram := setup(t, virtio.FeatureEventIdx, 16)
	b := alloc(t, ram, make([]byte, 4))
	dq.SetAvailEvent(2) // "notify me when entry 2 is made available"
	want := []int{0, 0, 1, 1}
	for i, w := range want {
		addKick(t, q, b)
		if got := dev.Notifies(0); got != w {
			t.Errorf("after chain %d: %d notifications, want %d", i, got, w)
		}
	}
	// Taking entries moves avail_event to the next unread one, so the next
	// Kick notifies again.
	drain(t, dq)
	addKick(t, q, b)
	if got := dev.Notifies(0); got != 2 {
		t.Errorf("after the device caught up: %d notifications, want 2", got)
	}
	// A batch of three Adds with one Kick crossing the event: one notification.
	drain(t, dq)
	popAll(t, q)
	for range 3 {
		if _, err := q.Add([]virtio.Buffer{{Addr: b.Phys, Len: 4}}); err != nil {
			t.Fatal(err)
		}
	}
	q.Kick()
	if got := dev.Notifies(0); got != 3 {
		t.Errorf("after a batched Kick: %d notifications, want 3", got)
	}
}

// TestInterruptSuppression checks both interrupt suppression mechanisms and
// the pending-work report of EnableInterrupts.
func TestInterruptSuppression(t *testing.T) {
	for _, f := range []uint64{0, virtio.FeatureEventIdx} {
		q, dq, _, ram := setup(t, f, 8)
		b := alloc(t, ram, make([]byte, 4))
		addKick(t, q, b)
		drain(t, dq)
		if !dq.WantsInterrupt() {
			t.Errorf("features %#x: no interrupt wanted by default", f)
		}
		popAll(t, q)
		q.DisableInterrupts()
		addKick(t, q, b)
		drain(t, dq)
		if dq.WantsInterrupt() {
			t.Errorf("features %#x: interrupt wanted while disabled", f)
		}
		if !q.EnableInterrupts() {
			t.Errorf("features %#x: EnableInterrupts() = false with a used entry pending", f)
		}
		popAll(t, q)
		if q.EnableInterrupts() {
			t.Errorf("features %#x: EnableInterrupts() = true with nothing pending", f)
		}
		addKick(t, q, b)
		drain(t, dq)
		if !dq.WantsInterrupt() {
			t.Errorf("features %#x: no interrupt wanted after re-enabling", f)
		}
	}
}

// TestBrokenDevice feeds the driver used entries no honest device writes.
func TestBrokenDevice(t *testing.T) {
	tests := []struct {
		name    string
		id, n   uint32
		usedIdx uint16
		wantErr bool
		wantLen uint32
	}{
		{"index too far ahead", 0, 4, 9, true, 0},
		{"id out of range", 8, 4, 1, true, 0},
		{"id never made available", 3, 4, 1, true, 0},
		{"len larger than the buffer", 0, 1 << 30, 1, false, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, dq, _, ram := setup(t, 0, 8)
			b := alloc(t, ram, make([]byte, 16))
			h := addKick(t, q, b)
			if h != 0 {
				t.Fatalf("first head = %d, want 0", h)
			}
			dq.CompleteRaw(0, tt.id, tt.n, tt.usedIdx)
			u, ok, err := q.Pop()
			if tt.wantErr {
				if !errors.Is(err, virtio.ErrDeviceBroken) {
					t.Fatalf("Pop() = %+v, %v, %v; want ErrDeviceBroken", u, ok, err)
				}
				return
			}
			if err != nil || !ok || u.Len != tt.wantLen {
				t.Fatalf("Pop() = %+v, %v, %v; want len %d", u, ok, err, tt.wantLen)
			}
		})
	}
}

// FuzzUsedRing lets the fuzzer play a hostile device writing arbitrary used
// entries: Pop must never panic, never return a head it did not hand out,
// never report more bytes than the chain holds, and never lose descriptors.
func FuzzUsedRing(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 4, 0, 0, 0, 1, 0})
	f.Add([]byte{7, 0, 0, 0, 255, 255, 255, 255, 200, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		q, dq, _, ram := setup(t, 0, 8)
		b := alloc(t, ram, make([]byte, 16))
		out := map[uint16]bool{}
		for range 4 {
			out[addKick(t, q, b)] = true
		}
		for len(data) >= 10 {
			id := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
			n := uint32(data[4]) | uint32(data[5])<<8 | uint32(data[6])<<16 | uint32(data[7])<<24
			idx := uint16(data[8]) | uint16(data[9])<<8
			data = data[10:]
			dq.CompleteRaw(idx-1, id, n, idx)
			u, ok, err := q.Pop()
			if err != nil || !ok {
				continue
			}
			if !out[u.Head] {
				t.Fatalf("Pop returned head %d that was not outstanding", u.Head)
			}
			if u.Len > 16 {
				t.Fatalf("Pop returned len %d for a 16-byte buffer", u.Len)
			}
			delete(out, u.Head)
		}
		if got, want := q.Free(), 8-len(out); got != want {
			t.Fatalf("Free() = %d, want %d (outstanding %d)", got, want, len(out))
		}
	})
}
