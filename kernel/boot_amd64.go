//go:build !gobisandbox

package kernel

// State the boot path and the trap entry share with assembly.
var (
	kstack        [kstackSize]byte
	kernelG       fakeG
	ktls          [2]uintptr
	bootInfoAddr  uintptr // physical address of hvm_start_info, from %ebx
	syscallRSP    uint64  // the caller's RSP during syscall entry
	inKernel      bool    // set while kernel code runs; a trap then is a kernel fault
	inKernelFault bool    // set while kernelFault reports one
	useXsave      bool    // XSAVE/XRSTOR rather than FXSAVE/FXRSTOR
	curCtx        uintptr // address of the running thread's context
	xcr0          uint64  // XSAVE features enabled
)

const kstackSize = 65536 // must match KSTACK_SIZE in asm_amd64.h

// kmain runs once, on the kernel stack, before the Go runtime exists. It
// brings the machine up, creates the first thread at the runtime's own entry
// point, and resumes it.
func kmain() {
	uartInit(com1)
	uartInit(com2)
	uartInit(com3)
	setupDescriptors()
	setupFPU()
	if !parseBootInfo() {
		fatal("boot: no valid hvm_start_info (not started through the PVH entry?)")
	}
	parseCmdline()
	if debug {
		kputs("command line: ")
		for _, c := range cmdline[:cmdlineLen] {
			kputc(c)
		}
		kflush()
	}
	setupMemory()
	setupClock()
	setupTimer()
	setupIRQs()
	// The UARTs are set up: the host may send stdin and records now
	// (docs/hostabi.md: bytes sent earlier would be lost to the FIFO reset).
	record("ready", 0, false)
	setupThreads()
	setupVDSO()
	setupFiles()
	setupProcMaps()
	startProgram()
	resumeCurrent()
}

// setupFPU enables XSAVE with the x87, SSE and AVX state components when the
// CPU has them (Intel SDM vol. 1 §13.3), as the Go runtime uses AVX2 when
// CPUID and XGETBV say the OS saves it.
func setupFPU() {
	_, _, c, _ := cpuid(1, 0)
	if c&(1<<26) == 0 { // XSAVE
		return
	}
	writeCR4(readCR4() | cr4OSXSAVE)
	a, _, _, _ := cpuid(0xd, 0)
	mask := uint64(3) // x87, SSE
	if c&(1<<28) != 0 && a&4 != 0 {
		mask |= 4 // AVX
	}
	xsetbv(0, mask)
	xcr0 = mask
	_, size, _, _ := cpuid(0xd, 0)
	if size > fpAreaSize {
		fatal("boot: XSAVE area larger than the kernel reserves")
	}
	useXsave = true
}

// fatal reports a kernel error and stops the machine with a fault record.
func fatal(msg string) {
	klog(msg)
	record("fault", 0, false)
	powerOff()
}

// powerOff stops the VM through isa-debug-exit (docs/hostabi.md).
func powerOff() {
	outb(0xf4, 0)
	halt()
}
