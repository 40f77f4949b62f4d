package kernel

// Physical page frames. Free RAM is handed out first by a bump pointer over
// the boot memory map, then from a free list threaded through the freed frames
// themselves (the first word of each holds the next), so the allocator needs
// no memory of its own: a small guest keeps its RAM for the program.

const (
	pageSize   = 4096
	maxRegions = 64
)

// memRegion is a range of free memory: RAM from the boot memory map in the
// VM, the reserved arena in the sandbox.
type memRegion struct{ start, end uintptr }

var (
	ramRegions [maxRegions]memRegion
	nRAM       int
)

var (
	bumpRegion int     // index into ramRegions
	bumpNext   uintptr // next never-used frame in ramRegions[bumpRegion]
	freeList   uintptr // most recently freed frame, 0 if none
	freeFrames uint64  // frames available (bump + list)
	usedFrames uint64
	reservedLo uintptr // everything below is the image, boot data and page 0
)

// initFrames starts allocation above the image and the boot scratch area.
func initFrames(lowest uintptr) {
	reservedLo = (lowest + pageSize - 1) &^ (pageSize - 1)
	for i := 0; i < nRAM; i++ {
		r := &ramRegions[i]
		if r.start < reservedLo {
			r.start = reservedLo
		}
		r.start = (r.start + pageSize - 1) &^ (pageSize - 1)
		r.end &^= pageSize - 1
		if r.end > r.start {
			freeFrames += uint64(r.end-r.start) / pageSize
		}
	}
	bumpNext = ramRegions[0].start
	if freeFrames < minFreeFrames {
		kputs("memory: the image occupies ")
		kputu(uint64(reservedLo) >> 20)
		kputs(" MiB and leaves ")
		kputu(freeFrames * pageSize >> 20)
		kputs(" MiB for the program; run with -m ")
		kputu(uint64(reservedLo)>>20 + 4)
		kputs("M or more")
		kflush()
		record("oom", 0, false)
		record("exit", 137, true)
		powerOff()
	}
}

// minFreeFrames is the least free memory worth starting the runtime with
// (it maps its first heap arena and stacks at once).
const minFreeFrames = 512

// allocFrame returns a zeroed frame, or 0 when memory is exhausted.
func allocFrame() uintptr {
	var f uintptr
	if freeList != 0 {
		f = freeList
		freeList = *ptr[uintptr](f)
	} else {
		for bumpRegion < nRAM {
			r := ramRegions[bumpRegion]
			if bumpNext < r.start {
				bumpNext = r.start
			}
			if bumpNext+pageSize <= r.end {
				f = bumpNext
				bumpNext += pageSize
				break
			}
			bumpRegion++
		}
		if f == 0 {
			return 0
		}
	}
	freeFrames--
	usedFrames++
	clear(bytesAt(f, pageSize))
	return f
}

// mustAllocFrame allocates or ends the program the way Linux's OOM killer would.
func mustAllocFrame() uintptr {
	f := allocFrame()
	if f == 0 {
		outOfMemory()
	}
	return f
}

func freeFrame(f uintptr) {
	*ptr[uintptr](f) = freeList
	freeList = f
	freeFrames++
	usedFrames--
}

// outOfMemory stops the guest: there is no swap and nothing to reclaim.
func outOfMemory() {
	kputs("out of memory: ")
	kputu(usedFrames * pageSize >> 20)
	kputs(" MiB in use; run with a larger -m")
	kflush()
	record("oom", 0, false)
	record("exit", 137, true)
	powerOff()
}

// allocContig returns n physically contiguous zeroed frames from the never-
// used part of RAM, or 0.
func allocContig(n int) uintptr {
	size := uintptr(n) * pageSize
	for bumpRegion < nRAM {
		r := ramRegions[bumpRegion]
		if bumpNext < r.start {
			bumpNext = r.start
		}
		if bumpNext+size <= r.end {
			f := bumpNext
			bumpNext += size
			freeFrames -= uint64(n)
			usedFrames += uint64(n)
			clear(bytesAt(f, int(size)))
			return f
		}
		bumpRegion++
	}
	return 0
}
