package kernel

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
	// threadHi bounds the slots ever used (the idle thread's included):
	// waking, scheduling and deadlines scan threads[:threadHi], not the
	// whole table. Under TCG a scan of all 256 slots, run for every
	// readiness change, was 5% of a small HTTP request's time.
	threadHi = 1
)

// fakeG stands in for the runtime's g while kernel code runs: Go function
// prologues compare SP against stackguard0 at offset 16 (runtime/runtime2.go,
// type g), so its bounds are the kernel stack's. The rest is zero, so any
// runtime code that reaches for g.m faults at once instead of corrupting state.
type fakeG struct {
	stackLo, stackHi         uintptr
	stackguard0, stackguard1 uintptr
	_                        [60]uintptr
}
