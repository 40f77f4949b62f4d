package memfs

import (
	"bytes"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

func TestInitialTree(t *testing.T) {
	reset(t)
	files := map[string]string{
		"/etc/hostname": "gobi\n",
		"/etc/passwd":   "root:x:0:0:root:/:/bin/sh\n",
		"/etc/group":    "root:x:0:\n",
	}
	for path, want := range files {
		if got := readFile(t, path); got != want {
			t.Errorf("readFile(%q) = %q, want %q", path, got, want)
		}
	}
	if got := readFile(t, "/etc/hosts"); !strings.HasPrefix(got, "127.0.0.1\tlocalhost\n") {
		t.Errorf("/etc/hosts = %q, want a localhost line first", got)
	}
	modes := map[string]uint32{
		"/": S_IFDIR | 0o755, "/tmp": S_IFDIR | 0o1777, "/etc": S_IFDIR | 0o755,
		"/dev": S_IFDIR | 0o755, "/proc/self": S_IFDIR | 0o555, "/etc/hosts": S_IFREG | 0o644,
		"/dev/null": S_IFCHR | 0o666,
	}
	for path, want := range modes {
		var st Stat
		if errno := StatAt(NoFile, path, &st, 0); errno != 0 || st.Mode != want {
			t.Errorf("StatAt(%q) = mode %#o, %v; want %#o", path, st.Mode, errno, want)
		}
	}
	devs := map[string]uint64{
		"/dev/null": DevNull, "/dev/zero": DevZero, "/dev/urandom": DevURandom,
		"/dev/stdin": DevStdin, "/dev/stdout": DevStdout, "/dev/stderr": DevStderr,
	}
	for path, want := range devs {
		f, errno := Open(NoFile, path, O_WRONLY, 0)
		if errno != 0 {
			t.Fatalf("Open(%q, O_WRONLY) = %v, want success: devices are writable on a read-only mount", path, errno)
		}
		if got, ok := Device(f); !ok || got != want {
			t.Errorf("Device(%q) = %#x, %v; want %#x", path, got, ok, want)
		}
		if _, errno := Write(f, []byte("x")); errno != ENXIO {
			t.Errorf("Write(%q) = %v, want ENXIO: the kernel performs device I/O", path, errno)
		}
		Close(f)
	}
	if DevNull != Mkdev(1, 3) || DevZero != Mkdev(1, 5) || DevURandom != Mkdev(1, 9) || DevStderr != Mkdev(240, 2) {
		t.Errorf("device constants disagree with Mkdev")
	}
	if got := Mkdev(259, 300); got != 0x12c1032c>>0&0|uint64(unix_makedev(259, 300)) {
		t.Errorf("Mkdev(259, 300) = %#x, want %#x", got, unix_makedev(259, 300))
	}
}

// unix_makedev is glibc's gnu_dev_makedev, for checking Mkdev.
func unix_makedev(major, minor uint64) uint64 {
	return (minor & 0xff) | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32
}

// TestReadOnly checks that everything outside /tmp fails writes with EROFS,
// while the kernel can still publish files with WriteFile.
func TestReadOnly(t *testing.T) {
	reset(t)
	cases := []struct {
		name string
		run  func() Errno
		want Errno
	}{
		{"open write", func() Errno { _, e := Open(NoFile, "/etc/hosts", O_WRONLY, 0); return e }, EROFS},
		{"open trunc", func() Errno { _, e := Open(NoFile, "/etc/hosts", O_RDONLY|O_TRUNC, 0); return e }, EROFS},
		{"open create", func() Errno { _, e := Open(NoFile, "/etc/new", O_WRONLY|O_CREAT, 0o644); return e }, EROFS},
		{"open create existing read-only", func() Errno {
			f, e := Open(NoFile, "/etc/hosts", O_RDONLY|O_CREAT, 0o644)
			Close(f)
			return e
		}, 0},
		{"mkdir", func() Errno { return Mkdir(NoFile, "/x", 0o755) }, EROFS},
		{"mkdir existing", func() Errno { return Mkdir(NoFile, "/etc", 0o755) }, EEXIST},
		{"unlink", func() Errno { return Unlink(NoFile, "/etc/hosts", 0) }, EROFS},
		{"unlink missing", func() Errno { return Unlink(NoFile, "/etc/missing", 0) }, EROFS},
		{"rmdir tmp", func() Errno { return Unlink(NoFile, "/tmp", AT_REMOVEDIR) }, EROFS},
		{"rmdir root", func() Errno { return Unlink(NoFile, "/", AT_REMOVEDIR) }, EBUSY},
		{"rename out", func() Errno { return Rename(NoFile, "/etc/hosts", NoFile, "/tmp/hosts", 0) }, EROFS},
		{"rename in", func() Errno {
			writeFile(t, "/tmp/f", "x")
			return Rename(NoFile, "/tmp/f", NoFile, "/etc/f", 0)
		}, EROFS},
		{"link in", func() Errno {
			writeFile(t, "/tmp/f", "x")
			return Link(NoFile, "/tmp/f", NoFile, "/etc/f", 0)
		}, EROFS},
		{"link out", func() Errno { return Link(NoFile, "/etc/hosts", NoFile, "/tmp/h", 0) }, 0},
		{"symlink", func() Errno { return Symlink("x", NoFile, "/etc/l") }, EROFS},
		{"truncate", func() Errno { return Truncate(NoFile, "/etc/hosts", 0) }, EROFS},
		{"chmod", func() Errno { return Chmod(NoFile, "/etc/hosts", 0o600, 0) }, EROFS},
		{"chmod device", func() Errno { return Chmod(NoFile, "/dev/null", 0o600, 0) }, 0},
		{"utimens", func() Errno { return Utimens(NoFile, "/etc/hosts", nil, 0) }, EROFS},
		{"access write", func() Errno { return Access(NoFile, "/etc/hosts", W_OK, 0) }, EROFS},
		{"access read", func() Errno { return Access(NoFile, "/etc/hosts", R_OK, 0) }, 0},
		{"access write device", func() Errno { return Access(NoFile, "/dev/null", W_OK, 0) }, 0},
		{"tmp create", func() Errno { return Mkdir(NoFile, "/tmp/d", 0o755) }, 0},
	}
	for _, c := range cases {
		reset(t)
		if got := c.run(); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}

	reset(t)
	if errno := WriteFile("/etc/resolv.conf", []byte("nameserver 10.0.2.3\n"), 0o644); errno != 0 {
		t.Fatalf("WriteFile = %v", errno)
	}
	if errno := WriteFile("/etc/hosts", []byte("10.0.0.1 h\n"), 0o644); errno != 0 {
		t.Fatalf("WriteFile over an in-place file = %v", errno)
	}
	if got := readFile(t, "/etc/resolv.conf"); got != "nameserver 10.0.2.3\n" {
		t.Errorf("resolv.conf = %q", got)
	}
	if got := readFile(t, "/etc/hosts"); got != "10.0.0.1 h\n" {
		t.Errorf("hosts = %q", got)
	}
	if _, errno := Open(NoFile, "/etc/resolv.conf", O_WRONLY, 0); errno != EROFS {
		t.Errorf("Open(resolv.conf, O_WRONLY) = %v, want EROFS: the program may not change it", errno)
	}
	if errno := WriteFile("/missing/x", nil, 0o644); errno != ENOENT {
		t.Errorf("WriteFile in a missing directory = %v, want ENOENT", errno)
	}
	if errno := WriteFile("/etc", nil, 0o644); errno != EISDIR {
		t.Errorf("WriteFile(/etc) = %v, want EISDIR", errno)
	}
	if errno := WriteFile("etc/x", nil, 0o644); errno != EINVAL {
		t.Errorf("WriteFile(relative) = %v, want EINVAL", errno)
	}
}

func TestSetExe(t *testing.T) {
	reset(t)
	for _, target := range []string{"/bin/prog", "/src/pkg/pkg.test"} {
		if errno := SetExe(target); errno != 0 {
			t.Fatalf("SetExe(%q) = %v", target, errno)
		}
		b := make([]byte, 100)
		n, errno := Readlink(NoFile, "/proc/self/exe", b, 0)
		if errno != 0 || string(b[:n]) != target {
			t.Errorf("Readlink(/proc/self/exe) = %q, %v; want %q", b[:n], errno, target)
		}
	}
	if errno := SetExe(""); errno != EINVAL {
		t.Errorf("SetExe(\"\") = %v, want EINVAL", errno)
	}
}

func TestMkdirAll(t *testing.T) {
	reset(t)
	if errno := MkdirAll("/proc/sys/net/core", 0o555); errno != 0 {
		t.Fatalf("MkdirAll = %v", errno)
	}
	if errno := MkdirAll("/proc/sys/net/core", 0o555); errno != 0 {
		t.Fatalf("MkdirAll of an existing tree = %v", errno)
	}
	if errno := WriteFile("/proc/sys/net/core/somaxconn", []byte("4096\n"), 0o444); errno != 0 {
		t.Fatalf("WriteFile under the new tree = %v", errno)
	}
	if errno := Mkdir(NoFile, "/proc/sys/x", 0o755); errno != EROFS {
		t.Errorf("the program's Mkdir under /proc/sys = %v, want EROFS", errno)
	}
	if errno := MkdirAll("/etc/hostname/x", 0o755); errno != ENOTDIR {
		t.Errorf("MkdirAll through a file = %v, want ENOTDIR", errno)
	}
	if errno := MkdirAll("relative", 0o755); errno != EINVAL {
		t.Errorf("MkdirAll(relative) = %v, want EINVAL", errno)
	}
}

func TestReadWrite(t *testing.T) {
	reset(t)
	f, errno := Open(NoFile, "/tmp/f", O_RDWR|O_CREAT|O_EXCL, 0o600)
	if errno != 0 {
		t.Fatal(errno)
	}
	// A pattern across several pages and a sparse hole far out, in the
	// second and third levels of the page tree.
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	if n, errno := Write(f, data); n != len(data) || errno != 0 {
		t.Fatalf("Write = %d, %v", n, errno)
	}
	far := int64(3 << 30) // 3 GiB: a depth-3 tree with 4 KiB pages
	if n, errno := Pwrite(f, []byte("end"), far); n != 3 || errno != 0 {
		t.Fatalf("Pwrite(far) = %d, %v", n, errno)
	}
	var st Stat
	Fstat(f, &st)
	if st.Size != far+3 || st.Blocks != (4+1)*8 {
		t.Errorf("Fstat = size %d blocks %d, want %d and %d", st.Size, st.Blocks, far+3, 5*8)
	}
	got := make([]byte, len(data))
	if n, errno := Pread(f, got, 0); n != len(data) || errno != 0 || !bytes.Equal(got, data) {
		t.Fatalf("Pread = %d, %v, same %v", n, errno, bytes.Equal(got, data))
	}
	hole := make([]byte, 10000)
	if n, _ := Pread(f, hole, far-5000); n != 5003 || !bytes.Equal(hole[:5000], make([]byte, 5000)) || string(hole[5000:5003]) != "end" {
		t.Errorf("Pread across the hole = %d bytes, %q at the end", n, hole[5000:5003])
	}
	if pos, errno := Seek(f, 5000, SEEK_DATA); pos != 5000 || errno != 0 {
		t.Errorf("Seek(SEEK_DATA) = %d, %v", pos, errno)
	}
	if pos, _ := Seek(f, 5000, SEEK_HOLE); pos != 16384 {
		t.Errorf("Seek(SEEK_HOLE) = %d, want 16384", pos)
	}
	// Shrinking frees pages and zeroes the tail: growing again reads zeros.
	if errno := Ftruncate(f, 10); errno != 0 {
		t.Fatal(errno)
	}
	if pagesUsed != 1 {
		t.Errorf("after Ftruncate(10), %d pages in use, want 1", pagesUsed)
	}
	Ftruncate(f, 20)
	b := make([]byte, 30)
	if n, _ := Pread(f, b, 0); n != 20 || string(b[:10]) != "0123456789" || !bytes.Equal(b[10:20], make([]byte, 10)) {
		t.Errorf("after shrink and grow: %q", b[:n])
	}
	if _, errno := Pwrite(f, []byte("x"), maxSize()); errno != EFBIG {
		t.Errorf("Pwrite past the largest size = %v, want EFBIG", errno)
	}
	// O_APPEND appends for write and pwrite alike.
	a, _ := Open(NoFile, "/tmp/f", O_WRONLY|O_APPEND, 0)
	Write(a, []byte("A"))
	Pwrite(a, []byte("B"), 0)
	Close(a)
	if got := readFile(t, "/tmp/f"); len(got) != 22 || got[20:] != "AB" {
		t.Errorf("after appends: %q", got)
	}
	// The node and its pages outlive the name while open.
	Unlink(NoFile, "/tmp/f", 0)
	if n, _ := Pread(f, b, 0); n != 22 {
		t.Errorf("Pread after unlink = %d bytes, want 22", n)
	}
	Close(f)
	if pagesUsed != 0 {
		t.Errorf("after the last close, %d pages in use, want 0", pagesUsed)
	}
}

func TestDup(t *testing.T) {
	reset(t)
	writeFile(t, "/tmp/f", "abcdef")
	f, _ := Open(NoFile, "/tmp/f", O_RDONLY, 0)
	Dup(f)
	b := make([]byte, 2)
	Read(f, b)
	Close(f)
	if n, errno := Read(f, b); n != 2 || errno != 0 || string(b) != "cd" {
		t.Errorf("Read through the duplicate = %q, %v; want the shared offset to give \"cd\"", b[:n], errno)
	}
	Close(f)
	if _, errno := Read(f, b); errno != EBADF {
		t.Errorf("Read after the last Close = %v, want EBADF", errno)
	}
	if errno := Close(File(-1)); errno != EBADF {
		t.Errorf("Close(-1) = %v, want EBADF", errno)
	}
	if errno := Close(File(maxFiles)); errno != EBADF {
		t.Errorf("Close(maxFiles) = %v, want EBADF", errno)
	}
	g, _ := Open(NoFile, "/tmp/f", O_WRONLY|O_NONBLOCK, 0)
	SetFlags(g, O_APPEND|O_RDWR)
	if fl, _ := Flags(g); fl != O_WRONLY|O_APPEND|O_LARGEFILE {
		t.Errorf("Flags after SetFlags = %#x, want O_WRONLY|O_APPEND|O_LARGEFILE", fl)
	}
}

func TestGetcwd(t *testing.T) {
	reset(t)
	Mkdir(NoFile, "/tmp/a", 0o755)
	Mkdir(NoFile, "/tmp/a/bb", 0o755)
	b := make([]byte, 64)
	for _, c := range []struct{ dir, want string }{{"/", "/"}, {"/tmp/a/bb", "/tmp/a/bb"}, {"/tmp/a/bb/..", "/tmp/a"}} {
		d := cwd(t, c.dir)
		n, errno := Getcwd(d, b)
		if errno != 0 || string(b[:n]) != c.want+"\x00" {
			t.Errorf("Getcwd(%s) = %q, %v; want %q with its NUL", c.dir, b[:n], errno, c.want)
		}
		if _, errno := Getcwd(d, b[:len(c.want)]); errno != ERANGE {
			t.Errorf("Getcwd(%s) with no room for the NUL = %v, want ERANGE", c.dir, errno)
		}
		Close(d)
	}
	d := cwd(t, "/tmp/a/bb")
	Rename(NoFile, "/tmp/a", NoFile, "/tmp/z", 0)
	if n, _ := Getcwd(d, b); string(b[:n]) != "/tmp/z/bb\x00" {
		t.Errorf("Getcwd after renaming a parent = %q", b[:n])
	}
	Unlink(NoFile, "/tmp/z/bb", AT_REMOVEDIR)
	if _, errno := Getcwd(d, b); errno != ENOENT {
		t.Errorf("Getcwd of a removed directory = %v, want ENOENT", errno)
	}
	if _, errno := Open(d, "..", O_RDONLY, 0); errno != ENOENT {
		t.Errorf("Open(\"..\") from a removed directory = %v, want ENOENT", errno)
	}
}

func TestUtimens(t *testing.T) {
	reset(t)
	writeFile(t, "/tmp/f", "x")
	times := [2]Timespec{{Sec: 100, Nsec: 5}, {Sec: 200, Nsec: UTIME_OMIT}}
	var before, st Stat
	StatAt(NoFile, "/tmp/f", &before, 0)
	if errno := Utimens(NoFile, "/tmp/f", &times, 0); errno != 0 {
		t.Fatal(errno)
	}
	StatAt(NoFile, "/tmp/f", &st, 0)
	if st.Atim != (Timespec{100, 5}) || st.Mtim != before.Mtim || st.Ctim == before.Ctim {
		t.Errorf("after Utimens: atime %v mtime %v ctime %v", st.Atim, st.Mtim, st.Ctim)
	}
	times[0].Nsec = 1e9
	if errno := Utimens(NoFile, "/tmp/f", &times, 0); errno != EINVAL {
		t.Errorf("Utimens with tv_nsec 1e9 = %v, want EINVAL", errno)
	}
	f, _ := Open(NoFile, "/tmp/f", O_PATH, 0)
	if errno := Utimens(f, "", nil, AT_EMPTY_PATH); errno != 0 {
		t.Errorf("Utimens(fd, AT_EMPTY_PATH) = %v", errno)
	}
	if errno := StatAt(f, "", &st, AT_EMPTY_PATH); errno != 0 || st.Size != 1 {
		t.Errorf("StatAt(fd, AT_EMPTY_PATH) = %v, size %d", errno, st.Size)
	}
	if got := timespec(-1); got != (Timespec{-1, 999999999}) {
		t.Errorf("timespec(-1) = %v", got)
	}
}

// TestStatLayout checks that Stat is struct stat by the host's definition,
// field by field, and through a cast as the kernel will use it.
func TestStatLayout(t *testing.T) {
	var m Stat
	var h syscall.Stat_t
	if unsafe.Sizeof(m) != 144 || unsafe.Sizeof(h) != 144 {
		t.Fatalf("sizeof = %d (host %d), want 144", unsafe.Sizeof(m), unsafe.Sizeof(h))
	}
	offsets := []struct {
		name string
		m, h uintptr
	}{
		{"Dev", unsafe.Offsetof(m.Dev), unsafe.Offsetof(h.Dev)},
		{"Ino", unsafe.Offsetof(m.Ino), unsafe.Offsetof(h.Ino)},
		{"Nlink", unsafe.Offsetof(m.Nlink), unsafe.Offsetof(h.Nlink)},
		{"Mode", unsafe.Offsetof(m.Mode), unsafe.Offsetof(h.Mode)},
		{"Uid", unsafe.Offsetof(m.Uid), unsafe.Offsetof(h.Uid)},
		{"Gid", unsafe.Offsetof(m.Gid), unsafe.Offsetof(h.Gid)},
		{"Rdev", unsafe.Offsetof(m.Rdev), unsafe.Offsetof(h.Rdev)},
		{"Size", unsafe.Offsetof(m.Size), unsafe.Offsetof(h.Size)},
		{"Blksize", unsafe.Offsetof(m.Blksize), unsafe.Offsetof(h.Blksize)},
		{"Blocks", unsafe.Offsetof(m.Blocks), unsafe.Offsetof(h.Blocks)},
		{"Atim", unsafe.Offsetof(m.Atim), unsafe.Offsetof(h.Atim)},
		{"Mtim", unsafe.Offsetof(m.Mtim), unsafe.Offsetof(h.Mtim)},
		{"Ctim", unsafe.Offsetof(m.Ctim), unsafe.Offsetof(h.Ctim)},
	}
	for _, o := range offsets {
		if o.m != o.h {
			t.Errorf("offset of %s = %d, host %d", o.name, o.m, o.h)
		}
	}
	reset(t)
	WriteFile("/etc/x", []byte("12345"), 0o640)
	f, _ := Open(NoFile, "/dev/zero", O_RDONLY, 0)
	for _, c := range []struct {
		path string
		dev  bool
	}{{"/etc/x", false}, {"/dev/zero", true}} {
		h = syscall.Stat_t{}
		var errno Errno
		if c.dev {
			errno = Fstat(f, (*Stat)(unsafe.Pointer(&h)))
		} else {
			errno = StatAt(NoFile, c.path, (*Stat)(unsafe.Pointer(&h)), 0)
		}
		if errno != 0 {
			t.Fatal(errno)
		}
		want := syscall.Stat_t{Dev: stDev, Ino: h.Ino, Nlink: 1, Mode: S_IFREG | 0o640, Size: 5, Blksize: 4096, Blocks: 8,
			Atim: h.Atim, Mtim: h.Mtim, Ctim: h.Ctim}
		if c.dev {
			want.Mode, want.Size, want.Blocks, want.Rdev = S_IFCHR|0o666, 0, 0, DevZero
		}
		if h != want || h.Ino == 0 || h.Mtim.Sec < 1_700_000_000 {
			t.Errorf("stat %s through syscall.Stat_t = %+v, want %+v", c.path, h, want)
		}
	}
}

// TestGetdentsSmallBuffers reads a large directory with every buffer size
// from one record up and requires each name exactly once, with records the
// standard library's parser accepts.
func TestGetdentsSmallBuffers(t *testing.T) {
	reset(t)
	Mkdir(NoFile, "/tmp/d", 0o755)
	want := map[string]bool{".": true, "..": true}
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("%s%d", strings.Repeat("n", i%40), i)
		writeFile(t, "/tmp/d/"+name, "")
		want[name] = true
	}
	for size := 24; size < 600; size += 37 {
		d := cwd(t, "/tmp/d")
		seen := map[string]bool{}
		buf := make([]byte, size)
		for {
			got := buf
			n, errno := Getdents64(d, got)
			if errno == EINVAL {
				// One long name did not fit: a larger buffer goes on.
				got = make([]byte, 512)
				n, errno = Getdents64(d, got)
			}
			if errno != 0 {
				t.Fatalf("Getdents64(size %d) = %v", size, errno)
			}
			if n == 0 {
				break
			}
			got = got[:n]
			_, _, names := syscall.ParseDirent(got, -1, nil)
			for _, name := range names {
				if seen[name] {
					t.Fatalf("size %d: %q twice", size, name)
				}
				seen[name] = true
			}
			// ParseDirent skips "." and "..": record them by hand.
			for b := got; len(b) > 0; b = b[int(b[16])|int(b[17])<<8:] {
				name := string(b[19 : bytes.IndexByte(b[19:], 0)+19])
				if name == "." || name == ".." {
					seen[name] = true
				}
			}
		}
		if len(seen) != len(want) {
			t.Fatalf("size %d: %d names, want %d", size, len(seen), len(want))
		}
		Close(d)
	}
	// Positions stay valid while the directory changes: removing entries
	// already read does not make the next call skip or repeat any.
	d := cwd(t, "/tmp/d")
	buf := make([]byte, 300)
	n, _ := Getdents64(d, buf)
	var first []string
	for b := buf[:n]; len(b) > 0; b = b[int(b[16])|int(b[17])<<8:] {
		first = append(first, string(b[19:bytes.IndexByte(b[19:], 0)+19]))
	}
	for _, name := range first[2:] {
		Unlink(NoFile, "/tmp/d/"+name, 0)
	}
	total := len(first)
	for {
		n, _ := Getdents64(d, buf)
		if n == 0 {
			break
		}
		_, count, _ := syscall.ParseDirent(buf[:n], -1, nil)
		total += count
	}
	if total != 302 {
		t.Errorf("read %d names across removals, want 302", total)
	}
	// Seek back to a returned d_off resumes there.
	Seek(d, 0, SEEK_SET)
	n, _ = Getdents64(d, buf[:24])
	off := int64(buf[8]) | int64(buf[9])<<8
	Getdents64(d, buf)
	Seek(d, off, SEEK_SET)
	n, _ = Getdents64(d, buf[:32])
	if name := string(buf[19:21]); n == 0 || name != ".." {
		t.Errorf("after seeking to d_off %d, first name %q, want \"..\"", off, name)
	}
}

func TestNoAllocation(t *testing.T) {
	reset(t)
	Mkdir(NoFile, "/tmp/d", 0o755)
	Symlink("d", NoFile, "/tmp/ld")
	data := make([]byte, 5000)
	buf := make([]byte, 512)
	var st Stat
	allocs := testing.AllocsPerRun(20, func() {
		f, _ := Open(NoFile, "/tmp/ld/f", O_RDWR|O_CREAT, 0o644)
		Write(f, data)
		Pread(f, buf, 100)
		Fstat(f, &st)
		StatAt(NoFile, "/tmp/ld/f", &st, 0)
		Rename(NoFile, "/tmp/ld/f", NoFile, "/tmp/d/g", 0)
		Link(NoFile, "/tmp/d/g", NoFile, "/tmp/h", 0)
		Unlink(NoFile, "/tmp/h", 0)
		d, _ := Open(NoFile, "/tmp/d", O_RDONLY|O_DIRECTORY, 0)
		Getdents64(d, buf)
		Getcwd(d, buf)
		Close(d)
		Unlink(NoFile, "/tmp/d/g", 0)
		Close(f)
		WriteFile("/etc/resolv.conf", data[:10], 0o644)
	})
	if allocs != 0 {
		t.Errorf("operations allocated %v times per run, want 0", allocs)
	}
	if pagesUsed != 2 { // /tmp/ld's target and resolv.conf
		t.Errorf("%d pages in use after the runs, want 2: pages leak", pagesUsed)
	}
}
