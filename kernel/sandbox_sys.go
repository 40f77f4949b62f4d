//go:build gobisandbox

package kernel

import (
	"unsafe"

	"github.com/gobi-os/gobi/kernel/memfs"
)

// The calls the sandbox answers differently from the VM: forbidden ones, and
// signal actions and masks, which the host keeps (the kernel only keeps
// SIGSYS to itself). Memory, threads and most of time never reach the
// kernel here: the filter lets the host run them.

var refused [512]bool

func platformSyscall(i int, nr uint64, a *[6]uint64) (uint64, bool) {
	if nr < uint64(len(forbidden)) && forbidden[nr] {
		if !refused[nr] {
			refused[nr] = true
			kputs("sandbox: refused ")
			kputSysName(nr)
			kputs(": forbidden in the sandbox (EPERM)")
			kflush()
		}
		return errno(ePERM), true
	}
	switch nr {
	case 13:
		return sandboxSigaction(a[0], a[1], a[2], a[3]), true
	case 14:
		return sandboxSigprocmask(i, a[0], a[1], a[2], a[3]), true
	}
	return 0, false
}

// clockResolution is clock id's resolution for clock_getres(2), for the
// clocks clock_gettime reads on the host: 1 ns for the high-resolution
// ones, as Linux's hrtimers give, and 4 ms (a 250 Hz tick) for the coarse
// ones.
func clockResolution(id uint64) (int64, bool) {
	switch id {
	case 0, 1, 2, 3, 4, 7, 8, 9, 11: // REALTIME ... BOOTTIME_ALARM, TAI
		return 1, true
	case 5, 6: // REALTIME_COARSE, MONOTONIC_COARSE
		return 4_000_000, true
	}
	return 1, int64(id) < 0 // a process or thread CPU clock
}

// sandboxSigaction keeps SIGSYS for the kernel (the program's action for it
// is recorded and reported back, never installed) and installs every other
// action on the host with SIGSYS removed from its mask, so that a handler's
// own system calls can still trap.
func sandboxSigaction(sig, act, old, size uint64) uint64 {
	if sig == 0 || sig > maxSig || size != 8 {
		return errno(eINVAL)
	}
	if act != 0 && !userOK(uintptr(act), 32, false) || old != 0 && !userOK(uintptr(old), 32, true) {
		return errno(eFAULT)
	}
	if sig == sigSYS {
		prev := sigsysAction
		if act != 0 {
			sigsysAction = *ptr[[4]uint64](uintptr(act))
		}
		if old != 0 {
			*ptr[[4]uint64](uintptr(old)) = prev
		}
		return 0
	}
	if act == 0 {
		return uint64(sigactionSyscall(uintptr(sig), 0, uintptr(old)))
	}
	na := *ptr[[4]uint64](uintptr(act))
	na[3] &^= 1 << (sigSYS - 1)
	return uint64(sigactionSyscall(uintptr(sig), uintptr(unsafe.Pointer(&na)), uintptr(old)))
}

// sandboxSigprocmask changes the mask the host restores when the SIGSYS
// handler returns (uc_sigmask), never blocking SIGSYS itself: a call
// trapped while it was blocked would kill the process.
func sandboxSigprocmask(i int, how, set, old, size uint64) uint64 {
	if size != 8 {
		return errno(eINVAL)
	}
	if set != 0 && !userOK(uintptr(set), 8, false) || old != 0 && !userOK(uintptr(old), 8, true) {
		return errno(eFAULT)
	}
	m := ptr[uint64](slotUC[i-1] + ucMask)
	prev := *m
	if set != 0 {
		s := *ptr[uint64](uintptr(set))
		switch how {
		case 0: // SIG_BLOCK
			*m |= s
		case 1: // SIG_UNBLOCK
			*m &^= s
		case 2: // SIG_SETMASK
			*m = s
		default:
			return errno(eINVAL)
		}
		*m &^= 1<<(sigSYS-1) | 1<<(9-1) | 1<<(19-1) // SIGSYS; SIGKILL and SIGSTOP cannot be blocked
	}
	if old != 0 {
		*ptr[uint64](uintptr(old)) = prev
	}
	return 0
}

// refreshOpened makes the /proc files that describe the program
// (procself.go) when one is opened. There is no /proc/self/maps: the
// memory map is the host process's, which the kernel does not track.
func refreshOpened(f memfs.File) { refreshProcFile(f) }

// writeEnviron writes the program's environment, as /proc/self/environ
// holds it: each string NUL-terminated. The sandbox's is the one execve(2)
// laid out on the initial stack (System V AMD64 ABI §3.4.1: argc, argv and
// its NULL, then envp and its NULL).
func writeEnviron(t *text) {
	argc := *ptr[uintptr](initialSP)
	for p := initialSP + 8*(argc+2); *ptr[uintptr](p) != 0; p += 8 {
		t.s(cstring(bytesAt(*ptr[uintptr](p), 1<<20))).s("\x00")
	}
}

// processID is the program's process ID: the host's, which getpid (a host
// call) returns too.
func processID() uint64 { return hostPID }
