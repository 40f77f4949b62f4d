//go:build gobisandbox

package kernel

import "unsafe"

// Trapped system calls. The filter answers SECCOMP_RET_TRAP for every call
// the kernel serves itself; the host then delivers SIGSYS with the call's
// registers in the ucontext and the call not executed (Documentation/
// userspace-api/seccomp_filter.rst). sigsys (sandbox_amd64.s) runs
// sandboxTrap on one of sbSlots kernel stacks; the result goes into the
// saved rax, which rt_sigreturn hands back to the caller as the call's
// return value.
//
// One big lock keeps the kernel's single-CPU invariants: one thread at a
// time runs kernel code. A call that must wait parks its slot's thread
// record as the VM's scheduler would (wait.go), drops the lock and sleeps on
// its slot's host futex word until a call that made it runnable wakes it,
// or its deadline passes.

const (
	sbSlots    = 64    // must match SB_SLOTS in sandbox_amd64.s
	sbStack    = 65536 // must match SB_STACK
	sysSeccomp = 1     // si_code of a seccomp SIGSYS

	futexWaitPrivate = 128
	futexWakePrivate = 129

	// Offsets in the kernel's signal frame (arch/x86/include/uapi/asm/
	// sigcontext.h, ucontext.h): the registers of struct sigcontext_64
	// after uc_flags, uc_link and uc_stack, then the signal mask.
	ucRDI  = 40 + 8*8
	ucRSI  = 40 + 9*8
	ucRDX  = 40 + 12*8
	ucRAX  = 40 + 13*8
	ucR10  = 40 + 2*8
	ucR8   = 40 + 0*8
	ucR9   = 40 + 1*8
	ucMask = 40 + 256

	siCodeOff    = 8  // siginfo.si_code
	siSyscallOff = 24 // siginfo._sigsys._syscall
)

var (
	slotBusy   [sbSlots]uint32
	slotSavedG [sbSlots]uintptr // the interrupted or calling thread's g
	slotMask   [sbSlots]uint64  // the signal mask of a call that came without a trap, put back after it
	slotG      [sbSlots]fakeG
	slotStacks [sbSlots][sbStack]byte
	slotUC     [sbSlots]uintptr // the trapped call's ucontext; 0 for a call without a trap (sandbox_fast.go)

	kernelLock uint32          // 0 free, 1 held, 2 held with waiters
	slotSeq    [sbSlots]uint32 // bumped to wake the slot's parked thread
	parked     [sbSlots]bool   // the slot's thread sleeps on slotSeq

	sigsysAction [4]uint64 // what the program asked rt_sigaction for SIGSYS
)

// setupSlots gives each slot's stand-in g the bounds of its stack.
func setupSlots() {
	for s := range slotG {
		lo := uintptr(unsafe.Pointer(&slotStacks[s]))
		g := &slotG[s]
		g.stackLo, g.stackHi = lo, lo+sbStack
		g.stackguard0, g.stackguard1 = lo+4096, lo+4096
	}
}

// sandboxTrap serves one trapped call (sigsys).
func sandboxTrap(slot int, info, uc uintptr) {
	if *ptr[int32](info + siCodeOff) != sysSeccomp {
		return // a SIGSYS someone sent: the program's own action is emulated, not run
	}
	nr := uint64(uint32(*ptr[int32](info + siSyscallOff)))
	a := [6]uint64{
		*ptr[uint64](uc + ucRDI), *ptr[uint64](uc + ucRSI), *ptr[uint64](uc + ucRDX),
		*ptr[uint64](uc + ucR10), *ptr[uint64](uc + ucR8), *ptr[uint64](uc + ucR9),
	}
	slotUC[slot] = uc
	*ptr[uint64](uc + ucRAX) = serveCall(slot, nr, &a)
}

// serveCall runs call nr on slot's thread record under the big lock, and
// waits there if the call must.
func serveCall(slot int, nr uint64, a *[6]uint64) uint64 {
	i := slot + 1 // thread 0 is the VM's idle thread; the slots use the rest
	lockKernel()
	threads[i] = thread{state: tsRunnable, epollFD: -1, tid: int32(i)}
	threadHi = max(threadHi, i+1)
	cur = i
	var r uint64
	for {
		r = syscall(i, nr, a)
		if r != noReturn {
			break
		}
		var again bool
		if r, again = waitWoken(i); !again {
			break
		}
		cur = i
	}
	threads[i].state = tsFree
	publish()
	unlockKernel()
	return r
}

// waitWoken sleeps until thread i, parked by the call, is woken. It returns
// the call's result, or again when the call is to be re-run (blockRetry).
func waitWoken(i int) (r uint64, again bool) {
	t := &threads[i]
	retry := t.wait == waitRetry
	for {
		if t.state == tsRunnable {
			if retry {
				return 0, true
			}
			return t.ctx.rax, false
		}
		now := nanotime()
		checkDeadlines(now)
		if t.state == tsRunnable {
			continue
		}
		timeout := int64(-1)
		if t.deadline != 0 {
			timeout = t.deadline - now
		}
		// Stdin has no interrupt here: a reader of it, or an epoll wait
		// that watches it, polls it.
		pollStdin := t.wait == waitStdin || t.wait == waitEpoll && stdinWatched()
		if pollStdin && (timeout < 0 || timeout > stdinPoll) {
			timeout = stdinPoll
		}
		slot := i - 1
		seq := slotSeq[slot]
		parked[slot] = true
		publish()
		unlockKernel()
		if slotUC[slot] == 0 {
			waitSignalledFor(slot, seq, timeout)
		} else {
			futexWait(&slotSeq[slot], seq, timeout)
		}
		lockKernel()
		parked[slot] = false
		cur = i
		if pollStdin {
			pollConsole()
		}
	}
}

// stdinPoll is how often a reader waiting for stdin looks again.
const stdinPoll = 10_000_000

// publish wakes the parked threads a call made runnable.
func publish() {
	if !needResched {
		return
	}
	needResched = false
	for s := range parked {
		if parked[s] && threads[s+1].state == tsRunnable {
			parked[s] = false
			xadd32(&slotSeq[s], 1)
			hostSyscall(nrFutex, uintptr(unsafe.Pointer(&slotSeq[s])), futexWakePrivate, 1, 0, 0, 0)
		}
	}
}

// futexWait sleeps while *p == val, at most timeout ns (negative: no limit).
func futexWait(p *uint32, val uint32, timeout int64) {
	var ts [2]int64
	hostSyscall(nrFutex, uintptr(unsafe.Pointer(p)), futexWaitPrivate, uintptr(val), timespec(&ts, timeout), 0, 0)
}

// timespec fills ts with timeout ns and returns its address, or 0 (no
// limit) for a negative timeout.
func timespec(ts *[2]int64, timeout int64) uintptr {
	if timeout < 0 {
		return 0
	}
	ts[0], ts[1] = timeout/1e9, timeout%1e9
	return uintptr(unsafe.Pointer(ts))
}

// sigPerThreadSyscall is the signal the runtime sends every thread for
// syscall.AllThreadsSyscall (runtime/os_linux.go: SIGRTMIN+1), and waits
// until each has handled it.
const sigPerThreadSyscall = 33

// waitSignalledFor is futexWait for slot's call that came through
// fastSyscall6 (sandbox_fast.go): the thread sleeps as its own g, taking
// sigPerThreadSyscall unless the call was made with it blocked, so that
// AllThreadsSyscall (Setuid, Setgroups) does not wait forever for a thread
// that waits here, the poller's epoll_pwait above all. Other signals stay
// blocked: the waiting thread is in the middle of a call, not at a point
// where a goroutine dump or preemption could read its state. A trapped call
// cannot do the same: its SIGSYS frame lies on the signal stack, where the
// host would put the next signal's frame.
func waitSignalledFor(slot int, seq uint32, timeout int64) {
	var ts [2]int64
	mask := ^uint64(0) &^ (1 << (sigPerThreadSyscall - 1) &^ slotMask[slot])
	waitSignalled(&slotSeq[slot], seq, timespec(&ts, timeout), slotSavedG[slot], mask)
}

// lockKernel takes the big lock (a futex mutex: Drepper, "Futexes Are
// Tricky", mutex #3).
func lockKernel() {
	for spin := 0; spin < 100; spin++ {
		if cas32(&kernelLock, 0, 1) {
			return
		}
		pause()
	}
	for xchg32(&kernelLock, 2) != 0 {
		futexWait(&kernelLock, 2, -1)
	}
}

func unlockKernel() {
	if xchg32(&kernelLock, 0) == 2 {
		hostSyscall(nrFutex, uintptr(unsafe.Pointer(&kernelLock)), futexWakePrivate, 1, 0, 0, 0)
	}
}
