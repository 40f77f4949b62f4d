//go:build !gobisandbox

package kernel

// Signals, with Linux semantics: per-thread masks and pending sets, a
// process-wide pending set for signals sent to the process, handlers run on
// the thread's alternate stack with a Linux signal frame (sigframe_amd64.go),
// and default actions. The Go runtime depends on all of it: asynchronous
// preemption is SIGURG sent with tgkill, and a nil dereference must reach its
// SIGSEGV handler to become a panic.

const (
	sigILL   = 4
	sigTRAP  = 5
	sigBUS   = 7
	sigFPE   = 8
	sigKILL  = 9
	sigSEGV  = 11
	sigCHLD  = 17
	sigCONT  = 18
	sigSTOP  = 19
	sigTSTP  = 20
	sigTTIN  = 21
	sigTTOU  = 22
	sigURG   = 23
	sigWINCH = 28

	sigDFL = 0
	sigIGN = 1

	saOnstack   = 0x08000000
	saRestart   = 0x10000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000

	ssOnstack = 1
	ssDisable = 2

	// si_code values (include/uapi/asm-generic/siginfo.h).
	siTkill    = -6
	segvMapErr = 1
	segvAccErr = 2
	fpeIntDiv  = 1
	illIllOpn  = 2
	trapBrkpt  = 1
	busAdrAln  = 1

	unblockable = 1<<(sigKILL-1) | 1<<(sigSTOP-1)
)

type sigAction struct {
	handler, flags, restorer, mask uint64
}

var (
	sigActions  [maxSig + 1]sigAction
	procPending uint64
	procInfo    [maxSig + 1]sigInfoLite
)

func sigBit(sig int) uint64 { return 1 << uint(sig-1) }

// defaultIgnored reports whether the default action of sig is to do nothing
// (stop signals too: there is no job control in a unikernel).
func defaultIgnored(sig int) bool {
	switch sig {
	case sigCHLD, sigCONT, sigURG, sigWINCH, sigSTOP, sigTSTP, sigTTIN, sigTTOU:
		return true
	}
	return false
}

// sendThread queues sig for thread i (tgkill) and interrupts its wait.
func sendThread(i, sig int, info sigInfoLite) {
	t := &threads[i]
	if sigActions[sig].handler == sigIGN && sig != sigKILL {
		return
	}
	t.sigPending |= sigBit(sig)
	t.siginfo[sig] = info
	interrupt(i, sig)
}

// sendProcess queues sig for the process (kill, or a signal from the host)
// and wakes a thread that does not block it.
func sendProcess(sig int, info sigInfoLite) {
	if sig == sigKILL {
		exitProgram(128 + sigKILL)
	}
	if sigActions[sig].handler == sigIGN || sigActions[sig].handler == sigDFL && defaultIgnored(sig) {
		return
	}
	procPending |= sigBit(sig)
	procInfo[sig] = info
	for i := 1; i < threadHi; i++ {
		if threads[i].state != tsFree && threads[i].sigMask&sigBit(sig) == 0 {
			interrupt(i, sig)
			return
		}
	}
}

// interrupt ends a blocking wait of thread i so that sig can be delivered,
// unless the thread blocks sig. A call that blockRetry set up to run again
// does run again after the handler when the handler asked for SA_RESTART,
// as Linux restarts a read, write, accept or connect without a timeout
// (signal(7), "Interruption of system calls and library functions by
// signal handlers"); every other wait ends with EINTR.
func interrupt(i, sig int) {
	t := &threads[i]
	if t.state == tsBlocked && t.sigMask&sigBit(sig) == 0 {
		if t.wait == waitRetry {
			if sigActions[sig].flags&saRestart != 0 {
				t.state = tsRunnable // rip and rax already restart the call
				t.wait = waitNone
				needResched = true
				return
			}
			t.ctx.rip += 2 // not restarted after all: return EINTR
		}
		wake(i, errno(eINTR))
	}
}

// faultSignal delivers a synchronous signal caused by the instruction the
// thread just ran. If the thread blocks or ignores it, the default action
// applies, as Linux's force_sig does: re-running the instruction would only
// fault again.
func faultSignal(i, sig int, code int32, addr uintptr) {
	t := &threads[i]
	h := sigActions[sig].handler
	if t.sigMask&sigBit(sig) != 0 || h == sigIGN {
		sigActions[sig].handler = sigDFL
		t.sigMask &^= sigBit(sig)
	}
	if sigActions[sig].handler == sigDFL {
		kputs("fatal signal ")
		kputu(uint64(sig))
		kputs(" at rip ")
		kputx(t.ctx.rip)
		kputs(" addr ")
		kputx(uint64(addr))
		kflush()
		exitProgram(128 + sig)
	}
	t.sigPending |= sigBit(sig)
	t.siginfo[sig] = sigInfoLite{code: code, addr: addr}
}

// deliverSignals runs before thread i resumes: it builds a frame for the
// lowest-numbered deliverable signal (synchronous faults first), or applies
// the default action.
func deliverSignals(i int) {
	t := &threads[i]
	for {
		ready := (t.sigPending | procPending) &^ t.sigMask
		if ready == 0 {
			return
		}
		sig := 1
		for ready&1 == 0 {
			ready >>= 1
			sig++
		}
		for _, s := range [...]int{sigSEGV, sigBUS, sigILL, sigFPE, sigTRAP} {
			if t.sigPending&^t.sigMask&sigBit(s) != 0 {
				sig = s
				break
			}
		}
		var info sigInfoLite
		if t.sigPending&sigBit(sig) != 0 {
			t.sigPending &^= sigBit(sig)
			info = t.siginfo[sig]
		} else {
			procPending &^= sigBit(sig)
			info = procInfo[sig]
		}
		act := sigActions[sig]
		switch {
		case act.handler == sigIGN:
			continue
		case act.handler == sigDFL:
			if defaultIgnored(sig) {
				continue
			}
			exitProgram(128 + sig)
			return
		}
		if !pushSigframe(i, sig, &act, info) {
			klog("cannot write a signal frame: the signal stack is not mapped")
			exitProgram(128 + sigSEGV)
			return
		}
		if act.flags&saResethand != 0 {
			sigActions[sig].handler = sigDFL
		}
		return
	}
}
