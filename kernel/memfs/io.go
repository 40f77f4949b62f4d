package memfs

// Read reads from f at its offset into b and advances the offset (read(2)).
func Read(f File, b []byte) (int, Errno) {
	of, errno := getFile(f)
	if errno != 0 {
		return 0, errno
	}
	n, errno := pread(of, b, of.off)
	of.off += int64(n)
	return n, errno
}

// Pread reads from f at off into b without moving the offset (pread64(2)).
func Pread(f File, b []byte, off int64) (int, Errno) {
	of, errno := getFile(f)
	if errno != 0 {
		return 0, errno
	}
	if off < 0 {
		return 0, EINVAL
	}
	return pread(of, b, off)
}

func pread(of *file, b []byte, off int64) (int, Errno) {
	if !readable(of.flags) {
		return 0, EBADF
	}
	n := &fs.nodes[of.node]
	switch n.kind {
	case kindDir:
		return 0, EISDIR
	case kindChr:
		return 0, ENXIO
	}
	return readData(n, b, off), 0
}

// Write writes b to f at its offset, or at the end with O_APPEND, and
// advances the offset (write(2)).
func Write(f File, b []byte) (int, Errno) {
	of, errno := getFile(f)
	if errno != 0 {
		return 0, errno
	}
	off := of.off
	if of.flags&O_APPEND != 0 {
		off = fs.nodes[of.node].size
	}
	n, errno := pwrite(of, b, off)
	if n > 0 { // an empty write moves nothing, even with O_APPEND (new_sync_write)
		of.off = off + int64(n)
	}
	return n, errno
}

// Pwrite writes b to f at off without moving the offset (pwrite64(2)); as
// on Linux, a file opened with O_APPEND is appended to whatever off says.
func Pwrite(f File, b []byte, off int64) (int, Errno) {
	of, errno := getFile(f)
	if errno != 0 {
		return 0, errno
	}
	if off < 0 {
		return 0, EINVAL
	}
	if of.flags&O_APPEND != 0 {
		off = fs.nodes[of.node].size
	}
	return pwrite(of, b, off)
}

func pwrite(of *file, b []byte, off int64) (int, Errno) {
	if !writable(of.flags) {
		return 0, EBADF
	}
	n := &fs.nodes[of.node]
	if n.kind == kindChr {
		return 0, ENXIO
	}
	if len(b) == 0 {
		return 0, 0
	}
	return writeData(n, b, off)
}

// Seek moves f's offset as lseek(2) does. Directories accept SEEK_SET and
// SEEK_CUR to positions returned by Getdents64 (dcache_dir_lseek);
// SEEK_DATA and SEEK_HOLE find pages present and absent, as on tmpfs
// (mapping_seek_hole_data); devices stay at 0, like /dev/null.
func Seek(f File, off int64, whence int) (int64, Errno) {
	of, errno := getFile(f)
	if errno != 0 {
		return 0, errno
	}
	if of.flags&O_PATH != 0 {
		return 0, EBADF
	}
	n := &fs.nodes[of.node]
	var pos int64
	switch {
	case n.kind == kindChr:
		return 0, 0
	case whence == SEEK_SET:
		pos = off
	case whence == SEEK_CUR:
		pos = of.off + off
		if off > 0 && pos < of.off {
			return 0, EINVAL // overflow
		}
	case n.kind == kindDir:
		return 0, EINVAL
	case whence == SEEK_END:
		pos = n.size + off
		if off > 0 && pos < n.size {
			return 0, EINVAL
		}
	case whence == SEEK_DATA || whence == SEEK_HOLE:
		if off < 0 || off >= n.size {
			return 0, ENXIO
		}
		pos = seekData(n, off, whence == SEEK_DATA)
		if pos < 0 {
			return 0, ENXIO
		}
	default:
		return 0, EINVAL
	}
	if pos < 0 {
		return 0, EINVAL
	}
	of.off = pos
	return pos, 0
}
