//go:build !gobisandbox

package kernel

// The PVH boot information (Xen public/arch-x86/hvm/start_info.h): version 1
// carries the memory map the kernel allocates from.

const (
	startInfoMagic = 0x336ec578
	e820RAM        = 1
)

// parseBootInfo copies what the kernel needs out of hvm_start_info before any
// memory is allocated (the firmware placed it in memory the kernel will reuse).
func parseBootInfo() bool {
	if bootInfoAddr == 0 {
		return false
	}
	si := bytesAt(bootInfoAddr, 56)
	if get32(si[0:]) != startInfoMagic {
		return false
	}
	if p := uintptr(get64(si[24:])); p != 0 {
		b := bytesAt(p, maxCmdline)
		for cmdlineLen < maxCmdline-1 && b[cmdlineLen] != 0 {
			cmdline[cmdlineLen] = b[cmdlineLen]
			cmdlineLen++
		}
	}
	if get32(si[4:]) < 1 {
		return false
	}
	mm := uintptr(get64(si[40:]))
	n := int(get32(si[48:]))
	for i := 0; i < n && nRAM < maxRegions; i++ {
		e := bytesAt(mm+uintptr(i)*24, 24)
		if get32(e[16:]) != e820RAM {
			continue
		}
		start := uintptr(get64(e[0:]))
		end := start + uintptr(get64(e[8:]))
		ramRegions[nRAM] = memRegion{start, end}
		nRAM++
	}
	return nRAM > 0
}
