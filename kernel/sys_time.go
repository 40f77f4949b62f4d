//go:build !gobisandbox

package kernel

// Time: clock_gettime and friends, nanosleep. There is no vDSO, so the
// runtime's every time read arrives here.

const (
	clockRealtime        = 0
	clockMonotonic       = 1
	clockProcessCPUTime  = 2
	clockThreadCPUTime   = 3
	clockMonotonicRaw    = 4
	clockRealtimeCoarse  = 5
	clockMonotonicCoarse = 6
	clockBoottime        = 7
	timerAbstime         = 1
)

func clockNow(id uint64) (int64, bool) {
	switch id {
	case clockRealtime, clockRealtimeCoarse:
		return walltime(), true
	case clockMonotonic, clockMonotonicRaw, clockMonotonicCoarse, clockBoottime,
		clockProcessCPUTime, clockThreadCPUTime:
		return nanotime(), true
	}
	return 0, false
}

func putTimespec(addr uint64, ns int64) bool {
	if !userOK(uintptr(addr), 16, true) {
		return false
	}
	ts := ptr[[2]int64](uintptr(addr))
	ts[0], ts[1] = ns/1e9, ns%1e9
	return true
}

func getTimespec(addr uint64) (int64, bool) {
	if !userOK(uintptr(addr), 16, false) {
		return 0, false
	}
	ts := ptr[[2]int64](uintptr(addr))
	if ts[0] < 0 || ts[1] < 0 || ts[1] >= 1e9 {
		return -1, true
	}
	return ts[0]*1e9 + ts[1], true
}

var clockCalls [8]uint64

func sysClockGettime(id, tp uint64) uint64 {
	if id < 8 {
		clockCalls[id]++
	}
	ns, ok := clockNow(id)
	if !ok {
		return errno(eINVAL)
	}
	if !putTimespec(tp, ns) {
		return errno(eFAULT)
	}
	return 0
}

// clockResolution is clock id's resolution for clock_getres(2): every
// clock the kernel keeps reads the TSC, to the nanosecond.
func clockResolution(id uint64) (int64, bool) {
	_, ok := clockNow(id)
	return 1, ok
}

func sysNanosleep(i int, req, rem uint64) uint64 {
	return sysClockNanosleep(i, clockMonotonic, 0, req, rem)
}

func sysClockNanosleep(i int, id, flags, req, rem uint64) uint64 {
	d, ok := getTimespec(req)
	if !ok {
		return errno(eFAULT)
	}
	if d < 0 {
		return errno(eINVAL)
	}
	now, ok := clockNow(id)
	if !ok {
		return errno(eINVAL)
	}
	deadline := nanotime() + d
	if flags&timerAbstime != 0 {
		deadline = nanotime() + (d - now)
	}
	if deadline <= nanotime() {
		return 0
	}
	if deadline == 0 {
		deadline = 1
	}
	block(waitSleep, deadline, 0)
	return noReturn
}
