package image

import (
	"encoding/binary"
	"fmt"
)

// I/O ports of the machine described in docs/hostabi.md.
const (
	PortStdout    = 0x3f8 // COM1: the program's stdout and stdin
	PortStderr    = 0x2f8 // COM2: the program's stderr
	PortKernel    = 0x3e8 // COM3: the kernel channel
	PortPowerOff  = 0xf4  // isa-debug-exit
	uartLineState = 5     // LSR offset; bit 0 = data ready (16550 datasheet)
)

// loadAddr is where probe guests are loaded: 1 MiB, as for real images.
const loadAddr = 0x100000

// Probe is a tiny guest program in 32-bit x86 machine code, entered in
// protected mode with paging off as PVH specifies. It is assembled by hand
// from the few instructions a hypervisor probe needs, so gobi can test QEMU
// and KVM without building a Go image.
type Probe struct {
	code []byte
}

// Write appends code that writes data to the UART at port, byte by byte.
// A UART in QEMU accepts a byte whenever the transmitter is idle, so the
// probe does not poll the line status.
func (p *Probe) Write(port uint16, data string) *Probe {
	p.movDX(port)
	for i := 0; i < len(data); i++ {
		p.code = append(p.code, 0xb0, data[i], 0xee) // mov al, imm8; out dx, al
	}
	return p
}

// Echo appends a loop that copies every byte received on the UART at port
// back to it, until a zero byte arrives (the end-of-file escape ff 00 of
// docs/hostabi.md ends the loop after echoing the ff).
func (p *Probe) Echo(port uint16) *Probe {
	top := len(p.code)
	p.movDX(port + uartLineState)
	p.code = append(p.code,
		0xec,       // in al, dx
		0xa8, 0x01, // test al, 1 (data ready)
	)
	p.jump(0x74, top) // jz top
	p.movDX(port)
	p.code = append(p.code,
		0xec,       // in al, dx
		0x3c, 0x00, // cmp al, 0
		0x74, 0x03, // je past the next two instructions
		0xee, // out dx, al
	)
	p.jump(0xeb, top) // jmp top
	return p
}

// Exit appends the exit record for status and powers the machine off.
func (p *Probe) Exit(status int) *Probe {
	p.Write(PortKernel, fmt.Sprintf("\x01exit %d\n", status))
	return p.PowerOff()
}

// PowerOff appends a write to isa-debug-exit, which ends QEMU, followed by
// a halt loop in case no such device exists.
func (p *Probe) PowerOff() *Probe {
	p.movDX(PortPowerOff)
	p.code = append(p.code,
		0x31, 0xc0, // xor eax, eax
		0xef, // out dx, eax
	)
	return p.Halt()
}

// Halt appends a loop that halts the CPU forever: the machine keeps running
// without making progress, as a hung guest would.
func (p *Probe) Halt() *Probe {
	p.code = append(p.code,
		0xf4,       // hlt
		0xeb, 0xfd, // jmp hlt
	)
	return p
}

func (p *Probe) movDX(port uint16) {
	p.code = append(p.code, 0x66, 0xba, byte(port), byte(port>>8))
}

// jump appends a short jump with opcode op to code offset target.
func (p *Probe) jump(op byte, target int) {
	rel := target - (len(p.code) + 2)
	if rel < -128 || rel > 127 {
		panic("image: probe jump out of range")
	}
	p.code = append(p.code, op, byte(int8(rel)))
}

// ELF layout of a probe: header, two program headers, the PVH note, code.
const (
	ehdrSize  = 64
	phdrSize  = 56
	noteOff   = ehdrSize + 2*phdrSize
	noteSize  = noteHeaderSize + noteNameSize + noteDescSize
	probeCode = noteOff + noteSize + 4 // 8-byte aligned start of the code
)

// ELF returns the probe as a PVH-bootable ELF64 executable: one loadable
// segment at 1 MiB holding everything, and one PT_NOTE segment holding the
// PVH entry note. The note segment's alignment is 4, as the gABI wants for
// notes (QEMU uses it to find the descriptor).
func (p *Probe) ELF() []byte {
	size := probeCode + len(p.code)
	entry := uint64(loadAddr + probeCode)
	le := binary.LittleEndian
	b := make([]byte, 0, size)
	// ELF header (System V gABI, "ELF Header").
	b = append(b, 0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little endian */, 1 /* version */, 0 /* System V */)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint16(b, 2)  // ET_EXEC
	b = le.AppendUint16(b, 62) // EM_X86_64
	b = le.AppendUint32(b, 1)  // EV_CURRENT
	b = le.AppendUint64(b, entry)
	b = le.AppendUint64(b, ehdrSize) // e_phoff
	b = le.AppendUint64(b, 0)        // e_shoff: no sections
	b = le.AppendUint32(b, 0)        // e_flags
	b = le.AppendUint16(b, ehdrSize)
	b = le.AppendUint16(b, phdrSize)
	b = le.AppendUint16(b, 2) // e_phnum
	b = le.AppendUint16(b, 0) // e_shentsize
	b = le.AppendUint16(b, 0) // e_shnum
	b = le.AppendUint16(b, 0) // e_shstrndx
	phdr := func(typ, flags uint32, off, addr, size, align uint64) {
		b = le.AppendUint32(b, typ)
		b = le.AppendUint32(b, flags)
		b = le.AppendUint64(b, off)
		b = le.AppendUint64(b, addr) // p_vaddr
		b = le.AppendUint64(b, addr) // p_paddr
		b = le.AppendUint64(b, size) // p_filesz
		b = le.AppendUint64(b, size) // p_memsz
		b = le.AppendUint64(b, align)
	}
	phdr(1 /* PT_LOAD */, 5 /* R+X */, 0, loadAddr, uint64(size), 0x1000)
	phdr(4 /* PT_NOTE */, 4 /* R */, noteOff, loadAddr+noteOff, noteSize, 4)
	b = append(b, pvhNote(entry)...)
	b = append(b, make([]byte, probeCode-len(b))...)
	return append(b, p.code...)
}
