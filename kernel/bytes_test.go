package kernel

import (
	"fmt"
	"strconv"
	"testing"
)

// TestNumberFormats: the kernel's own decimal and hex formatters, which its
// messages, /proc files and socket names use.
func TestNumberFormats(t *testing.T) {
	for _, v := range []uint64{0, 7, 10, 1234567890, ^uint64(0)} {
		var b [20]byte
		if got, want := string(b[:putDec(b[:], v)]), strconv.FormatUint(v, 10); got != want {
			t.Errorf("putDec(%d) = %q, want %q", v, got, want)
		}
		var h [16]byte
		if got, want := string(h[:putHex(h[:], v, 4)]), fmt.Sprintf("%04x", v); got != want {
			t.Errorf("putHex(%d, 4) = %q, want %q", v, got, want)
		}
	}
}
