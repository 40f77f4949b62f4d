package memfs

// Flags and mode bits of the Linux x86-64 syscall ABI
// (include/uapi/asm-generic/fcntl.h, include/uapi/linux/stat.h,
// include/uapi/linux/fcntl.h).
const (
	O_RDONLY    = 0x0
	O_WRONLY    = 0x1
	O_RDWR      = 0x2
	O_ACCMODE   = 0x3
	O_CREAT     = 0x40
	O_EXCL      = 0x80
	O_NOCTTY    = 0x100
	O_TRUNC     = 0x200
	O_APPEND    = 0x400
	O_NONBLOCK  = 0x800
	O_LARGEFILE = 0x8000
	O_DIRECTORY = 0x10000
	O_NOFOLLOW  = 0x20000
	O_CLOEXEC   = 0x80000
	O_PATH      = 0x200000
	O_TMPFILE   = 0x400000 // with O_DIRECTORY, as the ABI defines O_TMPFILE

	AT_SYMLINK_NOFOLLOW = 0x100
	AT_REMOVEDIR        = 0x200
	AT_EACCESS          = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_EMPTY_PATH       = 0x1000

	RENAME_NOREPLACE = 0x1
	RENAME_EXCHANGE  = 0x2

	SEEK_SET  = 0
	SEEK_CUR  = 1
	SEEK_END  = 2
	SEEK_DATA = 3
	SEEK_HOLE = 4

	S_IFMT   = 0o170000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFREG  = 0o100000
	S_IFLNK  = 0o120000
	S_ISUID  = 0o4000
	S_ISGID  = 0o2000
	S_ISVTX  = 0o1000
	permMask = 0o7777

	// Access modes of faccessat(2).
	F_OK = 0
	X_OK = 1
	W_OK = 2
	R_OK = 4

	// UTIME_NOW and UTIME_OMIT are the special tv_nsec values of utimensat(2).
	UTIME_NOW  = (1 << 30) - 1
	UTIME_OMIT = (1 << 30) - 2

	// PathMax is PATH_MAX: a path, with its NUL, fits in this many bytes.
	PathMax = 4096
	// NameMax is NAME_MAX, the longest file name component.
	NameMax = 255
	// maxSymlinks is MAXSYMLINKS: resolution fails with ELOOP after
	// following this many links (path_resolution(7)).
	maxSymlinks = 40
)

// Mkdev returns the Linux device number of major and minor (new_encode_dev
// in include/linux/kdev_t.h, as glibc's makedev).
func Mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32
}

// Device numbers of the nodes in /dev, as Mkdev(major, minor) computes them
// (a test checks). The memory devices use their Linux numbers
// (Documentation/admin-guide/devices.txt, major 1). Linux makes /dev/stdin,
// /dev/stdout and /dev/stderr symlinks into /proc/self/fd; here they are
// devices in the "local/experimental use" major 240 so the kernel can route
// them to its console without a /proc/self/fd.
const (
	DevNull    = 1<<8 | 3
	DevZero    = 1<<8 | 5
	DevURandom = 1<<8 | 9
	DevStdin   = 240<<8 | 0
	DevStdout  = 240<<8 | 1
	DevStderr  = 240<<8 | 2
)
