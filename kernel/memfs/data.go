package memfs

// File contents. A writable file's bytes live in allocator pages found
// through a radix tree: depth 0 means data is the file's only page (page
// index 0), depth d means data is an index page of pageSize/8 slots, each
// the root of a depth d-1 tree. Absent pages (slot 0) read as zeros, so
// sparse files cost nothing. Bytes past the size in a present page are
// always zero, so growing a file never exposes old data.

// maxDepth bounds the tree: with 4 KiB pages, 512^3 pages of 4 KiB (512 GiB).
const maxDepth = 3

// maxSize is the largest file size the page tree can hold.
func maxSize() int64 {
	return fs.pageSize << (maxDepth * fs.fanShift)
}

// pageFor returns the address of page idx of n; with create it allocates the
// page (and index pages) as needed and fails with ENOSPC when memory is out.
func pageFor(n *node, idx int64, create bool) (uintptr, Errno) {
	for idx>>(int64(n.depth)*int64(fs.fanShift)) != 0 {
		if !create {
			return 0, 0
		}
		if n.depth == maxDepth {
			return 0, EFBIG
		}
		if n.data != 0 {
			ip := allocPage()
			if ip == 0 {
				return 0, ENOSPC
			}
			*wordAt(ip, 0) = n.data
			n.data = ip
		}
		n.depth++
	}
	slot := &n.data
	for level := int(n.depth); ; level-- {
		if *slot == 0 {
			if !create {
				return 0, 0
			}
			p := allocPage()
			if p == 0 {
				return 0, ENOSPC
			}
			*slot = p
			if level == 0 {
				n.npages++
			}
		}
		if level == 0 {
			return *slot, 0
		}
		i := (idx >> (uint(level-1) * fs.fanShift)) & (1<<fs.fanShift - 1)
		slot = wordAt(*slot, i)
	}
}

// readData copies n's bytes at off into b and returns the count.
func readData(n *node, b []byte, off int64) int {
	if off >= n.size || len(b) == 0 {
		return 0
	}
	if int64(len(b)) > n.size-off {
		b = b[:n.size-off]
	}
	if n.inplace {
		return copy(b, bytesAt(n.data+uintptr(off), len(b)))
	}
	done := 0
	for done < len(b) {
		pos := off + int64(done)
		in := pos & (fs.pageSize - 1)
		chunk := b[done:]
		if int64(len(chunk)) > fs.pageSize-in {
			chunk = chunk[:fs.pageSize-in]
		}
		p, _ := pageFor(n, pos>>fs.pageShift, false)
		if p == 0 {
			clear(chunk)
		} else {
			copy(chunk, bytesAt(p+uintptr(in), len(chunk)))
		}
		done += len(chunk)
	}
	return done
}

// writeData copies b into n at off, growing the file. Like Linux it writes
// what fits: a short count when memory runs out after some bytes, an errno
// when none were written.
func writeData(n *node, b []byte, off int64) (int, Errno) {
	limit := maxSize()
	if off >= limit {
		return 0, EFBIG
	}
	if int64(len(b)) > limit-off {
		b = b[:limit-off]
	}
	done := 0
	var errno Errno
	for done < len(b) {
		pos := off + int64(done)
		in := pos & (fs.pageSize - 1)
		chunk := b[done:]
		if int64(len(chunk)) > fs.pageSize-in {
			chunk = chunk[:fs.pageSize-in]
		}
		var p uintptr
		p, errno = pageFor(n, pos>>fs.pageShift, true)
		if errno != 0 {
			break
		}
		copy(bytesAt(p+uintptr(in), len(chunk)), chunk)
		done += len(chunk)
	}
	if done == 0 && errno != 0 {
		return 0, errno
	}
	if end := off + int64(done); end > n.size {
		n.size = end
	}
	if done > 0 {
		t := now()
		n.mtime, n.ctime = t, t
	}
	return done, 0
}

// setSize truncates or extends n to size (not for in-place nodes).
func setSize(n *node, size int64) Errno {
	if size > maxSize() {
		return EFBIG
	}
	if size < n.size {
		truncatePages(n, size)
	}
	n.size = size
	t := now()
	n.mtime, n.ctime = t, t
	return 0
}

// truncatePages frees n's pages past size and zeroes the tail of the page
// holding size, keeping the "zero past the size" invariant.
func truncatePages(n *node, size int64) {
	if in := size & (fs.pageSize - 1); in != 0 {
		if p, _ := pageFor(n, size>>fs.pageShift, false); p != 0 {
			clear(bytesAt(p+uintptr(in), int(fs.pageSize-in)))
		}
	}
	first := (size + fs.pageSize - 1) >> fs.pageShift
	trimTree(n, &n.data, int(n.depth), 0, first)
	if n.data == 0 {
		n.depth = 0
	}
	// Drop root index pages that only lead to page 0's subtree.
	for n.depth > 0 && onlyFirst(n.data) {
		root := n.data
		n.data = *wordAt(root, 0)
		freePage(root)
		n.depth--
	}
}

// onlyFirst reports whether slot 0 is the only used slot of index page p.
func onlyFirst(p uintptr) bool {
	for i := int64(1); i < 1<<fs.fanShift; i++ {
		if *wordAt(p, i) != 0 {
			return false
		}
	}
	return true
}

// trimTree frees the pages with index >= first in the subtree at *slot,
// which covers page indexes from base, and index pages left empty.
func trimTree(n *node, slot *uintptr, level int, base, first int64) {
	if *slot == 0 {
		return
	}
	if level == 0 {
		if base >= first {
			freePage(*slot)
			*slot = 0
			n.npages--
		}
		return
	}
	span := int64(1) << (uint(level-1) * fs.fanShift)
	empty := true
	for i := int64(0); i < 1<<fs.fanShift; i++ {
		child := wordAt(*slot, i)
		if b := base + i*span; b+span > first {
			trimTree(n, child, level-1, b, first)
		}
		if *child != 0 {
			empty = false
		}
	}
	if empty {
		freePage(*slot)
		*slot = 0
	}
}

// seekData returns the first offset at or after off (which is below the
// size) in a present page (data) or an absent one (!data, the end of the
// file counting as a hole), or -1 when there is no data there. In-place
// files are all data.
func seekData(n *node, off int64, data bool) int64 {
	if n.inplace {
		if data {
			return off
		}
		return n.size
	}
	for idx := off >> fs.pageShift; idx<<fs.pageShift < n.size; idx++ {
		p, _ := pageFor(n, idx, false)
		if (p != 0) == data {
			return max(off, idx<<fs.pageShift)
		}
	}
	if data {
		return -1
	}
	return n.size
}
