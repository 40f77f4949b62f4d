//go:build !(linux && amd64)

package tsc

func rdtsc() uint64 { return 0 }

func monotonicRawNS() (uint64, error) { return 0, ErrUnsupported }
