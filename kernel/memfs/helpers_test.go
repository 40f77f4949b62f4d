package memfs

import (
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// The test allocator hands out pages of one Go array that stays reachable
// for the whole run, as the kernel's allocator hands out guest memory.
const testPageSize = 4096

var (
	arena      = make([]byte, (8192+1)*testPageSize)
	arenaBase  = (uintptr(unsafe.Pointer(&arena[0])) + testPageSize - 1) &^ (testPageSize - 1)
	arenaPages = 8192
	pageLimit  int // pages that may be in use at once (ENOSPC tests lower it)
	pagesUsed  int
	pageFree   []uintptr
	pageNext   int
	clockNS    int64
)

func testAlloc() uintptr {
	if pagesUsed >= pageLimit {
		return 0
	}
	pagesUsed++
	if n := len(pageFree); n > 0 {
		p := pageFree[n-1]
		pageFree = pageFree[:n-1]
		// Dirty it: memfs must not rely on fresh pages being zero.
		copy(arena[p-uintptr(unsafe.Pointer(&arena[0])):], "garbage")
		return p
	}
	if pageNext >= arenaPages {
		pagesUsed--
		return 0
	}
	p := arenaBase + uintptr(pageNext)*testPageSize
	pageNext++
	return p
}

func testFree(p uintptr) {
	if p < arenaBase || p >= arenaBase+uintptr(arenaPages)*testPageSize || p%testPageSize != 0 {
		panic("freePage of a page the allocator never gave")
	}
	pagesUsed--
	pageFree = append(pageFree, p)
}

func testNow() int64 {
	clockNS += 1000
	return clockNS
}

// reset gives a test a fresh file system with the whole arena.
func reset(t testing.TB) {
	t.Helper()
	pageLimit, pagesUsed, pageFree, pageNext = arenaPages, 0, pageFree[:0], 0
	clockNS = 1_700_000_000_000_000_000
	if errno := Init(testAlloc, testFree, testPageSize, testNow); errno != 0 {
		t.Fatalf("Init = %v", errno)
	}
}

// cwd opens directory path as a working directory for relative calls.
func cwd(t testing.TB, path string) File {
	t.Helper()
	f, errno := Open(NoFile, path, O_RDONLY|O_DIRECTORY, 0)
	if errno != 0 {
		t.Fatalf("Open(%q) = %v", path, errno)
	}
	return f
}

// readAll reads f from its offset to the end.
func readAll(t testing.TB, f File) string {
	t.Helper()
	var out []byte
	buf := make([]byte, 1000)
	for {
		n, errno := Read(f, buf)
		if errno != 0 {
			t.Fatalf("Read = %v", errno)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

// readFile returns the contents of path.
func readFile(t testing.TB, path string) string {
	t.Helper()
	f, errno := Open(NoFile, path, O_RDONLY, 0)
	if errno != 0 {
		t.Fatalf("Open(%q) = %v", path, errno)
	}
	defer Close(f)
	return readAll(t, f)
}

// writeFile creates path with data through the program's calls.
func writeFile(t testing.TB, path, data string) {
	t.Helper()
	f, errno := Open(NoFile, path, O_WRONLY|O_CREAT|O_TRUNC, 0o644)
	if errno != 0 {
		t.Fatalf("Open(%q) = %v", path, errno)
	}
	if n, errno := Write(f, []byte(data)); errno != 0 || n != len(data) {
		t.Fatalf("Write(%q) = %d, %v", path, n, errno)
	}
	Close(f)
}

// tmpfsDir returns a fresh directory on the host's tmpfs (/dev/shm) when
// there is one, so host comparisons see the file system memfs imitates.
func tmpfsDir(t testing.TB) string {
	t.Helper()
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && st.Type == 0x01021994 { // TMPFS_MAGIC
		d, err := os.MkdirTemp("/dev/shm", "memfs-test-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}
