package kernel

// Identity, limits and entropy: uname, prlimit64, prctl, getrandom, sysinfo,
// getrusage.

const (
	rlimitStack  = 3
	rlimitNofile = 7
	rlimInfinity = ^uint64(0)
)

func sysUname(buf uint64) uint64 {
	const field = 65
	if !userOK(uintptr(buf), 6*field, true) {
		return errno(eFAULT)
	}
	b := bytesAt(uintptr(buf), 6*field)
	clear(b)
	for k, s := range [...]string{"Linux", hostname, "6.1.0-gobi", "#1 Gobi", "x86_64", "(none)"} {
		copy(b[k*field:k*field+field-1], s)
	}
	return 0
}

const hostname = "gobi"

// sysPrlimit reports the limits the guest actually has: as many files as the
// fd table holds, an 8 MiB main stack, and otherwise none.
func sysPrlimit(p, res, newLim, oldLim uint64) uint64 {
	if p != 0 && p != processID() {
		return errno(eSRCH)
	}
	if oldLim != 0 {
		if !userOK(uintptr(oldLim), 16, true) {
			return errno(eFAULT)
		}
		l := ptr[[2]uint64](uintptr(oldLim))
		l[0], l[1] = rlimit(res)
	}
	return 0
}

// prctl(2) options.
const (
	prSetPdeathsig  = 1
	prGetDumpable   = 3
	prSetDumpable   = 4
	prGetKeepcaps   = 7
	prSetKeepcaps   = 8
	prSetName       = 15
	prGetName       = 16
	prSetNoNewPrivs = 38
	prGetNoNewPrivs = 39
	prSetVMA        = 0x53564d41
)

// Process flags prctl sets and reads back. Capabilities are not modelled
// (the program is root or not, sys_cred.go), so the flags change nothing
// else; Go sets keep-caps on every thread at once (AllThreadsSyscall), so
// one flag per process answers as Linux's per-thread ones would.
var (
	keepCaps   bool
	noNewPrivs bool
	dumpable   = true
)

func sysPrctl(op, arg uint64) uint64 {
	switch op {
	case prSetName, prSetVMA, prSetPdeathsig:
		return 0
	case prGetKeepcaps:
		return b2u(keepCaps)
	case prSetKeepcaps:
		return setFlag(&keepCaps, arg)
	case prGetDumpable:
		return b2u(dumpable)
	case prSetDumpable:
		return setFlag(&dumpable, arg)
	case prGetNoNewPrivs:
		return b2u(noNewPrivs)
	case prSetNoNewPrivs: // one way: it can be set, never cleared
		if arg != 1 {
			return errno(eINVAL)
		}
		noNewPrivs = true
		return 0
	case prGetName:
		if !userOK(uintptr(arg), 16, true) {
			return errno(eFAULT)
		}
		b := bytesAt(uintptr(arg), 16)
		clear(b)
		copy(b, "gobi")
		return 0
	}
	return errno(eINVAL)
}

// setFlag sets a prctl flag to arg, which must be 0 or 1.
func setFlag(f *bool, arg uint64) uint64 {
	if arg > 1 {
		return errno(eINVAL)
	}
	*f = arg == 1
	return 0
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// sysGetrandom fills the buffer from the CPU's hardware generator. It never
// returns predictable bytes: without RDSEED/RDRAND the kernel refuses to boot.
func sysGetrandom(buf, n, flags uint64) uint64 {
	if n > 1<<25 {
		n = 1 << 25
	}
	if !userOK(uintptr(buf), uintptr(n), true) {
		return errno(eFAULT)
	}
	fillRandom(bytesAt(uintptr(buf), int(n)))
	return n
}

func sysSysinfo(info uint64) uint64 {
	if !userOK(uintptr(info), 112, true) {
		return errno(eFAULT)
	}
	b := bytesAt(uintptr(info), 112)
	clear(b)
	put64(b[0:], uint64(nanotime()/1e9))
	total := (usedFrames + freeFrames) * pageSize
	put64(b[32:], total)
	put64(b[40:], freeFrames*pageSize)
	put16(b[80:], uint16(nLive))
	put32(b[104:], 1) // mem_unit
	return 0
}

func sysGetrusage(who, usage uint64) uint64 {
	if !userOK(uintptr(usage), 144, true) {
		return errno(eFAULT)
	}
	b := bytesAt(uintptr(usage), 144)
	clear(b)
	ns := nanotime() - startNs
	put64(b[0:], uint64(ns/1e9)) // ru_utime: all time is the program's
	put64(b[8:], uint64(ns%1e9/1000))
	put64(b[32:], usedFrames*pageSize/1024) // ru_maxrss in KiB
	return 0
}

func sysGettimeofday(tv uint64) uint64 {
	if tv != 0 {
		if !userOK(uintptr(tv), 16, true) {
			return errno(eFAULT)
		}
		ns := walltime()
		p := ptr[[2]int64](uintptr(tv))
		p[0], p[1] = ns/1e9, ns%1e9/1000
	}
	return 0
}

// sysTime is time(2): the wall clock in seconds, also stored at p if set.
func sysTime(p uint64) uint64 {
	s := walltime() / 1e9
	if p != 0 {
		if !userOK(uintptr(p), 8, true) {
			return errno(eFAULT)
		}
		*ptr[int64](uintptr(p)) = s
	}
	return uint64(s)
}

// sysClockGetres is clock_getres(2), with each platform's clockResolution.
func sysClockGetres(id, tp uint64) uint64 {
	res, ok := clockResolution(id)
	if !ok {
		return errno(eINVAL)
	}
	if tp != 0 {
		if !userOK(uintptr(tp), 16, true) {
			return errno(eFAULT)
		}
		*ptr[[2]int64](uintptr(tp)) = [2]int64{res / 1e9, res % 1e9}
	}
	return 0
}
