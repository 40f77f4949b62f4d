package memfs

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

// sys is the file-system interface the conformance and differential tests
// drive: once backed by memfs, once by the host kernel. Paths are relative
// to a base directory; fds are the backend's handles.
type sys interface {
	open(path string, flags int, mode uint32) (int, Errno)
	close(fd int) Errno
	read(fd, n int) ([]byte, Errno)
	write(fd int, b []byte) (int, Errno)
	pread(fd, n int, off int64) ([]byte, Errno)
	pwrite(fd int, b []byte, off int64) (int, Errno)
	seek(fd int, off int64, whence int) (int64, Errno)
	ftruncate(fd int, size int64) Errno
	fstat(fd int) (Stat, Errno)
	stat(path string, flags int) (Stat, Errno)
	mkdir(path string, mode uint32) Errno
	unlink(path string, flags int) Errno
	rename(oldpath, newpath string, flags int) Errno
	link(oldpath, newpath string, flags int) Errno
	symlink(target, path string) Errno
	readlink(path string) (string, Errno)
	truncate(path string, size int64) Errno
	chmod(path string, mode uint32) Errno
	access(path string, mode uint32) Errno
	getdents(fd, size int) ([]byte, Errno)
}

// memSys drives memfs relative to an open directory.
type memSys struct{ base File }

// baseDir is where both backends work, a few levels down so that a bug
// in a test's paths cannot reach above the test's own directory.
const baseDir = "n1/n2/n3/base"

func newMemSys(t testing.TB) *memSys {
	reset(t)
	if errno := Mkdir(NoFile, "/tmp/n1", 0o755); errno != 0 {
		t.Fatalf("Mkdir = %v", errno)
	}
	for _, p := range []string{"/tmp/n1/n2", "/tmp/n1/n2/n3", "/tmp/" + baseDir} {
		if errno := Mkdir(NoFile, p, 0o755); errno != 0 {
			t.Fatalf("Mkdir(%q) = %v", p, errno)
		}
	}
	return &memSys{base: cwd(t, "/tmp/"+baseDir)}
}

func (m *memSys) open(path string, flags int, mode uint32) (int, Errno) {
	f, errno := Open(m.base, path, flags, mode)
	return int(f), errno
}
func (m *memSys) close(fd int) Errno { return Close(File(fd)) }
func (m *memSys) read(fd, n int) ([]byte, Errno) {
	b := make([]byte, n)
	k, errno := Read(File(fd), b)
	return b[:k], errno
}
func (m *memSys) write(fd int, b []byte) (int, Errno) { return Write(File(fd), b) }
func (m *memSys) pread(fd, n int, off int64) ([]byte, Errno) {
	b := make([]byte, n)
	k, errno := Pread(File(fd), b, off)
	return b[:k], errno
}
func (m *memSys) pwrite(fd int, b []byte, off int64) (int, Errno) { return Pwrite(File(fd), b, off) }
func (m *memSys) seek(fd int, off int64, whence int) (int64, Errno) {
	return Seek(File(fd), off, whence)
}
func (m *memSys) ftruncate(fd int, size int64) Errno { return Ftruncate(File(fd), size) }
func (m *memSys) fstat(fd int) (Stat, Errno) {
	var st Stat
	errno := Fstat(File(fd), &st)
	return st, errno
}
func (m *memSys) stat(path string, flags int) (Stat, Errno) {
	var st Stat
	errno := StatAt(m.base, path, &st, flags)
	return st, errno
}
func (m *memSys) mkdir(path string, mode uint32) Errno { return Mkdir(m.base, path, mode) }
func (m *memSys) unlink(path string, flags int) Errno  { return Unlink(m.base, path, flags) }
func (m *memSys) rename(o, n string, flags int) Errno  { return Rename(m.base, o, m.base, n, flags) }
func (m *memSys) link(o, n string, flags int) Errno    { return Link(m.base, o, m.base, n, flags) }
func (m *memSys) symlink(target, path string) Errno    { return Symlink(target, m.base, path) }
func (m *memSys) readlink(path string) (string, Errno) {
	b := make([]byte, PathMax)
	n, errno := Readlink(m.base, path, b, 0)
	return string(b[:n]), errno
}
func (m *memSys) truncate(path string, size int64) Errno { return Truncate(m.base, path, size) }
func (m *memSys) chmod(path string, mode uint32) Errno   { return Chmod(m.base, path, mode, 0) }
func (m *memSys) access(path string, mode uint32) Errno  { return Access(m.base, path, mode, 0) }
func (m *memSys) getdents(fd, size int) ([]byte, Errno) {
	b := make([]byte, size)
	n, errno := Getdents64(File(fd), b)
	return b[:n], errno
}

// hostSys drives the host kernel relative to a directory fd, with the
// umask cleared so modes arrive as given, as memfs takes them.
type hostSys struct {
	dir  string
	base int
	fds  map[int]bool
}

func newHostSys(t testing.TB) *hostSys {
	if os.Geteuid() != 0 {
		t.Skip("host comparison needs root: memfs models a root-only system")
	}
	dir := tmpfsDir(t) + "/" + baseDir
	if err := os.MkdirAll(dir, 0o755); err != nil { // as memfs's base
		t.Fatal(err)
	}
	base, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0)
	h := &hostSys{dir: dir, base: base, fds: map[int]bool{}}
	t.Cleanup(func() {
		syscall.Umask(old)
		for fd := range h.fds {
			syscall.Close(fd)
		}
		syscall.Close(base)
	})
	return h
}

func errnoOf(err error) Errno {
	if err == nil {
		return 0
	}
	return Errno(err.(syscall.Errno))
}

// at makes a raw syscall; string arguments are passed as C strings kept
// alive until it returns, ints and pointers as they are.
func at(trap uintptr, a ...any) (uintptr, Errno) {
	var args [6]uintptr
	var keep [6]*byte
	for i, v := range a {
		switch v := v.(type) {
		case string:
			p, err := syscall.BytePtrFromString(v)
			if err != nil {
				return 0, EINVAL
			}
			keep[i] = p
			args[i] = uintptr(unsafe.Pointer(p))
		case int:
			args[i] = uintptr(v)
		case int64:
			args[i] = uintptr(v)
		case uint32:
			args[i] = uintptr(v)
		case unsafe.Pointer:
			args[i] = uintptr(v)
		default:
			panic("at: unsupported argument type")
		}
	}
	r, _, e := syscall.Syscall6(trap, args[0], args[1], args[2], args[3], args[4], args[5])
	runtime.KeepAlive(keep)
	runtime.KeepAlive(a)
	return r, Errno(e)
}

func (h *hostSys) open(path string, flags int, mode uint32) (int, Errno) {
	fd, err := syscall.Openat(h.base, path, flags, mode)
	if err == nil {
		h.fds[fd] = true
	}
	return fd, errnoOf(err)
}
func (h *hostSys) close(fd int) Errno {
	delete(h.fds, fd)
	return errnoOf(syscall.Close(fd))
}
func (h *hostSys) read(fd, n int) ([]byte, Errno) {
	b := make([]byte, n)
	k, err := syscall.Read(fd, b)
	if k < 0 {
		k = 0
	}
	return b[:k], errnoOf(err)
}
func (h *hostSys) write(fd int, b []byte) (int, Errno) {
	n, err := syscall.Write(fd, b)
	if n < 0 {
		n = 0
	}
	return n, errnoOf(err)
}
func (h *hostSys) pread(fd, n int, off int64) ([]byte, Errno) {
	b := make([]byte, n)
	k, err := syscall.Pread(fd, b, off)
	if k < 0 {
		k = 0
	}
	return b[:k], errnoOf(err)
}
func (h *hostSys) pwrite(fd int, b []byte, off int64) (int, Errno) {
	n, err := syscall.Pwrite(fd, b, off)
	if n < 0 {
		n = 0
	}
	return n, errnoOf(err)
}
func (h *hostSys) seek(fd int, off int64, whence int) (int64, Errno) {
	r, errno := at(syscall.SYS_LSEEK, fd, off, whence)
	if errno != 0 {
		return 0, errno
	}
	return int64(r), 0
}
func (h *hostSys) ftruncate(fd int, size int64) Errno { return errnoOf(syscall.Ftruncate(fd, size)) }
func (h *hostSys) fstat(fd int) (Stat, Errno) {
	var st Stat
	_, errno := at(syscall.SYS_FSTAT, fd, unsafe.Pointer(&st))
	return st, errno
}
func (h *hostSys) stat(path string, flags int) (Stat, Errno) {
	var st Stat
	_, errno := at(syscall.SYS_NEWFSTATAT, h.base, path, unsafe.Pointer(&st), flags)
	return st, errno
}
func (h *hostSys) mkdir(path string, mode uint32) Errno {
	return errnoOf(syscall.Mkdirat(h.base, path, mode))
}
func (h *hostSys) unlink(path string, flags int) Errno {
	_, errno := at(syscall.SYS_UNLINKAT, h.base, path, flags)
	return errno
}
func (h *hostSys) rename(o, n string, flags int) Errno {
	_, errno := at(316 /* SYS_RENAMEAT2 */, h.base, o, h.base, n, flags)
	return errno
}
func (h *hostSys) link(o, n string, flags int) Errno {
	_, errno := at(syscall.SYS_LINKAT, h.base, o, h.base, n, flags)
	return errno
}
func (h *hostSys) symlink(target, path string) Errno {
	_, errno := at(syscall.SYS_SYMLINKAT, target, h.base, path)
	return errno
}
func (h *hostSys) readlink(path string) (string, Errno) {
	b := make([]byte, PathMax)
	n, errno := at(syscall.SYS_READLINKAT, h.base, path, unsafe.Pointer(&b[0]), len(b))
	if errno != 0 {
		return "", errno
	}
	return string(b[:n]), 0
}
func (h *hostSys) truncate(path string, size int64) Errno {
	// truncate(2) has no *at form: resolve from the base directory's path.
	if len(path) > 0 && path[0] != '/' {
		path = h.dir + "/" + path
	}
	return errnoOf(syscall.Truncate(path, size))
}
func (h *hostSys) chmod(path string, mode uint32) Errno {
	return errnoOf(syscall.Fchmodat(h.base, path, mode, 0))
}
func (h *hostSys) access(path string, mode uint32) Errno {
	_, errno := at(syscall.SYS_FACCESSAT, h.base, path, mode)
	return errno
}
func (h *hostSys) getdents(fd, size int) ([]byte, Errno) {
	b := make([]byte, size)
	n, err := syscall.Getdents(fd, b)
	if n < 0 {
		n = 0
	}
	return b[:n], errnoOf(err)
}
