//go:build !gobisandbox

package kernel

import "unsafe"

// Trap dispatch. trap runs on the kernel stack with interrupts off after
// kernelEntry saved the running thread's registers; it handles the event and
// picks the thread to resume.

const (
	vecDE       = 0
	vecDB       = 1
	vecBP       = 3
	vecUD       = 6
	vecGP       = 13
	vecPF       = 14
	vecMF       = 16
	vecAC       = 17
	vecXM       = 19
	vecTimer    = 32
	vecSpurious = 255
	vecSyscall  = 256 // pseudo-vector for SYSCALL (asm_amd64.h)

	pfWrite = 1 << 1 // page-fault error code bits (SDM vol. 3 §4.7)
	pfFetch = 1 << 4
)

// Counters reported with gobi.debug=1 when the program exits.
var (
	nTraps, nSyscalls, nFaults, nSwitches uint64
	kernelTicks                           uint64 // TSC ticks spent in trap
)

// trap is called from kernelEntry.
func trap() {
	start := rdtsc()
	nTraps++
	trapDispatch()
	kernelTicks += rdtsc() - start
}

func trapDispatch() {
	t := &threads[cur]
	switch v := t.ctx.vector; v {
	case vecSyscall:
		nSyscalls++
		doSyscall(cur)
		if fastReturn() {
			return
		}
	case vecTimer:
		lapicEOI()
		timerAt = 0
		pollConsole()
	case vecSpurious:
	case vecPF:
		nFaults++
		addr := uintptr(readCR2())
		if !commitPage(addr, t.ctx.err&pfWrite != 0) || t.ctx.err&pfFetch != 0 && !executable(addr) {
			code := int32(segvMapErr)
			if findVMA(addr) >= 0 {
				code = segvAccErr
			}
			faultSignal(cur, sigSEGV, code, addr)
		}
	case vecGP:
		// A non-canonical address or similar: SIGSEGV with address 0, as Linux.
		faultSignal(cur, sigSEGV, siKernel, 0)
	case vecDE:
		faultSignal(cur, sigFPE, fpeIntDiv, uintptr(t.ctx.rip))
	case vecUD:
		faultSignal(cur, sigILL, illIllOpn, uintptr(t.ctx.rip))
	case vecBP, vecDB:
		faultSignal(cur, sigTRAP, trapBrkpt, uintptr(t.ctx.rip))
	case vecMF, vecXM:
		faultSignal(cur, sigFPE, 0, uintptr(t.ctx.rip))
	case vecAC:
		faultSignal(cur, sigBUS, busAdrAln, 0)
	default:
		if v < 32 {
			kputs("unexpected exception ")
			kputu(v)
			kflush()
			reportRegs(&t.ctx)
			fatal("kernel: cannot continue")
		}
		if v >= vecIRQBase && v <= vecIRQBase+maxIRQ {
			deviceInterrupt(v)
			break
		}
		lapicEOI()
	}
	schedule()
}

func executable(addr uintptr) bool {
	i := findVMA(addr)
	return i >= 0 && vmas[i].prot&protExec != 0
}

// kernelFault reports a trap taken while kernel code was running: a kernel
// bug. The host exits 126 after printing the report.
func kernelFault(frame uintptr) {
	r := ptr[regs](frame)
	kputs("kernel fault: vector ")
	kputu(r.vector)
	kputs(" error ")
	kputx(r.err)
	kputs(" cr2 ")
	kputx(readCR2())
	kflush()
	reportRegs(&context{regs: *r})
	reportStack(r.rip, r.rbp)
	kputs("while handling thread ")
	kputi(int64(threads[cur].tid))
	kputs(" trap ")
	kputu(threads[cur].ctx.vector)
	kputs(" rax ")
	kputu(threads[cur].ctx.rax)
	kflush()
	record("fault", 0, false)
	powerOff()
}

// reportStack prints the faulting rip and the return addresses found by
// following the frame pointers (the Go toolchain keeps them on amd64: each
// frame holds the caller's rbp at 0(rbp) and the return address at
// 8(rbp)), as long as they stay on the kernel stack. gobi names the
// functions from the image's symbols.
func reportStack(rip, rbp uint64) {
	lo := uint64(uintptr(unsafe.Pointer(&kstack)))
	hi := lo + kstackSize
	kputs("kernel stack: ")
	kputx(rip)
	for n := 0; n < 32 && rbp >= lo && rbp+16 <= hi && rbp&7 == 0; n++ {
		kputs(" ")
		kputx(*ptr[uint64](uintptr(rbp + 8)))
		next := *ptr[uint64](uintptr(rbp))
		if next <= rbp {
			break // frames grow upwards: anything else is not a frame chain
		}
		rbp = next
	}
	kflush()
}

func reportRegs(c *context) {
	kputs("rip ")
	kputx(c.rip)
	kputs(" rsp ")
	kputx(c.rsp)
	kputs(" rflags ")
	kputx(c.rflags)
	kflush()
	kputs("rax ")
	kputx(c.rax)
	kputs(" rbx ")
	kputx(c.rbx)
	kputs(" rcx ")
	kputx(c.rcx)
	kputs(" rdx ")
	kputx(c.rdx)
	kflush()
	kputs("rsi ")
	kputx(c.rsi)
	kputs(" rdi ")
	kputx(c.rdi)
	kputs(" rbp ")
	kputx(c.rbp)
	kputs(" fs ")
	kputx(c.fsbase)
	kflush()
}
