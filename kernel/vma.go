//go:build !gobisandbox

package kernel

// The program's address space: a sorted table of mappings (VMAs). Anonymous
// memory is committed on first touch by the page-fault handler, so the Go
// runtime's large PROT_NONE reservations cost nothing, and memory the runtime
// returns with munmap or madvise(MADV_DONTNEED) goes back to the frame pool.

const (
	maxVMAs = 4096

	protRead  = 1
	protWrite = 2
	protExec  = 4

	userTop  = 0x7ff000000000 // top-down placement starts here
	userHigh = 0x800000000000 // canonical lower half ends here
)

type vma struct {
	start, end uintptr
	prot       uint32
}

var (
	vmas  [maxVMAs]vma
	nVMAs int
)

// findVMA returns the index of the mapping containing va, or -1.
func findVMA(va uintptr) int {
	lo, hi := 0, nVMAs
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case va < vmas[m].start:
			hi = m
		case va >= vmas[m].end:
			lo = m + 1
		default:
			return m
		}
	}
	return -1
}

// rangeFree reports whether [start, end) overlaps no mapping.
func rangeFree(start, end uintptr) bool {
	if start < identityEnd || end > userHigh || end <= start {
		return false
	}
	for i := 0; i < nVMAs; i++ {
		if vmas[i].start < end && start < vmas[i].end {
			return false
		}
	}
	return true
}

// findFree returns the highest free range of length n below userTop, or 0.
func findFree(n uintptr) uintptr {
	top := uintptr(userTop)
	for i := nVMAs - 1; i >= -1; i-- {
		var lo uintptr = identityEnd
		if i >= 0 {
			lo = vmas[i].end
			if vmas[i].start >= top {
				continue
			}
		}
		if top-lo >= n && top >= lo {
			return top - n
		}
		if i >= 0 {
			top = vmas[i].start
		}
	}
	return 0
}

// removeRange unmaps [start, end): frees committed frames and cuts mappings.
// With release unset the committed pages stay (mprotect re-cutting the table).
func removeRange(start, end uintptr, release bool) bool {
	if release {
		freePages(start, end)
	}
	// Cut the table, splitting a mapping that straddles the range.
	out := 0
	var tmp [2]vma
	for i := 0; i < nVMAs; i++ {
		v := vmas[i]
		if v.end <= start || v.start >= end {
			vmas[out] = v
			out++
			continue
		}
		n := 0
		if v.start < start {
			tmp[n] = vma{v.start, start, v.prot}
			n++
		}
		if v.end > end {
			tmp[n] = vma{end, v.end, v.prot}
			n++
		}
		if out+n > i+1 && nVMAs >= maxVMAs { // split needs a slot
			return false
		}
		if n == 2 {
			// Shift the rest right by one to make room.
			copy(vmas[i+2:nVMAs+1], vmas[i+1:nVMAs])
			nVMAs++
			vmas[out] = tmp[0]
			vmas[out+1] = tmp[1]
			out += 2
			i++
			continue
		}
		for k := 0; k < n; k++ {
			vmas[out] = tmp[k]
			out++
		}
	}
	nVMAs = out
	return true
}

// insertVMA adds a mapping over a range known to be free.
func insertVMA(start, end uintptr, prot uint32) bool {
	if nVMAs >= maxVMAs {
		return false
	}
	i := 0
	for i < nVMAs && vmas[i].start < start {
		i++
	}
	copy(vmas[i+1:nVMAs+1], vmas[i:nVMAs])
	vmas[i] = vma{start, end, prot}
	nVMAs++
	return true
}

// pteFlags translates mmap protections (never executable unless asked).
func pteFlags(prot uint32) uint64 {
	f := uint64(ptePresent)
	if prot&protWrite != 0 {
		f |= pteWrite
	}
	if prot&protExec == 0 {
		f |= pteNX
	}
	return f
}

// freePages releases the frames committed in [start, end), skipping absent
// upper-level tables so that huge reservations are cheap to release.
func freePages(start, end uintptr) {
	va := start
	for va < end {
		step := uintptr(pageSize)
		table := pml4
		found := true
		for shift := uint(39); shift > 12; shift -= 9 {
			v := *ptr[uint64](table + (va>>shift&511)*8)
			if v&ptePresent == 0 {
				step = uintptr(1)<<shift - va&(uintptr(1)<<shift-1)
				found = false
				break
			}
			table = uintptr(v & pteAddr)
		}
		if found {
			e := table + (va>>12&511)*8
			v := *ptr[uint64](e)
			if v&ptePresent != 0 {
				*ptr[uint64](e) = 0
				invlpg(va)
				freeFrame(uintptr(v & pteAddr))
			}
		}
		va += step
	}
}

// protectPages changes the protection of committed pages in [start, end).
func protectPages(start, end uintptr, prot uint32) {
	for va := start; va < end; va += pageSize {
		e := pte(va, false)
		if e == 0 {
			continue
		}
		v := *ptr[uint64](e)
		if v&ptePresent == 0 {
			continue
		}
		if prot == 0 {
			// PROT_NONE: keep the frame (the contents survive a later
			// mprotect) but make every access fault.
			*ptr[uint64](e) = v &^ ptePresent
		} else {
			*ptr[uint64](e) = v&pteAddr | pteFlags(prot)
		}
		invlpg(va)
	}
}

// commitPage makes va accessible as the mapping allows. It reports false if
// va is not mapped or the access is not permitted.
func commitPage(va uintptr, write bool) bool {
	i := findVMA(va)
	if i < 0 {
		return false
	}
	prot := vmas[i].prot
	if prot&protRead == 0 && prot&protWrite == 0 || write && prot&protWrite == 0 {
		return false
	}
	page := va &^ (pageSize - 1)
	e := pte(page, true)
	v := *ptr[uint64](e)
	if v&ptePresent != 0 {
		return v&pteWrite != 0 || !write // present: only a protection fault is left
	}
	if v&pteAddr != 0 { // a PROT_NONE'd frame becoming accessible again
		*ptr[uint64](e) = v&pteAddr | pteFlags(prot)
	} else {
		*ptr[uint64](e) = uint64(mustAllocFrame()) | pteFlags(prot)
	}
	// No INVLPG: the entry was not present, and x86 never caches a
	// translation for a non-present entry (Intel SDM vol. 3 §4.10.2.3).
	return true
}

// userOK commits every page of [addr, addr+n) so kernel code can access it
// without faulting; it reports false (EFAULT) if any page is not accessible.
// Pointers into the image (the runtime's static data) are checked against
// the image's own page permissions.
func userOK(addr, n uintptr, write bool) bool {
	if n == 0 {
		return true
	}
	if addr+n < addr || addr < pageSize {
		return false
	}
	for p := addr &^ (pageSize - 1); p < addr+n; p += pageSize {
		if e := pte(p, false); e != 0 {
			v := *ptr[uint64](e)
			if v&ptePresent != 0 && (!write || v&pteWrite != 0) {
				continue
			}
		}
		if p < identityEnd || !commitPage(p, write) {
			return false
		}
	}
	return true
}
