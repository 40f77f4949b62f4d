package kernel

import "unsafe"

// Threads. The runtime's Ms are kernel threads created with clone; each has a
// saved register context that trap entry fills and resume reloads. Thread 0 is
// the idle thread. Everything here is indexed, never linked by pointers
// (write barriers cannot run in trap context).

const (
	maxThreads = 256
	fpAreaSize = 1024 // XSAVE area for x87+SSE+AVX (832 bytes), 64-byte aligned slots
	idleTID    = 0
	pid        = 1 // the program's process ID; thread IDs count up from it
)

// regs is the trap frame, in the order trapcommon pushes it.
type regs struct {
	r15, r14, r13, r12, r11, r10, r9, r8 uint64
	rbp, rdi, rsi, rdx, rcx, rbx, rax    uint64
	vector, err                          uint64
	rip, cs, rflags, rsp, ss             uint64
}

// context is what assembly saves and restores; offsets in asm_amd64.h.
type context struct {
	regs
	fsbase uint64
	fpaddr uint64
}

type threadState uint8

const (
	tsFree threadState = iota
	tsRunnable
	tsBlocked
)

type waitKind uint8

const (
	waitNone waitKind = iota
	waitFutex
	waitSleep
	waitEpoll
	waitStdin
	waitSignal // rt_sigsuspend / pause
	waitRetry  // blockRetry: re-run the call when an object changes
)

type thread struct {
	ctx   context
	state threadState
	tid   int32

	// Blocking: what the thread waits for, until when, and what the
	// syscall returns if the deadline passes first.
	wait        waitKind
	waitAddr    uintptr
	deadline    int64 // monotonic ns; 0 = none
	timeoutRet  uint64
	epollFD     int32
	epollEvents uintptr
	epollMax    int32
	readBuf     uintptr
	readLen     uintptr
	waitObjKind fdKind
	waitObj     int32

	// Signals (signal.go).
	sigMask    uint64
	sigPending uint64
	altSP      uint64
	altSize    uint64
	altFlags   uint32
	siginfo    [maxSig + 1]sigInfoLite

	clearTID uintptr // CLONE_CHILD_CLEARTID address
}

var (
	threads   [maxThreads]thread
	fpAreas   [maxThreads*fpAreaSize + 64]byte
	idleStack [4096]byte
	cur       int // index of the running thread
	nextTID   int32
	nLive     int // threads other than idle
)

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
	for i := 1; i < maxThreads; i++ {
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
