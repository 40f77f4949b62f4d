//go:build !gobisandbox

package kernel

import "unsafe"

// Descriptor tables: GDT, TSS and IDT (Intel SDM vol. 3 §3.4.5, §7.2.3, §6.14).
// Everything runs at CPL 0, so the GDT holds only the kernel code and data
// segments and the TSS, whose IST1 gives every interrupt and exception a
// known-good stack and IST2 a separate one for double faults.

const (
	selKCode = 0x08
	selKData = 0x10
	selTSS   = 0x18

	istSize = 16384 // must match IST_SIZE in asm_amd64.h
)

var (
	gdt     [5]uint64 // null, code64, data, TSS (two slots)
	gdtr    [2]uint64 // limit:16, base:64, packed from byte 0
	tss     [13]uint64
	idt     [256][2]uint64
	idtr    [2]uint64
	ist1    [istSize]byte
	ist2    [istSize]byte
	vectors [49]uintptr
)

// setupDescriptors installs the final GDT, TSS and IDT and the SYSCALL MSRs.
func setupDescriptors() {
	gdt[1] = 0x00af9a000000ffff // 64-bit code, DPL 0
	gdt[2] = 0x00cf92000000ffff // data, writable

	// 64-bit TSS: IST1 at byte offset 36, IST2 at 44.
	tb := (*[104]byte)(unsafe.Pointer(&tss))
	put64(tb[36:], uint64(uintptr(unsafe.Pointer(&ist1))+istSize))
	put64(tb[44:], uint64(uintptr(unsafe.Pointer(&ist2))+istSize))
	put16(tb[102:], 104) // I/O map base beyond the limit: no I/O bitmap
	base := uint64(uintptr(unsafe.Pointer(&tss)))
	limit := uint64(103)
	gdt[3] = limit&0xffff | (base&0xffffff)<<16 | 0x89<<40 | (base>>24&0xff)<<56
	gdt[4] = base >> 32

	gb := (*[16]byte)(unsafe.Pointer(&gdtr))
	put16(gb[0:], uint16(len(gdt)*8-1))
	put64(gb[2:], uint64(uintptr(unsafe.Pointer(&gdt))))
	loadGDT(uintptr(unsafe.Pointer(&gdtr)))
	loadTR(selTSS)

	vectorAddrs(&vectors)
	for v := 0; v < 48; v++ {
		ist := uint64(1)
		if v == 8 {
			ist = 2 // #DF: its own stack (SDM vol. 3 §6.15, interrupt 8)
		}
		setGate(v, vectors[v], ist)
	}
	setGate(255, vectors[48], 1)
	ib := (*[16]byte)(unsafe.Pointer(&idtr))
	put16(ib[0:], uint16(len(idt)*16-1))
	put64(ib[2:], uint64(uintptr(unsafe.Pointer(&idt))))
	loadIDT(uintptr(unsafe.Pointer(&idtr)))

	// SYSCALL: CS from STAR[47:32]; clear IF, TF, DF, AC on entry (SDM vol. 3 §5.8.8).
	wrmsr(msrSTAR, uint64(selKCode)<<32)
	wrmsr(msrLSTAR, uint64(syscallEntryAddr()))
	wrmsr(msrFMASK, 0x47700)
}

// setGate installs a 64-bit interrupt gate (type 0xE, present, DPL 0).
func setGate(v int, addr uintptr, ist uint64) {
	a := uint64(addr)
	idt[v][0] = a&0xffff | uint64(selKCode)<<16 | ist<<32 | 0x8e<<40 | (a>>16&0xffff)<<48
	idt[v][1] = a >> 32
}
