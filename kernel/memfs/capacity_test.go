package memfs

import (
	"fmt"
	"strings"
	"testing"
)

// TestCapacityNodes fills the node and entry tables: creation fails with
// ENOSPC, nothing half-made remains, and removing files makes room again.
func TestCapacityNodes(t *testing.T) {
	reset(t)
	d := cwd(t, "/tmp")
	var names []string
	for {
		name := fmt.Sprint("f", len(names))
		f, errno := Open(d, name, O_WRONLY|O_CREAT|O_EXCL, 0o644)
		if errno == ENOSPC {
			break
		}
		if errno != 0 {
			t.Fatalf("Open(%s) = %v", name, errno)
		}
		Close(f)
		names = append(names, name)
	}
	checkInvariants(t)
	if len(names) < maxNodes-100 {
		t.Errorf("ENOSPC after %d files, want about %d", len(names), maxNodes)
	}
	for _, op := range []func() Errno{
		func() Errno { return Mkdir(d, "dir", 0o755) },
		func() Errno { return Symlink("x", d, "link") },
		func() Errno { return WriteFile("/tmp/w", []byte("x"), 0o644) },
	} {
		if errno := op(); errno != ENOSPC {
			t.Errorf("creating with full tables = %v, want ENOSPC", errno)
		}
	}
	var st Stat
	if errno := StatAt(d, "link", &st, AT_SYMLINK_NOFOLLOW); errno != ENOENT {
		t.Errorf("a failed Symlink left an entry: StatAt = %v", errno)
	}
	if errno := Unlink(d, names[0], 0); errno != 0 {
		t.Fatal(errno)
	}
	if errno := Mkdir(d, "dir", 0o755); errno != 0 {
		t.Errorf("Mkdir after freeing a node = %v", errno)
	}
	Unlink(d, "dir", AT_REMOVEDIR)
	for _, name := range names[1:] {
		if errno := Unlink(d, name, 0); errno != 0 {
			t.Fatalf("Unlink(%s) = %v", name, errno)
		}
	}
	// Everything freed is usable again, up to the same count.
	for i := range names {
		f, errno := Open(d, names[i], O_WRONLY|O_CREAT|O_EXCL, 0o644)
		if errno != 0 {
			t.Fatalf("recreating file %d: %v", i, errno)
		}
		Close(f)
	}
}

// TestCapacityNames fills the name arena with the longest names.
func TestCapacityNames(t *testing.T) {
	reset(t)
	d := cwd(t, "/tmp")
	writeFile(t, "/tmp/short", "x")
	long := func(i int) string { return fmt.Sprintf("%05d%s", i, strings.Repeat("n", NameMax-5)) }
	n := 0
	for ; ; n++ {
		errno := Mkdir(d, long(n), 0o755)
		if errno == ENOSPC {
			break
		}
		if errno != 0 {
			t.Fatalf("Mkdir(long %d) = %v", n, errno)
		}
	}
	if n < nameArena/256-100 {
		t.Errorf("ENOSPC after %d long names, want about %d", n, nameArena/256)
	}
	if errno := Rename(d, "short", d, long(n), 0); errno != ENOSPC {
		t.Errorf("Rename to a new long name = %v, want ENOSPC", errno)
	}
	if got := readFile(t, "/tmp/short"); got != "x" {
		t.Errorf("failed Rename lost the file: %q", got)
	}
	if errno := Rename(d, "short", d, long(0), 0); errno != EISDIR {
		t.Errorf("Rename onto a directory = %v, want EISDIR", errno)
	}
	Unlink(d, long(0), AT_REMOVEDIR)
	if errno := Rename(d, "short", d, long(0), 0); errno != 0 {
		t.Errorf("Rename into a freed name = %v", errno)
	}
	checkInvariants(t)
}

// TestCapacityPages runs the allocator dry: writes are short, then ENOSPC.
func TestCapacityPages(t *testing.T) {
	reset(t)
	pageLimit = 5
	f, _ := Open(NoFile, "/tmp/f", O_RDWR|O_CREAT, 0o644)
	data := make([]byte, 10*testPageSize)
	n, errno := Write(f, data)
	if errno != 0 || n != 4*testPageSize { // one page goes to the index
		t.Errorf("Write = %d, %v; want a short write of %d", n, errno, 4*testPageSize)
	}
	if n, errno := Write(f, data); n != 0 || errno != ENOSPC {
		t.Errorf("Write when full = %d, %v; want ENOSPC", n, errno)
	}
	if errno := Symlink("target", NoFile, "/tmp/l"); errno != ENOSPC {
		t.Errorf("Symlink when full = %v, want ENOSPC", errno)
	}
	var st Stat
	if errno := StatAt(NoFile, "/tmp/l", &st, AT_SYMLINK_NOFOLLOW); errno != ENOENT {
		t.Errorf("a failed Symlink left an entry: %v", errno)
	}
	if errno := WriteFile("/etc/resolv.conf", []byte("x"), 0o644); errno != ENOSPC {
		t.Errorf("WriteFile when full = %v, want ENOSPC", errno)
	}
	checkInvariants(t)
	Close(f)
	Unlink(NoFile, "/tmp/f", 0)
	if pagesUsed != 0 {
		t.Errorf("%d pages in use after removing everything, want 0", pagesUsed)
	}
}

// TestCapacityFiles fills the open file table.
func TestCapacityFiles(t *testing.T) {
	reset(t)
	writeFile(t, "/tmp/f", "x")
	var open []File
	for {
		f, errno := Open(NoFile, "/tmp/f", O_RDONLY, 0)
		if errno == ENFILE {
			break
		}
		if errno != 0 {
			t.Fatal(errno)
		}
		open = append(open, f)
	}
	if len(open) != maxFiles-1 {
		t.Errorf("ENFILE after %d files, want %d", len(open), maxFiles-1)
	}
	if _, errno := Open(NoFile, "/tmp/g", O_RDWR|O_CREAT, 0o644); errno != ENFILE {
		t.Errorf("Open(O_CREAT) with a full table = %v, want ENFILE", errno)
	}
	var st Stat
	if errno := StatAt(NoFile, "/tmp/g", &st, 0); errno != ENOENT {
		t.Errorf("a failed Open created the file: %v", errno)
	}
	for _, f := range open {
		Close(f)
	}
}

// TestBeforeInit: calls before Init fail cleanly instead of crashing.
func TestBeforeInit(t *testing.T) {
	fs.ready = false
	defer reset(t)
	if _, errno := Open(NoFile, "/etc/hosts", O_RDONLY, 0); errno == 0 {
		t.Errorf("Open before Init succeeded")
	}
	if errno := LoadBundle(bundleMagic); errno != EINVAL {
		t.Errorf("LoadBundle before Init = %v", errno)
	}
	if errno := Init(nil, testFree, testPageSize, testNow); errno != EINVAL {
		t.Errorf("Init(nil alloc) = %v", errno)
	}
	if errno := Init(testAlloc, testFree, 1000, testNow); errno != EINVAL {
		t.Errorf("Init(page size 1000) = %v", errno)
	}
}
