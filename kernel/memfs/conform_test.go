package memfs

import (
	"strings"
	"testing"
)

// fixture builds the same small tree in any backend:
//
//	f      file "hello", 0644       x     file, 0755
//	d/     directory: g (file), sub/ (directory)
//	e/     empty directory          lf -> f, ld -> d, dang -> missing, loop -> loop
func fixture(t testing.TB, s sys) {
	t.Helper()
	must := func(what string, errno Errno) {
		if errno != 0 {
			t.Fatalf("fixture %s: %v", what, errno)
		}
	}
	mk := func(path, data string, mode uint32) {
		fd, errno := s.open(path, O_WRONLY|O_CREAT|O_EXCL, mode)
		must("open "+path, errno)
		_, errno = s.write(fd, []byte(data))
		must("write "+path, errno)
		must("close "+path, s.close(fd))
	}
	mk("f", "hello", 0o644)
	mk("x", "#!", 0o755)
	must("mkdir d", s.mkdir("d", 0o755))
	mk("d/g", "data", 0o644)
	must("mkdir d/sub", s.mkdir("d/sub", 0o755))
	must("mkdir e", s.mkdir("e", 0o755))
	must("symlink lf", s.symlink("f", "lf"))
	must("symlink ld", s.symlink("d", "ld"))
	must("symlink dang", s.symlink("missing", "dang"))
	must("symlink loop", s.symlink("loop", "loop"))
}

// opens opens path with flags and closes it again, reporting the errno.
func opens(path string, flags int) func(s sys) Errno {
	return func(s sys) Errno {
		fd, errno := s.open(path, flags, 0o644)
		if errno == 0 {
			s.close(fd)
		}
		return errno
	}
}

// onFile opens path with flags and applies op to the fd.
func onFile(path string, flags int, op func(s sys, fd int) Errno) func(s sys) Errno {
	return func(s sys) Errno {
		fd, errno := s.open(path, flags, 0o644)
		if errno != 0 {
			return 1000 + errno // an open failure is never the expected result
		}
		defer s.close(fd)
		return op(s, fd)
	}
}

func stats(path string, flags int) func(s sys) Errno {
	return func(s sys) Errno { _, errno := s.stat(path, flags); return errno }
}

func readlinks(path string) func(s sys) Errno {
	return func(s sys) Errno { _, errno := s.readlink(path); return errno }
}

// chain makes links c0 -> c1 -> ... -> c{n-1} -> f and stats c0.
func chain(n int) func(s sys) Errno {
	return func(s sys) Errno {
		for i := 0; i < n; i++ {
			target := "f"
			if i < n-1 {
				target = "c" + itoa(i+1)
			}
			if errno := s.symlink(target, "c"+itoa(i)); errno != 0 {
				return 1000 + errno
			}
		}
		_, errno := s.stat("c0", 0)
		return errno
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

var conformCases = []struct {
	name string
	run  func(s sys) Errno
	want Errno
}{
	{"open missing", opens("missing", O_RDONLY), ENOENT},
	{"open empty path", opens("", O_RDONLY), ENOENT},
	{"open create trailing slash", opens("new/", O_RDWR|O_CREAT), EISDIR},
	{"open file trailing slash", opens("f/", O_RDONLY), ENOTDIR},
	{"open file O_DIRECTORY", opens("f", O_RDONLY|O_DIRECTORY), ENOTDIR},
	{"open dir O_WRONLY", opens("d", O_WRONLY), EISDIR},
	{"open dir O_RDWR", opens("d", O_RDWR), EISDIR},
	{"open dir O_CREAT", opens("d", O_RDONLY|O_CREAT), EISDIR},
	{"open dir O_TRUNC", opens("d", O_RDONLY|O_TRUNC), EISDIR},
	{"open dot O_CREAT|O_EXCL", opens(".", O_RDONLY|O_CREAT|O_EXCL), EEXIST},
	{"open file O_EXCL", opens("f", O_RDWR|O_CREAT|O_EXCL), EEXIST},
	{"open dangling O_EXCL", opens("dang", O_RDWR|O_CREAT|O_EXCL), EEXIST},
	{"open dangling O_CREAT creates target", func(s sys) Errno {
		if errno := opens("dang", O_RDWR|O_CREAT)(s); errno != 0 {
			return errno
		}
		_, errno := s.stat("missing", AT_SYMLINK_NOFOLLOW)
		return errno
	}, 0},
	{"open symlink O_NOFOLLOW", opens("lf", O_RDONLY|O_NOFOLLOW), ELOOP},
	{"open symlink O_NOFOLLOW|O_PATH", opens("lf", O_NOFOLLOW|O_PATH), 0},
	{"open symlink O_NOFOLLOW|O_DIRECTORY", opens("ld", O_RDONLY|O_NOFOLLOW|O_DIRECTORY), ENOTDIR},
	{"open loop", opens("loop", O_RDONLY), ELOOP},
	{"open through file", opens("f/x", O_RDONLY), ENOTDIR},
	{"open create in missing dir", opens("missing/x", O_RDWR|O_CREAT), ENOENT},
	{"open dir symlink slash", opens("ld/", O_RDONLY), 0},
	{"open file symlink slash", opens("lf/", O_RDONLY), ENOTDIR},
	{"open dotdot through symlink", opens("ld/sub/../g", O_RDONLY), 0},
	{"open long name", opens(strings.Repeat("n", 256), O_RDONLY), ENAMETOOLONG},
	{"open long name create", opens(strings.Repeat("n", 256), O_RDWR|O_CREAT), ENAMETOOLONG},
	{"open long path", opens(strings.Repeat("d/../", 820), O_RDONLY), ENAMETOOLONG},
	{"open 40 links", chain(40), 0},
	{"open 41 links", chain(41), ELOOP},
	{"open O_TRUNC read-only truncates", func(s sys) Errno {
		if errno := opens("f", O_RDONLY|O_TRUNC)(s); errno != 0 {
			return errno
		}
		if st, _ := s.stat("f", 0); st.Size != 0 {
			return 1
		}
		return 0
	}, 0},

	{"read access mode 3", onFile("f", O_ACCMODE, func(s sys, fd int) Errno { _, e := s.read(fd, 4); return e }), EBADF},
	{"write access mode 3", onFile("f", O_ACCMODE, func(s sys, fd int) Errno { _, e := s.write(fd, []byte("x")); return e }), EBADF},
	{"open dir access mode 3", opens("d", O_ACCMODE), EISDIR},
	{"read write-only", onFile("f", O_WRONLY, func(s sys, fd int) Errno { _, e := s.read(fd, 4); return e }), EBADF},
	{"write read-only", onFile("f", O_RDONLY, func(s sys, fd int) Errno { _, e := s.write(fd, []byte("x")); return e }), EBADF},
	{"write O_PATH", onFile("f", O_PATH, func(s sys, fd int) Errno { _, e := s.write(fd, []byte("x")); return e }), EBADF},
	{"read O_PATH", onFile("f", O_PATH, func(s sys, fd int) Errno { _, e := s.read(fd, 4); return e }), EBADF},
	{"read directory", onFile("d", O_RDONLY, func(s sys, fd int) Errno { _, e := s.read(fd, 4); return e }), EISDIR},
	{"pread negative", onFile("f", O_RDONLY, func(s sys, fd int) Errno { _, e := s.pread(fd, 4, -1); return e }), EINVAL},
	{"pwrite negative", onFile("f", O_RDWR, func(s sys, fd int) Errno { _, e := s.pwrite(fd, []byte("x"), -1); return e }), EINVAL},
	{"seek negative", onFile("f", O_RDONLY, func(s sys, fd int) Errno { _, e := s.seek(fd, -1, SEEK_SET); return e }), EINVAL},
	{"seek end negative", onFile("f", O_RDONLY, func(s sys, fd int) Errno { _, e := s.seek(fd, -6, SEEK_END); return e }), EINVAL},
	{"seek bad whence", onFile("f", O_RDONLY, func(s sys, fd int) Errno { _, e := s.seek(fd, 0, 7); return e }), EINVAL},
	{"seek data past end", onFile("f", O_RDONLY, func(s sys, fd int) Errno { _, e := s.seek(fd, 5, SEEK_DATA); return e }), ENXIO},
	{"seek hole past end", onFile("f", O_RDONLY, func(s sys, fd int) Errno { _, e := s.seek(fd, 9, SEEK_HOLE); return e }), ENXIO},
	{"seek data", onFile("f", O_RDONLY, func(s sys, fd int) Errno {
		if off, e := s.seek(fd, 2, SEEK_DATA); e != 0 || off != 2 {
			return 1000 + e
		}
		if off, e := s.seek(fd, 2, SEEK_HOLE); e != 0 || off != 5 {
			return 1000 + e
		}
		return 0
	}), 0},
	{"seek dir end", onFile("d", O_RDONLY, func(s sys, fd int) Errno { _, e := s.seek(fd, 0, SEEK_END); return e }), EINVAL},
	{"ftruncate read-only", onFile("f", O_RDONLY, func(s sys, fd int) Errno { return s.ftruncate(fd, 1) }), EINVAL},
	{"ftruncate negative", onFile("f", O_RDWR, func(s sys, fd int) Errno { return s.ftruncate(fd, -1) }), EINVAL},
	{"ftruncate O_PATH", onFile("f", O_PATH, func(s sys, fd int) Errno { return s.ftruncate(fd, 1) }), EBADF},
	{"getdents on file", onFile("f", O_RDONLY, func(s sys, fd int) Errno { _, e := s.getdents(fd, 512); return e }), ENOTDIR},
	{"getdents tiny buffer", onFile("d", O_RDONLY, func(s sys, fd int) Errno { _, e := s.getdents(fd, 8); return e }), EINVAL},
	{"getdents removed dir", onFile("e", O_RDONLY, func(s sys, fd int) Errno {
		if e := s.unlink("e", AT_REMOVEDIR); e != 0 {
			return 1000 + e
		}
		_, e := s.getdents(fd, 512)
		return e
	}), ENOENT},

	{"mkdir existing", func(s sys) Errno { return s.mkdir("d", 0o755) }, EEXIST},
	{"mkdir dot", func(s sys) Errno { return s.mkdir(".", 0o755) }, EEXIST},
	{"mkdir dotdot", func(s sys) Errno { return s.mkdir("d/..", 0o755) }, EEXIST},
	{"mkdir over dangling", func(s sys) Errno { return s.mkdir("dang", 0o755) }, EEXIST},
	{"mkdir in missing", func(s sys) Errno { return s.mkdir("missing/x", 0o755) }, ENOENT},
	{"mkdir under file", func(s sys) Errno { return s.mkdir("f/x", 0o755) }, ENOTDIR},
	{"mkdir trailing slash", func(s sys) Errno { return s.mkdir("new//", 0o755) }, 0},
	{"mkdir through dotdot", func(s sys) Errno { return s.mkdir("d/sub/../new", 0o755) }, 0},
	{"mkdir in removed dir", onFile("e", O_RDONLY, func(s sys, fd int) Errno {
		if e := s.unlink("e", AT_REMOVEDIR); e != 0 {
			return 1000 + e
		}
		return s.mkdir("ld/../e/x", 0o755)
	}), ENOENT},

	{"unlink missing", func(s sys) Errno { return s.unlink("missing", 0) }, ENOENT},
	{"unlink missing slash", func(s sys) Errno { return s.unlink("missing/", 0) }, ENOENT},
	{"unlink dir", func(s sys) Errno { return s.unlink("d", 0) }, EISDIR},
	{"unlink dir slash", func(s sys) Errno { return s.unlink("d/", 0) }, EISDIR},
	{"unlink file slash", func(s sys) Errno { return s.unlink("f/", 0) }, ENOTDIR},
	{"unlink symlink slash", func(s sys) Errno { return s.unlink("ld/", 0) }, ENOTDIR},
	{"unlink dot", func(s sys) Errno { return s.unlink(".", 0) }, EISDIR},
	{"unlink symlink", func(s sys) Errno { return s.unlink("ld", 0) }, 0},
	{"unlink bad flags", func(s sys) Errno { return s.unlink("f", 1) }, EINVAL},
	{"rmdir file", func(s sys) Errno { return s.unlink("f", AT_REMOVEDIR) }, ENOTDIR},
	{"rmdir symlink", func(s sys) Errno { return s.unlink("ld", AT_REMOVEDIR) }, ENOTDIR},
	{"rmdir non-empty", func(s sys) Errno { return s.unlink("d", AT_REMOVEDIR) }, ENOTEMPTY},
	{"rmdir empty", func(s sys) Errno { return s.unlink("e", AT_REMOVEDIR) }, 0},
	{"rmdir empty slash", func(s sys) Errno { return s.unlink("e/", AT_REMOVEDIR) }, 0},
	{"rmdir dot", func(s sys) Errno { return s.unlink("e/.", AT_REMOVEDIR) }, EINVAL},
	{"rmdir dotdot", func(s sys) Errno { return s.unlink("d/sub/..", AT_REMOVEDIR) }, ENOTEMPTY},
	{"rmdir missing", func(s sys) Errno { return s.unlink("missing", AT_REMOVEDIR) }, ENOENT},

	{"rename missing", func(s sys) Errno { return s.rename("missing", "y", 0) }, ENOENT},
	{"rename file onto dir", func(s sys) Errno { return s.rename("f", "d", 0) }, EISDIR},
	{"rename dir onto file", func(s sys) Errno { return s.rename("d", "f", 0) }, ENOTDIR},
	{"rename dir onto empty dir", func(s sys) Errno { return s.rename("d", "e", 0) }, 0},
	{"rename dir onto non-empty dir", func(s sys) Errno { return s.rename("e", "d", 0) }, ENOTEMPTY},
	{"rename dir into itself", func(s sys) Errno { return s.rename("d", "d/sub/x", 0) }, EINVAL},
	{"rename dir into itself directly", func(s sys) Errno { return s.rename("e", "e/x", 0) }, EINVAL},
	{"rename onto ancestor", func(s sys) Errno { return s.rename("d/sub", "d", 0) }, ENOTEMPTY},
	{"rename file to slash", func(s sys) Errno { return s.rename("f", "g/", 0) }, ENOTDIR},
	{"rename file from slash", func(s sys) Errno { return s.rename("f/", "g", 0) }, ENOTDIR},
	{"rename dir to slash", func(s sys) Errno { return s.rename("e/", "e2/", 0) }, 0},
	{"rename dot", func(s sys) Errno { return s.rename(".", "y", 0) }, EBUSY},
	{"rename onto dot", func(s sys) Errno { return s.rename("f", ".", 0) }, EBUSY},
	{"rename dotdot", func(s sys) Errno { return s.rename("d/..", "y", 0) }, EBUSY},
	{"rename noreplace", func(s sys) Errno { return s.rename("f", "x", RENAME_NOREPLACE) }, EEXIST},
	{"rename onto itself", func(s sys) Errno { return s.rename("f", "f", 0) }, 0},
	{"rename onto hard link", func(s sys) Errno {
		if e := s.link("f", "f2", 0); e != 0 {
			return 1000 + e
		}
		return s.rename("f", "f2", 0)
	}, 0},
	{"rename symlink", func(s sys) Errno { return s.rename("ld", "ld2", 0) }, 0},
	{"rename into missing dir", func(s sys) Errno { return s.rename("f", "missing/x", 0) }, ENOENT},
	{"rename replace file", func(s sys) Errno {
		if e := s.rename("f", "x", 0); e != 0 {
			return 1000 + e
		}
		st, _ := s.stat("x", 0)
		if st.Size != 5 {
			return 1
		}
		_, e := s.stat("f", 0)
		return e
	}, ENOENT},
	{"rename bad flags", func(s sys) Errno { return s.rename("f", "y", 8) }, EINVAL},

	{"link file", func(s sys) Errno {
		if e := s.link("f", "f2", 0); e != 0 {
			return 1000 + e
		}
		st, _ := s.stat("f", 0)
		if st.Nlink != 2 {
			return 1
		}
		return 0
	}, 0},
	{"link dir", func(s sys) Errno { return s.link("d", "d2", 0) }, EPERM},
	{"link existing", func(s sys) Errno { return s.link("f", "x", 0) }, EEXIST},
	{"link missing", func(s sys) Errno { return s.link("missing", "y", 0) }, ENOENT},
	{"link to slash", func(s sys) Errno { return s.link("f", "new/", 0) }, ENOENT},
	{"link symlink itself", func(s sys) Errno { return s.link("dang", "dang2", 0) }, 0},
	{"link follow dangling", func(s sys) Errno { return s.link("dang", "dang2", AT_SYMLINK_FOLLOW) }, ENOENT},

	{"symlink existing", func(s sys) Errno { return s.symlink("t", "f") }, EEXIST},
	{"symlink over dangling", func(s sys) Errno { return s.symlink("t", "dang") }, EEXIST},
	{"symlink slash", func(s sys) Errno { return s.symlink("t", "new/") }, ENOENT},
	{"symlink empty target", func(s sys) Errno { return s.symlink("", "new") }, ENOENT},
	{"symlink in missing", func(s sys) Errno { return s.symlink("t", "missing/x") }, ENOENT},

	{"readlink file", readlinks("f"), EINVAL},
	{"readlink link", readlinks("lf"), 0},
	{"readlink dir link slash", readlinks("ld/"), EINVAL},
	{"readlink file link slash", readlinks("lf/"), ENOTDIR},
	{"readlink missing", readlinks("missing"), ENOENT},

	{"truncate dir", func(s sys) Errno { return s.truncate("d", 0) }, EISDIR},
	{"truncate missing", func(s sys) Errno { return s.truncate("missing", 0) }, ENOENT},
	{"truncate negative", func(s sys) Errno { return s.truncate("f", -1) }, EINVAL},
	{"truncate through link", func(s sys) Errno { return s.truncate("lf", 3) }, 0},
	{"truncate slash", func(s sys) Errno { return s.truncate("f/", 3) }, ENOTDIR},

	{"chmod missing", func(s sys) Errno { return s.chmod("missing", 0o600) }, ENOENT},
	{"chmod file", func(s sys) Errno { return s.chmod("lf", 0o600) }, 0},

	{"access exec no x bit", func(s sys) Errno { return s.access("f", X_OK) }, EACCES},
	{"access exec x bit", func(s sys) Errno { return s.access("x", X_OK) }, 0},
	{"access exec dir", func(s sys) Errno { return s.access("d", X_OK) }, 0},
	{"access write", func(s sys) Errno { return s.access("f", W_OK|R_OK) }, 0},
	{"access missing", func(s sys) Errno { return s.access("missing", F_OK) }, ENOENT},
	{"access bad mode", func(s sys) Errno { return s.access("f", 8) }, EINVAL},

	{"stat file link slash", stats("lf/", 0), ENOTDIR},
	{"stat dir link slash", stats("ld/", 0), 0},
	{"lstat dir link slash", stats("ld/", AT_SYMLINK_NOFOLLOW), 0},
	{"stat loop", stats("loop", 0), ELOOP},
	{"lstat loop", stats("loop", AT_SYMLINK_NOFOLLOW), 0},
	{"stat dangling", stats("dang", 0), ENOENT},
	{"stat dots", stats("./d/./sub/../../f", 0), 0},
	{"stat through file", stats("f/.", 0), ENOTDIR},
}

// TestConformance runs every case on memfs and on the host's tmpfs and
// expects Linux's errno from both.
func TestConformance(t *testing.T) {
	for _, c := range conformCases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			m := newMemSys(t)
			fixture(t, m)
			if got := c.run(m); got != c.want {
				t.Errorf("memfs: %s = %v (%d), want %v", c.name, got, got, c.want)
			}
			h := newHostSys(t)
			fixture(t, h)
			if got := c.run(h); got != c.want {
				t.Errorf("host: %s = %v (%d), want %v", c.name, got, got, c.want)
			}
		})
	}
}

// FuzzPaths sends arbitrary paths and symlink targets through every
// path-taking call: none may panic, and the tables must stay consistent.
func FuzzPaths(f *testing.F) {
	f.Add("f", "d/../x", "lf/")
	f.Add("ld/sub/../g", "/tmp/n1/./n2", "a//b///")
	f.Add("loop/x", "../../../../..", strings.Repeat("x/", 300))
	f.Add("", "dang/", "/")
	f.Fuzz(func(t *testing.T, p1, p2, target string) {
		m := newMemSys(t)
		fixture(t, m)
		var st Stat
		b := make([]byte, 64)
		base := m.base
		for _, p := range []string{p1, p2} {
			StatAt(base, p, &st, 0)
			StatAt(base, p, &st, AT_SYMLINK_NOFOLLOW)
			Readlink(base, p, b, 0)
			Access(base, p, R_OK|W_OK|X_OK, 0)
			if fd, errno := Open(base, p, O_RDWR|O_CREAT, 0o644); errno == 0 {
				Write(fd, []byte(target))
				Getdents64(fd, b)
				Close(fd)
			}
			if fd, errno := Open(base, p, O_RDONLY|O_DIRECTORY, 0); errno == 0 {
				Getdents64(fd, b)
				Getcwd(fd, b)
				Close(fd)
			}
			Mkdir(base, p, 0o755)
			Symlink(target, base, p)
			Chmod(base, p, 0o700, 0)
			Truncate(base, p, 10)
			Utimens(base, p, nil, 0)
		}
		Link(base, p1, base, p2, AT_SYMLINK_FOLLOW)
		Rename(base, p1, base, p2, 0)
		Rename(base, p2, base, target, RENAME_NOREPLACE)
		Unlink(base, p1, 0)
		Unlink(base, p2, AT_REMOVEDIR)
		checkInvariants(t)
	})
}
