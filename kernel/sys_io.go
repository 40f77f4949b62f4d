package kernel

import (
	"unsafe"

	"github.com/gobi-os/gobi/kernel/memfs"
)

// Reading and writing descriptors. Regular files go to memfs; device nodes
// are served here: the console, /dev/null, /dev/zero, /dev/(u)random.

const maxIO = 1 << 30 // cap one transfer; a guest-controlled length

func sysRead(i int, fd, buf, n, nr uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	if n > maxIO {
		n = maxIO
	}
	if !userOK(uintptr(buf), uintptr(n), true) {
		return errno(eFAULT)
	}
	b := bytesAt(uintptr(buf), int(n))
	switch e.kind {
	case fdFile:
		f := memfs.File(e.obj)
		if dev, isDev := memfs.Device(f); isDev {
			return readDevice(i, f, dev, buf, n)
		}
		k, er := memfs.Read(f, b)
		if er != 0 {
			return errno(int(er))
		}
		return uint64(k)
	case fdEventfd:
		return eventfdRead(int(e.obj), b, nr)
	case fdPipeRead:
		return pipeRead(int(e.obj), b, nr)
	case fdSocket:
		return sockRecv(int(e.obj), b, 0, 0, 0, nr)
	}
	return errno(eINVAL)
}

func readDevice(i int, f memfs.File, dev, buf, n uint64) uint64 {
	switch dev {
	case memfs.DevNull:
		return 0
	case memfs.DevZero:
		clear(bytesAt(uintptr(buf), int(n)))
		return n
	case memfs.DevStdin:
		fl, _ := memfs.Flags(f)
		return readStdin(i, buf, n, fl&oNonblock != 0)
	case memfs.DevStdout, memfs.DevStderr:
		return errno(eBADF)
	case memfs.DevURandom:
		fillRandom(bytesAt(uintptr(buf), int(n)))
		return n
	}
	return errno(eNODEV)
}

func sysWrite(fd, buf, n, nr uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	if n > maxIO {
		n = maxIO
	}
	if !userOK(uintptr(buf), uintptr(n), false) {
		return errno(eFAULT)
	}
	b := bytesAt(uintptr(buf), int(n))
	switch e.kind {
	case fdFile:
		f := memfs.File(e.obj)
		if dev, isDev := memfs.Device(f); isDev {
			switch dev {
			case memfs.DevStdout, memfs.DevStderr:
				consoleWrite(dev, b)
				return n
			case memfs.DevStdin:
				return errno(eBADF)
			}
			return n // null, zero, random: discard
		}
		k, er := memfs.Write(f, b)
		if er != 0 {
			return errno(int(er))
		}
		return uint64(k)
	case fdEventfd:
		return eventfdWrite(int(e.obj), b)
	case fdPipeWrite:
		return pipeWrite(int(e.obj), b, nr)
	case fdSocket:
		return sockSend(int(e.obj), b, 0, 0, 0, nr)
	}
	return errno(eINVAL)
}

func sysPread(fd, buf, n, off uint64) uint64 {
	return positioned(fd, buf, n, off, false)
}

func sysPwrite(fd, buf, n, off uint64) uint64 {
	return positioned(fd, buf, n, off, true)
}

func positioned(fd, buf, n, off uint64, write bool) uint64 {
	f, r := fileOf(fd, eSPIPE)
	if r != 0 {
		return r
	}
	if int64(off) < 0 {
		return errno(eINVAL)
	}
	if n > maxIO {
		n = maxIO
	}
	if !userOK(uintptr(buf), uintptr(n), !write) {
		return errno(eFAULT)
	}
	if _, isDev := memfs.Device(f); isDev {
		return errno(eSPIPE)
	}
	b := bytesAt(uintptr(buf), int(n))
	var k int
	var er memfs.Errno
	if write {
		k, er = memfs.Pwrite(f, b, int64(off))
	} else {
		k, er = memfs.Pread(f, b, int64(off))
	}
	if er != 0 {
		return errno(int(er))
	}
	return uint64(k)
}

// iovecs: struct iovec { void *base; size_t len; }, at most IOV_MAX.
func sysReadv(i int, fd, iov, cnt uint64) uint64 { return vectored(i, fd, iov, cnt, false, 19) }
func sysWritev(fd, iov, cnt uint64) uint64       { return vectored(0, fd, iov, cnt, true, 20) }

func vectored(i int, fd, iov, cnt uint64, write bool, nr uint64) uint64 {
	if cnt > 1024 {
		return errno(eINVAL)
	}
	if !userOK(uintptr(iov), uintptr(cnt*16), false) {
		return errno(eFAULT)
	}
	var total uint64
	for k := uint64(0); k < cnt; k++ {
		v := ptr[[2]uint64](uintptr(iov + k*16))
		if v[1] == 0 {
			continue
		}
		var r uint64
		if write {
			r = sysWrite(fd, v[0], v[1], nr)
		} else {
			r = sysRead(i, fd, v[0], v[1], nr)
		}
		if r == noReturn { // blocked with nothing transferred yet
			if total == 0 {
				return noReturn
			}
			unblockCurrent()
			return total
		}
		if int64(r) < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
		if r < v[1] {
			break
		}
	}
	return total
}

func sysLseek(fd, off, whence uint64) uint64 {
	f, r := fileOf(fd, eSPIPE)
	if r != 0 {
		return r
	}
	if dev, isDev := memfs.Device(f); isDev {
		if dev == memfs.DevStdin || dev == memfs.DevStdout || dev == memfs.DevStderr {
			return errno(eSPIPE)
		}
		return 0
	}
	p, er := memfs.Seek(f, int64(off), int(whence))
	if er != 0 {
		return errno(int(er))
	}
	return uint64(p)
}

const (
	fionbio  = 0x5421
	fioclex  = 0x5451
	fionclex = 0x5450
)

func sysIoctl(fd, req, arg uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	switch req {
	case fioclex:
		e.cloexec = true
		return 0
	case fionclex:
		e.cloexec = false
		return 0
	case fionbio:
		if !userOK(uintptr(arg), 4, false) {
			return errno(eFAULT)
		}
		fl := statusFlags(e) &^ oNonblock
		if *ptr[int32](uintptr(arg)) != 0 {
			fl |= oNonblock
		}
		return setStatusFlags(e, fl)
	}
	// The console is a serial line to the host, not a terminal: programs
	// asking (isatty) must see ENOTTY, as with output redirected to a file.
	return errno(eNOTTY)
}

func sysFstat(fd, st uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	if !userOK(uintptr(st), unsafe.Sizeof(memfs.Stat{}), true) {
		return errno(eFAULT)
	}
	s := ptr[memfs.Stat](uintptr(st))
	if e.kind != fdFile {
		*s = memfs.Stat{}
		s.Mode = 0o600 // anonymous inode, like Linux's anon_inode
		s.Blksize = pageSize
		switch e.kind {
		case fdPipeRead, fdPipeWrite:
			s.Mode = 0o10600 // S_IFIFO
		case fdSocket:
			s.Mode = 0o140777 // S_IFSOCK
		}
		return 0
	}
	return errnoOf(memfs.Fstat(memfs.File(e.obj), s))
}

func sysFsync(fd uint64) uint64 {
	if _, ok := getFD(fd); !ok {
		return errno(eBADF)
	}
	return 0
}
