//go:build !gobisandbox

package kernel

// Memory system calls: mmap, munmap, mprotect, madvise (anonymous memory only;
// a unikernel has no files to map).

const (
	mapFixed          = 0x10
	mapAnonymous      = 0x20
	mapFixedNoreplace = 0x100000

	madvDontneed = 4
	madvFree     = 8
	madvRemove   = 9
)

func pageRound(n uint64) uintptr { return uintptr(n+pageSize-1) &^ (pageSize - 1) }

func sysMmap(addr, length, prot, flags, fd, off uint64) uint64 {
	if length == 0 || addr&(pageSize-1) != 0 || length > userHigh {
		return errno(eINVAL)
	}
	if flags&mapAnonymous == 0 {
		return errno(eNODEV)
	}
	if prot&^7 != 0 {
		return errno(eINVAL)
	}
	n := pageRound(length)
	start := uintptr(addr)
	switch {
	case flags&mapFixed != 0:
		if start < identityEnd || start+n > userHigh || start+n < start {
			return errno(eINVAL)
		}
		if !removeRange(start, start+n, true) {
			return errno(eNOMEM)
		}
	case flags&mapFixedNoreplace != 0:
		if !rangeFree(start, start+n) {
			return errno(eEXIST)
		}
	default:
		if start == 0 || !rangeFree(start, start+n) {
			start = findFree(n)
			if start == 0 {
				return errno(eNOMEM)
			}
		}
	}
	if !insertVMA(start, start+n, uint32(prot)) {
		return errno(eNOMEM)
	}
	return uint64(start)
}

func sysMunmap(addr, length uint64) uint64 {
	if addr&(pageSize-1) != 0 || length == 0 {
		return errno(eINVAL)
	}
	start, end := uintptr(addr), uintptr(addr)+pageRound(length)
	if start < identityEnd || end > userHigh || end < start {
		return errno(eINVAL)
	}
	if !removeRange(start, end, true) {
		return errno(eNOMEM)
	}
	return 0
}

func sysMprotect(addr, length, prot uint64) uint64 {
	if addr&(pageSize-1) != 0 || prot&^7 != 0 {
		return errno(eINVAL)
	}
	start, end := uintptr(addr), uintptr(addr)+pageRound(length)
	if end < start {
		return errno(eINVAL)
	}
	// Every page must be mapped (ENOMEM otherwise, as Linux).
	for p := start; p < end; {
		i := findVMA(p)
		if i < 0 {
			return errno(eNOMEM)
		}
		p = vmas[i].end
	}
	// Re-map each covered piece with the new protection.
	for p := start; p < end; {
		i := findVMA(p)
		e := vmas[i].end
		if e > end {
			e = end
		}
		if !removeRange(p, e, false) || !insertVMA(p, e, uint32(prot)) {
			return errno(eNOMEM)
		}
		p = e
	}
	protectPages(start, end, uint32(prot))
	return 0
}

func sysMadvise(addr, length, advice uint64) uint64 {
	if addr&(pageSize-1) != 0 {
		return errno(eINVAL)
	}
	switch advice {
	case madvDontneed, madvFree, madvRemove:
		start, end := uintptr(addr), uintptr(addr)+pageRound(length)
		if end < start {
			return errno(eINVAL)
		}
		freePages(start, end)
	}
	return 0
}
