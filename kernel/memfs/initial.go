package memfs

// The initial tree, and the calls the kernel uses to add to it. The kernel's
// own calls bypass the read-only rule that applies to the program.

// Contents of the files in /etc. The user database has root only, whose
// home is / as nothing else exists (passwd(5), group(5), hosts(5)).
const (
	etcHostname = "gobi\n"
	etcHosts    = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	etcPasswd   = "root:x:0:0:root:/:/bin/sh\n"
	etcGroup    = "root:x:0:\n"
)

// buildInitialTree creates /, /tmp, /etc, /dev and /proc/self.
func buildInitialTree() Errno {
	root, errno := newNode(kindDir, 0o755, true)
	if errno != 0 {
		return errno
	}
	r := &fs.nodes[root]
	r.nlink, r.parent = 2, root
	if _, errno := makeNode(root, "tmp", kindDir, 0o1777, false); errno != 0 {
		return errno
	}
	etc, errno := makeNode(root, "etc", kindDir, 0o755, true)
	if errno != 0 {
		return errno
	}
	files := [...]struct{ name, data string }{
		{"hostname", etcHostname}, {"hosts", etcHosts}, {"passwd", etcPasswd}, {"group", etcGroup},
	}
	for _, f := range files {
		i, errno := makeNode(etc, f.name, kindReg, 0o644, true)
		if errno != 0 {
			return errno
		}
		setInPlace(i, f.data)
	}
	dev, errno := makeNode(root, "dev", kindDir, 0o755, true)
	if errno != 0 {
		return errno
	}
	for _, d := range devices {
		i, errno := makeNode(dev, d.name, kindChr, 0o666, true)
		if errno != 0 {
			return errno
		}
		fs.nodes[i].rdev = d.rdev
	}
	proc, errno := makeNode(root, "proc", kindDir, 0o555, true)
	if errno != 0 {
		return errno
	}
	fs.procSelf, errno = makeNode(proc, "self", kindDir, 0o555, true)
	return errno
}

// setInPlace makes node i's contents the bytes of s, which must stay
// reachable (a constant, or the bundle in the image's rodata).
func setInPlace(i int32, s string) {
	n := &fs.nodes[i]
	n.inplace, n.data, n.size = true, stringAddr(s), int64(len(s))
}

// SetExe makes /proc/self/exe a symbolic link to target, the program's
// path, replacing any earlier one.
func SetExe(target string) Errno {
	return setLink(fs.procSelf, "exe", target)
}

// SetLink makes absolute path a symbolic link to target for the kernel
// (such as /proc/1 to self), replacing what was there: like WriteFile it
// bypasses the read-only rule, and the link is read-only to the program.
func SetLink(path, target string) Errno {
	w, errno := resolve(NoFile, path, parentOnly, 0)
	if errno != 0 {
		return errno
	}
	if w.dots != lastNorm {
		return EINVAL
	}
	return setLink(w.parent, w.name, target)
}

// ClearDir removes every entry of the kernel's directory at absolute path
// (/proc/self/fd, before it is made afresh).
func ClearDir(path string) Errno {
	w, errno := resolve(NoFile, path, 0, 0)
	if errno != 0 {
		return errno
	}
	if fs.nodes[w.node].kind != kindDir {
		return ENOTDIR
	}
	for e := fs.nodes[w.node].first; e != 0; e = fs.nodes[w.node].first {
		unlink(e)
	}
	return 0
}

// setLink makes name in directory dir a read-only symbolic link to target.
func setLink(dir int32, name, target string) Errno {
	if !fs.ready {
		return EINVAL
	}
	if target == "" || len(target) >= PathMax {
		return EINVAL
	}
	if e := lookupEntry(dir, name); e != 0 {
		unlink(e)
	}
	i, errno := makeNode(dir, name, kindSymlink, 0o777, true)
	if errno != 0 {
		return errno
	}
	if _, errno := writeData(&fs.nodes[i], bytesOf(target), 0); errno != 0 {
		unlink(lookupEntry(dir, name))
		return errno
	}
	return 0
}

// MkdirAll creates the directory at absolute path and any missing parents,
// for the kernel (such as /proc/sys/net/core): like WriteFile it bypasses
// the read-only rule, and a new directory is read-only to the program when
// its parent is.
func MkdirAll(path string, mode uint32) Errno {
	if len(path) == 0 || path[0] != '/' {
		return EINVAL
	}
	for i := 2; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		w, errno := resolve(NoFile, path[:i], parentOnly, 0)
		if errno != 0 {
			return errno
		}
		if w.dots != lastNorm {
			continue
		}
		if w.node != 0 {
			if fs.nodes[w.node].kind != kindDir {
				return ENOTDIR
			}
			continue
		}
		if _, errno := makeNode(w.parent, w.name, kindDir, mode, fs.nodes[w.parent].ro); errno != 0 {
			return errno
		}
	}
	return 0
}

// WriteFile sets the contents of the regular file at absolute path to a
// copy of data, creating it with permission bits mode if needed; its parent
// directory must exist. The file is read-only to the program when its
// directory is (everything outside /tmp), so the kernel can publish files
// such as /etc/resolv.conf.
func WriteFile(path string, data []byte, mode uint32) Errno {
	if len(path) == 0 || path[0] != '/' {
		return EINVAL
	}
	w, errno := resolve(NoFile, path, parentOnly, 0)
	if errno != 0 {
		return errno
	}
	if w.dots != lastNorm || w.slash {
		return EISDIR
	}
	i := w.node
	if i == 0 {
		var errno Errno
		if i, errno = makeNode(w.parent, w.name, kindReg, mode, fs.nodes[w.parent].ro); errno != 0 {
			return errno
		}
	}
	n := &fs.nodes[i]
	switch n.kind {
	case kindReg:
	case kindDir:
		return EISDIR
	default:
		return EEXIST
	}
	if n.inplace {
		n.inplace, n.data, n.size = false, 0, 0
	}
	if errno := setSize(n, 0); errno != 0 {
		return errno
	}
	if len(data) == 0 {
		return 0
	}
	written, errno := writeData(n, data, 0)
	if errno == 0 && written < len(data) {
		errno = ENOSPC
	}
	return errno
}

// devices are the nodes of /dev.
var devices = [...]struct {
	name string
	rdev uint64
}{
	{"null", DevNull}, {"zero", DevZero}, {"urandom", DevURandom},
	{"stdin", DevStdin}, {"stdout", DevStdout}, {"stderr", DevStderr},
}

// DeviceName is the name in /dev of device rdev ("" for none).
func DeviceName(rdev uint64) string {
	for _, d := range devices {
		if d.rdev == rdev {
			return d.name
		}
	}
	return ""
}
