//go:build linux && amd64

package tsc

import (
	"fmt"
	"syscall"
	"unsafe"
)

const clockMonotonicRaw = 4 // CLOCK_MONOTONIC_RAW, linux/time.h

// monotonicRawNS reads CLOCK_MONOTONIC_RAW in nanoseconds. The syscall
// package has no clock_gettime wrapper, hence the raw call.
func monotonicRawNS() (uint64, error) {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonicRaw, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, fmt.Errorf("clock_gettime(CLOCK_MONOTONIC_RAW): %w", e)
	}
	return uint64(ts.Sec)*1e9 + uint64(ts.Nsec), nil
}
