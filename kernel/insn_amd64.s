// Unprivileged CPU instructions, usable from the VM kernel and from the
// sandbox alike (insn_amd64.go declares them).

#include "textflag.h"

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB),NOSPLIT,$0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func rdrand() (v uint64, ok bool)
TEXT ·rdrand(SB),NOSPLIT,$0-9
	BYTE $0x48; BYTE $0x0F; BYTE $0xC7; BYTE $0xF0 // rdrand rax
	SETCS BX
	MOVQ AX, v+0(FP)
	MOVB BX, ok+8(FP)
	RET

// func rdseed() (v uint64, ok bool)
TEXT ·rdseed(SB),NOSPLIT,$0-9
	BYTE $0x48; BYTE $0x0F; BYTE $0xC7; BYTE $0xF8 // rdseed rax
	SETCS BX
	MOVQ AX, v+0(FP)
	MOVB BX, ok+8(FP)
	RET

// func pause()
TEXT ·pause(SB),NOSPLIT,$0-0
	PAUSE
	RET
