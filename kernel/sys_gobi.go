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
)

func gobiSyscall(i int, nr uint64, a *[6]uint64) (uint64, bool) {
	switch nr {
	case sysGobiIRQ:
		return sysIRQ(a[0]), true
	case sysGobiIRQAck:
		if a[0] > maxIRQ || irqEventfd[a[0]] < 0 {
			return errno(eINVAL), true
		}
		ioapicRoute(int(a[0]), false)
		return 0, true
	case sysGobiDMAAlloc:
		return sysDMAAlloc(a[0]), true
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

// sysIRQ binds interrupt line irq to a new non-blocking eventfd and unmasks it.
func sysIRQ(irq uint64) uint64 {
	if irq > maxIRQ || irq == 0 || irq == 2 {
		return errno(eINVAL)
	}
	if irqEventfd[irq] >= 0 {
		return errno(eBUSY)
	}
	fd := sysEventfd2(0, efdNonblock|efdCloexec)
	if int64(fd) < 0 {
		return fd
	}
	k := fds[fd].obj
	irqEventfd[irq] = k
	eventfds[k].refs++ // the line keeps its own reference
	ioapicRoute(int(irq), false)
	return fd
}

// sysDMAAlloc hands out physically contiguous, zeroed, identity-mapped
// memory for device rings and buffers. It is never freed: drivers allocate
// their rings once.
func sysDMAAlloc(n uint64) uint64 {
	if n == 0 || n > 16<<20 {
		return errno(eINVAL)
	}
	p := allocContig(int((n + pageSize - 1) / pageSize))
	if p == 0 {
		return errno(eNOMEM)
	}
	return uint64(p)
}
