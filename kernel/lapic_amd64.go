//go:build !gobisandbox

package kernel

// Local APIC timer in one-shot mode (Intel SDM vol. 3 §11.5.4), at its
// default physical address. Its tick rate is measured against the TSC at boot.

const (
	lapicBase     = 0xfee00000
	lapicEOIReg   = 0x0b0
	lapicSVR      = 0x0f0
	lapicLVTTimer = 0x320
	lapicInitial  = 0x380
	lapicCurrent  = 0x390
	lapicDivide   = 0x3e0
)

var lapicPerMs uint64 // timer ticks per millisecond

func lapicWrite(reg uintptr, v uint32) { *ptr[uint32](lapicBase + reg) = v }
func lapicRead(reg uintptr) uint32     { return *ptr[uint32](lapicBase + reg) }

func setupTimer() {
	// Mask the legacy PICs (absent on microvm, harmless there).
	outb(0x21, 0xff)
	outb(0xa1, 0xff)
	lapicWrite(lapicSVR, 0x100|vecSpurious)
	lapicWrite(lapicDivide, 0x0b) // divide by 1
	lapicWrite(lapicLVTTimer, 1<<16|vecTimer)
	lapicWrite(lapicInitial, 0xffffffff)
	start := nanotime()
	for nanotime()-start < 2_000_000 {
		pause()
	}
	elapsed := uint64(0xffffffff - lapicRead(lapicCurrent))
	lapicPerMs = elapsed * 1_000_000 / uint64(nanotime()-start)
	if lapicPerMs == 0 {
		fatal("timer: the local APIC timer does not run")
	}
	lapicWrite(lapicInitial, 0)
	lapicWrite(lapicLVTTimer, vecTimer) // one-shot, unmasked
}

// armTimer requests a timer interrupt after ns nanoseconds.
func armTimer(ns int64) {
	if ns < 10_000 {
		ns = 10_000
	}
	ticks := uint64(ns) * lapicPerMs / 1_000_000
	if ticks > 0xffffffff {
		ticks = 0xffffffff
	}
	if ticks == 0 {
		ticks = 1
	}
	lapicWrite(lapicInitial, uint32(ticks))
}

func lapicEOI() { lapicWrite(lapicEOIReg, 0) }
