package kernel

// Waiting: a system call that cannot complete parks the calling thread with
// what it waits for and an optional deadline, and the code that changes the
// object wakes it. The platform decides what parking means: the VM's
// scheduler runs another thread (sched.go); the sandbox waits on a host
// futex (sandbox_wait.go).

// needResched is set when a thread became runnable: the VM reschedules at the
// next kernel exit, the sandbox wakes its waiting threads.
var needResched bool

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
// Linux restarts an interrupted call. A signal ends the wait: the call runs
// again after a handler with SA_RESTART, or fails with EINTR (interrupt).
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
	for i := 1; i < threadHi; i++ {
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
	for i := 1; i < threadHi; i++ {
		t := &threads[i]
		if t.state == tsBlocked && t.deadline != 0 && t.deadline <= now {
			wake(i, t.timeoutRet)
		}
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
