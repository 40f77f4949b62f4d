package memfs

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"syscall"
	"testing"
)

var diffSeeds = flag.Int64("memfs.seeds", 8, "number of random sequences TestDifferential runs")

// TestDifferential applies the same random operations to memfs and to a
// directory on the host's tmpfs and requires the same results: errno,
// counts, bytes, attributes, and at the end the same tree.
func TestDifferential(t *testing.T) {
	for seed := int64(1); seed <= *diffSeeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			d := &differ{t: t, rng: rand.New(rand.NewSource(seed)), m: newMemSys(t), h: newHostSys(t)}
			for i := 0; i < 2500; i++ {
				d.step()
				if i%100 == 0 {
					checkInvariants(t)
				}
			}
			d.compareTree(".")
			checkInvariants(t)
		})
	}
}

type differ struct {
	t    *testing.T
	rng  *rand.Rand
	m, h sys
	fds  [][2]int // memfs fd, host fd
	log  []string
}

func (d *differ) fail(format string, args ...any) {
	d.t.Helper()
	tail := d.log
	if len(tail) > 30 {
		tail = tail[len(tail)-30:]
	}
	d.t.Fatalf("%s\nlast operations:\n  %s\nmemfs tree:\n%s\nhost tree:\n%s", fmt.Sprintf(format, args...),
		strings.Join(tail, "\n  "), dump(d.m, ".", 0), dump(d.h, ".", 0))
}

// dump describes the tree below dir for a failure message.
func dump(s sys, dir string, depth int) string {
	fd, errno := s.open(dir, O_RDONLY|O_DIRECTORY|O_NOFOLLOW, 0)
	if errno != 0 || depth > 4 {
		return ""
	}
	defer s.close(fd)
	out := ""
	for {
		b, errno := s.getdents(fd, 4096)
		if errno != 0 || len(b) == 0 {
			return out
		}
		for len(b) > 0 {
			reclen := int(b[16]) | int(b[17])<<8
			name := string(b[direntHeader:reclen])
			name = name[:strings.IndexByte(name, 0)]
			b = b[reclen:]
			if name == "." || name == ".." {
				continue
			}
			p := dir + "/" + name
			st, _ := s.stat(p, AT_SYMLINK_NOFOLLOW)
			target, _ := s.readlink(p)
			out += fmt.Sprintf("  %s %#o %q\n", p, st.Mode, target)
			if st.Mode&S_IFMT == S_IFDIR {
				out += dump(s, p, depth+1)
			}
		}
	}
}

func (d *differ) same(what string, m, h Errno) bool {
	d.t.Helper()
	if m != h {
		d.fail("%s: memfs %v, host %v", what, m, h)
	}
	return m == 0
}

var diffNames = []string{"a", "b", "c", "l"}

// path returns a random path below the base that cannot climb above it:
// ".." only follows more real names than earlier "..", and symlink targets
// (see target) never hold "..".
func (d *differ) path() string {
	var parts []string
	depth := 0
	for n := 1 + d.rng.Intn(3); n > 0; n-- {
		switch r := d.rng.Intn(12); {
		case r == 0:
			parts = append(parts, ".")
		case r == 1 && depth > 0:
			parts = append(parts, "..")
			depth--
		default:
			parts = append(parts, diffNames[d.rng.Intn(len(diffNames))])
			depth++
		}
	}
	p := strings.Join(parts, "/")
	if d.rng.Intn(8) == 0 {
		p += "/"
	}
	return p
}

// target returns a symlink target: relative, without "." or "..", so a
// link never leads above the directory holding it.
func (d *differ) target() string {
	p := diffNames[d.rng.Intn(len(diffNames))]
	if d.rng.Intn(3) == 0 {
		p += "/" + diffNames[d.rng.Intn(len(diffNames))]
	}
	if d.rng.Intn(8) == 0 {
		p += "/"
	}
	return p
}

func (d *differ) data() []byte {
	n := d.rng.Intn(10000)
	if d.rng.Intn(3) == 0 {
		n = d.rng.Intn(20)
	}
	b := make([]byte, n)
	d.rng.Read(b)
	return b
}

func (d *differ) flags() int {
	f := d.rng.Intn(4) // access mode 3 included
	for _, bit := range []int{O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW} {
		if d.rng.Intn(4) == 0 {
			f |= bit
		}
	}
	if d.rng.Intn(20) == 0 {
		f = O_PATH | f&(O_DIRECTORY|O_NOFOLLOW)
	}
	return f
}

func (d *differ) step() {
	op := d.rng.Intn(23)
	if len(d.fds) == 0 && (op <= 8 || op == 22) {
		op = 0
	}
	var fd [2]int
	var fi int
	if len(d.fds) > 0 {
		fi = d.rng.Intn(len(d.fds))
		fd = d.fds[fi]
	}
	m, h := d.m, d.h
	switch op {
	case 0:
		p, fl, mode := d.path(), d.flags(), uint32(d.rng.Intn(0o1000))
		d.log = append(d.log, fmt.Sprintf("open(%q, %#x, %#o)", p, fl, mode))
		mf, me := m.open(p, fl, mode)
		hf, he := h.open(p, fl, mode)
		if d.same("open", me, he) {
			d.fds = append(d.fds, [2]int{mf, hf})
		}
	case 1:
		d.log = append(d.log, fmt.Sprintf("close(%d)", fi))
		d.same("close", m.close(fd[0]), h.close(fd[1]))
		d.fds = slices.Delete(d.fds, fi, fi+1)
	case 2, 3:
		n := d.rng.Intn(9000)
		off := int64(d.rng.Intn(20000))
		var mb, hb []byte
		var me, he Errno
		if op == 2 {
			d.log = append(d.log, fmt.Sprintf("read(%d, %d)", fi, n))
			mb, me = m.read(fd[0], n)
			hb, he = h.read(fd[1], n)
		} else {
			d.log = append(d.log, fmt.Sprintf("pread(%d, %d, %d)", fi, n, off))
			mb, me = m.pread(fd[0], n, off)
			hb, he = h.pread(fd[1], n, off)
		}
		if d.same("read", me, he) && !bytes.Equal(mb, hb) {
			d.fail("read: memfs %d bytes, host %d bytes, or different bytes", len(mb), len(hb))
		}
	case 4, 5:
		b := d.data()
		off := int64(d.rng.Intn(40000))
		var mn, hn int
		var me, he Errno
		if op == 4 {
			d.log = append(d.log, fmt.Sprintf("write(%d, %d bytes)", fi, len(b)))
			mn, me = m.write(fd[0], b)
			hn, he = h.write(fd[1], b)
		} else {
			d.log = append(d.log, fmt.Sprintf("pwrite(%d, %d bytes, %d)", fi, len(b), off))
			mn, me = m.pwrite(fd[0], b, off)
			hn, he = h.pwrite(fd[1], b, off)
		}
		if d.same("write", me, he) && mn != hn {
			d.fail("write: memfs %d, host %d", mn, hn)
		}
	case 6:
		st, e := d.m.fstat(fd[0])
		if e != 0 || st.Mode&S_IFMT == S_IFDIR {
			return // directory positions are file-system specific cookies
		}
		off, whence := int64(d.rng.Intn(30000)-5000), d.rng.Intn(5)
		d.log = append(d.log, fmt.Sprintf("seek(%d, %d, %d)", fi, off, whence))
		mo, me := m.seek(fd[0], off, whence)
		ho, he := h.seek(fd[1], off, whence)
		if d.same("seek", me, he) && mo != ho {
			d.fail("seek: memfs %d, host %d", mo, ho)
		}
	case 7:
		size := int64(d.rng.Intn(30000))
		d.log = append(d.log, fmt.Sprintf("ftruncate(%d, %d)", fi, size))
		d.same("ftruncate", m.ftruncate(fd[0], size), h.ftruncate(fd[1], size))
	case 8:
		d.log = append(d.log, fmt.Sprintf("fstat(%d)", fi))
		ms, me := m.fstat(fd[0])
		hs, he := h.fstat(fd[1])
		if d.same("fstat", me, he) {
			d.sameStat("fstat", &ms, &hs)
		}
	case 9:
		p, fl := d.path(), d.rng.Intn(2)*AT_SYMLINK_NOFOLLOW
		d.log = append(d.log, fmt.Sprintf("stat(%q, %#x)", p, fl))
		ms, me := m.stat(p, fl)
		hs, he := h.stat(p, fl)
		if d.same("stat", me, he) {
			d.sameStat("stat "+p, &ms, &hs)
		}
	case 10:
		p, mode := d.path(), uint32(d.rng.Intn(0o10000))
		d.log = append(d.log, fmt.Sprintf("mkdir(%q, %#o)", p, mode))
		d.same("mkdir", m.mkdir(p, mode), h.mkdir(p, mode))
	case 11, 12:
		p, fl := d.path(), (op-11)*AT_REMOVEDIR
		d.log = append(d.log, fmt.Sprintf("unlink(%q, %#x)", p, fl))
		d.same("unlink", m.unlink(p, fl), h.unlink(p, fl))
	case 13:
		o, n, fl := d.path(), d.path(), d.rng.Intn(2)*RENAME_NOREPLACE
		d.log = append(d.log, fmt.Sprintf("rename(%q, %q, %d)", o, n, fl))
		d.same("rename", m.rename(o, n, fl), h.rename(o, n, fl))
	case 14:
		o, n, fl := d.path(), d.path(), d.rng.Intn(2)*AT_SYMLINK_FOLLOW
		d.log = append(d.log, fmt.Sprintf("link(%q, %q, %#x)", o, n, fl))
		d.same("link", m.link(o, n, fl), h.link(o, n, fl))
	case 15:
		tg, p := d.target(), d.path()
		d.log = append(d.log, fmt.Sprintf("symlink(%q, %q)", tg, p))
		d.same("symlink", m.symlink(tg, p), h.symlink(tg, p))
	case 16:
		p := d.path()
		d.log = append(d.log, fmt.Sprintf("readlink(%q)", p))
		ml, me := m.readlink(p)
		hl, he := h.readlink(p)
		if d.same("readlink", me, he) && ml != hl {
			d.fail("readlink: memfs %q, host %q", ml, hl)
		}
	case 17:
		p, size := d.path(), int64(d.rng.Intn(30000))
		d.log = append(d.log, fmt.Sprintf("truncate(%q, %d)", p, size))
		d.same("truncate", m.truncate(p, size), h.truncate(p, size))
	case 18:
		p, mode := d.path(), uint32(d.rng.Intn(0o10000))
		d.log = append(d.log, fmt.Sprintf("chmod(%q, %#o)", p, mode))
		d.same("chmod", m.chmod(p, mode), h.chmod(p, mode))
	case 19:
		p, mode := d.path(), uint32(d.rng.Intn(8))
		d.log = append(d.log, fmt.Sprintf("access(%q, %d)", p, mode))
		d.same("access", m.access(p, mode), h.access(p, mode))
	case 22:
		// A duplicate shares the offset: memfs counts a reference on the
		// same File, the host makes a new descriptor.
		d.log = append(d.log, fmt.Sprintf("dup(%d)", fi))
		if errno := Dup(File(fd[0])); errno != 0 {
			d.fail("Dup = %v", errno)
		}
		hf, err := syscall.Dup(fd[1])
		if err != nil {
			d.fail("dup: %v", err)
		}
		d.h.(*hostSys).fds[hf] = true
		d.fds = append(d.fds, [2]int{fd[0], hf})
	default:
		p := d.path()
		d.log = append(d.log, fmt.Sprintf("list(%q)", p))
		mn, me := d.list(m, p)
		hn, he := d.list(h, p)
		if d.same("list", me, he) && !slices.Equal(mn, hn) {
			d.fail("list %q: memfs %q, host %q", p, mn, hn)
		}
	}
}

func (d *differ) sameStat(what string, m, h *Stat) {
	d.t.Helper()
	if m.Mode != h.Mode || m.Nlink != h.Nlink || m.Size != h.Size || m.Blocks != h.Blocks {
		d.fail("%s: memfs mode %#o nlink %d size %d blocks %d, host mode %#o nlink %d size %d blocks %d",
			what, m.Mode, m.Nlink, m.Size, m.Blocks, h.Mode, h.Nlink, h.Size, h.Blocks)
	}
}

// list reads directory p with small, varying buffers and returns its sorted
// names with their d_type.
func (d *differ) list(s sys, p string) ([]string, Errno) {
	fd, errno := s.open(p, O_RDONLY|O_DIRECTORY, 0)
	if errno != 0 {
		return nil, errno
	}
	defer s.close(fd)
	var names []string
	for {
		b, errno := s.getdents(fd, 32+d.rng.Intn(200))
		if errno == EINVAL {
			b, errno = s.getdents(fd, 512)
		}
		if errno != 0 {
			return nil, errno
		}
		if len(b) == 0 {
			break
		}
		for len(b) > 0 {
			reclen := int(b[16]) | int(b[17])<<8
			name := b[direntHeader:reclen]
			name = name[:bytes.IndexByte(name, 0)]
			names = append(names, fmt.Sprintf("%s:%d", name, b[18]))
			b = b[reclen:]
		}
	}
	slices.Sort(names)
	return names, 0
}

// compareTree requires the same names, kinds, attributes, contents and
// link targets below dir in both backends.
func (d *differ) compareTree(dir string) {
	mn, me := d.list(d.m, dir)
	hn, he := d.list(d.h, dir)
	if !d.same("list "+dir, me, he) || !slices.Equal(mn, hn) {
		d.fail("list %q: memfs %q, host %q", dir, mn, hn)
	}
	for _, e := range mn {
		name := e[:strings.LastIndexByte(e, ':')]
		if name == "." || name == ".." {
			continue
		}
		p := dir + "/" + name
		ms, _ := d.m.stat(p, AT_SYMLINK_NOFOLLOW)
		hs, _ := d.h.stat(p, AT_SYMLINK_NOFOLLOW)
		d.sameStat("tree "+p, &ms, &hs)
		switch ms.Mode & S_IFMT {
		case S_IFDIR:
			d.compareTree(p)
		case S_IFLNK:
			ml, _ := d.m.readlink(p)
			hl, _ := d.h.readlink(p)
			if ml != hl {
				d.fail("tree %s: memfs -> %q, host -> %q", p, ml, hl)
			}
		case S_IFREG:
			mb := d.contents(d.m, p)
			hb := d.contents(d.h, p)
			if !bytes.Equal(mb, hb) {
				d.fail("tree %s: contents differ (%d and %d bytes)", p, len(mb), len(hb))
			}
		}
	}
}

func (d *differ) contents(s sys, p string) []byte {
	fd, errno := s.open(p, O_RDONLY|O_NOFOLLOW, 0)
	if errno != 0 {
		d.fail("open %s: %v", p, errno)
	}
	defer s.close(fd)
	b, errno := s.pread(fd, 1<<20, 0)
	if errno != 0 {
		d.fail("read %s: %v", p, errno)
	}
	return b
}
