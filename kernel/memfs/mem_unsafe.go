package memfs

import "unsafe"

// This file holds every use of unsafe: turning the allocator's page
// addresses and the bundle's string into byte slices, and keeping the
// functions given to Init as plain addresses. A func value is a pointer to a
// funcval; storing it in a global would need a write barrier, which the
// kernel's syscall context cannot run. Top-level functions' funcvals live in
// read-only data, so their addresses stay valid without the GC's help.

// funcAddr returns the address of the funcval *f refers to.
func funcAddr[F any](f *F) uintptr {
	return *(*uintptr)(unsafe.Pointer(f))
}

// allocPage returns a zeroed page from the allocator, or 0.
func allocPage() uintptr {
	alloc := *(*func() uintptr)(unsafe.Pointer(&fs.allocFn))
	p := alloc()
	if p != 0 {
		clear(bytesAt(p, int(fs.pageSize)))
	}
	return p
}

// freePage returns page p to the allocator.
func freePage(p uintptr) {
	free := *(*func(uintptr))(unsafe.Pointer(&fs.freeFn))
	free(p)
}

// now returns the time from the clock given to Init.
func now() int64 {
	clock := *(*func() int64)(unsafe.Pointer(&fs.nowFn))
	return clock()
}

// bytesAt returns the n bytes at addr, memory that is not the Go heap's to
// manage (an allocator page or the image's rodata).
func bytesAt(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), n)
}

// wordAt returns the i'th uintptr slot of the index page at addr.
func wordAt(addr uintptr, i int64) *uintptr {
	return (*uintptr)(unsafe.Add(*(*unsafe.Pointer)(unsafe.Pointer(&addr)), i*8))
}

// stringAddr returns the address of s's bytes (valid while s is reachable;
// the bundle and the initial files are in the image's rodata).
func stringAddr(s string) uintptr {
	return uintptr(unsafe.Pointer(unsafe.StringData(s)))
}

// stringAt returns the n bytes at addr as a string, without copying.
func stringAt(addr uintptr, n int) string {
	if n == 0 {
		return ""
	}
	return unsafe.String((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), n)
}

// bytesString views b as a string, without copying; b must not change
// while the string is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// bytesOf views s as a byte slice that must not be written.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
