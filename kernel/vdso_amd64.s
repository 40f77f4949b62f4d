//go:build !gobisandbox

#include "textflag.h"

// vdsoClockGettime is __vdso_clock_gettime, called by the Go runtime with
// the C ABI (System V AMD64): DI = clock id, SI = *struct timespec; returns
// 0 in AX. It computes time from the TSC exactly as nanotime and walltime in
// clock_amd64.go do, and falls back to the system call for other clocks.
TEXT vdsoClockGettime<>(SB),NOSPLIT|NOFRAME,$0
	XORQ R9, R9 // the offset added to monotonic time: none
	CMPQ DI, $1 // CLOCK_MONOTONIC
	JEQ monotonic
	CMPQ DI, $4 // CLOCK_MONOTONIC_RAW
	JEQ monotonic
	CMPQ DI, $7 // CLOCK_BOOTTIME
	JEQ monotonic
	CMPQ DI, $0 // CLOCK_REALTIME
	JEQ realtime
	MOVQ $228, AX // anything else: the real clock_gettime
	SYSCALL
	RET
realtime:
	MOVQ ·bootWall(SB), R9
monotonic:
	RDTSC
	SHLQ $32, DX
	ORQ DX, AX
	SUBQ ·tsc0(SB), AX
	MOVQ ·tscMult(SB), R8
	MOVQ AX, R10
	SHRQ $32, R10
	IMULQ R8, R10 // (d >> 32) * mult
	MOVL AX, AX
	MULQ R8       // (d & 0xffffffff) * mult, 128-bit in DX:AX
	SHRQ $32, AX
	SHLQ $32, DX
	ORQ DX, AX    // >> 32
	ADDQ R10, AX
	ADDQ R9, AX   // ns
	XORQ DX, DX
	MOVQ $1000000000, R8
	DIVQ R8
	MOVQ AX, 0(SI)
	MOVQ DX, 8(SI)
	XORQ AX, AX
	RET

// func vdsoClockGettimeAddr() uintptr
TEXT ·vdsoClockGettimeAddr(SB),NOSPLIT,$0-8
	MOVQ $vdsoClockGettime<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET
