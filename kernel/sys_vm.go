//go:build !gobisandbox

package kernel

// The system calls that belong to the machine rather than to the files and
// sockets the kernel shares with the sandbox: memory, threads, time and
// signals, all served by this kernel itself, and the devices.

// processID is the program's process ID: the VM runs one process, pid 1.
func processID() uint64 { return pid }

// platformID is what sysGobiPlatform reports.
const platformID = platformVM

// fdLimit bounds the program's descriptors: the whole table.
const fdLimit = maxFDs

// hostNetFD: a VM's network card is a device, not a host descriptor.
func hostNetFD() int { return -1 }

func platformSyscall(i int, nr uint64, a *[6]uint64) (uint64, bool) {
	switch nr {
	// Memory.
	case 9:
		return sysMmap(a[0], a[1], a[2], a[3], a[4], a[5]), true
	case 10:
		return sysMprotect(a[0], a[1], a[2]), true
	case 11:
		return sysMunmap(a[0], a[1]), true
	case 28:
		return sysMadvise(a[0], a[1], a[2]), true

	// Threads and scheduling.
	case 56:
		return sysClone(i, a[0], a[1], a[2], a[3], a[4]), true
	case 60:
		exitThread(i)
		return noReturn, true
	case 231:
		exitProgram(int(int32(a[0])) & 0xff)
		return noReturn, true
	case 202:
		return sysFutex(i, a[0], a[1], a[2], a[3], a[4], a[5]), true
	case 24: // sched_yield: let the next runnable thread go first
		needResched = true
		return 0, true
	case 186: // gettid
		return uint64(threads[i].tid), true
	case 39: // getpid
		return pid, true
	case 218: // set_tid_address
		threads[i].clearTID = uintptr(a[0])
		return uint64(threads[i].tid), true
	case 158:
		return sysArchPrctl(i, a[0], a[1]), true
	case 204:
		return sysSchedGetaffinity(a[0], a[1], a[2]), true

	// Time.
	case 228:
		return sysClockGettime(a[0], a[1]), true
	case 35:
		return sysNanosleep(i, a[0], a[1]), true
	case 36:
		return sysGetitimer(a[0], a[1]), true
	case 38:
		return sysSetitimer(a[0], a[1], a[2]), true
	case 37:
		return sysAlarm(a[0]), true
	case 230:
		return sysClockNanosleep(i, a[0], a[1], a[2], a[3]), true

	// Signals.
	case 13:
		return sysRtSigaction(a[0], a[1], a[2], a[3]), true
	case 14:
		return sysRtSigprocmask(i, a[0], a[1], a[2], a[3]), true
	case 15:
		return sigreturn(i), true
	case 131:
		return sysSigaltstack(i, a[0], a[1]), true
	case 200: // tkill
		return sysTgkill(pid, a[0], a[1]), true
	case 234:
		return sysTgkill(a[0], a[1], a[2]), true
	case 62: // kill
		return sysKill(a[0], a[1]), true
	case 127: // rt_sigpending
		return sysRtSigpending(i, a[0], a[1]), true
	case 130:
		return sysRtSigsuspend(i, a[0], a[1]), true

	// Devices (docs/guestabi.md).
	case sysGobiIRQ:
		return sysIRQ(a[0]), true
	case sysGobiIRQAck:
		return sysIRQAck(a[0]), true
	case sysGobiDMAAlloc:
		return sysDMAAlloc(a[0]), true
	}
	return 0, false
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

// sysIRQAck consumes line irq's interrupt count and unmasks the line. The
// driver need not read the eventfd: it waits for the eventfd's edge, serves
// the device, and acknowledges, and an interrupt after that is a new edge —
// one crossing per interrupt instead of three (a read, the read that finds
// nothing, the acknowledgement). A device still asserting the level-triggered
// line interrupts again as soon as it is unmasked.
func sysIRQAck(irq uint64) uint64 {
	if irq > maxIRQ || irqEventfd[irq] < 0 {
		return errno(eINVAL)
	}
	eventfds[irqEventfd[irq]].count = 0
	ioapicRoute(int(irq), false)
	return 0
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
