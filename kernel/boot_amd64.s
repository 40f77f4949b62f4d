//go:build !gobisandbox

// PVH entry: the boot path from 32-bit protected mode to the first Go code.
//
// QEMU (-kernel), Xen (PVH domU), Firecracker and cloud-hypervisor enter at the
// address in the image's XEN_ELFNOTE_PHYS32_ENTRY note, in 32-bit protected mode,
// paging off, flat segments, %ebx = physical address of struct hvm_start_info
// (Xen's arch-x86/hvm/start_info.h). The Go assembler only emits 64-bit code, so
// the 32-bit part below is spelled out as bytes, and it touches no symbols
// (Go's symbol references are RIP-relative, which 32-bit mode decodes as
// absolute addresses). It uses the fixed scratch area [0x100000, 0x104000),
// which lies below the image (linked at -T 0x200000): PML4, PDPT, one page
// directory mapping the first 1 GiB with 2 MiB pages, and a boot GDT.

#include "textflag.h"
#include "asm_amd64.h"

// func pvhEntry()
TEXT ·pvhEntry(SB),NOSPLIT|NOFRAME,$0
	BYTE $0xFA                         // cli
	BYTE $0xFC                         // cld
	BYTE $0x89; BYTE $0xDE             // mov esi, ebx (start_info)
	// Zero the scratch pages.
	BYTE $0xBF; LONG $0x00100000       // mov edi, 0x100000
	BYTE $0x31; BYTE $0xC0             // xor eax, eax
	BYTE $0xB9; LONG $0x00001000       // mov ecx, 4096 (dwords)
	BYTE $0xF3; BYTE $0xAB             // rep stosd
	// PML4[0] -> PDPT, PDPT[0] -> PD (present|writable).
	BYTE $0xC7; BYTE $0x05; LONG $0x00100000; LONG $0x00101003
	BYTE $0xC7; BYTE $0x05; LONG $0x00101000; LONG $0x00102003
	// PD[i] = i*2MiB | present|writable|large (Intel SDM vol. 3 §4.5).
	BYTE $0xBF; LONG $0x00102000       // mov edi, 0x102000
	BYTE $0xB8; LONG $0x00000083       // mov eax, 0x83
	BYTE $0xB9; LONG $0x00000200       // mov ecx, 512
	BYTE $0x89; BYTE $0x07             // 1: mov [edi], eax
	BYTE $0x05; LONG $0x00200000       // add eax, 0x200000
	BYTE $0x83; BYTE $0xC7; BYTE $0x08 // add edi, 8
	BYTE $0x49                         // dec ecx
	BYTE $0x75; BYTE $0xF3             // jnz 1b
	// Boot GDT at 0x103000: [1] 64-bit code, [2] data; GDTR at 0x103100.
	BYTE $0xC7; BYTE $0x05; LONG $0x00103008; LONG $0x0000FFFF
	BYTE $0xC7; BYTE $0x05; LONG $0x0010300C; LONG $0x00AF9A00
	BYTE $0xC7; BYTE $0x05; LONG $0x00103010; LONG $0x0000FFFF
	BYTE $0xC7; BYTE $0x05; LONG $0x00103014; LONG $0x00CF9200
	BYTE $0x66; BYTE $0xC7; BYTE $0x05; LONG $0x00103100; WORD $23
	BYTE $0xC7; BYTE $0x05; LONG $0x00103102; LONG $0x00103000
	BYTE $0x0F; BYTE $0x01; BYTE $0x15; LONG $0x00103100 // lgdt [0x103100]
	// CR3, then CR4.PAE|OSFXSR|OSXMMEXCPT (SSE for Go code).
	BYTE $0xB8; LONG $0x00100000       // mov eax, 0x100000
	BYTE $0x0F; BYTE $0x22; BYTE $0xD8 // mov cr3, eax
	BYTE $0x0F; BYTE $0x20; BYTE $0xE0 // mov eax, cr4
	BYTE $0x0D; LONG $0x00000620       // or eax, 0x620
	BYTE $0x0F; BYTE $0x22; BYTE $0xE0 // mov cr4, eax
	// EFER.SCE|LME|NXE.
	BYTE $0xB9; LONG $0xC0000080       // mov ecx, IA32_EFER
	BYTE $0x0F; BYTE $0x32             // rdmsr
	BYTE $0x0D; LONG $0x00000901       // or eax, 0x901
	BYTE $0x0F; BYTE $0x30             // wrmsr
	// CR0: PG|WP|NE|MP|PE on, EM|TS off.
	BYTE $0x0F; BYTE $0x20; BYTE $0xC0 // mov eax, cr0
	BYTE $0x25; LONG $0xFFFFFFF3       // and eax, ~(EM|TS)
	BYTE $0x0D; LONG $0x80010023       // or eax, PG|WP|NE|MP|PE
	BYTE $0x0F; BYTE $0x22; BYTE $0xC0 // mov cr0, eax
	// Far return into 64-bit code right after this sequence.
	BYTE $0xE8; LONG $0                // call 1f
	BYTE $0x58                         // 1: pop eax
	BYTE $0x83; BYTE $0xC0; BYTE $0x08 // add eax, 8 (to entry64 below)
	BYTE $0x6A; BYTE $0x08             // push 0x08 (code64 selector)
	BYTE $0x50                         // push eax
	BYTE $0xCB                         // retf
	// entry64: long mode.
	BYTE $0xB8; LONG $0x10             // mov eax, 0x10
	BYTE $0x8E; BYTE $0xD8             // mov ds, eax
	BYTE $0x8E; BYTE $0xC0             // mov es, eax
	BYTE $0x8E; BYTE $0xD0             // mov ss, eax
	BYTE $0x31; BYTE $0xC0             // xor eax, eax
	BYTE $0x8E; BYTE $0xE0             // mov fs, eax
	BYTE $0x8E; BYTE $0xE8             // mov gs, eax
	MOVL SI, SI
	MOVQ SI, ·bootInfoAddr(SB)
	LEAQ ·kstack+KSTACK_SIZE(SB), SP
	CALL ·enterKernelTLS(SB)
	CALL ·kmain(SB)
	// kmain never returns.
	HLT
	JMP -1(PC)
