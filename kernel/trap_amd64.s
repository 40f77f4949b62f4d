//go:build !gobisandbox

// Trap entry and exit. Every way into the kernel — an exception, an interrupt,
// or the SYSCALL instruction — builds the same frame (struct regs in
// trap_amd64.go) and goes through kernelEntry, which copies it into the current
// thread's context, saves the FPU/SSE/AVX state, switches to the kernel stack
// and kernel TLS, and calls trap(). resume restores whichever thread trap()
// chose and returns to it with IRETQ (Intel SDM vol. 3 §6.14).
//
// Everything runs at CPL 0: the runtime's SYSCALL lands at syscallEntry
// through IA32_LSTAR; interrupts and exceptions arrive on IST1 so a thread's
// own (possibly tiny) stack is never written by the CPU.

#include "textflag.h"
#include "asm_amd64.h"

// Exceptions that push an error code: #DF 8, #TS 10, #NP 11, #SS 12, #GP 13,
// #PF 14, #AC 17, #CP 21, #VC 29, #SX 30 (Intel SDM vol. 3 §6.15).

TEXT ·vec0(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $0
	JMP trapcommon<>(SB)

TEXT ·vec1(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $1
	JMP trapcommon<>(SB)

TEXT ·vec2(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $2
	JMP trapcommon<>(SB)

TEXT ·vec3(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $3
	JMP trapcommon<>(SB)

TEXT ·vec4(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $4
	JMP trapcommon<>(SB)

TEXT ·vec5(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $5
	JMP trapcommon<>(SB)

TEXT ·vec6(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $6
	JMP trapcommon<>(SB)

TEXT ·vec7(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $7
	JMP trapcommon<>(SB)

TEXT ·vec8(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $8
	JMP trapcommon<>(SB)

TEXT ·vec9(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $9
	JMP trapcommon<>(SB)

TEXT ·vec10(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $10
	JMP trapcommon<>(SB)

TEXT ·vec11(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $11
	JMP trapcommon<>(SB)

TEXT ·vec12(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $12
	JMP trapcommon<>(SB)

TEXT ·vec13(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $13
	JMP trapcommon<>(SB)

TEXT ·vec14(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $14
	JMP trapcommon<>(SB)

TEXT ·vec15(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $15
	JMP trapcommon<>(SB)

TEXT ·vec16(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $16
	JMP trapcommon<>(SB)

TEXT ·vec17(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $17
	JMP trapcommon<>(SB)

TEXT ·vec18(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $18
	JMP trapcommon<>(SB)

TEXT ·vec19(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $19
	JMP trapcommon<>(SB)

TEXT ·vec20(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $20
	JMP trapcommon<>(SB)

TEXT ·vec21(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $21
	JMP trapcommon<>(SB)

TEXT ·vec22(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $22
	JMP trapcommon<>(SB)

TEXT ·vec23(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $23
	JMP trapcommon<>(SB)

TEXT ·vec24(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $24
	JMP trapcommon<>(SB)

TEXT ·vec25(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $25
	JMP trapcommon<>(SB)

TEXT ·vec26(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $26
	JMP trapcommon<>(SB)

TEXT ·vec27(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $27
	JMP trapcommon<>(SB)

TEXT ·vec28(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $28
	JMP trapcommon<>(SB)

TEXT ·vec29(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $29
	JMP trapcommon<>(SB)

TEXT ·vec30(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $30
	JMP trapcommon<>(SB)

TEXT ·vec31(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $31
	JMP trapcommon<>(SB)

TEXT ·vec32(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $32
	JMP trapcommon<>(SB)

TEXT ·vec33(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $33
	JMP trapcommon<>(SB)

TEXT ·vec34(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $34
	JMP trapcommon<>(SB)

TEXT ·vec35(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $35
	JMP trapcommon<>(SB)

TEXT ·vec36(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $36
	JMP trapcommon<>(SB)

TEXT ·vec37(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $37
	JMP trapcommon<>(SB)

TEXT ·vec38(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $38
	JMP trapcommon<>(SB)

TEXT ·vec39(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $39
	JMP trapcommon<>(SB)

TEXT ·vec40(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $40
	JMP trapcommon<>(SB)

TEXT ·vec41(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $41
	JMP trapcommon<>(SB)

TEXT ·vec42(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $42
	JMP trapcommon<>(SB)

TEXT ·vec43(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $43
	JMP trapcommon<>(SB)

TEXT ·vec44(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $44
	JMP trapcommon<>(SB)

TEXT ·vec45(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $45
	JMP trapcommon<>(SB)

TEXT ·vec46(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $46
	JMP trapcommon<>(SB)

TEXT ·vec47(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $47
	JMP trapcommon<>(SB)

TEXT ·vec255(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $255
	JMP trapcommon<>(SB)

// func vectorAddrs(out *[49]uintptr) stores the entry addresses of vectors
// 0-47 and, last, of the spurious-interrupt vector 255.
TEXT ·vectorAddrs(SB),NOSPLIT,$0-8
	MOVQ out+0(FP), DI
	MOVQ $·vec0(SB), AX
	MOVQ AX, 0(DI)
	MOVQ $·vec1(SB), AX
	MOVQ AX, 8(DI)
	MOVQ $·vec2(SB), AX
	MOVQ AX, 16(DI)
	MOVQ $·vec3(SB), AX
	MOVQ AX, 24(DI)
	MOVQ $·vec4(SB), AX
	MOVQ AX, 32(DI)
	MOVQ $·vec5(SB), AX
	MOVQ AX, 40(DI)
	MOVQ $·vec6(SB), AX
	MOVQ AX, 48(DI)
	MOVQ $·vec7(SB), AX
	MOVQ AX, 56(DI)
	MOVQ $·vec8(SB), AX
	MOVQ AX, 64(DI)
	MOVQ $·vec9(SB), AX
	MOVQ AX, 72(DI)
	MOVQ $·vec10(SB), AX
	MOVQ AX, 80(DI)
	MOVQ $·vec11(SB), AX
	MOVQ AX, 88(DI)
	MOVQ $·vec12(SB), AX
	MOVQ AX, 96(DI)
	MOVQ $·vec13(SB), AX
	MOVQ AX, 104(DI)
	MOVQ $·vec14(SB), AX
	MOVQ AX, 112(DI)
	MOVQ $·vec15(SB), AX
	MOVQ AX, 120(DI)
	MOVQ $·vec16(SB), AX
	MOVQ AX, 128(DI)
	MOVQ $·vec17(SB), AX
	MOVQ AX, 136(DI)
	MOVQ $·vec18(SB), AX
	MOVQ AX, 144(DI)
	MOVQ $·vec19(SB), AX
	MOVQ AX, 152(DI)
	MOVQ $·vec20(SB), AX
	MOVQ AX, 160(DI)
	MOVQ $·vec21(SB), AX
	MOVQ AX, 168(DI)
	MOVQ $·vec22(SB), AX
	MOVQ AX, 176(DI)
	MOVQ $·vec23(SB), AX
	MOVQ AX, 184(DI)
	MOVQ $·vec24(SB), AX
	MOVQ AX, 192(DI)
	MOVQ $·vec25(SB), AX
	MOVQ AX, 200(DI)
	MOVQ $·vec26(SB), AX
	MOVQ AX, 208(DI)
	MOVQ $·vec27(SB), AX
	MOVQ AX, 216(DI)
	MOVQ $·vec28(SB), AX
	MOVQ AX, 224(DI)
	MOVQ $·vec29(SB), AX
	MOVQ AX, 232(DI)
	MOVQ $·vec30(SB), AX
	MOVQ AX, 240(DI)
	MOVQ $·vec31(SB), AX
	MOVQ AX, 248(DI)
	MOVQ $·vec32(SB), AX
	MOVQ AX, 256(DI)
	MOVQ $·vec33(SB), AX
	MOVQ AX, 264(DI)
	MOVQ $·vec34(SB), AX
	MOVQ AX, 272(DI)
	MOVQ $·vec35(SB), AX
	MOVQ AX, 280(DI)
	MOVQ $·vec36(SB), AX
	MOVQ AX, 288(DI)
	MOVQ $·vec37(SB), AX
	MOVQ AX, 296(DI)
	MOVQ $·vec38(SB), AX
	MOVQ AX, 304(DI)
	MOVQ $·vec39(SB), AX
	MOVQ AX, 312(DI)
	MOVQ $·vec40(SB), AX
	MOVQ AX, 320(DI)
	MOVQ $·vec41(SB), AX
	MOVQ AX, 328(DI)
	MOVQ $·vec42(SB), AX
	MOVQ AX, 336(DI)
	MOVQ $·vec43(SB), AX
	MOVQ AX, 344(DI)
	MOVQ $·vec44(SB), AX
	MOVQ AX, 352(DI)
	MOVQ $·vec45(SB), AX
	MOVQ AX, 360(DI)
	MOVQ $·vec46(SB), AX
	MOVQ AX, 368(DI)
	MOVQ $·vec47(SB), AX
	MOVQ AX, 376(DI)
	MOVQ $·vec255(SB), AX
	MOVQ AX, 384(DI)
	RET

// trapcommon saves the general registers below the vector and error code.
TEXT trapcommon<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ AX
	PUSHQ BX
	PUSHQ CX
	PUSHQ DX
	PUSHQ SI
	PUSHQ DI
	PUSHQ BP
	PUSHQ R8
	PUSHQ R9
	PUSHQ R10
	PUSHQ R11
	PUSHQ R12
	PUSHQ R13
	PUSHQ R14
	PUSHQ R15
	JMP kernelEntry<>(SB)

// func syscallEntryAddr() uintptr
TEXT ·syscallEntryAddr(SB),NOSPLIT,$0-8
	MOVQ $syscallEntry<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// syscallEntry is IA32_LSTAR. SYSCALL left the return address in CX and the
// flags in R11 and cleared IF (IA32_FMASK); the stack is still the caller's,
// so switch to the top of IST1 (free: interrupts are off) and build the frame
// an interrupt would have, with vector VEC_SYSCALL.
TEXT syscallEntry<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ SP, ·syscallRSP(SB)
	LEAQ ·ist1+IST_SIZE(SB), SP
	PUSHQ $SEL_KDATA
	PUSHQ ·syscallRSP(SB)
	PUSHQ R11
	PUSHQ $SEL_KCODE
	PUSHQ CX
	PUSHQ $0
	PUSHQ $VEC_SYSCALL
	JMP trapcommon<>(SB)

// kernelEntry: SP points at a complete frame.
TEXT kernelEntry<>(SB),NOSPLIT|NOFRAME,$0
	CLD
	CMPB ·inKernel(SB), $0
	JNE nested
	MOVQ ·curCtx(SB), DI
	MOVQ SP, SI
	MOVQ $CTX_NREGS, CX
	REP; MOVSQ
	MOVQ ·curCtx(SB), BX
	MOVQ CTX_FPADDR(BX), DI
	MOVL $0xFFFFFFFF, AX
	MOVL $0xFFFFFFFF, DX
	CMPB ·useXsave(SB), $0
	JEQ fxsave
	BYTE $0x48; BYTE $0x0F; BYTE $0xAE; BYTE $0x27 // xsave64 (rdi)
	JMP saved
fxsave:
	BYTE $0x48; BYTE $0x0F; BYTE $0xAE; BYTE $0x07 // fxsave64 (rdi)
saved:
	MOVB $1, ·inKernel(SB)
	LEAQ ·kstack+KSTACK_SIZE(SB), SP
	CALL ·enterKernelTLS(SB)
	CALL ·trap(SB)
	JMP resume<>(SB)
nested:
	// A fault inside the kernel itself: report it on this stack. Every
	// trap starts at the top of IST1, so a fault while reporting would
	// report again forever: the second one stops the machine at once.
	// The report runs as the kernel's own g on the kernel stack (the
	// faulting code may have replaced the g in TLS, as the runtime's panic
	// path does); the frame stays on IST1.
	CMPB ·inKernelFault(SB), $0
	JNE stop
	MOVB $1, ·inKernelFault(SB)
	MOVQ SP, R12
	CALL ·enterKernelTLS(SB)
	LEAQ ·kstack+KSTACK_SIZE(SB), SP
	SUBQ $16, SP
	MOVQ R12, 0(SP)
	CALL ·kernelFault(SB)
stop:
	MOVW $0xf4, DX // isa-debug-exit (docs/hostabi.md), as powerOff
	XORL AX, AX
	OUTB
	CALL ·halt(SB)

// func resumeCurrent() starts the thread that curCtx names; it does not return.
TEXT ·resumeCurrent(SB),NOSPLIT|NOFRAME,$0-0
	JMP resume<>(SB)

// resume returns to the thread whose context curCtx points at.
TEXT resume<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ ·curCtx(SB), BX
	MOVQ CTX_FPADDR(BX), DI
	MOVL $0xFFFFFFFF, AX
	MOVL $0xFFFFFFFF, DX
	CMPB ·useXsave(SB), $0
	JEQ fxrstor
	BYTE $0x48; BYTE $0x0F; BYTE $0xAE; BYTE $0x2F // xrstor64 (rdi)
	JMP restored
fxrstor:
	BYTE $0x48; BYTE $0x0F; BYTE $0xAE; BYTE $0x0F // fxrstor64 (rdi)
restored:
	MOVQ CTX_FSBASE(BX), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000100, CX // IA32_FS_BASE
	WRMSR
	MOVB $0, ·inKernel(SB)
	MOVQ BX, SP
	POPQ R15
	POPQ R14
	POPQ R13
	POPQ R12
	POPQ R11
	POPQ R10
	POPQ R9
	POPQ R8
	POPQ BP
	POPQ DI
	POPQ SI
	POPQ DX
	POPQ CX
	POPQ BX
	POPQ AX
	ADDQ $16, SP
	IRETQ

// func enterKernelTLS() points IA32_FS_BASE at the kernel's TLS block, whose
// slot at -8 the Go ABI0 wrappers load into R14 as the current g (kernelG:
// its stack bounds are the kernel stack's, so Go prologues pass).
TEXT ·enterKernelTLS(SB),NOSPLIT|NOFRAME,$0-0
	LEAQ ·kernelG(SB), AX
	MOVQ AX, ·ktls(SB)
	LEAQ ·kstack(SB), AX
	MOVQ AX, ·kernelG+0(SB)
	ADDQ $KSTACK_SIZE, AX
	MOVQ AX, ·kernelG+8(SB)
	LEAQ ·kstack+4096(SB), AX
	MOVQ AX, ·kernelG+16(SB)
	MOVQ AX, ·kernelG+24(SB)
	LEAQ ·ktls+8(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000100, CX
	WRMSR
	RET

// func idleAddr() uintptr
TEXT ·idleAddr(SB),NOSPLIT,$0-8
	MOVQ $idleLoop<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// idleLoop is the idle thread: it waits for the next interrupt.
TEXT idleLoop<>(SB),NOSPLIT|NOFRAME,$0
	STI
	HLT
	JMP -1(PC)
