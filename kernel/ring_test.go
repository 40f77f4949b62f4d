package kernel

import (
	"bytes"
	"math/rand"
	"testing"
	"unsafe"
)

// TestRing streams bytes through a socket ring in random-sized writes and
// reads, filling and wrapping it many times, and checks every byte.
func TestRing(t *testing.T) {
	var pages [ringPages][pageSize]byte
	var r ring
	for i := range r.pages {
		r.pages[i] = uintptr(unsafe.Pointer(&pages[i]))
	}
	rng := rand.New(rand.NewSource(1))
	src := make([]byte, 1<<20)
	rng.Read(src)
	var out bytes.Buffer
	in := 0
	buf := make([]byte, 3*pageSize)
	for out.Len() < len(src) {
		if in < len(src) {
			n := min(rng.Intn(3*pageSize)+1, len(src)-in)
			w := r.write(src[in : in+n])
			if w > n || r.n > ringSize {
				t.Fatalf("write(%d) = %d, ring holds %d of %d", n, w, r.n, ringSize)
			}
			in += w
		}
		n := rng.Intn(len(buf)) + 1
		if rng.Intn(4) == 0 { // a peek must not consume
			before := r.n
			r.read(buf[:n], 0, true)
			if r.n != before {
				t.Fatalf("peek consumed %d bytes", before-r.n)
			}
		}
		got := r.read(buf[:n], 0, false)
		out.Write(buf[:got])
	}
	if !bytes.Equal(out.Bytes(), src) {
		t.Fatalf("%d bytes through the ring came out different", len(src))
	}
}
