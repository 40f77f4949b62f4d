package memfs

// Directory entries: names in a fixed arena carved into power-of-two chunks
// (16 to 256 bytes, enough for NameMax), one free list per size, and a hash
// table from (directory, name) to entry so lookups do not scan directories.

const nameClasses = 5 // chunk sizes 16 << class

// allocName copies name into the arena and returns its offset and class.
func allocName(name string) (int32, uint8, Errno) {
	c := uint8(0)
	for 16<<c < len(name) {
		c++
	}
	var off int32
	if head := fs.nameFree[c]; head != 0 {
		off = head - 1
		b := fs.names[off : off+4]
		fs.nameFree[c] = int32(b[0]) | int32(b[1])<<8 | int32(b[2])<<16 | int32(b[3])<<24
	} else {
		size := int32(16) << c
		if fs.namesTop > nameArena-size {
			return 0, 0, ENOSPC
		}
		off = fs.namesTop
		fs.namesTop += size
	}
	copy(fs.names[off:off+int32(16)<<c], name)
	return off, c, 0
}

// freeName returns the chunk at off to its class's free list.
func freeName(off int32, c uint8) {
	next := fs.nameFree[c]
	b := fs.names[off : off+4]
	b[0], b[1], b[2], b[3] = byte(next), byte(next>>8), byte(next>>16), byte(next>>24)
	fs.nameFree[c] = off + 1
}

// direntName returns the name of entry d (a view of the arena).
func direntName(d *dirent) []byte {
	return fs.names[d.nameOff : d.nameOff+int32(d.nameLen)]
}

// hashOf hashes a directory and a name (FNV-1a) to a bucket.
func hashOf(dir int32, name string) int32 {
	h := uint32(2166136261) ^ uint32(dir)
	h *= 16777619
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return int32(h & (hashBuckets - 1))
}

// lookupEntry returns the entry named name in directory dir, or 0.
func lookupEntry(dir int32, name string) int32 {
	for e := fs.hash[hashOf(dir, name)]; e != 0; e = fs.dirents[e].hnext {
		d := &fs.dirents[e]
		if d.dir == dir && bytesString(direntName(d)) == name {
			return e
		}
	}
	return 0
}

// attach adds an entry name → child to directory dir, counting no links.
// The caller has checked that name is a valid, absent component.
func attach(dir int32, name string, child int32) (int32, Errno) {
	e := fs.direntFree
	if e == 0 && fs.direntTop >= maxDirents {
		return 0, ENOSPC
	}
	off, c, errno := allocName(name)
	if errno != 0 {
		return 0, errno
	}
	if e != 0 {
		fs.direntFree = fs.dirents[e].next
	} else {
		e = fs.direntTop
		fs.direntTop++
	}
	p := &fs.nodes[dir]
	h := hashOf(dir, name)
	fs.dirents[e] = dirent{dir: dir, node: child, prev: p.last, hnext: fs.hash[h],
		seq: p.nextSeq, nameOff: off, nameLen: uint16(len(name)), class: c}
	fs.hash[h] = e
	p.nextSeq++
	if p.last != 0 {
		fs.dirents[p.last].next = e
	} else {
		p.first = e
	}
	p.last = e
	p.size += dirEntrySize
	p.mtime = now()
	p.ctime = p.mtime
	return e, 0
}

// detach removes entry e from its directory, counting no links.
func detach(e int32) {
	d := &fs.dirents[e]
	p := &fs.nodes[d.dir]
	if d.prev != 0 {
		fs.dirents[d.prev].next = d.next
	} else {
		p.first = d.next
	}
	if d.next != 0 {
		fs.dirents[d.next].prev = d.prev
	} else {
		p.last = d.prev
	}
	p.size -= dirEntrySize
	p.mtime = now()
	p.ctime = p.mtime
	h := hashOf(d.dir, bytesString(direntName(d)))
	if fs.hash[h] == e {
		fs.hash[h] = d.hnext
	} else {
		for x := fs.hash[h]; x != 0; x = fs.dirents[x].hnext {
			if fs.dirents[x].hnext == e {
				fs.dirents[x].hnext = d.hnext
				break
			}
		}
	}
	freeName(d.nameOff, d.class)
	*d = dirent{next: fs.direntFree}
	fs.direntFree = e
}

// link names child name in directory dir and counts the link: a new
// directory gets its "." and its parent the new "..".
func link(dir int32, name string, child int32) Errno {
	e, errno := attach(dir, name, child)
	if errno != 0 {
		return errno
	}
	ch := &fs.nodes[child]
	ch.nlink++
	if ch.kind == kindDir {
		ch.nlink++
		ch.parent, ch.dent = dir, e
		fs.nodes[dir].nlink++
	}
	ch.ctime = now()
	return 0
}

// dropLink accounts for the loss of a name of child in dir and frees the
// node once nothing refers to it. A directory loses all its links (it was
// empty) and its parent the "..".
func dropLink(dir, child int32) {
	ch := &fs.nodes[child]
	if ch.kind == kindDir {
		ch.nlink, ch.parent, ch.dent = 0, 0, 0
		fs.nodes[dir].nlink--
	} else {
		ch.nlink--
	}
	ch.ctime = now()
	maybeFreeNode(child)
}

// unlink removes entry e and drops the link it held.
func unlink(e int32) {
	dir, child := fs.dirents[e].dir, fs.dirents[e].node
	detach(e)
	dropLink(dir, child)
}
