package memfs

// Errno is a Linux error number (x86-64 values, errno(3)); 0 means success.
type Errno uintptr

// Linux errno values returned by this package.
const (
	EPERM        Errno = 1
	ENOENT       Errno = 2
	ENXIO        Errno = 6
	EBADF        Errno = 9
	EACCES       Errno = 13
	EBUSY        Errno = 16
	EEXIST       Errno = 17
	ENOTDIR      Errno = 20
	EISDIR       Errno = 21
	EINVAL       Errno = 22
	ENFILE       Errno = 23
	EFBIG        Errno = 27
	ENOSPC       Errno = 28
	EROFS        Errno = 30
	ERANGE       Errno = 34
	ENAMETOOLONG Errno = 36
	ENOTEMPTY    Errno = 39
	ELOOP        Errno = 40
	EOPNOTSUPP   Errno = 95
)

// errnoNames maps the errno values above to their C names, for messages.
var errnoNames = [...]string{
	EPERM: "EPERM", ENOENT: "ENOENT", ENXIO: "ENXIO", EBADF: "EBADF",
	EACCES: "EACCES", EBUSY: "EBUSY", EEXIST: "EEXIST",
	ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE",
	EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS",
	ERANGE: "ERANGE", ENAMETOOLONG: "ENAMETOOLONG", ENOTEMPTY: "ENOTEMPTY",
	ELOOP: "ELOOP", EOPNOTSUPP: "EOPNOTSUPP",
}

// Error returns the C name of e ("ENOENT"), or "errno" for values this
// package does not use. It does not allocate.
func (e Errno) Error() string {
	if e < Errno(len(errnoNames)) && errnoNames[e] != "" {
		return errnoNames[e]
	}
	return "errno"
}
