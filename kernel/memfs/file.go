package memfs

// File is an open file description (open(2)): what a file descriptor refers
// to, holding the offset and the status flags. Dup shares one File between
// descriptors; O_CLOEXEC belongs to the descriptor and is the kernel's.
// The zero File is none.
type File int32

// NoFile is the zero File.
const NoFile File = 0

// openable are the flags an open file description keeps (fcntl(2) F_GETFL).
const openable = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_PATH | O_LARGEFILE

// Open opens path relative to directory dir (ignored for absolute paths)
// as openat(2) does with flags and, when it creates a regular file, mode.
func Open(dir File, path string, flags int, mode uint32) (File, Errno) {
	if flags&O_TMPFILE != 0 {
		return 0, EOPNOTSUPP
	}
	if flags&O_PATH != 0 {
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW
	}
	// O_CREAT|O_DIRECTORY is refused since Linux 6.4 (build_open_flags).
	if flags&(O_CREAT|O_DIRECTORY) == O_CREAT|O_DIRECTORY {
		return 0, EINVAL
	}
	f := freeFile()
	if f == 0 {
		return 0, ENFILE
	}
	how := followLast
	if flags&O_NOFOLLOW != 0 || flags&(O_CREAT|O_EXCL) == O_CREAT|O_EXCL {
		how = 0
	}
	if flags&O_CREAT != 0 {
		// Creating, Linux looks at a trailing slash before the last
		// component, also in a followed link's target (open_last_lookups):
		// "name/" is EISDIR, existing or not.
		how |= stopSlash
	}
	w, errno := resolve(dir, path, how, 0)
	if errno != 0 {
		return 0, errno
	}
	if flags&O_CREAT != 0 && w.dots == lastNorm && w.slash {
		return 0, EISDIR
	}
	i := w.node
	if i == 0 {
		if flags&O_CREAT == 0 || w.dots != lastNorm {
			return 0, ENOENT
		}
		var errno Errno
		if i, errno = create(w.parent, w.name, kindReg, mode); errno != 0 {
			return 0, errno
		}
	} else if errno := mayOpen(i, w.slash, flags); errno != 0 {
		return 0, errno
	}
	n := &fs.nodes[i]
	if flags&O_TRUNC != 0 && n.kind == kindReg && n.size != 0 {
		setSize(n, 0)
	}
	n.opens++
	fs.files[f] = file{node: i, refs: 1, flags: int32(flags&openable | O_LARGEFILE)}
	return f, 0
}

// mayOpen checks opening existing node i, in the order of do_open and
// may_open in fs/namei.c.
func mayOpen(i int32, slash bool, flags int) Errno {
	n := &fs.nodes[i]
	if flags&O_CREAT != 0 {
		if flags&O_EXCL != 0 {
			return EEXIST
		}
		if n.kind == kindDir {
			return EISDIR
		}
	}
	if (flags&O_DIRECTORY != 0 || slash) && n.kind != kindDir {
		return ENOTDIR
	}
	if flags&O_PATH != 0 {
		return 0
	}
	writes := flags&O_ACCMODE != O_RDONLY || flags&O_TRUNC != 0
	switch n.kind {
	case kindSymlink:
		return ELOOP
	case kindDir:
		if writes {
			return EISDIR
		}
	case kindReg:
		if writes && n.ro {
			return EROFS
		}
	}
	return 0
}

// create makes a node of kind named name in directory dir, checking what
// filename_create in fs/namei.c checks once the name is known to be absent.
func create(dir int32, name string, kind uint8, mode uint32) (int32, Errno) {
	d := &fs.nodes[dir]
	if d.ro {
		return 0, EROFS
	}
	if d.nlink == 0 {
		return 0, ENOENT // a removed directory takes no new entries
	}
	if kind == kindDir && d.mode&S_ISGID != 0 {
		mode |= S_ISGID // inherited, as inode_init_owner does
	}
	return makeNode(dir, name, kind, mode, false)
}

// makeNode makes a node of kind named name in directory dir, unchecked.
func makeNode(dir int32, name string, kind uint8, mode uint32, ro bool) (int32, Errno) {
	i, errno := newNode(kind, mode, ro)
	if errno != 0 {
		return 0, errno
	}
	if errno := link(dir, name, i); errno != 0 {
		maybeFreeNode(i)
		return 0, errno
	}
	return i, 0
}

// freeFile returns an unused File, or 0 when the table is full.
func freeFile() File {
	for f := File(1); f < maxFiles; f++ {
		if fs.files[f].refs == 0 {
			return f
		}
	}
	return 0
}

// getFile returns open file f.
func getFile(f File) (*file, Errno) {
	if _, errno := fileNode(f); errno != 0 {
		return nil, errno
	}
	return &fs.files[f], 0
}

// Dup adds a reference to f, for dup(2) and fork-less descriptor copies.
func Dup(f File) Errno {
	of, errno := getFile(f)
	if errno != 0 {
		return errno
	}
	of.refs++
	return 0
}

// Close drops a reference to f; the last one closes it, and a node that was
// unlinked while open is freed with its pages.
func Close(f File) Errno {
	of, errno := getFile(f)
	if errno != 0 {
		return errno
	}
	of.refs--
	if of.refs == 0 {
		i := of.node
		*of = file{}
		fs.nodes[i].opens--
		maybeFreeNode(i)
	}
	return 0
}

// readable and writable report what an open file description's access mode
// allows. Access mode 3 allows neither: Linux opens files so for ioctl only
// (OPEN_FMODE in include/linux/fs.h) but checks write permission to do so.
func readable(flags int32) bool {
	return flags&O_PATH == 0 && (flags&O_ACCMODE == O_RDONLY || flags&O_ACCMODE == O_RDWR)
}
func writable(flags int32) bool {
	return flags&O_PATH == 0 && (flags&O_ACCMODE == O_WRONLY || flags&O_ACCMODE == O_RDWR)
}

// Flags returns f's status flags and access mode (fcntl(2) F_GETFL).
func Flags(f File) (int, Errno) {
	of, errno := getFile(f)
	if errno != 0 {
		return 0, errno
	}
	return int(of.flags), 0
}

// SetFlags sets f's O_APPEND and O_NONBLOCK from flags and ignores the rest,
// as fcntl(2) F_SETFL does.
func SetFlags(f File, flags int) Errno {
	of, errno := getFile(f)
	if errno != 0 {
		return errno
	}
	const settable = O_APPEND | O_NONBLOCK
	of.flags = of.flags&^settable | int32(flags&settable)
	return 0
}

// Device returns the device number of the character-device node f is open
// on, and whether it is one. The kernel performs devices' I/O: Read and
// Write on them fail with ENXIO.
func Device(f File) (uint64, bool) {
	i, errno := fileNode(f)
	if errno != 0 || fs.nodes[i].kind != kindChr {
		return 0, false
	}
	return fs.nodes[i].rdev, true
}
