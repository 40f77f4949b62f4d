//go:build !gobisandbox

// Leaf CPU primitives: port and MSR I/O, CPUID, TSC, control registers,
// descriptor tables. Policy stays in Go (cpu_amd64.go declares them).

#include "textflag.h"
#include "asm_amd64.h"

// func outb(port uint16, v uint8)
TEXT ·outb(SB),NOSPLIT,$0-3
	MOVW port+0(FP), DX
	MOVB v+2(FP), AX
	OUTB
	RET

// func inb(port uint16) uint8
TEXT ·inb(SB),NOSPLIT,$0-9
	MOVW port+0(FP), DX
	XORL AX, AX
	INB
	MOVB AX, ret+8(FP)
	RET

// func outl(port uint16, v uint32)
TEXT ·outl(SB),NOSPLIT,$0-8
	MOVW port+0(FP), DX
	MOVL v+4(FP), AX
	OUTL
	RET

// func inl(port uint16) uint32
TEXT ·inl(SB),NOSPLIT,$0-12
	MOVW port+0(FP), DX
	INL
	MOVL AX, ret+8(FP)
	RET

// func rdmsr(msr uint32) uint64
TEXT ·rdmsr(SB),NOSPLIT,$0-16
	MOVL msr+0(FP), CX
	RDMSR
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+8(FP)
	RET

// func wrmsr(msr uint32, v uint64)
TEXT ·wrmsr(SB),NOSPLIT,$0-16
	MOVL msr+0(FP), CX
	MOVQ v+8(FP), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
	RET

// func rdtsc() uint64
TEXT ·rdtsc(SB),NOSPLIT,$0-8
	RDTSC
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+0(FP)
	RET

// func xsetbv(idx uint32, v uint64)
TEXT ·xsetbv(SB),NOSPLIT,$0-16
	MOVL idx+0(FP), CX
	MOVQ v+8(FP), AX
	MOVQ AX, DX
	SHRQ $32, DX
	BYTE $0x0F; BYTE $0x01; BYTE $0xD1 // xsetbv
	RET

// func readCR0() uint64
TEXT ·readCR0(SB),NOSPLIT,$0-8
	MOVQ CR0, AX
	MOVQ AX, ret+0(FP)
	RET

// func readCR2() uint64
TEXT ·readCR2(SB),NOSPLIT,$0-8
	MOVQ CR2, AX
	MOVQ AX, ret+0(FP)
	RET

// func readCR4() uint64
TEXT ·readCR4(SB),NOSPLIT,$0-8
	MOVQ CR4, AX
	MOVQ AX, ret+0(FP)
	RET

// func writeCR4(v uint64)
TEXT ·writeCR4(SB),NOSPLIT,$0-8
	MOVQ v+0(FP), AX
	MOVQ AX, CR4
	RET

// func writeCR3(v uint64)
TEXT ·writeCR3(SB),NOSPLIT,$0-8
	MOVQ v+0(FP), AX
	MOVQ AX, CR3
	RET

// func invlpg(addr uintptr)
TEXT ·invlpg(SB),NOSPLIT,$0-8
	MOVQ addr+0(FP), AX
	INVLPG (AX)
	RET

// func loadGDT(gdtr uintptr)
// Loads the GDT and reloads every segment register from it (CS through a
// far return), since the CPU keeps using cached descriptors until then.
TEXT ·loadGDT(SB),NOSPLIT,$0-8
	MOVQ gdtr+0(FP), AX
	BYTE $0x0F; BYTE $0x01; BYTE $0x10 // lgdt (rax)
	MOVL $SEL_KDATA, AX
	BYTE $0x8E; BYTE $0xD8             // mov ds, eax
	BYTE $0x8E; BYTE $0xC0             // mov es, eax
	BYTE $0x8E; BYTE $0xD0             // mov ss, eax
	POPQ AX                            // return address
	PUSHQ $SEL_KCODE
	PUSHQ AX
	BYTE $0x48; BYTE $0xCB             // lretq
	
// func loadIDT(idtr uintptr)
TEXT ·loadIDT(SB),NOSPLIT,$0-8
	MOVQ idtr+0(FP), AX
	BYTE $0x0F; BYTE $0x01; BYTE $0x18 // lidt (rax)
	RET

// func loadTR(sel uint16)
TEXT ·loadTR(SB),NOSPLIT,$0-2
	MOVW sel+0(FP), AX
	BYTE $0x0F; BYTE $0x00; BYTE $0xD8 // ltr ax
	RET

// func halt()
TEXT ·halt(SB),NOSPLIT,$0-0
	CLI
	HLT
	JMP -1(PC)

// func rt0Addr() uintptr returns the Go runtime's Linux entry point.
TEXT ·rt0Addr(SB),NOSPLIT,$0-8
	MOVQ $_rt0_amd64_linux(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func imageEnd() uintptr returns the end of the image's bss.
TEXT ·imageEnd(SB),NOSPLIT,$0-8
	MOVQ $runtime·end(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func textStart() uintptr returns the first address of the image's text.
TEXT ·textStart(SB),NOSPLIT,$0-8
	MOVQ $runtime·text(SB), AX
	MOVQ AX, ret+0(FP)
	RET
