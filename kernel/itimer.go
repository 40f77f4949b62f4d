//go:build !gobisandbox

package kernel

// Interval timers (setitimer(2), getitimer(2), alarm(2)). ITIMER_REAL counts
// wall-clock time and sends SIGALRM to the process. ITIMER_PROF counts the
// CPU time the program's threads use, the kernel's time on their behalf
// included, and sends SIGPROF to the thread that was running when it ran
// out: Go's CPU profiler (runtime/pprof) samples on it, since this kernel
// does not offer timer_create and the runtime falls back to setitimer.
// ITIMER_VIRTUAL counts the same CPU time (this kernel does not split user
// from kernel time) and sends SIGVTALRM.
//
// The scheduler charges the time since its last call to the thread that
// ran (account) and arms the APIC timer no later than the next expiry
// (itimerDeadline), so a CPU-bound thread is interrupted on time.

const (
	itimerReal    = 0
	itimerVirtual = 1
	itimerProf    = 2

	sigALRM   = 14
	sigVTALRM = 26
	sigPROF   = 27
)

// itimer is one interval timer. A CPU timer's left is the CPU time until it
// expires; the real timer's at is the monotonic time it expires. Zero left
// (or at) means disarmed.
type itimer struct {
	interval int64 // ns; 0: one shot
	left     int64 // CPU timers: ns of CPU time until expiry
	at       int64 // the real timer: expiry, monotonic ns
}

// cpuTimers are the timers that count CPU time, and their signals.
var cpuTimers = [...]struct{ which, sig int }{{itimerVirtual, sigVTALRM}, {itimerProf, sigPROF}}

var (
	itimers     [3]itimer
	lastAccount int64 // when account last charged CPU time
)

// account charges the CPU time since the last call to thread i, which was
// running, and queues the signals of the CPU timers that ran out; then it
// fires the real timer if it is due.
func account(i int, now int64) {
	used := now - lastAccount
	lastAccount = now
	if i != idleTID && threads[i].state != tsFree && used > 0 { // not a thread that just exited
		for _, c := range cpuTimers {
			t := &itimers[c.which]
			if t.left == 0 {
				continue
			}
			if t.left -= used; t.left <= 0 {
				t.left = t.interval // 0 disarms a one-shot timer
				sendThread(i, c.sig, sigInfoLite{code: siKernel})
			}
		}
	}
	if r := &itimers[itimerReal]; r.at != 0 && r.at <= now {
		r.at = 0
		if r.interval > 0 {
			r.at = now + r.interval
		}
		sendProcess(sigALRM, sigInfoLite{code: siKernel})
	}
}

// itimerDeadline is the latest time the timer interrupt may come for the
// interval timers, given that thread next runs from now; 0 if none is armed.
func itimerDeadline(next int, now int64) int64 {
	var d int64
	earlier := func(t int64) {
		if d == 0 || t < d {
			d = t
		}
	}
	if next != idleTID {
		for _, c := range cpuTimers {
			if l := itimers[c.which].left; l > 0 {
				earlier(now + l)
			}
		}
	}
	if at := itimers[itimerReal].at; at != 0 {
		earlier(at)
	}
	return d
}

// getItimer reports timer which as the time left and the interval.
func getItimer(which int, now int64) (left, interval int64) {
	t := &itimers[which]
	if which == itimerReal {
		if t.at != 0 {
			left = max(t.at-now, 1) // an armed timer never reads as disarmed
		}
	} else {
		left = t.left
	}
	return left, t.interval
}

// setItimer arms (or with a zero value disarms) timer which; the caller
// has charged the CPU time so far (account), so none of it counts against
// the new setting.
func setItimer(which int, value, interval, now int64) {
	t := &itimers[which]
	*t = itimer{}
	if value == 0 {
		return
	}
	t.interval = interval
	if which == itimerReal {
		t.at = now + value
	} else {
		t.left = value
	}
}

// timevalNs reads a struct timeval; ok is false for a bad microsecond
// count.
func timevalNs(tv []byte) (int64, bool) {
	sec, usec := int64(get64(tv)), int64(get64(tv[8:]))
	if sec < 0 || usec < 0 || usec >= 1e6 {
		return 0, false
	}
	return sec*1e9 + usec*1e3, true
}

// putTimeval writes ns as a struct timeval, rounded up to whole
// microseconds, as Linux reports a timer's time left.
func putTimeval(tv []byte, ns int64) {
	us := (ns + 999) / 1e3
	put64(tv, uint64(us/1e6))
	put64(tv[8:], uint64(us%1e6))
}

// sysGetitimer is getitimer(2).
func sysGetitimer(which, val uint64) uint64 {
	if which > itimerProf {
		return errno(eINVAL)
	}
	now := nanotime()
	account(cur, now)
	return putItimer(int(which), val, now)
}

// putItimer writes timer which as a struct itimerval {interval, value}.
func putItimer(which int, val uint64, now int64) uint64 {
	if !userOK(uintptr(val), 32, true) {
		return errno(eFAULT)
	}
	left, interval := getItimer(which, now)
	b := bytesAt(uintptr(val), 32)
	putTimeval(b, interval)
	putTimeval(b[16:], left)
	return 0
}

// sysSetitimer is setitimer(2): new is {interval, value} timevals; a NULL
// new disarms, as Linux allows.
func sysSetitimer(which, new, old uint64) uint64 {
	if which > itimerProf {
		return errno(eINVAL)
	}
	var value, interval int64
	if new != 0 {
		if !userOK(uintptr(new), 32, false) {
			return errno(eFAULT)
		}
		b := bytesAt(uintptr(new), 32)
		var ok1, ok2 bool
		interval, ok1 = timevalNs(b)
		value, ok2 = timevalNs(b[16:])
		if !ok1 || !ok2 {
			return errno(eINVAL)
		}
	}
	now := nanotime()
	account(cur, now)
	if old != 0 {
		if r := putItimer(int(which), old, now); r != 0 {
			return r
		}
	}
	setItimer(int(which), value, interval, now)
	return 0
}

// sysAlarm is alarm(2): the real timer, one shot, in seconds; it returns
// the seconds that were left, rounded up.
func sysAlarm(secs uint64) uint64 {
	now := nanotime()
	left, _ := getItimer(itimerReal, now)
	setItimer(itimerReal, int64(uint32(secs))*1e9, 0, now)
	return uint64((left + 1e9 - 1) / 1e9)
}
