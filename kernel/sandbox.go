//go:build gobisandbox

package kernel

import "unsafe"

// The sandbox platform: the same program, files, sockets and epoll as in the
// VM, but run as a Linux process confined by a seccomp filter
// (docs/sandbox.md). The process entry (sandboxEntry) runs before the Go
// runtime: it moves the launcher's descriptors out of the program's way,
// reserves the kernel's memory, installs the SIGSYS handler and the filter,
// and only then jumps to the runtime's own entry. From then on the host
// kernel runs the calls the filter allows (memory, threads, time, signals on
// the process itself); every other call traps into sigsys and is answered
// here by the kernel's syscall layer, exactly as the VM kernel answers it.

// The launcher's descriptors (docs/sandbox.md): it passes them from 3 in
// this order, with the boot words on a pipe between the log and the network,
// and the entry moves them to hostFDBase.., above every descriptor number the
// kernel hands the program (fdLimit), so the filter can tell them apart.
const (
	launchFDs  = 3
	launchBoot = launchFDs + 4 // the gobi.* words, read to EOF and closed
	hostFDBase = 1016
	hostStdin  = hostFDBase + 0 // the program's stdin (0xff-escaped, as COM1 carries it)
	hostStdout = hostFDBase + 1 // COM1's output direction
	hostStderr = hostFDBase + 2 // COM2
	hostLog    = hostFDBase + 3 // COM3: kernel messages and records
	hostNet    = hostFDBase + 4 // Ethernet frames, one per read or write; absent without a network
	nHostFDs   = 5

	// fdLimit bounds the descriptors the kernel allocates for the program.
	fdLimit = hostFDBase

	mainStackSize = 8 << 20 // the host's default stack limit, which the main thread has

	// arenaSize is the address space reserved for the kernel's own memory
	// (socket rings, files in memory); the host commits pages on first touch.
	arenaSize = 4 << 30
)

var (
	initialSP uintptr
	bootTLS   [2]uintptr
	bootG     fakeG
	bootStack [65536]byte

	hostPID    uint64 // the process's real ID: the filter lets signals go only to it
	netPresent bool   // the launcher passed a network descriptor
)

// Host system call numbers (arch/x86/entry/syscalls/syscall_64.tbl) the
// sandbox platform makes itself.
const (
	nrRead         = 0
	nrWrite        = 1
	nrClose        = 3
	nrMmap         = 9
	nrMprotect     = 10
	nrMadvise      = 28
	nrGetpid       = 39
	nrFcntl        = 72
	nrPrctl        = 157
	nrKill         = 62
	nrFutex        = 202
	nrClockGettime = 228
	nrExitGroup    = 231
	nrDup3         = 292
	nrSeccomp      = 317

	sigSYS = 31
)

func hostSyscall(nr, a0, a1, a2, a3, a4, a5 uintptr) uintptr
func sigactionSyscall(sig, act, old uintptr) uintptr
func sigactionSyscallAddr() uintptr
func sigsysAddr() uintptr
func sigreturnAddr() uintptr
func cas32(p *uint32, old, new uint32) bool
func xchg32(p *uint32, v uint32) uint32
func xadd32(p *uint32, d uint32) uint32

// hostErr reports whether a raw host result is -errno.
func hostErr(r uintptr) bool { return r > ^uintptr(4095) }

// sandboxMain runs on the boot stack before the runtime (sandboxEntry).
func sandboxMain() {
	hostPID = uint64(hostSyscall(nrGetpid, 0, 0, 0, 0, 0, 0))
	takeHostFDs()
	record("ready", 0, false) // as the VM does once its ports work (docs/hostabi.md)
	parseCmdline()
	setupSlots()
	setupRandom()
	arena := hostSyscall(nrMmap, 0, arenaSize, 3 /* PROT_READ|PROT_WRITE */, 0x4022 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE */, ^uintptr(0), 0)
	if hostErr(arena) {
		fatal("sandbox: cannot reserve the kernel's memory arena")
	}
	ramRegions[0] = memRegion{arena, arena + arenaSize}
	nRAM = 1
	initFrames(arena)
	setupFiles()
	if !patchSyscall6() {
		kputs("sandbox: this Go release's Syscall6 is not the one the kernel knows: every system call traps (slower)")
		kflush()
	}
	installSigsys()
	installFilter()
}

// takeHostFDs moves the launcher's descriptors to hostFDBase.. and closes
// everything else the process inherited below them: the program sees only
// the kernel's own descriptor table.
func takeHostFDs() {
	for k := 0; k < nHostFDs; k++ {
		from := launchFDs + k
		if from >= launchBoot {
			from++
		}
		r := hostSyscall(nrDup3, uintptr(from), uintptr(hostFDBase+k), 0x80000 /* O_CLOEXEC */, 0, 0, 0)
		if hostErr(r) {
			if k == hostNet-hostFDBase {
				break // no network
			}
			// No console to report on: the launcher sees exit status 125.
			for {
				hostSyscall(nrExitGroup, 125, 0, 0, 0, 0, 0)
			}
		}
		if k == hostNet-hostFDBase {
			netPresent = true
		}
	}
	readBoot()
	for fd := 0; fd <= launchFDs+nHostFDs; fd++ {
		hostSyscall(nrClose, uintptr(fd), 0, 0, 0, 0, 0)
	}
	// Stdin is polled: reads must not wait in the host.
	fl := hostSyscall(nrFcntl, hostStdin, 3 /* F_GETFL */, 0, 0, 0, 0)
	if !hostErr(fl) {
		hostSyscall(nrFcntl, hostStdin, 4 /* F_SETFL */, fl|0x800 /* O_NONBLOCK */, 0, 0, 0)
	}
}

// readBoot reads the launcher's gobi.* words (the same words the VM finds on
// its command line) into cmdline. They come on a pipe rather than in the
// environment, which is the program's alone.
func readBoot() {
	for cmdlineLen < len(cmdline) {
		r := hostSyscall(nrRead, launchBoot, uintptr(unsafe.Pointer(&cmdline[cmdlineLen])), uintptr(len(cmdline)-cmdlineLen), 0, 0, 0)
		if r == ^uintptr(3) { // EINTR
			continue
		}
		if hostErr(r) || r == 0 {
			break
		}
		cmdlineLen += int(r)
	}
	if cmdlineLen == len(cmdline) {
		bootError("sandbox: the boot words are longer than the kernel's buffer (too many or too long arguments)")
	}
}

// installSigsys makes sigsys the SIGSYS handler with every signal blocked
// while it runs (the slot's stand-in g must never meet a Go handler).
func installSigsys() {
	act := struct {
		handler, flags, restorer, mask uintptr
	}{
		handler:  sigsysAddr(),
		flags:    0x4 | 0x08000000 | 0x04000000, // SA_SIGINFO | SA_ONSTACK | SA_RESTORER
		restorer: sigreturnAddr(),
		mask:     ^uintptr(0),
	}
	if hostErr(sigactionSyscall(sigSYS, uintptr(unsafe.Pointer(&act)), 0)) {
		fatal("sandbox: cannot install the SIGSYS handler")
	}
}

// platformID is what sysGobiPlatform reports.
const platformID = platformSandbox

// hostNetFD is the launcher's Ethernet descriptor (a tap device or a
// socketpair to its user-mode network), or -1.
func hostNetFD() int {
	if netPresent {
		return hostNet
	}
	return -1
}

// Kernel services the shared code calls.

func nanotime() int64 { return clockNow(1) } // CLOCK_MONOTONIC

func walltime() int64 { return clockNow(0) } // CLOCK_REALTIME

func clockNow(clock uintptr) int64 {
	var ts [2]int64
	hostSyscall(nrClockGettime, clock, uintptr(unsafe.Pointer(&ts)), 0, 0, 0, 0)
	return ts[0]*1e9 + ts[1]
}

// userOK checks that [addr, addr+n) is mapped, as the VM's kernel checks its
// page tables, so that a bad pointer fails the call with EFAULT. The host
// has the page tables: madvise(MADV_NORMAL) fails with ENOMEM where a page
// of the range is not mapped, and changes nothing where all are (it resets
// readahead advice, which the Go runtime never gives). A mapping the program
// cannot access (PROT_NONE, or read-only for a call that writes) still
// passes: the kernel then faults in the trap handler and the host kills the
// process with SIGSEGV (docs/sandbox.md).
func userOK(addr, n uintptr, write bool) bool {
	if n == 0 {
		return true
	}
	if addr < pageSize || addr+n < addr || addr+n > 1<<47 {
		return false
	}
	start := addr &^ (pageSize - 1)
	end := (addr + n + pageSize - 1) &^ (pageSize - 1)
	return !hostErr(hostSyscall(nrMadvise, start, end-start, 0 /* MADV_NORMAL */, 0, 0, 0))
}

// fatal reports a kernel error; the launcher exits 126.
func fatal(msg string) {
	klog(msg)
	record("fault", 0, false)
	powerOff()
}

// powerOff ends the process; its records said why.
func powerOff() {
	for {
		hostSyscall(nrExitGroup, 126, 0, 0, 0, 0, 0)
	}
}

// sendProcess raises sig in the host process: the runtime's handlers take it
// as they would on Linux.
func sendProcess(sig int, _ sigInfoLite) {
	hostSyscall(nrKill, uintptr(hostPID), uintptr(sig), 0, 0, 0, 0)
}
