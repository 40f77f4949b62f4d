//go:build !gobisandbox

package kernel

// Threads: clone, futex, arch_prctl, CPU affinity.

const (
	cloneVM            = 0x100
	cloneThread        = 0x10000
	cloneSettls        = 0x80000
	cloneParentSettid  = 0x100000
	cloneChildCleartid = 0x200000
	cloneChildSettid   = 0x1000000

	futexOpWait       = 0
	futexOpWake       = 1
	futexOpWaitBitset = 9
	futexOpWakeBitset = 10
	futexPrivateFlag  = 128
	futexClockRT      = 256

	archSetFS = 0x1002
	archGetFS = 0x1003
)

// sysClone creates a thread sharing everything (the only kind the Go runtime
// makes); a new process (fork) is refused.
func sysClone(i int, flags, stack, ptid, ctid, tls uint64) uint64 {
	if flags&cloneThread == 0 || flags&cloneVM == 0 {
		return errno(eNOSYS)
	}
	n := newThread()
	if n < 0 {
		return errno(eAGAIN)
	}
	p, c := &threads[i], &threads[n]
	fp := c.ctx.fpaddr
	c.ctx = p.ctx
	c.ctx.fpaddr = fp
	copy(bytesAt(uintptr(fp), fpAreaSize), bytesAt(uintptr(p.ctx.fpaddr), fpAreaSize))
	c.ctx.rax = 0
	if stack != 0 {
		c.ctx.rsp = stack
	}
	if flags&cloneSettls != 0 {
		c.ctx.fsbase = tls
	}
	c.sigMask = p.sigMask
	if flags&cloneChildCleartid != 0 {
		c.clearTID = uintptr(ctid)
	}
	if flags&cloneParentSettid != 0 && userOK(uintptr(ptid), 4, true) {
		*ptr[int32](uintptr(ptid)) = c.tid
	}
	if flags&cloneChildSettid != 0 && userOK(uintptr(ctid), 4, true) {
		*ptr[int32](uintptr(ctid)) = c.tid
	}
	c.state = tsRunnable
	return uint64(c.tid)
}

// sysFutex implements FUTEX_WAIT(_BITSET) and FUTEX_WAKE(_BITSET), private or
// not (there is one address space). Bitsets are treated as all-ones.
func sysFutex(i int, uaddr, op, val, timeout, uaddr2, val3 uint64) uint64 {
	addr := uintptr(uaddr)
	if addr&3 != 0 || !userOK(addr, 4, false) {
		return errno(eFAULT)
	}
	cmd := op &^ (futexPrivateFlag | futexClockRT)
	switch cmd {
	case futexOpWait, futexOpWaitBitset:
		if *ptr[uint32](addr) != uint32(val) {
			return errno(eAGAIN)
		}
		var deadline int64
		if timeout != 0 {
			if !userOK(uintptr(timeout), 16, false) {
				return errno(eFAULT)
			}
			ts := ptr[[2]int64](uintptr(timeout))
			if ts[0] < 0 || ts[1] < 0 || ts[1] >= 1e9 {
				return errno(eINVAL)
			}
			d := ts[0]*1e9 + ts[1]
			if cmd == futexOpWait { // relative
				deadline = nanotime() + d
			} else if op&futexClockRT != 0 { // absolute, realtime
				deadline = d - bootWall
			} else {
				deadline = d
			}
			if deadline <= 0 {
				deadline = 1
			}
		}
		threads[i].waitAddr = addr
		block(waitFutex, deadline, errno(eTIMEDOUT))
		return noReturn
	case futexOpWake, futexOpWakeBitset:
		return uint64(futexWake(addr, int(int32(val))))
	}
	return errno(eNOSYS)
}

// futexWake wakes up to n threads waiting on addr.
func futexWake(addr uintptr, n int) int {
	woken := 0
	for k := 1; k < threadHi && woken < n; k++ {
		t := &threads[k]
		if t.state == tsBlocked && t.wait == waitFutex && t.waitAddr == addr {
			wake(k, 0)
			woken++
		}
	}
	return woken
}

func sysArchPrctl(i int, code, addr uint64) uint64 {
	switch code {
	case archSetFS:
		threads[i].ctx.fsbase = addr
		return 0
	case archGetFS:
		if !userOK(uintptr(addr), 8, true) {
			return errno(eFAULT)
		}
		*ptr[uint64](uintptr(addr)) = threads[i].ctx.fsbase
		return 0
	}
	return errno(eINVAL)
}

// sysSchedGetaffinity reports one CPU, the guest's only one.
func sysSchedGetaffinity(tid, size, mask uint64) uint64 {
	if size < 8 || size&7 != 0 {
		return errno(eINVAL)
	}
	if !userOK(uintptr(mask), uintptr(size), true) {
		return errno(eFAULT)
	}
	b := bytesAt(uintptr(mask), int(size))
	clear(b)
	b[0] = 1
	return 8
}
