package memfs

// The bundle: files baked into the image, parsed by LoadBundle at boot
// before the program runs and referenced in place, never copied. The image
// carries it as a Go string literal (BundleSource), so it sits in rodata.
//
// Format, all integers little-endian:
//
//	header, 16 bytes:
//	  magic    [8]byte  "gobibndl"
//	  version  uint32   1
//	  count    uint32   number of entries
//	entry, count times, back to back:
//	  mode     uint32   S_IFREG, S_IFDIR or S_IFLNK | permission bits (07777)
//	  pathLen  uint16   1 to PathMax-1
//	  reserved uint16   0
//	  dataLen  uint32   file size; 0 for a directory; 1 to PathMax-1 for a symlink
//	  mtime    int64    modification time, Unix nanoseconds
//	  path     [pathLen]byte  absolute and clean: "/" then names joined by
//	                          "/", each 1 to NameMax bytes, no NUL, not "."
//	                          or ".."
//	  data     [dataLen]byte  contents, or the symlink's target (no NUL)
//
// Nothing may follow the last entry. Missing parent directories are created
// with mode 0755; an entry naming an existing directory updates its mode and
// time; one naming an existing file or symlink replaces it, so a bundle may
// override /etc/hosts. Everything the bundle creates is read-only, also
// below /tmp (where a test's package directory may lie on the host): the
// files and the directories they imply, as if bind-mounted read-only.

const (
	bundleMagic       = "gobibndl"
	bundleVersion     = 1
	bundleHeaderSize  = 16
	bundleEntryHeader = 20
)

// bundleEntry is one decoded entry; path and data are views of the bundle.
type bundleEntry struct {
	mode  uint32
	mtime int64
	path  string
	data  string
}

// LoadBundle adds the bundle in data (see the format above) to the tree.
// data must stay reachable and unchanged for good: it is the image's
// rodata. A malformed bundle fails with EINVAL before anything is created;
// a well-formed one stops at the first entry that cannot be created (a
// path conflict, or ENOSPC), leaving the entries before it.
func LoadBundle(data string) Errno {
	if !fs.ready {
		return EINVAL
	}
	count, errno := bundleHeader(data)
	if errno != 0 {
		return errno
	}
	off := bundleHeaderSize
	for k := uint32(0); k < count; k++ {
		if _, off, errno = nextEntry(data, off); errno != 0 {
			return errno
		}
	}
	if off != len(data) {
		return EINVAL
	}
	off = bundleHeaderSize
	for k := uint32(0); k < count; k++ {
		var e bundleEntry
		e, off, _ = nextEntry(data, off)
		if errno := addEntry(e); errno != 0 {
			return errno
		}
	}
	return 0
}

// bundleHeader checks the header of data and returns the entry count.
func bundleHeader(data string) (uint32, Errno) {
	if len(data) < bundleHeaderSize || data[:8] != bundleMagic || le32(data[8:]) != bundleVersion {
		return 0, EINVAL
	}
	return le32(data[12:]), 0
}

// nextEntry decodes the entry at off and returns it and the offset after
// it. (Results, not a pointer: storing the views through a pointer would need
// write barriers.)
func nextEntry(data string, off int) (e bundleEntry, next int, errno Errno) {
	if len(data)-off < bundleEntryHeader {
		return e, 0, EINVAL
	}
	h := data[off : off+bundleEntryHeader]
	pathLen := int(le16(h[4:]))
	dataLen := int64(le32(h[8:]))
	off += bundleEntryHeader
	if le16(h[6:]) != 0 || int64(len(data)-off) < int64(pathLen)+dataLen {
		return e, 0, EINVAL
	}
	e.mode = le32(h)
	e.mtime = int64(le64(h[12:]))
	e.path = data[off : off+pathLen]
	e.data = data[off+pathLen : off+pathLen+int(dataLen)]
	if checkEntry(e.mode, e.path, e.data) != "" {
		return e, 0, EINVAL
	}
	return e, off + pathLen + int(dataLen), 0
}

// checkEntry returns why an entry is invalid, or "". EncodeBundle shares it,
// so the encoder never writes what the loader rejects.
func checkEntry(mode uint32, path, data string) string {
	if len(path) < 2 || len(path) >= PathMax || path[0] != '/' {
		return "path must be absolute, not /, and shorter than PATH_MAX"
	}
	start := 1
	for i := 1; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			if path[i] == 0 {
				return "path holds a NUL byte"
			}
			continue
		}
		name := path[start:i]
		switch {
		case name == "" || name == "." || name == "..":
			return "path is not clean"
		case len(name) > NameMax:
			return "path has a name longer than NAME_MAX"
		}
		start = i + 1
	}
	if mode&^(S_IFMT|permMask) != 0 {
		return "mode has unknown bits"
	}
	switch mode & S_IFMT {
	case S_IFREG:
		if int64(len(data)) > 1<<32-1 {
			return "file is 4 GiB or larger"
		}
	case S_IFDIR:
		if data != "" {
			return "directory has data"
		}
	case S_IFLNK:
		if data == "" || len(data) >= PathMax {
			return "symlink target is empty or not shorter than PATH_MAX"
		}
		for i := 0; i < len(data); i++ {
			if data[i] == 0 {
				return "symlink target holds a NUL byte"
			}
		}
	default:
		return "mode is not a regular file, directory or symlink"
	}
	return ""
}

// addEntry creates or updates the node of a checked entry. Loading is not
// a change: directories keep the times their own entries give them.
func addEntry(e bundleEntry) Errno {
	dir := int32(rootNode)
	path := e.path[1:]
	for {
		i := 0
		for i < len(path) && path[i] != '/' {
			i++
		}
		if i == len(path) {
			break
		}
		name := path[:i]
		path = path[i+1:]
		next := int32(0)
		if d := lookupEntry(dir, name); d != 0 {
			next = fs.dirents[d].node
		} else {
			var errno Errno
			if next, errno = makeNodeQuietly(dir, name, kindDir); errno != 0 {
				return errno
			}
		}
		if fs.nodes[next].kind != kindDir {
			return ENOTDIR
		}
		dir = next
	}
	kind := kindReg
	switch e.mode & S_IFMT {
	case S_IFDIR:
		kind = kindDir
	case S_IFLNK:
		kind = kindSymlink
	}
	i := int32(0)
	if d := lookupEntry(dir, path); d != 0 {
		i = fs.dirents[d].node
		n := &fs.nodes[i]
		if n.kind != kind || (kind != kindDir && n.opens != 0) {
			return EEXIST
		}
		if !n.inplace && kind != kindDir {
			truncatePages(n, 0)
		}
	} else {
		var errno Errno
		if i, errno = makeNodeQuietly(dir, path, kind); errno != 0 {
			return errno
		}
	}
	n := &fs.nodes[i]
	n.mode = e.mode & permMask
	n.atime, n.mtime, n.ctime = e.mtime, e.mtime, e.mtime
	if kind != kindDir {
		setInPlace(i, e.data)
	}
	return 0
}

// makeNodeQuietly makes a read-only node in dir without touching dir's
// times.
func makeNodeQuietly(dir int32, name string, kind uint8) (int32, Errno) {
	d := &fs.nodes[dir]
	mtime, ctime := d.mtime, d.ctime
	i, errno := makeNode(dir, name, kind, 0o755, true)
	d.mtime, d.ctime = mtime, ctime
	return i, errno
}

func le16(s string) uint16 { return uint16(s[0]) | uint16(s[1])<<8 }

func le32(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func le64(s string) uint64 { return uint64(le32(s)) | uint64(le32(s[4:]))<<32 }
