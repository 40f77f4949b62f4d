//go:build gobisandbox

// The sandbox's entry points: the process entry that confines the program
// before the Go runtime starts, the SIGSYS handler that carries a trapped
// system call into the kernel's syscall layer, and the raw host system calls
// the layer makes. sandbox.go and sandbox_trap.go hold the policy.

#include "textflag.h"

#define SB_SLOTS 64
#define SB_STACK 65536

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
// instruction, which sigactionPC finds.
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
