package memfs

// Operations on names: mkdirat(2), symlinkat(2), readlinkat(2),
// unlinkat(2), linkat(2). Error precedence follows fs/namei.c, so that each
// failing call reports what Linux would.

// Mkdir creates directory path relative to dir with permission bits mode
// but for set-user-ID and set-group-ID, which Linux drops (vfs_mkdir); the
// directory inherits set-group-ID from its parent instead (mkdirat(2)).
func Mkdir(dir File, path string, mode uint32) Errno {
	w, errno := resolve(dir, path, parentOnly, 0)
	if errno != 0 {
		return errno
	}
	if w.dots != lastNorm || w.node != 0 {
		return EEXIST
	}
	_, errno = create(w.parent, w.name, kindDir, mode&(0o777|S_ISVTX))
	return errno
}

// Symlink creates path relative to dir as a symbolic link holding target
// (symlinkat(2)).
func Symlink(target string, dir File, path string) Errno {
	if target == "" {
		return ENOENT
	}
	if len(target) >= PathMax {
		return ENAMETOOLONG
	}
	w, errno := createName(dir, path, 0)
	if errno != 0 {
		return errno
	}
	i, errno := create(w.parent, w.name, kindSymlink, 0o777)
	if errno != 0 {
		return errno
	}
	if _, errno := writeData(&fs.nodes[i], bytesOf(target), 0); errno != 0 {
		unlink(lookupEntry(w.parent, w.name))
		return errno
	}
	return 0
}

// createName resolves the new name of symlinkat(2) or linkat(2), which must
// be absent and, having no trailing slash, not ask for a directory.
func createName(dir File, path string, bank int) (walk, Errno) {
	w, errno := resolve(dir, path, parentOnly, bank)
	switch {
	case errno != 0:
	case w.dots != lastNorm || w.node != 0:
		errno = EEXIST
	case w.slash:
		errno = ENOENT
	}
	return w, errno
}

// Readlink copies the target of symbolic link path into b, without a NUL,
// and returns its length, truncated to len(b) (readlinkat(2)). An empty
// path with flags AT_EMPTY_PATH names dir itself.
func Readlink(dir File, path string, b []byte, flags int) (int, Errno) {
	if len(b) == 0 {
		return 0, EINVAL
	}
	i, errno := pathNode(dir, path, flags&AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW)
	if errno != 0 {
		return 0, errno
	}
	n := &fs.nodes[i]
	if n.kind != kindSymlink {
		return 0, EINVAL
	}
	return copy(b, contents(n)), 0
}

// Unlink removes path relative to dir: a non-directory, or with flags
// AT_REMOVEDIR an empty directory (unlinkat(2)). Its node lives on while
// open.
func Unlink(dir File, path string, flags int) Errno {
	if flags&^AT_REMOVEDIR != 0 {
		return EINVAL
	}
	w, errno := resolve(dir, path, parentOnly, 0)
	if errno != 0 {
		return errno
	}
	rmdir := flags&AT_REMOVEDIR != 0
	switch {
	case w.dots == lastNorm:
	case !rmdir:
		return EISDIR
	case w.dots == lastDot:
		return EINVAL
	case w.dots == lastDotDot:
		return ENOTEMPTY
	default:
		return EBUSY
	}
	if fs.nodes[w.parent].ro {
		return EROFS
	}
	if w.node == 0 {
		return ENOENT
	}
	isDir := fs.nodes[w.node].kind == kindDir
	switch {
	case rmdir && !isDir:
		return ENOTDIR
	case !rmdir && isDir:
		return EISDIR
	case !rmdir && w.slash:
		return ENOTDIR
	case rmdir && fs.nodes[w.node].first != 0:
		return ENOTEMPTY
	}
	unlink(lookupEntry(w.parent, w.name))
	return 0
}

// Link gives the node oldpath names (relative to olddir) the additional name
// newpath (relative to newdir), as linkat(2) does with flags
// AT_SYMLINK_FOLLOW and AT_EMPTY_PATH.
func Link(olddir File, oldpath string, newdir File, newpath string, flags int) Errno {
	if flags&^(AT_SYMLINK_FOLLOW|AT_EMPTY_PATH) != 0 {
		return EINVAL
	}
	follow := AT_SYMLINK_NOFOLLOW
	if flags&AT_SYMLINK_FOLLOW != 0 {
		follow = 0
	}
	old, errno := pathNode(olddir, oldpath, follow|flags&AT_EMPTY_PATH)
	if errno != 0 {
		return errno
	}
	w, errno := createName(newdir, newpath, 2)
	if errno != 0 {
		return errno
	}
	p := &fs.nodes[w.parent]
	o := &fs.nodes[old]
	switch {
	case p.ro:
		return EROFS
	case o.kind == kindDir:
		return EPERM
	case o.nlink == 0 || p.nlink == 0:
		return ENOENT
	}
	return link(w.parent, w.name, old)
}

// Getcwd writes the absolute path of directory dir, NUL-terminated, into b
// and returns its length with the NUL, as getcwd(2) does for the working
// directory: ERANGE if b is too short, ENOENT if the directory was removed.
func Getcwd(dir File, b []byte) (int, Errno) {
	i, errno := fileNode(dir)
	if errno != 0 {
		return 0, errno
	}
	if fs.nodes[i].kind != kindDir {
		return 0, ENOTDIR
	}
	if fs.nodes[i].nlink == 0 {
		return 0, ENOENT
	}
	pos := len(b)
	if pos == 0 {
		return 0, ERANGE
	}
	pos--
	b[pos] = 0
	for i != rootNode {
		name := direntName(&fs.dirents[fs.nodes[i].dent])
		if pos < len(name)+1 {
			return 0, ERANGE
		}
		pos -= len(name)
		copy(b[pos:], name)
		pos--
		b[pos] = '/'
		i = fs.nodes[i].parent
	}
	if pos == len(b)-1 {
		if pos == 0 {
			return 0, ERANGE
		}
		pos--
		b[pos] = '/'
	}
	n := copy(b, b[pos:])
	return n, 0
}
