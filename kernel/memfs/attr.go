package memfs

// Changes to attributes: truncate(2), ftruncate(2), fchmodat(2), fchmod(2),
// utimensat(2), and the permission check of faccessat2(2).

// Truncate sets the size of the regular file path names relative to dir,
// following symbolic links (truncate(2)).
func Truncate(dir File, path string, size int64) Errno {
	if size < 0 {
		return EINVAL
	}
	i, errno := pathNode(dir, path, 0)
	if errno != 0 {
		return errno
	}
	n := &fs.nodes[i]
	switch {
	case n.kind == kindDir:
		return EISDIR
	case n.kind != kindReg:
		return EINVAL
	case n.ro:
		return EROFS
	}
	return setSize(n, size)
}

// Ftruncate sets the size of the regular file f, which must be open for
// writing (ftruncate(2)).
func Ftruncate(f File, size int64) Errno {
	if size < 0 {
		return EINVAL
	}
	of, errno := getFile(f)
	if errno != 0 {
		return errno
	}
	if of.flags&O_PATH != 0 {
		return EBADF
	}
	n := &fs.nodes[of.node]
	if n.kind != kindReg || !writable(of.flags) {
		return EINVAL
	}
	return setSize(n, size)
}

// Chmod sets the permission bits of path relative to dir (fchmodat(2));
// flags may hold AT_SYMLINK_NOFOLLOW, which fails on a symbolic link as
// fchmodat2 does, and AT_EMPTY_PATH.
func Chmod(dir File, path string, mode uint32, flags int) Errno {
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) != 0 {
		return EINVAL
	}
	i, errno := pathNode(dir, path, flags)
	if errno != 0 {
		return errno
	}
	return chmod(i, mode)
}

// Fchmod sets the permission bits of the node f is open on (fchmod(2)).
func Fchmod(f File, mode uint32) Errno {
	of, errno := getFile(f)
	if errno != 0 {
		return errno
	}
	if of.flags&O_PATH != 0 {
		return EBADF
	}
	return chmod(of.node, mode)
}

func chmod(i int32, mode uint32) Errno {
	n := &fs.nodes[i]
	switch {
	case n.kind == kindSymlink:
		return EOPNOTSUPP
	case n.ro && n.kind != kindChr:
		return EROFS
	}
	n.mode = mode & permMask
	n.ctime = now()
	return 0
}

// Utimens sets the access and modification times of path relative to dir
// from times (nil: both now; UTIME_NOW and UTIME_OMIT in Nsec as
// utimensat(2) says), with flags AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
// The kernel passes a NULL path of the syscall as "" with AT_EMPTY_PATH.
func Utimens(dir File, path string, times *[2]Timespec, flags int) Errno {
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) != 0 {
		return EINVAL
	}
	var t [2]Timespec
	if times == nil {
		t[0].Nsec, t[1].Nsec = UTIME_NOW, UTIME_NOW
	} else {
		t = *times
	}
	for _, ts := range t {
		if ts.Nsec != UTIME_NOW && ts.Nsec != UTIME_OMIT && (ts.Nsec < 0 || ts.Nsec >= 1e9) {
			return EINVAL
		}
	}
	if t[0].Nsec == UTIME_OMIT && t[1].Nsec == UTIME_OMIT {
		return 0
	}
	i, errno := pathNode(dir, path, flags)
	if errno != 0 {
		return errno
	}
	n := &fs.nodes[i]
	if n.ro && n.kind != kindChr {
		return EROFS
	}
	clock := now()
	for k, ts := range t {
		v := ts.Sec*1e9 + ts.Nsec
		switch ts.Nsec {
		case UTIME_OMIT:
			continue
		case UTIME_NOW:
			v = clock
		}
		if k == 0 {
			n.atime = v
		} else {
			n.mtime = v
		}
	}
	n.ctime = clock
	return 0
}

// Access checks whether the program, which runs as root, may access path
// relative to dir with mode (R_OK, W_OK, X_OK or F_OK), as faccessat2(2)
// does with flags AT_EACCESS, AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH: root
// may read and write anything on a writable file system, and execute what
// has an execute bit or is a directory.
func Access(dir File, path string, mode uint32, flags int) Errno {
	if mode&^(R_OK|W_OK|X_OK) != 0 || flags&^(AT_EACCESS|AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) != 0 {
		return EINVAL
	}
	i, errno := pathNode(dir, path, flags)
	if errno != 0 {
		return errno
	}
	n := &fs.nodes[i]
	if mode&W_OK != 0 && n.ro && n.kind != kindChr {
		return EROFS
	}
	if mode&X_OK != 0 && n.kind != kindDir && n.mode&0o111 == 0 {
		return EACCES
	}
	return 0
}
