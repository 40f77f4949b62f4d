//go:build !gobisandbox

package kernel

// Page tables: 4-level paging (Intel SDM vol. 3 §4.5). Physical memory and
// device windows are identity mapped for the kernel; the image is mapped with
// its ELF segments' permissions (text read+execute, rodata read-only, data
// no-execute: W^X); page 0 is never mapped, so nil dereferences fault. The
// program's own memory (mmap) lives above identityEnd and is committed page
// by page on first touch (vma.go).

const (
	ptePresent = 1 << 0
	pteWrite   = 1 << 1
	ptePWT     = 1 << 3
	ptePCD     = 1 << 4
	pteLarge   = 1 << 7
	pteNX      = 1 << 63
	pteAddr    = 0x000ffffffffff000

	largePage = 2 << 20
)

var (
	pml4        uintptr
	identityEnd uintptr // user mappings stay above this
)

// pte returns the level-1 entry for va, creating intermediate tables when
// create is set. It returns 0 if a table is missing (and not created) or if
// va is covered by a large page.
func pte(va uintptr, create bool) uintptr {
	table := pml4
	for shift := uint(39); shift > 12; shift -= 9 {
		e := table + (va>>shift&511)*8
		v := *ptr[uint64](e)
		if v&ptePresent == 0 {
			if !create {
				return 0
			}
			f := mustAllocFrame()
			v = uint64(f) | ptePresent | pteWrite
			*ptr[uint64](e) = v
		} else if v&pteLarge != 0 {
			return 0
		}
		table = uintptr(v & pteAddr)
	}
	return table + (va>>12&511)*8
}

// mapPage maps one 4 KiB page.
func mapPage(va, pa uintptr, flags uint64) {
	e := pte(va, true)
	*ptr[uint64](e) = uint64(pa) | flags
}

// mapLarge identity-maps the 2 MiB page at pa.
func mapLarge(pa uintptr, flags uint64) {
	table := pml4
	for shift := uint(39); shift > 21; shift -= 9 {
		e := table + (pa>>shift&511)*8
		v := *ptr[uint64](e)
		if v&ptePresent == 0 {
			v = uint64(mustAllocFrame()) | ptePresent | pteWrite
			*ptr[uint64](e) = v
		}
		table = uintptr(v & pteAddr)
	}
	*ptr[uint64](table + (pa>>21&511)*8) = uint64(pa) | flags | pteLarge | ptePresent
}

// setupPaging builds the kernel's final page tables and switches to them.
func setupPaging() {
	pml4 = mustAllocFrame()
	var maxRAM uintptr
	for i := 0; i < nRAM; i++ {
		if ramRegions[i].end > maxRAM {
			maxRAM = ramRegions[i].end
		}
	}
	identityEnd = 4 << 30
	if maxRAM > identityEnd {
		identityEnd = (maxRAM + largePage - 1) &^ (largePage - 1)
	}
	// The first 2 MiB at 4 KiB granularity: page 0 absent, the rest data.
	imgLo := textStart() - pageSize // the ELF headers precede the text
	for va := uintptr(pageSize); va < largePage; va += pageSize {
		if va < imgLo {
			mapPage(va, va, ptePresent|pteWrite|pteNX)
		}
	}
	// The image, segment by segment, from its own program headers.
	imgHi := mapImage(imgLo)
	// All other RAM: 2 MiB pages, no-execute.
	for pa := uintptr(largePage); pa < maxRAM; pa += largePage {
		if pa+largePage <= imgLo&^(largePage-1) || pa >= (imgHi+largePage-1)&^(largePage-1) {
			mapLarge(pa, pteWrite|pteNX)
		} else {
			for va := pa; va < pa+largePage; va += pageSize {
				if va < imgLo || va >= imgHi {
					mapPage(va, va, ptePresent|pteWrite|pteNX)
				}
			}
		}
	}
	// Local APIC, I/O APIC and the virtio-mmio window: uncached.
	mapLarge(0xfee00000&^(largePage-1), pteWrite|pteNX|ptePCD|ptePWT)
	mapLarge(0xfec00000&^(largePage-1), pteWrite|pteNX|ptePCD|ptePWT)
	mapLarge(0xfea00000&^(largePage-1), pteWrite|pteNX|ptePCD|ptePWT)
	writeCR3(uint64(pml4))
}

// imageSegments calls fn for each of the image's PT_LOAD segments, page
// aligned, with its file offset and ELF flags (PF_X 1, PF_W 2, PF_R 4),
// reading the ELF and program headers that the loader left in memory at lo
// (ELF-64 Object File Format §3-4).
func imageSegments(lo uintptr, fn func(start, end, off uintptr, pflags uint32)) {
	eh := bytesAt(lo, 64)
	if get32(eh[0:]) != 0x464c457f {
		fatal("boot: ELF header not found below the text")
	}
	phoff := uintptr(get64(eh[32:]))
	phentsize := uintptr(get16(eh[54:]))
	phnum := int(get16(eh[56:]))
	for i := 0; i < phnum; i++ {
		ph := bytesAt(lo+phoff+uintptr(i)*phentsize, 56)
		if get32(ph[0:]) != 1 { // PT_LOAD
			continue
		}
		start := uintptr(get64(ph[16:])) &^ (pageSize - 1)
		end := (uintptr(get64(ph[16:])+get64(ph[40:])) + pageSize - 1) &^ (pageSize - 1)
		fn(start, end, uintptr(get64(ph[8:]))&^(pageSize-1), get32(ph[4:]))
	}
}

// mapImage maps the image's segments with their permissions and returns
// the end of the image.
func mapImage(lo uintptr) uintptr {
	hi := lo
	imageSegments(lo, func(start, end, _ uintptr, pflags uint32) {
		flags := uint64(ptePresent)
		if pflags&2 != 0 { // PF_W
			flags |= pteWrite
		}
		if pflags&1 == 0 { // PF_X
			flags |= pteNX
		}
		for va := start; va < end; va += pageSize {
			mapPage(va, va, flags)
		}
		if end > hi {
			hi = end
		}
	})
	if e := (imageEnd() + pageSize - 1) &^ (pageSize - 1); e > hi {
		for va := hi; va < e; va += pageSize {
			mapPage(va, va, ptePresent|pteWrite|pteNX)
		}
		hi = e
	}
	return hi
}
