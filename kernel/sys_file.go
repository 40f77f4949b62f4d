package kernel

import (
	"unsafe"

	"github.com/gobi-os/gobi/kernel/memfs"
)

// Path-based file system calls, and fallocate(2) and statfs(2), served by
// memfs. Paths are read from the program's memory in place (never copied
// or retained).

const (
	atFDCWD           = ^uint64(99) // -100
	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
)

var (
	cwd   memfs.File // the working directory, open O_PATH
	umask uint64     = 0o022
)

// userPath returns the NUL-terminated string at addr.
func userPath(addr uint64) (string, uint64) {
	if addr == 0 {
		return "", errno(eFAULT)
	}
	for n := uintptr(0); n < memfs.PathMax; n++ {
		p := uintptr(addr) + n
		if p&(pageSize-1) == 0 || n == 0 {
			if !userOK(p, 1, false) {
				return "", errno(eFAULT)
			}
		}
		if *ptr[byte](p) == 0 {
			return unsafe.String(ptr[byte](uintptr(addr)), int(n)), 0
		}
	}
	return "", errno(eNAMETOOLONG)
}

// dirOf returns the directory a *at call resolves from.
func dirOf(dirfd uint64) (memfs.File, uint64) {
	if dirfd == atFDCWD || int32(dirfd) == -100 {
		return cwd, 0
	}
	return fileOf(dirfd, eNOTDIR)
}

// fileOf returns the memfs file descriptor fd names, or the errno for the
// call: EBADF for no descriptor, notFile for one that is not a file (a
// socket, pipe, eventfd or epoll set), which each call names differently.
func fileOf(fd uint64, notFile int) (memfs.File, uint64) {
	e, ok := getFD(fd)
	if !ok {
		return 0, errno(eBADF)
	}
	if e.kind != fdFile {
		return 0, errno(notFile)
	}
	return memfs.File(e.obj), 0
}

// pathArgs reads the common (dirfd, path) pair.
func pathArgs(dirfd, path uint64) (memfs.File, string, uint64) {
	p, r := userPath(path)
	if r != 0 {
		return 0, "", r
	}
	d, r := dirOf(dirfd)
	return d, p, r
}

func sysOpenat(dirfd, path, flags, mode uint64) uint64 {
	d, p, r := pathArgs(dirfd, path)
	if r != 0 {
		return r
	}
	fd := allocFD(0)
	if fd < 0 {
		return errno(eMFILE)
	}
	f, er := memfs.Open(d, p, int(flags), uint32(mode&^umask))
	if er != 0 {
		return errno(int(er))
	}
	refreshOpened(f)
	fds[fd] = fdEntry{kind: fdFile, obj: int32(f), cloexec: flags&oCloexec != 0}
	return uint64(fd)
}

func sysNewfstatat(dirfd, path, st, flags uint64) uint64 {
	p, r := userPath(path)
	if r != 0 {
		return r
	}
	if !userOK(uintptr(st), unsafe.Sizeof(memfs.Stat{}), true) {
		return errno(eFAULT)
	}
	if p == "" && flags&memfs.AT_EMPTY_PATH != 0 && dirfd != atFDCWD {
		return sysFstat(dirfd, st)
	}
	d, r := dirOf(dirfd)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.StatAt(d, p, ptr[memfs.Stat](uintptr(st)), int(flags)))
}

func sysGetdents64(fd, buf, n uint64) uint64 {
	f, r := fileOf(fd, eNOTDIR)
	if r != 0 {
		return r
	}
	if n > maxIO {
		n = maxIO
	}
	if !userOK(uintptr(buf), uintptr(n), true) {
		return errno(eFAULT)
	}
	k, er := memfs.Getdents64(f, bytesAt(uintptr(buf), int(n)))
	if er != 0 {
		return errno(int(er))
	}
	return uint64(k)
}

func sysGetcwd(buf, n uint64) uint64 {
	if n > memfs.PathMax {
		n = memfs.PathMax
	}
	if !userOK(uintptr(buf), uintptr(n), true) {
		return errno(eFAULT)
	}
	k, er := memfs.Getcwd(cwd, bytesAt(uintptr(buf), int(n)))
	if er != 0 {
		return errno(int(er))
	}
	return uint64(k)
}

func sysChdir(path uint64) uint64 {
	p, r := userPath(path)
	if r != 0 {
		return r
	}
	return chdir(cwd, p)
}

func sysFchdir(fd uint64) uint64 {
	f, r := fileOf(fd, eNOTDIR)
	if r != 0 {
		return r
	}
	return chdir(f, ".")
}

func chdir(d memfs.File, p string) uint64 {
	f, er := memfs.Open(d, p, memfs.O_PATH|memfs.O_DIRECTORY, 0)
	if er != 0 {
		return errno(int(er))
	}
	memfs.Close(cwd)
	cwd = f
	return 0
}

func sysMkdirat(dirfd, path, mode uint64) uint64 {
	d, p, r := pathArgs(dirfd, path)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.Mkdir(d, p, uint32(mode&^umask)))
}

func sysUnlinkat(dirfd, path, flags uint64) uint64 {
	d, p, r := pathArgs(dirfd, path)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.Unlink(d, p, int(flags)))
}

func sysRenameat(olddirfd, oldpath, newdirfd, newpath, flags uint64) uint64 {
	od, op, r := pathArgs(olddirfd, oldpath)
	if r != 0 {
		return r
	}
	nd, np, r := pathArgs(newdirfd, newpath)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.Rename(od, op, nd, np, int(flags)))
}

func sysReadlinkat(dirfd, path, buf, n uint64) uint64 {
	d, p, r := pathArgs(dirfd, path)
	if r != 0 {
		return r
	}
	if int64(n) <= 0 {
		return errno(eINVAL)
	}
	if n > memfs.PathMax {
		n = memfs.PathMax
	}
	if !userOK(uintptr(buf), uintptr(n), true) {
		return errno(eFAULT)
	}
	k, er := memfs.Readlink(d, p, bytesAt(uintptr(buf), int(n)), 0)
	if er != 0 {
		return errno(int(er))
	}
	return uint64(k)
}

func sysSymlinkat(target, dirfd, path uint64) uint64 {
	t, r := userPath(target)
	if r != 0 {
		return r
	}
	d, p, r := pathArgs(dirfd, path)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.Symlink(t, d, p))
}

func sysFaccessat(dirfd, path, mode, flags uint64) uint64 {
	d, p, r := pathArgs(dirfd, path)
	if r != 0 {
		return r
	}
	if flags > 0xffffffff {
		return errno(eINVAL)
	}
	return errnoOf(memfs.Access(d, p, uint32(mode), int(flags)))
}

func sysFchmodat(dirfd, path, mode, flags uint64) uint64 {
	d, p, r := pathArgs(dirfd, path)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.Chmod(d, p, uint32(mode), int(flags)))
}

func sysFchmod(fd, mode uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	if e.kind != fdFile {
		return 0
	}
	return errnoOf(memfs.Fchmod(memfs.File(e.obj), uint32(mode)))
}

func sysFtruncate(fd, size uint64) uint64 {
	f, r := fileOf(fd, eINVAL)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.Ftruncate(f, int64(size)))
}

func sysTruncate(path, size uint64) uint64 {
	p, r := userPath(path)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.Truncate(cwd, p, int64(size)))
}

func sysUtimensat(dirfd, path, times, flags uint64) uint64 {
	d, r := dirOf(dirfd)
	if r != 0 {
		return r
	}
	p := ""
	if path != 0 {
		if p, r = userPath(path); r != 0 {
			return r
		}
	} else {
		flags |= memfs.AT_EMPTY_PATH
	}
	var ts *[2]memfs.Timespec
	if times != 0 {
		if !userOK(uintptr(times), 32, false) {
			return errno(eFAULT)
		}
		ts = ptr[[2]memfs.Timespec](uintptr(times))
	}
	return errnoOf(memfs.Utimens(d, p, ts, int(flags)))
}

func sysUmask(mask uint64) uint64 {
	old := umask
	umask = mask & 0o777
	return old
}

func sysLinkat(olddirfd, oldpath, newdirfd, newpath, flags uint64) uint64 {
	od, op, r := pathArgs(olddirfd, oldpath)
	if r != 0 {
		return r
	}
	nd, np, r := pathArgs(newdirfd, newpath)
	if r != 0 {
		return r
	}
	return errnoOf(memfs.Link(od, op, nd, np, int(flags)))
}

// sysFchownat accepts what this file system can record: every file belongs
// to root, so changing the owner to root (or leaving it, -1) succeeds and
// any other owner is refused with EPERM.
func sysFchownat(dirfd, path, uid, gid, flags uint64) uint64 {
	var st memfs.Stat
	if path == 0 {
		e, ok := getFD(dirfd)
		if !ok {
			return errno(eBADF)
		}
		if e.kind == fdFile {
			if r := errnoOf(memfs.Fstat(memfs.File(e.obj), &st)); r != 0 {
				return r
			}
		}
	} else {
		d, p, r := pathArgs(dirfd, path)
		if r != 0 {
			return r
		}
		if r := errnoOf(memfs.StatAt(d, p, &st, int(flags))); r != 0 {
			return r
		}
	}
	if !rootID(uid) || !rootID(gid) {
		return errno(ePERM)
	}
	return 0
}

func rootID(id uint64) bool { return uint32(id) == 0 || uint32(id) == ^uint32(0) }

// fallocate(2) modes, and statfs(2)'s answer: a tmpfs.
const (
	fallocKeepSize = 1
	tmpfsMagic     = 0x01021994
	stRdonly       = 1
)

func sysFallocate(fd, mode, off, n uint64) uint64 {
	f, r := fileOf(fd, eNODEV)
	if r != 0 {
		return r
	}
	if int64(off) < 0 || int64(n) <= 0 || int64(off+n) < 0 {
		return errno(eINVAL)
	}
	var st memfs.Stat
	if er := memfs.Fstat(f, &st); er != 0 {
		return errnoOf(er)
	}
	switch mode {
	case 0: // extend to cover the range; memory is allocated as it is written
		if end := int64(off + n); end > st.Size {
			return errnoOf(memfs.Ftruncate(f, end))
		}
		return 0
	case fallocKeepSize:
		return 0
	}
	return errno(eOPNOTSUPP) // holes, zeroing and collapsing ranges
}

func sysStatfs(path, buf uint64) uint64 {
	p, r := userPath(path)
	if r != 0 {
		return r
	}
	f, er := memfs.Open(cwd, p, memfs.O_PATH, 0)
	if er != 0 {
		return errnoOf(er)
	}
	defer memfs.Close(f)
	return statfs(f, buf)
}

func sysFstatfs(fd, buf uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	if e.kind != fdFile {
		// Pipes, sockets and the rest live in Linux's internal
		// pseudo-file systems; a tmpfs answer serves as well.
		return statfsOf(false, buf)
	}
	return statfs(memfs.File(e.obj), buf)
}

// statfs writes struct statfs (120 bytes on x86-64) for the file system
// holding f: a tmpfs as large as the memory the kernel has for it.
func statfs(f memfs.File, buf uint64) uint64 {
	ro, er := memfs.ReadOnly(f)
	if er != 0 {
		return errnoOf(er)
	}
	return statfsOf(ro, buf)
}

func statfsOf(ro bool, buf uint64) uint64 {
	if !userOK(uintptr(buf), 120, true) {
		return errno(eFAULT)
	}
	used, max := memfs.Nodes()
	b := bytesAt(uintptr(buf), 120)
	clear(b)
	put64(b[0:], tmpfsMagic)             // f_type
	put64(b[8:], pageSize)               // f_bsize
	put64(b[16:], usedFrames+freeFrames) // f_blocks
	put64(b[24:], freeFrames)            // f_bfree
	put64(b[32:], freeFrames)            // f_bavail
	put64(b[40:], uint64(max))           // f_files
	put64(b[48:], uint64(max-used))      // f_ffree
	put64(b[64:], 255)                   // f_namelen
	put64(b[72:], pageSize)              // f_frsize
	if ro {
		put64(b[80:], stRdonly) // f_flags
	}
	return 0
}
