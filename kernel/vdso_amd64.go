//go:build !gobisandbox

package kernel

// A vDSO: the ELF shared object Linux maps into every process so that
// clock_gettime needs no system call. The Go runtime reads the time
// constantly (its scheduler, timers, every time.Now) and, without a vDSO,
// four system calls in five were clock_gettime. This one exports
// __vdso_clock_gettime (version LINUX_2.6, as the runtime looks it up in
// runtime/vdso_linux_amd64.go), whose code is vdsoClockGettime in
// vdso_amd64.s, in the image's text; the ELF here is only the directory the
// runtime parses (ELF-64 gABI: dynamic section, DT_HASH, symbol versions).
// It is passed as AT_SYSINFO_EHDR.

func vdsoClockGettimeAddr() uintptr

// Offsets within the vDSO page.
const (
	vdsoPhdrs   = 64
	vdsoDynamic = 0x100
	vdsoStrtab  = 0x200
	vdsoSymtab  = 0x300
	vdsoHash    = 0x400
	vdsoVersym  = 0x480
	vdsoVerdef  = 0x500

	// Names in the string table: "\x00__vdso_clock_gettime\x00LINUX_2.6\x00gobi\x00".
	vdsoStrings     = "\x00__vdso_clock_gettime\x00LINUX_2.6\x00gobi\x00"
	vdsoNameClock   = 1
	vdsoNameVersion = 22
	vdsoNameBase    = 32

	linux26Hash = 0x3ae75f6 // ELF hash of "LINUX_2.6"
)

var vdsoBase uintptr

// setupVDSO builds the vDSO in a fresh page frame.
func setupVDSO() {
	base := mustAllocFrame()
	buildVDSO(bytesAt(base, pageSize), base, vdsoClockGettimeAddr())
	vdsoBase = base

}

// buildVDSO lays out the vDSO in page b, which will sit at address base,
// for a __vdso_clock_gettime at address fn.
func buildVDSO(b []byte, base, fn uintptr) {
	// ELF header: 64-bit, little-endian, ET_DYN, x86-64.
	copy(b, "\x7fELF\x02\x01\x01")
	put16(b[16:], 3)
	put16(b[18:], 62)
	put32(b[20:], 1)
	put64(b[32:], vdsoPhdrs)
	put16(b[52:], 64)
	put16(b[54:], 56)
	put16(b[56:], 2)
	// PT_LOAD at offset and address 0: the load offset is the page itself.
	ph := b[vdsoPhdrs:]
	put32(ph[0:], 1)
	put32(ph[4:], 5) // R|X
	put64(ph[32:], pageSize)
	put64(ph[40:], pageSize)
	// PT_DYNAMIC.
	ph = b[vdsoPhdrs+56:]
	put32(ph[0:], 2)
	put32(ph[4:], 4)
	put64(ph[8:], vdsoDynamic)
	put64(ph[16:], vdsoDynamic)
	put64(ph[32:], 16*9)
	put64(ph[40:], 16*9)
	dyn := b[vdsoDynamic:]
	for k, e := range [...][2]uint64{
		{4, vdsoHash}, {5, vdsoStrtab}, {6, vdsoSymtab}, {10, uint64(len(vdsoStrings))},
		{11, 24}, {0x6ffffff0, vdsoVersym}, {0x6ffffffc, vdsoVerdef}, {0x6ffffffd, 2}, {0, 0},
	} {
		put64(dyn[k*16:], e[0])
		put64(dyn[k*16+8:], e[1])
	}
	copy(b[vdsoStrtab:], vdsoStrings)
	// Symbol 1: __vdso_clock_gettime, a global function; its value is
	// relative to the load offset (the page), wrapping if the code lies below.
	sym := b[vdsoSymtab+24:]
	put32(sym[0:], vdsoNameClock)
	sym[4] = 0x12 // STB_GLOBAL, STT_FUNC
	put16(sym[6:], 1)
	put64(sym[8:], uint64(fn-base))
	// DT_HASH: one bucket holding symbol 1.
	h := b[vdsoHash:]
	put32(h[0:], 1)
	put32(h[4:], 2)
	put32(h[8:], 1)
	// Symbol versions: symbol 1 is version 2, LINUX_2.6.
	put16(b[vdsoVersym+2:], 2)
	v := b[vdsoVerdef:]
	for k, d := range [...][3]uint32{{1, 1, vdsoNameBase}, {0, 2, vdsoNameVersion}} {
		e := v[k*28:]
		put16(e[0:], 1) // vd_version
		put16(e[2:], uint16(d[0]))
		put16(e[4:], uint16(d[1]))
		put16(e[6:], 1)
		if d[1] == 2 {
			put32(e[8:], linux26Hash)
		}
		put32(e[12:], 20) // vd_aux
		if k == 0 {
			put32(e[16:], 28) // vd_next
		}
		put32(e[20:], d[2]) // vda_name
	}
}
