// Package tsc measures the host's time-stamp counter frequency.
//
// It runs on the host only. Under QEMU's TCG the guest's RDTSC returns the
// host's TSC (target/i386 helper_rdtsc reads cpu_get_host_ticks), and
// calibrating it inside the guest against emulated timers is both slow and
// unreliable, so gobi measures the rate here and passes it to the kernel as
// gobi.tsc_khz (docs/hostabi.md).
package tsc

import (
	"errors"
	"time"
)

// ErrUnsupported means this host has no TSC gobi knows how to read.
var ErrUnsupported = errors.New("measuring the TSC is supported on amd64 hosts only")

// window is how long FrequencyKHz measures. The error of one sample is the
// time a clock read takes (about a microsecond), so 20 ms gives about 50 ppm.
const window = 20 * time.Millisecond

// FrequencyKHz returns the host's TSC frequency in kHz, measured against
// CLOCK_MONOTONIC_RAW (which, unlike CLOCK_MONOTONIC, NTP does not slew)
// over a short window.
func FrequencyKHz() (uint64, error) {
	tsc0, ns0, err := sample()
	if err != nil {
		return 0, err
	}
	time.Sleep(window)
	tsc1, ns1, err := sample()
	if err != nil {
		return 0, err
	}
	if ns1 <= ns0 || tsc1 <= tsc0 {
		return 0, errors.New("measuring the TSC: the counter or the clock did not advance")
	}
	return (tsc1 - tsc0) * 1e6 / (ns1 - ns0), nil
}

// sample pairs a TSC value with a CLOCK_MONOTONIC_RAW reading: of a few
// tries, the one where the two TSC reads around the clock read are closest,
// taking the midpoint.
func sample() (tsc, ns uint64, err error) {
	best := ^uint64(0)
	for range 5 {
		a := rdtsc()
		t, err := monotonicRawNS()
		if err != nil {
			return 0, 0, err
		}
		b := rdtsc()
		if b-a < best {
			best, tsc, ns = b-a, a+(b-a)/2, t
		}
	}
	return tsc, ns, nil
}
