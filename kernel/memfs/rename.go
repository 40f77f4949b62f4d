package memfs

// Rename moves oldpath (relative to olddir) to newpath (relative to newdir),
// replacing a target that is not a non-empty directory, as renameat2(2) does
// with flags 0 or RENAME_NOREPLACE. RENAME_EXCHANGE and RENAME_WHITEOUT are
// not supported (EINVAL). The checks and their order are do_renameat2's and
// vfs_rename's in fs/namei.c.
func Rename(olddir File, oldpath string, newdir File, newpath string, flags int) Errno {
	if flags&^RENAME_NOREPLACE != 0 {
		return EINVAL
	}
	ow, errno := resolve(olddir, oldpath, parentOnly, 0)
	if errno != 0 {
		return errno
	}
	nw, errno := resolve(newdir, newpath, parentOnly, 2)
	if errno != 0 {
		return errno
	}
	if ow.dots != lastNorm {
		return EBUSY
	}
	if nw.dots != lastNorm {
		if flags&RENAME_NOREPLACE != 0 {
			return EEXIST
		}
		return EBUSY
	}
	if fs.nodes[ow.parent].ro || fs.nodes[nw.parent].ro {
		return EROFS
	}
	src, dst := ow.node, nw.node
	if src == 0 {
		return ENOENT
	}
	if dst != 0 && flags&RENAME_NOREPLACE != 0 {
		return EEXIST
	}
	srcDir := fs.nodes[src].kind == kindDir
	if !srcDir && (ow.slash || nw.slash) {
		return ENOTDIR
	}
	if srcDir && within(nw.parent, src) {
		return EINVAL // into itself
	}
	if dst != 0 && within(ow.parent, dst) {
		return ENOTEMPTY // onto its own ancestor
	}
	if src == dst {
		return 0
	}
	if dst != 0 {
		d := &fs.nodes[dst]
		switch {
		case srcDir && d.kind != kindDir:
			return ENOTDIR
		case !srcDir && d.kind == kindDir:
			return EISDIR
		case d.kind == kindDir && d.first != 0:
			return ENOTEMPTY
		}
	} else if fs.nodes[nw.parent].nlink == 0 {
		return ENOENT
	}
	oe := lookupEntry(ow.parent, ow.name)
	if dst != 0 {
		// Reuse the target's entry: nothing to allocate, nothing to undo.
		ne := lookupEntry(nw.parent, nw.name)
		fs.dirents[ne].node = src
		dropLink(nw.parent, dst)
		detach(oe)
		reparent(src, ow.parent, nw.parent, ne)
		return 0
	}
	ne, errno := attach(nw.parent, nw.name, src)
	if errno != 0 {
		return errno
	}
	detach(oe)
	reparent(src, ow.parent, nw.parent, ne)
	return 0
}

// reparent finishes moving node i from directory from to entry e in
// directory to: a directory's ".." now counts as a link of to.
func reparent(i, from, to, e int32) {
	n := &fs.nodes[i]
	if n.kind == kindDir {
		fs.nodes[from].nlink--
		fs.nodes[to].nlink++
		n.parent, n.dent = to, e
	}
	n.ctime = now()
}

// within reports whether directory d is a or lies below a.
func within(d, a int32) bool {
	for d != 0 {
		if d == a {
			return true
		}
		if d == rootNode {
			return false
		}
		d = fs.nodes[d].parent
	}
	return false
}
