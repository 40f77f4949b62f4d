package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// The file descriptor table. A descriptor names an object: an open file of
// the in-memory file system (which includes the device nodes), an epoll
// instance, an eventfd, or one end of a pipe. Kernel-side objects are
// reference counted so dup'ed descriptors share them.

const maxFDs = 1024

type fdKind uint8

const (
	fdNone fdKind = iota
	fdFile
	fdEpoll
	fdEventfd
	fdPipeRead
	fdPipeWrite
	fdSocket
)

type fdEntry struct {
	kind    fdKind
	cloexec bool
	obj     int32 // memfs.File, or an index into the kind's table
}

var fds [maxFDs]fdEntry

// allocFD returns the lowest free descriptor at or above min, or -1.
func allocFD(min int) int {
	for fd := min; fd < fdLimit; fd++ {
		if fds[fd].kind == fdNone {
			return fd
		}
	}
	return -1
}

func getFD(fd uint64) (*fdEntry, bool) {
	if fd >= maxFDs || fds[fd].kind == fdNone {
		return nil, false
	}
	return &fds[fd], true
}

// installFD puts an object in the lowest free slot.
func installFD(kind fdKind, obj int32, cloexec bool) uint64 {
	fd := allocFD(0)
	if fd < 0 {
		return errno(eMFILE)
	}
	fds[fd] = fdEntry{kind: kind, cloexec: cloexec, obj: obj}
	return uint64(fd)
}

// ref and unref count descriptors per object.
func ref(e fdEntry) {
	switch e.kind {
	case fdFile:
		memfs.Dup(memfs.File(e.obj))
	case fdEpoll:
		epolls[e.obj].refs++
	case fdEventfd:
		eventfds[e.obj].refs++
	case fdPipeRead:
		pipes[e.obj].readers++
	case fdPipeWrite:
		pipes[e.obj].writers++
	case fdSocket:
		sockets[e.obj].refs++
	}
}

func unref(fd int) {
	e := fds[fd]
	fds[fd] = fdEntry{}
	dropInterest(fd)
	release(e)
}

// release drops one reference to e's object, held by a descriptor or by a
// message in flight (socket_rights.go).
func release(e fdEntry) {
	switch e.kind {
	case fdFile:
		memfs.Close(memfs.File(e.obj))
		closedFile(memfs.File(e.obj))
	case fdEpoll:
		if epolls[e.obj].refs--; epolls[e.obj].refs == 0 {
			epolls[e.obj] = epollInst{}
		}
	case fdEventfd:
		if eventfds[e.obj].refs--; eventfds[e.obj].refs == 0 {
			eventfds[e.obj] = eventfd{}
		}
	case fdPipeRead:
		pipes[e.obj].readers--
		pipeChanged(int(e.obj))
	case fdPipeWrite:
		pipes[e.obj].writers--
		pipeChanged(int(e.obj))
	case fdSocket:
		if sockets[e.obj].refs--; sockets[e.obj].refs == 0 {
			closeSocket(int(e.obj))
		}
	}
}

func sysClose(fd uint64) uint64 {
	if _, ok := getFD(fd); !ok {
		return errno(eBADF)
	}
	unref(int(fd))
	return 0
}

func sysDup(fd uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	n := allocFD(0)
	if n < 0 {
		return errno(eMFILE)
	}
	ref(*e)
	fds[n] = fdEntry{kind: e.kind, obj: e.obj}
	return uint64(n)
}

func sysDup3(oldfd, newfd, flags uint64, dup2 bool) uint64 {
	e, ok := getFD(oldfd)
	if !ok {
		return errno(eBADF)
	}
	if newfd >= fdLimit || flags&^oCloexec != 0 {
		return errno(eINVAL)
	}
	if oldfd == newfd {
		if dup2 {
			return newfd
		}
		return errno(eINVAL)
	}
	ent := *e
	ref(ent)
	if fds[newfd].kind != fdNone {
		unref(int(newfd))
	}
	fds[newfd] = fdEntry{kind: ent.kind, obj: ent.obj, cloexec: flags&oCloexec != 0}
	return newfd
}

const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fDupfdCloexec = 1030
	fdCloexecFlag = 1

	oNonblock = 0x800
	oCloexec  = 0x80000
)

func sysFcntl(fd, cmd, arg uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	switch cmd {
	case fDupfd, fDupfdCloexec:
		if arg >= fdLimit {
			return errno(eINVAL)
		}
		n := allocFD(int(arg))
		if n < 0 {
			return errno(eMFILE)
		}
		ref(*e)
		fds[n] = fdEntry{kind: e.kind, obj: e.obj, cloexec: cmd == fDupfdCloexec}
		return uint64(n)
	case fGetfd:
		if e.cloexec {
			return fdCloexecFlag
		}
		return 0
	case fSetfd:
		e.cloexec = arg&fdCloexecFlag != 0
		return 0
	case fGetfl:
		return statusFlags(e)
	case fSetfl:
		return setStatusFlags(e, arg)
	case fGetlk, fSetlk, fSetlkw:
		return recordLock(e, cmd, arg)
	}
	return errno(eINVAL)
}

func statusFlags(e *fdEntry) uint64 {
	switch e.kind {
	case fdFile:
		fl, er := memfs.Flags(memfs.File(e.obj))
		if er != 0 {
			return errno(int(er))
		}
		return uint64(fl)
	case fdEpoll:
		return 2 // O_RDWR
	case fdEventfd:
		return 2 | eventfds[e.obj].flags&oNonblock
	case fdPipeRead:
		return pipes[e.obj].rflags
	case fdPipeWrite:
		return 1 | pipes[e.obj].wflags
	case fdSocket:
		if sockets[e.obj].nonblock {
			return 2 | oNonblock
		}
		return 2
	}
	return 0
}

func setStatusFlags(e *fdEntry, arg uint64) uint64 {
	nb := arg & oNonblock
	switch e.kind {
	case fdFile:
		return errnoOf(memfs.SetFlags(memfs.File(e.obj), int(arg)))
	case fdEventfd:
		eventfds[e.obj].flags = eventfds[e.obj].flags&^oNonblock | nb
	case fdPipeRead:
		pipes[e.obj].rflags = nb
	case fdPipeWrite:
		pipes[e.obj].wflags = nb
	case fdSocket:
		sockets[e.obj].nonblock = nb != 0
	}
	return 0
}

// errnoOf converts a memfs result to a syscall return value.
func errnoOf(e memfs.Errno) uint64 {
	if e != 0 {
		return errno(int(e))
	}
	return 0
}
