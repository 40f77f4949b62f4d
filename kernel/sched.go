//go:build !gobisandbox

package kernel

import "unsafe"

// The scheduler: round robin over runnable threads with a 10 ms slice, driven
// by the local APIC timer in one-shot mode, armed for the earlier of the slice
// end and the nearest wait deadline. A single vCPU for now; the run state is
// per thread, so more CPUs need only a per-CPU cur and a lock around it.

const timeSlice = 10_000_000 // ns

var (
	sliceEnd int64 // when the running thread's time slice ends
	timerAt  int64 // when the armed timer fires; 0 if it is not armed
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
	account(cur, now) // interval timers (itimer.go)
	checkDeadlines(now)
	next := idleTID
	for k := 1; k <= threadHi; k++ {
		i := (cur + k) % threadHi
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
	if d := itimerDeadline(next, now); d != 0 && d < deadline {
		deadline = d
	}
	for i := 1; i < threadHi; i++ {
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

// setupThreads creates the idle thread.
func setupThreads() {
	base := (uintptr(unsafe.Pointer(&fpAreas)) + 63) &^ 63
	for i := range threads {
		threads[i].ctx.fpaddr = uint64(base + uintptr(i)*fpAreaSize)
	}
	t := &threads[idleTID]
	t.state = tsRunnable
	t.ctx.rip = uint64(idleAddr())
	t.ctx.rsp = uint64(uintptr(unsafe.Pointer(&idleStack)) + uintptr(len(idleStack)))
	initCPUState(t)
	nextTID = pid
}

// initCPUState gives a fresh thread kernel segments, interrupts enabled and
// the FPU's initial state (x87 control word 0x37f, MXCSR 0x1f80: all
// exceptions masked, as Linux starts a process; Intel SDM vol. 1 §10.5.1).
func initCPUState(t *thread) {
	t.ctx.cs = selKCode
	t.ctx.ss = selKData
	t.ctx.rflags = 0x202
	fp := bytesAt(uintptr(t.ctx.fpaddr), fpAreaSize)
	clear(fp)
	put16(fp[0:], 0x37f)
	put32(fp[24:], 0x1f80)
	put32(fp[28:], 0xffff) // MXCSR_MASK
}

// newThread returns a free thread slot with a fresh thread ID, or -1.
func newThread() int {
	for i := 1; i < maxThreads; i++ {
		if threads[i].state == tsFree {
			t := &threads[i]
			fp := t.ctx.fpaddr
			*t = thread{}
			t.ctx.fpaddr = fp
			t.tid = nextTID
			nextTID++
			t.epollFD = -1
			nLive++
			threadHi = max(threadHi, i+1)
			return i
		}
	}
	return -1
}

// exitThread frees the running thread's slot and schedules another.
func exitThread(i int) {
	t := &threads[i]
	if t.clearTID != 0 && userOK(t.clearTID, 4, true) {
		*ptr[uint32](t.clearTID) = 0
		futexWake(t.clearTID, 1)
	}
	t.state = tsFree
	nLive--
	if nLive == 0 {
		exitProgram(0)
	}
}

func threadByTID(tid int32) int {
	for i := 1; i < threadHi; i++ {
		if threads[i].state != tsFree && threads[i].tid == tid {
			return i
		}
	}
	return -1
}

func setCur(i int) {
	cur = i
	curCtx = uintptr(unsafe.Pointer(&threads[i].ctx))
}
