//go:build gobisandbox

package kernel

import "unsafe"

// Calls without a trap. A trapped call costs a SIGSYS delivery and an
// rt_sigreturn: about 2.4 µs, more than most calls the kernel serves. The
// standard library makes nearly all of its system calls (reads, writes,
// sockets, the runtime's epoll_pwait) through one function,
// internal/runtime/syscall/linux.Syscall6. Before the filter is installed,
// and before any other thread exists, patchSyscall6 overwrites that
// function's first instruction with a jump to fastSyscall6
// (sandbox_amd64.s), which runs the kernel's calls on a slot directly and
// makes every other call itself. The text is writable only for that moment.
//
// Nothing here is a security boundary: the filter is unchanged, and a
// program that makes its calls some other way is trapped as before.

// fastCall marks the calls fastSyscall6 hands to the kernel: those the
// filter traps (so the kernel would serve them anyway), but not forbidden
// ones, whose outcome (EPERM or, with -strict, death) is the filter's, and
// not rt_sigprocmask, whose emulation edits the trap's ucontext.
// buildFilter fills it from the filter's own tables.
var fastCall [512]bool // must match SB_CALLS in sandbox_amd64.s

// allSignals is the mask fastSyscall6 holds while the kernel runs.
var allSignals = ^uint64(0)

// syscall6Code is internal/runtime/syscall/linux.Syscall6 for amd64
// (asm_linux_amd64.s), unchanged since Go 1.21. patchSyscall6 replaces the
// function only where every byte matches, since fastSyscall6 reproduces
// exactly this code.
var syscall6Code = [...]byte{
	0x49, 0x89, 0xf2, // MOVQ SI, R10
	0x48, 0x89, 0xfa, // MOVQ DI, DX
	0x48, 0x89, 0xce, // MOVQ CX, SI
	0x48, 0x89, 0xdf, // MOVQ BX, DI
	0x0f, 0x05, // SYSCALL
	0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, // CMPQ AX, $-0xfff
	0x76, 0x15, // JLS ok
	0x48, 0xf7, 0xd8, // NEGQ AX
	0x48, 0x89, 0xc1, // MOVQ AX, CX
	0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, // MOVQ $-1, AX
	0x48, 0xc7, 0xc3, 0x00, 0x00, 0x00, 0x00, // MOVQ $0, BX
	0xc3,             // RET
	0x48, 0x89, 0xd3, // ok: MOVQ DX, BX
	0x48, 0xc7, 0xc1, 0x00, 0x00, 0x00, 0x00, // MOVQ $0, CX
	0xc3, // RET
}

func fastSyscall6Addr() uintptr
func sigmaskSyscallAddr() uintptr
func waitSignalled(p *uint32, val uint32, ts, gp uintptr, mask uint64) uintptr

// patchSyscall6 points Syscall6 at fastSyscall6. The kernel may import no
// package the standard library's tests could import it back from (so not
// syscall, to take Syscall6's address from), and the linker refuses it a
// reference to the function: it looks for the function's code in the
// program's executable segment instead. The linker starts every function
// 32-byte aligned (cmd/link, amd64 funcAlign); a stride of 16 is safe if
// that ever halves. Exactly one match is patched; a toolchain whose code
// differs keeps its own Syscall6, and every call traps.
func patchSyscall6() bool {
	lo, hi := textSegment()
	target := uintptr(0)
	first := *ptr[uint64](uintptr(unsafe.Pointer(&syscall6Code)))
	for p := (lo + 15) &^ 15; p+uintptr(len(syscall6Code)) <= hi; p += 16 {
		if *ptr[uint64](p) != first || *ptr[[len(syscall6Code)]byte](p) != syscall6Code {
			continue
		}
		if target != 0 {
			return false // two candidates: patch neither
		}
		target = p
	}
	if target == 0 {
		return false
	}
	// JMP rel32 over the first five bytes (Intel SDM vol. 2A, JMP: E9 cd),
	// written while the pages are also writable.
	page := target &^ 4095
	n := (target + 5 - page + 4095) &^ 4095
	const rwx, rx = 7, 5
	if hostErr(hostSyscall(nrMprotect, page, n, rwx, 0, 0, 0)) {
		return false
	}
	*ptr[byte](target) = 0xe9
	*ptr[int32](target + 1) = int32(int64(fastSyscall6Addr()) - int64(target+5))
	if hostErr(hostSyscall(nrMprotect, page, n, rx, 0, 0, 0)) {
		fatal("sandbox: cannot make the program's text read-only again")
	}
	return true
}

// textSegment returns the bounds of the program's executable PT_LOAD
// segment, from the program headers the auxiliary vector points at
// (AT_PHDR, AT_PHNUM: System V AMD64 ABI §3.4.3; Elf64_Phdr is 56 bytes,
// p_type at 0, p_flags at 4, p_vaddr at 16, p_memsz at 40).
func textSegment() (lo, hi uintptr) {
	argc := *ptr[uintptr](initialSP)
	p := initialSP + 8*(argc+2) // past argc, argv and its NULL
	for *ptr[uintptr](p) != 0 {
		p += 8 // envp
	}
	var phdr, phnum uintptr
	for p += 8; *ptr[uintptr](p) != 0; p += 16 {
		switch *ptr[uintptr](p) {
		case 3: // AT_PHDR
			phdr = *ptr[uintptr](p + 8)
		case 5: // AT_PHNUM
			phnum = *ptr[uintptr](p + 8)
		}
	}
	for k := uintptr(0); k < phnum; k++ {
		ph := phdr + 56*k
		if *ptr[uint32](ph) == 1 && *ptr[uint32](ph + 4)&1 != 0 { // PT_LOAD, PF_X
			lo = *ptr[uintptr](ph + 16)
			return lo, lo + *ptr[uintptr](ph + 40)
		}
	}
	return 0, 0
}

// sandboxFast serves a call fastSyscall6 brought without a trap.
func sandboxFast(slot int, nr uint64, a *[6]uint64) uint64 {
	slotUC[slot] = 0
	return serveCall(slot, nr, a)
}
