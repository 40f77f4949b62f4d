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

// blockRetry puts the running thread to sleep until the object (kind, obj)
// changes, then re-executes its system call: the saved rip is moved back over
// the 2-byte SYSCALL instruction and rax restored to the call number, as
// Linux restarts an interrupted call. A signal ends the wait with EINTR
// instead (interrupt).
func blockRetry(kind fdKind, obj int32, nr uint64) uint64 {
	t := &threads[cur]
	t.ctx.rip -= 2
	t.ctx.rax = nr
	t.waitObjKind = kind
	t.waitObj = obj
	block(waitRetry, 0, 0)
	return noReturn
}

// wakeRetry restarts every thread waiting on (kind, obj).
func wakeRetry(kind fdKind, obj int32) {
	for i := 1; i < maxThreads; i++ {
		t := &threads[i]
		if t.state == tsBlocked && t.wait == waitRetry && t.waitObjKind == kind && t.waitObj == obj {
			t.state = tsRunnable
			t.wait = waitNone
			needResched = true
		}
	}
}

// wake makes thread i runnable with ret as its syscall's result.
func wake(i int, ret uint64) {
	needResched = true
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

var (
	needResched bool  // a thread became runnable: reschedule at the next kernel exit
	sliceEnd    int64 // when the running thread's time slice ends
	timerAt     int64 // when the armed timer fires; 0 if it is not armed
)

// fastReturn reports whether a system call can return straight to its
// caller: it did not block, woke no one and has no signal to take. Most
// calls do, and skip the scheduler altogether.
func fastReturn() bool {
	t := &threads[cur]
	return t.state == tsRunnable && !needResched && (t.sigPending|procPending)&^t.sigMask == 0
}

// schedule picks the thread to run next (round robin), delivers its pending
// signals, and arms the timer for the earlier of the slice end and the next
// wait deadline.
func schedule() {
	needResched = false
	now := nanotime()
	checkDeadlines(now)
	next := idleTID
	for k := 1; k <= maxThreads; k++ {
		i := (cur + k) % maxThreads
		if i != idleTID && threads[i].state == tsRunnable {
			next = i
			break
		}
	}
	if next != cur || sliceEnd <= now {
		sliceEnd = now + timeSlice
	}
	if next != cur {
		nSwitches++
	}
	setCur(next)
	if next != idleTID {
		deliverSignals(next) // a fatal signal powers off and never returns
	}
	deadline := sliceEnd
	for i := 1; i < maxThreads; i++ {
		t := &threads[i]
		if t.state == tsBlocked && t.deadline != 0 && t.deadline < deadline {
			deadline = t.deadline
		}
	}
	if timerAt == 0 || timerAt <= now || deadline < timerAt {
		armTimer(deadline - now)
		timerAt = deadline
	}
}

// unblockCurrent cancels a block the running thread's call started (a
// vectored transfer that already moved data returns that instead).
func unblockCurrent() {
	t := &threads[cur]
	if t.wait == waitRetry {
		t.ctx.rip += 2
	}
	t.state = tsRunnable
	t.wait = waitNone
	t.deadline = 0
}
