//go:build !gobisandbox

package kernel

// Starting and ending the program: its memory, files, initial stack and first
// thread, and the exit record the host turns into gobi's exit status.

const mainStackSize = 8 << 20

// setupMemory starts the frame allocator above the image and builds the
// final page tables.
func setupMemory() {
	initFrames(imageEnd())
	setupPaging()
	setupRandom()
}

// startProgram maps the main thread's stack, lays out the Linux initial
// process stack (System V AMD64 ABI §3.4.1: argc, argv, envp, auxv, then the
// strings) and makes thread 1 start at the runtime's entry point.
func startProgram() {
	top := uintptr(userTop)
	base := top - mainStackSize
	if !insertVMA(base, top, protRead|protWrite) {
		fatal("boot: cannot map the main stack")
	}
	// Strings and AT_RANDOM's 16 bytes at the very top.
	sp := top
	sp -= uintptr(argLen)
	strs := sp
	if !userOK(sp, top-sp, true) {
		fatal("boot: cannot map the main stack")
	}
	copy(bytesAt(strs, argLen), argBuf[:argLen])
	sp -= 16
	random := sp
	fillRandom(bytesAt(random, 16))
	sp -= 16
	platform := sp
	copy(bytesAt(platform, 7), "x86_64\x00")
	// argc, argv[argc+1], envp[envc+1], auxv pairs.
	const nAux = 10
	words := 1 + argc + 1 + envc + 1 + 2*nAux
	sp = (sp - uintptr(words)*8) &^ 15
	if !userOK(sp, top-sp, true) {
		fatal("boot: cannot map the main stack")
	}
	w := bytesAt(sp, words*8)
	k := 0
	put := func(v uint64) { put64(w[k*8:], v); k++ }
	put(uint64(argc))
	off := 0
	for n := 0; n < argc+envc; n++ {
		if n == argc {
			put(0)
		}
		put(uint64(strs + uintptr(off)))
		for argBuf[off] != 0 {
			off++
		}
		off++
	}
	if argc+envc == argc {
		put(0)
	}
	put(0)
	_, _, _, edx := cpuid(1, 0)
	for _, a := range [nAux][2]uint64{
		{6, pageSize},          // AT_PAGESZ
		{33, uint64(vdsoBase)}, // AT_SYSINFO_EHDR
		{25, uint64(random)},   // AT_RANDOM
		{16, uint64(edx)},      // AT_HWCAP
		{17, 100},              // AT_CLKTCK
		{15, uint64(platform)}, // AT_PLATFORM
		{23, 0},                // AT_SECURE
		{11, 0}, {12, 0},       // AT_UID, AT_EUID
		{0, 0}, // AT_NULL
	} {
		put(a[0])
		put(a[1])
	}
	i := newThread()
	t := &threads[i]
	initCPUState(t)
	t.ctx.rip = uint64(rt0Addr())
	t.ctx.rsp = uint64(sp)
	t.state = tsRunnable
	setCur(i)
	sliceEnd = nanotime() + timeSlice
	timerAt = sliceEnd
	armTimer(timeSlice)
}

// exitProgram ends the guest: the host receives the status in an exit record.
func exitProgram(status int) {
	if debug {
		kputs("traps ")
		kputu(nTraps)
		kputs(" syscalls ")
		kputu(nSyscalls)
		kputs(" page faults ")
		kputu(nFaults)
		kputs(" switches ")
		kputu(nSwitches)
		kputs(" kernel ms ")
		kputu(kernelTicks / tscKHz)
		kputs(" of ")
		kputu(uint64(nanotime() / 1e6))
		kflush()
		var nfd, nsock, nint, nthr uint64
		for i := range fds {
			if fds[i].kind != fdNone {
				nfd++
			}
		}
		for i := range sockets {
			if sockets[i].state != ssFree {
				nsock++
			}
		}
		for i := range interests {
			if interests[i].used {
				nint++
			}
		}
		for i := range threads {
			if threads[i].state != tsFree {
				nthr++
			}
		}
		kputs("in use: fds ")
		kputu(nfd)
		kputs(" sockets ")
		kputu(nsock)
		kputs(" epoll interests ")
		kputu(nint)
		kputs(" threads ")
		kputu(nthr)
		kputs(" memory MiB ")
		kputu(usedFrames * pageSize >> 20)
		kflush()
		// The busiest system calls, most first.
		var shown [512]bool
		kputs("clock ids:")
		for id, n := range clockCalls {
			kputc(' ')
			kputu(uint64(id))
			kputc('=')
			kputu(n)
		}
		kflush()
		kputs("busiest syscalls:")
		for k := 0; k < 8; k++ {
			best := -1
			for nr := range perSyscall {
				if !shown[nr] && perSyscall[nr] > 0 && (best < 0 || perSyscall[nr] > perSyscall[best]) {
					best = nr
				}
			}
			if best < 0 {
				break
			}
			shown[best] = true
			kputc(' ')
			if best < len(sysNames) && sysNames[best] != "" {
				kputs(sysNames[best])
			} else {
				kputu(uint64(best))
			}
			kputc('=')
			kputu(perSyscall[best])
		}
		kflush()
	}
	record("exit", int64(status), true)
	powerOff()
}
