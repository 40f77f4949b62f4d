package memfs

// Stat is Linux x86-64's struct stat (arch/x86/include/uapi/asm/stat.h),
// 144 bytes, so the kernel may fill the program's buffer through a cast.
// The layout is checked against syscall.Stat_t in the tests; other
// architectures lay struct stat out differently.
type Stat struct {
	Dev     uint64
	Ino     uint64
	Nlink   uint64
	Mode    uint32
	Uid     uint32
	Gid     uint32
	_       int32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64 // 512-byte units
	Atim    Timespec
	Mtim    Timespec
	Ctim    Timespec
	_       [3]int64
}

// Timespec is struct timespec.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// stDev is the st_dev of every node: an anonymous device, as tmpfs has.
const stDev = 0x2a

// dirEntrySize is what each entry adds to a directory's st_size, as on
// tmpfs (BOGO_DIRENT_SIZE in mm/shmem.c); "." and ".." count too.
const dirEntrySize = 20

// shortSymlink: tmpfs keeps shorter symlink targets in the inode, using no
// blocks (SHORT_SYMLINK_LEN in mm/shmem.c); st_blocks says the same here.
const shortSymlink = 128

// Fstat describes the node f is open on (fstat(2)).
func Fstat(f File, st *Stat) Errno {
	i, errno := fileNode(f)
	if errno != 0 {
		return errno
	}
	fill(i, st)
	return 0
}

// Ino is the inode number of the node f is open on, or 0 if f is not open.
func Ino(f File) uint64 {
	i, errno := fileNode(f)
	if errno != 0 {
		return 0
	}
	return uint64(i)
}

// StatAt describes path relative to dir as newfstatat(2) does with flags
// AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
func StatAt(dir File, path string, st *Stat, flags int) Errno {
	i, errno := pathNode(dir, path, flags)
	if errno != 0 {
		return errno
	}
	fill(i, st)
	return 0
}

// pathNode resolves path to an existing node, following a final symlink
// unless flags has AT_SYMLINK_NOFOLLOW; with AT_EMPTY_PATH an empty path
// names dir itself, whatever it is open on.
func pathNode(dir File, path string, flags int) (int32, Errno) {
	if path == "" && flags&AT_EMPTY_PATH != 0 {
		return fileNode(dir)
	}
	how := followLast
	if flags&AT_SYMLINK_NOFOLLOW != 0 {
		how = 0
	}
	w, errno := resolve(dir, path, how, 0)
	if errno != 0 {
		return 0, errno
	}
	if w.node == 0 {
		return 0, ENOENT
	}
	if w.slash && fs.nodes[w.node].kind != kindDir {
		return 0, ENOTDIR
	}
	return w.node, 0
}

func fill(i int32, st *Stat) {
	n := &fs.nodes[i]
	*st = Stat{
		Dev:     stDev,
		Ino:     uint64(i),
		Nlink:   uint64(n.nlink),
		Mode:    n.mode | kindMode(n.kind),
		Rdev:    n.rdev,
		Size:    n.size,
		Blksize: fs.pageSize,
		Atim:    timespec(n.atime),
		Mtim:    timespec(n.mtime),
		Ctim:    timespec(n.ctime),
	}
	switch {
	case n.kind == kindSymlink && n.size < shortSymlink:
	case n.inplace:
		st.Blocks = (n.size + 511) / 512
	default:
		st.Blocks = n.npages * (fs.pageSize / 512)
	}
}

// kindMode returns the S_IFMT bits of a node kind.
func kindMode(kind uint8) uint32 {
	switch kind {
	case kindDir:
		return S_IFDIR
	case kindSymlink:
		return S_IFLNK
	case kindChr:
		return S_IFCHR
	}
	return S_IFREG
}

func timespec(ns int64) Timespec {
	s, n := ns/1e9, ns%1e9
	if n < 0 {
		s, n = s-1, n+1e9
	}
	return Timespec{Sec: s, Nsec: n}
}

// ReadOnly reports whether f is in the part of the file system the program
// may not change (everything outside /tmp), for statfs(2)'s ST_RDONLY.
func ReadOnly(f File) (bool, Errno) {
	i, errno := fileNode(f)
	if errno != 0 {
		return false, errno
	}
	return fs.nodes[i].ro, 0
}

// Nodes reports how many nodes are in use and how many there can be.
func Nodes() (used, max int) { return int(fs.nodesUsed), maxNodes }
