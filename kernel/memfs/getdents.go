package memfs

// Directory reading. A directory's position is a cookie: 0 is ".", 1 is
// "..", and each entry gets the next number from its directory when it is
// created (firstSeq on), so a position stays valid across calls and across
// changes to the directory: entries removed meanwhile are skipped, entries
// added meanwhile come last, as POSIX allows for readdir(3).

const firstSeq = 2

// Linux d_type values (include/linux/fs_types.h).
const (
	dtChr = 2
	dtDir = 4
	dtReg = 8
	dtLnk = 10
)

// direntHeader is the size of struct linux_dirent64 before d_name.
const direntHeader = 19

// Getdents64 fills b with struct linux_dirent64 records from f's position
// and returns the bytes used, 0 at the end (getdents64(2)). It fails with
// EINVAL when b cannot hold the next record.
func Getdents64(f File, b []byte) (int, Errno) {
	of, errno := getFile(f)
	if errno != 0 {
		return 0, errno
	}
	if of.flags&O_PATH != 0 {
		return 0, EBADF
	}
	d := &fs.nodes[of.node]
	if d.kind != kindDir {
		return 0, ENOTDIR
	}
	if d.nlink == 0 {
		return 0, ENOENT // removed: Linux's IS_DEADDIR
	}
	used := 0
	for of.off < firstSeq {
		ino, name := uint64(of.node), "."
		if of.off == 1 {
			ino, name = uint64(d.parent), ".."
		}
		n := putDirent(b[used:], ino, of.off+1, dtDir, name)
		if n == 0 {
			return result(used)
		}
		used += n
		of.off++
	}
	e := d.first
	for e != 0 && fs.dirents[e].seq < of.off {
		e = fs.dirents[e].next
	}
	for ; e != 0; e = fs.dirents[e].next {
		de := &fs.dirents[e]
		n := putDirent(b[used:], uint64(de.node), de.seq+1, direntType(fs.nodes[de.node].kind), bytesString(direntName(de)))
		if n == 0 {
			return result(used)
		}
		used += n
		of.off = de.seq + 1
	}
	return used, 0
}

// result reports a full buffer: the records so far, or EINVAL for none.
func result(used int) (int, Errno) {
	if used == 0 {
		return 0, EINVAL
	}
	return used, 0
}

// putDirent writes one record into b and returns its length, or 0 when it
// does not fit. Records are 8-byte aligned; d_name is NUL-terminated.
func putDirent(b []byte, ino uint64, off int64, typ byte, name string) int {
	n := (direntHeader + len(name) + 1 + 7) &^ 7
	if len(b) < n {
		return 0
	}
	b = b[:n]
	put64(b[0:8], ino)
	put64(b[8:16], uint64(off))
	b[16], b[17] = byte(n), byte(n>>8)
	b[18] = typ
	copy(b[direntHeader:], name)
	clear(b[direntHeader+len(name):])
	return n
}

func direntType(kind uint8) byte {
	switch kind {
	case kindDir:
		return dtDir
	case kindSymlink:
		return dtLnk
	case kindChr:
		return dtChr
	}
	return dtReg
}

// put64 stores v little-endian in b[:8].
func put64(b []byte, v uint64) {
	_ = b[7]
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}
