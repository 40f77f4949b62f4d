package kernel

import "unsafe"

// Little-endian field access for ABI structures, without encoding/binary
// (the kernel imports nothing but unsafe: see doc.go).

func put16(b []byte, v uint16) {
	_ = b[1]
	b[0] = byte(v)
	b[1] = byte(v >> 8)
}

func put32(b []byte, v uint32) {
	_ = b[3]
	b[0] = byte(v)
	b[1] = byte(v >> 8)
	b[2] = byte(v >> 16)
	b[3] = byte(v >> 24)
}

func put64(b []byte, v uint64) {
	put32(b, uint32(v))
	put32(b[4:], uint32(v>>32))
}

func get16(b []byte) uint16 {
	_ = b[1]
	return uint16(b[0]) | uint16(b[1])<<8
}

func get32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func get64(b []byte) uint64 { return uint64(get32(b)) | uint64(get32(b[4:]))<<32 }

// unsafeString views b as a string without copying; b must stay unchanged.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// ptr converts an address for kernel access. In the VM, physical memory is
// identity mapped, so a physical address works as well as a user virtual one.
func ptr[T any](addr uintptr) *T { return *(**T)(unsafe.Pointer(&addr)) }

// bytesAt returns the n bytes at addr as a slice (never retained in globals).
func bytesAt(addr uintptr, n int) []byte { return unsafe.Slice(ptr[byte](addr), n) }

// putDec writes v in decimal and returns the length; b must hold 20 bytes.
func putDec(b []byte, v uint64) int {
	n := 1
	for t := v / 10; t != 0; t /= 10 {
		n++
	}
	for i := n - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return n
}

// putHex writes v in lower-case hex, at least digits wide, and returns the
// length.
func putHex(b []byte, v uint64, digits int) int {
	n := 1
	for t := v >> 4; t != 0; t >>= 4 {
		n++
	}
	n = max(n, digits)
	for i := n - 1; i >= 0; i-- {
		b[i] = "0123456789abcdef"[v&15]
		v >>= 4
	}
	return n
}
