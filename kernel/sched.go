package kernel

// The scheduler: round robin over runnable threads with a 10 ms slice, driven
// by the local APIC timer in one-shot mode, armed for the earlier of the slice
// end and the nearest wait deadline. A single vCPU for now; the run state is
// per thread, so more CPUs need only a per-CPU cur and a lock around it.

const timeSlice = 10_000_000 // ns

// block puts the running thread to sleep; ret is what its syscall returns if
// deadline (monotonic ns, 0 = none) passes first.
func block(kind waitKind, deadline int64, ret uint64) {
	t := &threads[cur]
	t.state = tsBlocked
	t.wait = kind
	t.deadline = deadline
	t.timeoutRet = ret
}

// wake makes thread i runnable with ret as its syscall's result.
func wake(i int, ret uint64) {
	t := &threads[i]
	t.state = tsRunnable
	t.wait = waitNone
	t.deadline = 0
	t.ctx.rax = ret
}

// checkDeadlines wakes threads whose wait has timed out.
func checkDeadlines(now int64) {
	for i := 1; i < maxThreads; i++ {
		t := &threads[i]
		if t.state == tsBlocked && t.deadline != 0 && t.deadline <= now {
			wake(i, t.timeoutRet)
		}
	}
}

// schedule picks the thread to run next, delivers its pending signals, and
// arms the timer.
func schedule() {
	now := nanotime()
	checkDeadlines(now)
	pollConsole()
	next := idleTID
	for k := 1; k <= maxThreads; k++ {
		i := (cur + k) % maxThreads
		if i != idleTID && threads[i].state == tsRunnable {
			next = i
			break
		}
	}
	setCur(next)
	if next != idleTID {
		deliverSignals(next)
		if threads[next].state != tsRunnable { // a fatal signal ended it
			schedule()
			return
		}
	}
	deadline := now + timeSlice
	for i := 1; i < maxThreads; i++ {
		t := &threads[i]
		if t.state == tsBlocked && t.deadline != 0 && t.deadline < deadline {
			deadline = t.deadline
		}
	}
	armTimer(deadline - now)
}
