//go:build gobisandbox

// The sandbox's entry points: the process entry that confines the program
// before the Go runtime starts, the SIGSYS handler that carries a trapped
// system call into the kernel's syscall layer, and the raw host system calls
// the layer makes. sandbox.go and sandbox_trap.go hold the policy.

#include "textflag.h"

#define SB_SLOTS 64
#define SB_STACK 65536
#define SB_CALLS 512 // len(fastCall)
#define HOST_FD_BASE 1016 // hostFDBase
#define GOBI_CALLS 0x6000 // sysGobiIRQ, the first of Gobi's calls
#define GOBI_NCALLS 0x20
#define FAST_FRAME 128

// sandboxEntry is the ELF entry point of a sandbox build (ld -E). The stack
// is the one execve built (argc, argv, envp, auxv: System V AMD64 ABI §3.4.1);
// it is kept intact for the runtime, whose own entry runs afterwards on it.
TEXT ·sandboxEntry(SB),NOSPLIT|NOFRAME,$0
	MOVQ SP, ·initialSP(SB)
	// Go code needs a g in TLS: point FS at bootTLS, whose slot at -8 holds
	// bootG, and run on bootStack, which bootG's bounds describe.
	LEAQ ·bootG(SB), AX
	MOVQ AX, ·bootTLS(SB)
	LEAQ ·bootStack(SB), AX
	MOVQ AX, ·bootG+0(SB)
	LEAQ ·bootStack+SB_STACK(SB), BX
	MOVQ BX, ·bootG+8(SB)
	ADDQ $4096, AX
	MOVQ AX, ·bootG+16(SB)
	MOVQ AX, ·bootG+24(SB)
	MOVQ $158, AX // arch_prctl(ARCH_SET_FS, &bootTLS+8)
	MOVQ $0x1002, DI
	LEAQ ·bootTLS+8(SB), SI
	SYSCALL
	LEAQ ·bootStack+SB_STACK(SB), SP
	CALL ·sandboxMain(SB)
	// The runtime starts exactly as execve left the process, but confined.
	MOVQ ·initialSP(SB), SP
	XORL AX, AX
	XORL BX, BX
	XORL CX, CX
	XORL DX, DX
	XORL SI, SI
	XORL DI, DI
	XORL BP, BP
	JMP _rt0_amd64_linux(SB)

// sigsys is the SIGSYS handler (SA_SIGINFO: sig in DI, siginfo in SI,
// ucontext in DX; System V ABI). It claims one of SB_SLOTS kernel stacks,
// makes that slot's g current in TLS (the interrupted thread's g is put
// back afterwards), and calls sandboxTrap on that stack. All signals are
// blocked while it runs (sa_mask), so no Go signal handler ever sees the
// slot's stand-in g.
TEXT ·sigsys(SB),NOSPLIT|NOFRAME,$0
	PUSHQ BX
	PUSHQ BP
	PUSHQ R12
	PUSHQ R13
	PUSHQ R14
	PUSHQ R15
	MOVQ SI, R12
	MOVQ DX, R13
claim:
	XORQ R15, R15
next:
	LEAQ ·slotBusy(SB), BX
	MOVL $0, AX
	MOVL $1, CX
	LOCK
	CMPXCHGL CX, (BX)(R15*4)
	JEQ claimed
	INCQ R15
	CMPQ R15, $SB_SLOTS
	JLT next
	// Every slot is busy: let the threads in the kernel run.
	MOVQ $24, AX // sched_yield
	SYSCALL
	JMP claim
claimed:
	MOVQ SP, BP                  // the signal stack, kept in the slot's frame below
	MOVQ (TLS), BX
	MOVQ R15, AX
	SHLQ $3, AX
	LEAQ ·slotSavedG(SB), CX
	MOVQ BX, (CX)(AX*1)
	LEAQ ·slotG(SB), CX
	MOVQ R15, AX
	IMULQ $512, AX               // sizeof(fakeG)
	ADDQ AX, CX
	MOVQ CX, (TLS)
	MOVQ 8(CX), SP               // the slot's stack top (g.stack.hi)
	SUBQ $48, SP
	MOVQ R15, 0(SP)
	MOVQ R12, 8(SP)
	MOVQ R13, 16(SP)
	// ABI0 callees keep no register but SP: the slot and the signal stack
	// wait above the arguments, which the callee may overwrite.
	MOVQ BP, 32(SP)
	MOVQ R15, 40(SP)
	CALL ·sandboxTrap(SB)
	MOVQ 40(SP), R15
	MOVQ 32(SP), SP
	MOVQ R15, AX
	SHLQ $3, AX
	LEAQ ·slotSavedG(SB), CX
	MOVQ (CX)(AX*1), BX
	MOVQ BX, (TLS)
	LEAQ ·slotBusy(SB), BX
	MOVL $0, (BX)(R15*4)
	POPQ R15
	POPQ R14
	POPQ R13
	POPQ R12
	POPQ BP
	POPQ BX
	RET

// fastSyscall6 takes the place of internal/runtime/syscall/linux.Syscall6,
// through which the runtime and package syscall make their system calls:
// patchSyscall6 (sandbox_fast.go) points that function's first instruction
// here before the filter is installed. Its register ABI is Syscall6's
// (ABIInternal: number in AX, arguments in BX, CX, DI, SI, R8, R9; r1 in AX,
// r2 in BX, errno in CX). A call fastCall marks is one the filter would
// trap: it goes straight to sandboxFast on a slot's stack, as sigsys would
// run it, without the SIGSYS delivery and rt_sigreturn. Every other call is
// made exactly as Syscall6 makes it, and the filter judges it.
TEXT ·fastSyscall6(SB),NOSPLIT|NOFRAME,$0
	CMPQ AX, $1
	JA table
	CMPQ BX, $HOST_FD_BASE       // read or write of a launcher's descriptor: the filter's to judge
	JAE host
table:
	CMPQ AX, $SB_CALLS
	JB linux
	MOVQ AX, R11
	SUBQ $GOBI_CALLS, R11
	CMPQ R11, $GOBI_NCALLS        // Gobi's own calls (docs/guestabi.md) all trap
	JB fast
	JMP host
linux:
	LEAQ ·fastCall(SB), R11
	CMPB (R11)(AX*1), $0
	JEQ host
fast:
	MOVQ AX, R10                 // the number: CMPXCHGL needs AX
	LEAQ ·slotBusy(SB), R11
	XORQ R12, R12
claim:
	XORL AX, AX
	MOVL $1, DX
	LOCK
	CMPXCHGL DX, (R11)(R12*4)
	JEQ claimed
	INCQ R12
	CMPQ R12, $SB_SLOTS
	JLT claim
	MOVQ R10, AX                 // every slot is busy: trap, and sigsys waits for one
host:
	MOVQ SI, R10
	MOVQ DI, DX
	MOVQ CX, SI
	MOVQ BX, DI
	SYSCALL
result:                          // rax and rdx as a host call leaves them
	CMPQ AX, $0xfffffffffffff001
	JLS hostok
	NEGQ AX
	MOVQ AX, CX
	MOVQ $-1, AX
	XORL BX, BX
	RET
hostok:
	MOVQ DX, BX
	XORL CX, CX
	RET
claimed:
	// The slot's stack; the frame holds sandboxFast's arguments (0-31),
	// the call's six (32-79), and what is put back on the way out (80-127).
	// The caller's g waits in slotSavedG, where waitSignalled finds it.
	MOVQ SP, R13
	LEAQ ·slotG(SB), DX
	MOVQ R12, AX
	IMULQ $512, AX               // sizeof(fakeG)
	ADDQ AX, DX                  // the slot's stand-in g
	MOVQ 8(DX), SP               // the slot's stack top (g.stack.hi)
	SUBQ $FAST_FRAME, SP
	MOVQ BX, 32(SP)
	MOVQ CX, 40(SP)
	MOVQ DI, 48(SP)
	MOVQ SI, 56(SP)
	MOVQ R8, 64(SP)
	MOVQ R9, 72(SP)
	MOVQ R13, 80(SP)             // the caller's stack
	MOVQ BP, 88(SP)
	MOVQ R12, 104(SP)            // the slot
	MOVQ R10, 112(SP)            // the number
	MOVQ DI, 120(SP)             // a3: rdx after a host call, which Syscall6 returns as r2
	MOVQ DX, R13                 // the stand-in g: SYSCALL keeps R12 and R13
	// Block every signal while the kernel runs, as sigsys's sa_mask does:
	// no Go handler may meet the stand-in g, and the kernel is not
	// reentrant. The old mask (slotMask) is put back exactly.
	MOVQ $2, DI                  // SIG_SETMASK
	LEAQ ·allSignals(SB), SI
	LEAQ ·slotMask(SB), DX
	LEAQ (DX)(R12*8), DX
	CALL ·sigmaskSyscall(SB)
	MOVQ (TLS), AX
	LEAQ ·slotSavedG(SB), DX
	MOVQ AX, (DX)(R12*8)
	MOVQ R13, (TLS)
	MOVQ R12, 0(SP)
	MOVQ 112(SP), AX
	MOVQ AX, 8(SP)
	LEAQ 32(SP), AX
	MOVQ AX, 16(SP)
	CALL ·sandboxFast(SB)
	MOVQ 24(SP), AX
	MOVQ AX, 112(SP)             // the result
	MOVQ 104(SP), CX
	LEAQ ·slotSavedG(SB), DX
	MOVQ (DX)(CX*8), AX
	MOVQ AX, (TLS)
	MOVQ $2, DI
	LEAQ ·slotMask(SB), SI
	LEAQ (SI)(CX*8), SI
	XORL DX, DX
	CALL ·sigmaskSyscall(SB)
	MOVQ 112(SP), AX
	MOVQ 120(SP), DX
	MOVQ 104(SP), R12
	MOVQ 88(SP), BP
	MOVQ 80(SP), SP
	LEAQ ·slotBusy(SB), R11
	MOVL $0, (R11)(R12*4)
	// Back to ABIInternal: g in R14, X15 zero.
	MOVQ (TLS), R14
	XORPS X15, X15
	JMP result

// func waitSignalled(p *uint32, val uint32, ts, gp uintptr, mask uint64) uintptr
// sleeps on the host futex *p (FUTEX_WAIT_PRIVATE while *p == val, ts the
// timeout or 0) as the thread of the call that came through fastSyscall6:
// with that call's g in TLS and only mask blocked, so that a signal the
// runtime sends this very thread (AllThreadsSyscall's) is handled while it
// waits. The stand-in g and the full mask are back before it returns.
TEXT ·waitSignalled(SB),NOSPLIT,$0-48
	MOVQ (TLS), R12              // the stand-in g
	MOVQ gp+24(FP), AX
	MOVQ AX, (TLS)
	MOVQ $2, DI                  // SIG_SETMASK
	LEAQ mask+32(FP), SI
	XORL DX, DX
	CALL ·sigmaskSyscall(SB)
	MOVQ p+0(FP), DI
	MOVQ $128, SI                // FUTEX_WAIT_PRIVATE
	MOVL val+8(FP), DX
	MOVQ ts+16(FP), R10
	XORL R8, R8
	XORL R9, R9
	MOVQ $202, AX                // futex
	SYSCALL
	MOVQ AX, R13
	MOVQ $2, DI
	LEAQ ·allSignals(SB), SI
	XORL DX, DX
	CALL ·sigmaskSyscall(SB)
	MOVQ R12, (TLS)
	MOVQ R13, ret+40(FP)
	RET

// sigmaskSyscall is rt_sigprocmask(DI, SI, DX, 8): the one place the filter
// lets that call through, by the address of its SYSCALL instruction.
TEXT ·sigmaskSyscall(SB),NOSPLIT|NOFRAME,$0
	MOVQ $8, R10 // sizeof(sigset_t)
	MOVQ $14, AX
	SYSCALL
	RET

// func sigmaskSyscallAddr() uintptr
TEXT ·sigmaskSyscallAddr(SB),NOSPLIT,$0-8
	MOVQ $·sigmaskSyscall(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func fastSyscall6Addr() uintptr
TEXT ·fastSyscall6Addr(SB),NOSPLIT,$0-8
	MOVQ $·fastSyscall6(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// sigreturn is the SA_RESTORER of the SIGSYS handler.
TEXT ·sigreturn(SB),NOSPLIT|NOFRAME,$0
	MOVQ $15, AX // rt_sigreturn
	SYSCALL
	INT $3

// func sigsysAddr() uintptr
TEXT ·sigsysAddr(SB),NOSPLIT,$0-8
	MOVQ $·sigsys(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func sigreturnAddr() uintptr
TEXT ·sigreturnAddr(SB),NOSPLIT,$0-8
	MOVQ $·sigreturn(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func hostSyscall(nr, a0, a1, a2, a3, a4, a5 uintptr) uintptr makes a host
// system call and returns rax (-errno on failure).
TEXT ·hostSyscall(SB),NOSPLIT,$0-64
	MOVQ nr+0(FP), AX
	MOVQ a0+8(FP), DI
	MOVQ a1+16(FP), SI
	MOVQ a2+24(FP), DX
	MOVQ a3+32(FP), R10
	MOVQ a4+40(FP), R8
	MOVQ a5+48(FP), R9
	SYSCALL
	MOVQ AX, ret+56(FP)
	RET

// func sigactionSyscall(sig, act, old uintptr) uintptr is the one place the
// filter lets rt_sigaction through: by the address of its SYSCALL
// instruction, which syscallPC finds.
TEXT ·sigactionSyscall(SB),NOSPLIT,$0-32
	MOVQ sig+0(FP), DI
	MOVQ act+8(FP), SI
	MOVQ old+16(FP), DX
	MOVQ $8, R10 // sizeof(sigset_t)
	MOVQ $13, AX
	SYSCALL
	MOVQ AX, ret+24(FP)
	RET

// func sigactionSyscallAddr() uintptr
TEXT ·sigactionSyscallAddr(SB),NOSPLIT,$0-8
	MOVQ $·sigactionSyscall(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func cas32(p *uint32, old, new uint32) bool
TEXT ·cas32(SB),NOSPLIT,$0-17
	MOVQ p+0(FP), BX
	MOVL old+8(FP), AX
	MOVL new+12(FP), CX
	LOCK
	CMPXCHGL CX, 0(BX)
	SETEQ ret+16(FP)
	RET

// func xchg32(p *uint32, v uint32) uint32
TEXT ·xchg32(SB),NOSPLIT,$0-20
	MOVQ p+0(FP), BX
	MOVL v+8(FP), AX
	XCHGL AX, 0(BX)
	MOVL AX, ret+16(FP)
	RET

// func xadd32(p *uint32, d uint32) uint32 returns the new value.
TEXT ·xadd32(SB),NOSPLIT,$0-20
	MOVQ p+0(FP), BX
	MOVL d+8(FP), AX
	MOVL AX, CX
	LOCK
	XADDL AX, 0(BX)
	ADDL CX, AX
	MOVL AX, ret+16(FP)
	RET
