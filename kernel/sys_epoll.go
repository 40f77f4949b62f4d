package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// epoll, eventfd and pipes: what the Go runtime's network poller and timers
// sit on (netpoll_epoll.go). Interest entries live in one shared pool. When an
// object changes state every interest in it is marked, as Linux's wakeup
// callbacks queue an item on the ready list; edge-triggered entries report
// marks, level-triggered ones the current state.

const (
	maxEpolls    = 32
	maxInterests = 4096
	maxEventfds  = 64
	maxPipes     = 1024

	epollIn      = 0x001
	epollOut     = 0x004
	epollErr     = 0x008
	epollHup     = 0x010
	epollRdhup   = 0x2000
	epollOneshot = 1 << 30
	epollET      = 1 << 31

	epollCtlAdd = 1
	epollCtlDel = 2
	epollCtlMod = 3

	efdSemaphore = 1
	efdNonblock  = 0x800
	efdCloexec   = 0x80000
)

type epollInst struct{ refs int32 }

type interest struct {
	used    bool
	ep      int16 // epoll instance
	fd      int32
	events  uint32
	pending uint32
	data    uint64
}

type eventfd struct {
	refs  int32
	count uint64
	flags uint64 // efdSemaphore | oNonblock
}

// A pipe's buffer is one page frame used as a ring.
type pipe struct {
	readers, writers int32
	rflags, wflags   uint64
	buf              uintptr
	head, n          int
}

var (
	epolls    [maxEpolls]epollInst
	interests [maxInterests]interest
	// interestHi bounds the used part of interests: every readiness change
	// scans it, so it must not cost the whole table.
	interestHi int
	eventfds   [maxEventfds]eventfd
	pipes      [maxPipes]pipe
)

func sysEpollCreate(arg uint64, legacy bool) uint64 {
	if legacy && int32(arg) <= 0 || !legacy && arg&^oCloexec != 0 {
		return errno(eINVAL)
	}
	for k := range epolls {
		if epolls[k].refs == 0 {
			r := installFD(fdEpoll, int32(k), !legacy && arg&oCloexec != 0)
			if int64(r) >= 0 {
				epolls[k].refs = 1
			}
			return r
		}
	}
	return errno(eNFILE)
}

func findInterest(ep int, fd int32) int {
	for k := range interests[:interestHi] {
		if interests[k].used && int(interests[k].ep) == ep && interests[k].fd == fd {
			return k
		}
	}
	return -1
}

// epoll_event is packed on x86-64: events u32 at 0, data u64 at 4.
func sysEpollCtl(epfd, op, fd, ev uint64) uint64 {
	e, ok := getFD(epfd)
	if !ok {
		return errno(eBADF)
	}
	if e.kind != fdEpoll {
		return errno(eINVAL)
	}
	target, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	if fd == epfd {
		return errno(eINVAL)
	}
	if op == epollCtlAdd && !pollable(target) {
		// Linux answers EPERM for files that cannot be polled (regular
		// files, directories, /dev/null…); the runtime then treats them as
		// always ready and refuses deadlines on them.
		return errno(ePERM)
	}
	ep := int(e.obj)
	k := findInterest(ep, int32(fd))
	var events uint32
	var data uint64
	if op != epollCtlDel {
		if !userOK(uintptr(ev), 12, false) {
			return errno(eFAULT)
		}
		b := bytesAt(uintptr(ev), 12)
		events, data = get32(b[0:]), get64(b[4:])
	}
	switch op {
	case epollCtlAdd:
		if k >= 0 {
			return errno(eEXIST)
		}
		for k = range interests {
			if !interests[k].used {
				break
			}
		}
		if interests[k].used {
			return errno(eNOMEM)
		}
		interests[k] = interest{used: true, ep: int16(ep), fd: int32(fd)}
		interestHi = max(interestHi, k+1)
	case epollCtlMod:
		if k < 0 {
			return errno(eNOENT)
		}
	case epollCtlDel:
		if k < 0 {
			return errno(eNOENT)
		}
		interests[k] = interest{}
		return 0
	default:
		return errno(eINVAL)
	}
	it := &interests[k]
	it.events, it.data = events, data
	it.pending = readiness(int(fd))
	epollWakeWaiters()
	return 0
}

// pollable reports whether epoll can watch e: everything but memfs files
// other than the console devices.
func pollable(e *fdEntry) bool {
	if e.kind != fdFile {
		return true
	}
	dev, isDev := memfs.Device(memfs.File(e.obj))
	return isDev && (dev == memfs.DevStdin || dev == memfs.DevStdout || dev == memfs.DevStderr)
}

// dropInterest removes a closed descriptor from every epoll set.
func dropInterest(fd int) {
	for k := range interests[:interestHi] {
		if interests[k].used && interests[k].fd == int32(fd) {
			interests[k] = interest{}
		}
	}
}

// readiness is the current epoll state of a descriptor.
func readiness(fd int) uint32 {
	e := fds[fd]
	switch e.kind {
	case fdFile:
		if isStdin(fd) {
			if stdinHead != stdinTail || stdinEOF {
				return epollIn
			}
			return 0
		}
		return epollIn | epollOut
	case fdEventfd:
		ev := &eventfds[e.obj]
		var r uint32 = epollOut
		if ev.count > 0 {
			r |= epollIn
		}
		return r
	case fdPipeRead:
		p := &pipes[e.obj]
		var r uint32
		if p.n > 0 {
			r |= epollIn
		}
		if p.writers == 0 {
			r |= epollHup
		}
		return r
	case fdSocket:
		return sockReadiness(int(e.obj))
	case fdPipeWrite:
		p := &pipes[e.obj]
		var r uint32
		if p.n < pageSize {
			r |= epollOut
		}
		if p.readers == 0 {
			r |= epollErr
		}
		return r
	}
	return 0
}

// objectChanged marks every interest in descriptors naming (kind, obj) and
// completes epoll waits that now have events.
func objectChanged(kind fdKind, obj int32) {
	for k := range interests[:interestHi] {
		it := &interests[k]
		if it.used && fds[it.fd].kind == kind && fds[it.fd].obj == obj {
			it.pending |= readiness(int(it.fd))
		}
	}
	wakeRetry(kind, obj)
	epollWakeWaiters()
}

// stdinChanged is objectChanged for every descriptor on the console input.
func stdinChanged() {
	for k := range interests[:interestHi] {
		if it := &interests[k]; it.used && isStdin(int(it.fd)) {
			it.pending |= readiness(int(it.fd))
		}
	}
	epollWakeWaiters()
}

// stdinWatched reports whether an epoll set watches the console input.
func stdinWatched() bool {
	for k := range interests[:interestHi] {
		if it := &interests[k]; it.used && isStdin(int(it.fd)) {
			return true
		}
	}
	return false
}

// isStdin reports whether descriptor fd is the console input.
func isStdin(fd int) bool {
	if fds[fd].kind != fdFile {
		return false
	}
	dev, isDev := memfs.Device(memfs.File(fds[fd].obj))
	return isDev && dev == memfs.DevStdin
}

// collect writes up to max ready events of ep to buf.
func collect(ep int, buf uintptr, max int) int {
	n := 0
	for k := range interests[:interestHi] {
		if n == max {
			break
		}
		it := &interests[k]
		if !it.used || int(it.ep) != ep {
			continue
		}
		want := it.events | epollErr | epollHup
		var ev uint32
		if it.events&epollET != 0 {
			ev = it.pending & want
			it.pending = 0
		} else {
			ev = readiness(int(it.fd)) & want
		}
		if ev == 0 {
			continue
		}
		b := bytesAt(buf+uintptr(n)*12, 12)
		put32(b[0:], ev)
		put64(b[4:], it.data)
		n++
		if it.events&epollOneshot != 0 {
			it.events = 0
		}
	}
	return n
}

func sysEpollWait(i int, epfd, events, max, timeout, sigmask uint64) uint64 {
	e, ok := getFD(epfd)
	if !ok {
		return errno(eBADF)
	}
	if e.kind != fdEpoll || int32(max) <= 0 || max > 1<<16 {
		return errno(eINVAL)
	}
	if !userOK(uintptr(events), uintptr(max*12), true) {
		return errno(eFAULT)
	}
	// Input reaches the console through its interrupt (VM) or the stdin
	// readers' polling (sandbox): look for it here only for an epoll set
	// that watches it, since each look costs a host read in the sandbox
	// and port reads (exits under KVM) in a VM.
	if stdinWatched() {
		pollConsole()
	}
	if n := collect(int(e.obj), uintptr(events), int(max)); n > 0 {
		return uint64(n)
	}
	ms := int64(int32(timeout))
	if ms == 0 {
		return 0
	}
	var deadline int64
	if ms > 0 {
		deadline = nanotime() + ms*1e6
	}
	t := &threads[i]
	t.epollFD = int32(e.obj)
	t.epollEvents = uintptr(events)
	t.epollMax = int32(max)
	block(waitEpoll, deadline, 0)
	return noReturn
}

// epollWakeWaiters completes blocked epoll_waits that have events now.
func epollWakeWaiters() {
	for k := 1; k < threadHi; k++ {
		t := &threads[k]
		if t.state == tsBlocked && t.wait == waitEpoll {
			if n := collect(int(t.epollFD), t.epollEvents, int(t.epollMax)); n > 0 {
				wake(k, uint64(n))
			}
		}
	}
}

func sysEventfd2(initval, flags uint64) uint64 {
	if flags&^(efdSemaphore|efdNonblock|efdCloexec) != 0 {
		return errno(eINVAL)
	}
	for k := range eventfds {
		if eventfds[k].refs == 0 {
			r := installFD(fdEventfd, int32(k), flags&efdCloexec != 0)
			if int64(r) >= 0 {
				eventfds[k] = eventfd{refs: 1, count: uint64(uint32(initval)), flags: flags & (efdSemaphore | efdNonblock)}
			}
			return r
		}
	}
	return errno(eNFILE)
}

func eventfdRead(k int, b []byte, nr uint64) uint64 {
	if len(b) < 8 {
		return errno(eINVAL)
	}
	ev := &eventfds[k]
	if ev.count == 0 {
		if ev.flags&oNonblock != 0 {
			return errno(eAGAIN)
		}
		return blockRetry(fdEventfd, int32(k), nr)
	}
	v := ev.count
	if ev.flags&efdSemaphore != 0 {
		v = 1
	}
	ev.count -= v
	put64(b, v)
	objectChanged(fdEventfd, int32(k))
	return 8
}

func eventfdWrite(k int, b []byte) uint64 {
	if len(b) < 8 {
		return errno(eINVAL)
	}
	v := get64(b)
	ev := &eventfds[k]
	if v == ^uint64(0) || ev.count+v < ev.count || ev.count+v == ^uint64(0) {
		return errno(eAGAIN)
	}
	ev.count += v
	objectChanged(fdEventfd, int32(k))
	return 8
}

func sysPipe2(fdsAddr, flags uint64) uint64 {
	if flags&^(oCloexec|oNonblock) != 0 {
		return errno(eINVAL)
	}
	if !userOK(uintptr(fdsAddr), 8, true) {
		return errno(eFAULT)
	}
	for k := range pipes {
		if pipes[k].readers == 0 && pipes[k].writers == 0 {
			if pipes[k].buf == 0 {
				if pipes[k].buf = allocFrame(); pipes[k].buf == 0 {
					return errno(eNOMEM)
				}
			}
			r := allocFD(0)
			if r < 0 {
				return errno(eMFILE)
			}
			fds[r] = fdEntry{kind: fdPipeRead, obj: int32(k), cloexec: flags&oCloexec != 0}
			w := allocFD(0)
			if w < 0 {
				fds[r] = fdEntry{}
				return errno(eMFILE)
			}
			fds[w] = fdEntry{kind: fdPipeWrite, obj: int32(k), cloexec: flags&oCloexec != 0}
			p := &pipes[k]
			p.readers, p.writers, p.head, p.n = 1, 1, 0, 0
			p.rflags, p.wflags = flags&oNonblock, flags&oNonblock
			fp := ptr[[2]int32](uintptr(fdsAddr))
			fp[0], fp[1] = int32(r), int32(w)
			return 0
		}
	}
	return errno(eNFILE)
}

// pipeRead and pipeWrite transfer what fits; a blocking reader or writer
// sleeps until the other end acts.
func pipeRead(k int, b []byte, nr uint64) uint64 {
	p := &pipes[k]
	if p.n == 0 {
		if p.writers == 0 {
			return 0
		}
		if p.rflags&oNonblock != 0 {
			return errno(eAGAIN)
		}
		return blockRetry(fdPipeRead, int32(k), nr)
	}
	ring := bytesAt(p.buf, pageSize)
	n := 0
	for n < len(b) && p.n > 0 {
		b[n] = ring[p.head]
		p.head = (p.head + 1) % pageSize
		p.n--
		n++
	}
	objectChanged(fdPipeWrite, int32(k))
	return uint64(n)
}

func pipeWrite(k int, b []byte, nr uint64) uint64 {
	p := &pipes[k]
	if p.readers == 0 {
		sendProcess(sigPIPE, sigInfoLite{code: siKernel})
		return errno(ePIPE)
	}
	if p.n == pageSize {
		if p.wflags&oNonblock != 0 {
			return errno(eAGAIN)
		}
		return blockRetry(fdPipeWrite, int32(k), nr)
	}
	ring := bytesAt(p.buf, pageSize)
	n := 0
	for n < len(b) && p.n < pageSize {
		ring[(p.head+p.n)%pageSize] = b[n]
		p.n++
		n++
	}
	objectChanged(fdPipeRead, int32(k))
	return uint64(n)
}

func pipeChanged(k int) {
	objectChanged(fdPipeRead, int32(k))
	objectChanged(fdPipeWrite, int32(k))
}
