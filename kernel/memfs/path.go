package memfs

// Path resolution, after path_resolution(7) and fs/namei.c: components are
// separated by runs of '/', "." and ".." are looked up like names (".." of /
// is /), symbolic links in the middle are always followed and the last one
// on request, at most maxSymlinks in all (ELOOP), and a trailing slash asks
// for a directory: it makes the last component's symlink followed.

// Resolution options.
const (
	followLast = 1 << iota // follow a symlink named by the last component
	parentOnly             // stop at the last component: never follow it
	stopSlash              // stop at a last component with a trailing slash
)

// walk is the result of resolve.
type walk struct {
	parent int32  // directory holding the last component (0 with dots)
	node   int32  // what the path names; 0 if the last component is absent
	name   string // last component, a view of the path: use it before returning
	slash  bool   // the path ends in '/'
	dots   uint8  // the path ends in ".", ".." or is "/" (Linux's last_type)
}

// Values of walk.dots.
const (
	lastNorm = iota
	lastDot
	lastDotDot
	lastRoot
)

// fileNode returns the node of open file f.
func fileNode(f File) (int32, Errno) {
	if !fs.ready || f <= 0 || f >= maxFiles || fs.files[f].refs == 0 {
		return 0, EBADF
	}
	return fs.files[f].node, 0
}

// startNode returns the node relative paths start from: dir's, which must
// be a directory (openat(2): ENOTDIR, EBADF).
func startNode(dir File, path string) (int32, Errno) {
	if !fs.ready {
		return 0, EBADF
	}
	if len(path) > 0 && path[0] == '/' {
		return rootNode, 0
	}
	n, errno := fileNode(dir)
	if errno != 0 {
		return 0, errno
	}
	if fs.nodes[n].kind != kindDir {
		return 0, ENOTDIR
	}
	return n, 0
}

// resolve looks path up relative to dir (see walk) with options how, using
// the pair bank (0 or 2) of fs.pathBufs. The walk is a result, not an
// argument, because storing its name through a pointer would need a write
// barrier.
func resolve(dir File, path string, how, bank int) (w walk, errno Errno) {
	if len(path) == 0 {
		return w, ENOENT
	}
	if len(path) >= PathMax {
		return w, ENAMETOOLONG
	}
	cur, errno := startNode(dir, path)
	if errno != 0 {
		return w, errno
	}
	links := 0
	buf := bank
	for {
		if path[0] == '/' {
			cur = rootNode
			for len(path) > 0 && path[0] == '/' {
				path = path[1:]
			}
			if len(path) == 0 {
				w.node, w.dots, w.slash = rootNode, lastRoot, true
				return w, 0
			}
		}
		i := 0
		for i < len(path) && path[i] != '/' {
			i++
		}
		comp, rest := path[:i], path[i:]
		j := 0
		for j < len(rest) && rest[j] == '/' {
			j++
		}
		last := j == len(rest)
		if len(comp) > NameMax {
			return w, ENAMETOOLONG
		}
		c := &fs.nodes[cur]
		if c.kind != kindDir {
			return w, ENOTDIR
		}
		var child int32
		dots := uint8(lastNorm)
		switch comp {
		case ".":
			child, dots = cur, lastDot
		case "..":
			child, dots = c.parent, lastDotDot
		default:
			if e := lookupEntry(cur, comp); e != 0 {
				child = fs.dirents[e].node
			}
		}
		isLink := child != 0 && fs.nodes[child].kind == kindSymlink
		if last && (how&parentOnly != 0 || !isLink || (how&followLast == 0 && j == 0) || (how&stopSlash != 0 && j > 0)) {
			if dots == lastNorm {
				w.parent, w.name = cur, comp
			}
			w.node, w.dots, w.slash = child, dots, j > 0
			return w, 0
		}
		if child == 0 {
			return w, ENOENT
		}
		if !isLink {
			cur, path = child, rest[j:]
			continue
		}
		links++
		if links > maxSymlinks {
			return w, ELOOP
		}
		target := contents(&fs.nodes[child])
		if len(target) == 0 {
			return w, ENOENT
		}
		if len(target)+len(rest) >= PathMax {
			return w, ENAMETOOLONG
		}
		b := fs.pathBufs[buf][:]
		buf ^= 1 // the rest of the path may be in the other buffer
		n := copy(b, target)
		n += copy(b[n:], rest)
		path = bytesString(b[:n])
	}
}

// contents returns a symlink's target, which is always contiguous: in place,
// or in the single page of a depth-0 tree (targets are shorter than PathMax,
// which fits a page).
func contents(n *node) string {
	if n.data == 0 {
		return ""
	}
	return stringAt(n.data, int(n.size))
}
