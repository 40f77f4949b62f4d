package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// Gobi's own system calls, for the drivers and the network stack that run as
// ordinary Go code inside the program (docs/guestabi.md). Their numbers lie
// far above Linux's, so no Linux program reaches them by accident.

const (
	sysGobiIRQ      = 0x6000 // (irq) -> eventfd counting the line's interrupts
	sysGobiIRQAck   = 0x6001 // (irq): unmask the line after the device was acknowledged
	sysGobiDMAAlloc = 0x6002 // (bytes) -> physical address of zeroed contiguous memory
	sysGobiLog      = 0x6003 // (buf, n): one kernel message line to the host
	sysGobiPublish  = 0x6004 // (path, buf, n): set a file under /etc (resolv.conf)
	sysGobiPlatform = 0x6005 // () -> platformVM or platformSandbox
	sysGobiHostNet  = 0x6006 // () -> the sandbox's host descriptor for Ethernet frames; ENODEV if none
)

// Platforms sysGobiPlatform reports.
const (
	platformVM      = 1
	platformSandbox = 2
)

func gobiSyscall(i int, nr uint64, a *[6]uint64) (uint64, bool) {
	switch nr {
	case sysGobiPlatform:
		return platformID, true
	case sysGobiHostNet:
		if fd := hostNetFD(); fd >= 0 {
			return uint64(fd), true
		}
		return errno(eNODEV), true
	case sysGobiLog:
		n := a[1]
		if n > uint64(len(klogBuf)) {
			n = uint64(len(klogBuf))
		}
		if !userOK(uintptr(a[0]), uintptr(n), false) {
			return errno(eFAULT), true
		}
		for _, c := range bytesAt(uintptr(a[0]), int(n)) {
			if c >= ' ' && c != 0x7f || c == '\t' {
				kputc(c)
			}
		}
		kflush()
		return 0, true
	case sysGobiPublish:
		p, r := userPath(a[0])
		if r != 0 {
			return r, true
		}
		if len(p) < 5 || p[:5] != "/etc/" || a[2] > 1<<16 || !userOK(uintptr(a[1]), uintptr(a[2]), false) {
			return errno(eINVAL), true
		}
		return errnoOf(memfs.WriteFile(p, bytesAt(uintptr(a[1]), int(a[2])), 0o644)), true
	}
	return sysNet(i, nr, a)
}
