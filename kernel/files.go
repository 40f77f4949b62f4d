package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// setupFiles creates the file system, loads the image's bundle and opens the
// standard descriptors.
func setupFiles() {
	if er := memfs.Init(allocFrame, freeFrame, pageSize, walltime); er != 0 {
		fatal("files: cannot initialise the file system")
	}
	if len(bundleData) > 0 {
		if er := memfs.LoadBundle(bundleData); er != 0 {
			kputs("files: the image's file bundle is corrupt: errno ")
			kputu(uint64(er))
			kflush()
			bootError("files: rebuild the image with gobi build")
		}
	}
	if argc > 0 {
		memfs.SetExe(cstring(argBuf[:]))
	}
	// The boot arguments, for the network configuration (gobi.ip...).
	cmdline[cmdlineLen] = '\n'
	memfs.WriteFile("/proc/cmdline", cmdline[:cmdlineLen+1], 0o444)
	setupProcFiles()
	// The listen backlog limit, as Linux 5.4+ has it; Go reads it for
	// listen(2).
	memfs.MkdirAll("/proc/sys/net/core", 0o555)
	memfs.WriteFile("/proc/sys/net/core/somaxconn", []byte("4096\n"), 0o444)
	for fd, path := range [...]string{"/dev/stdin", "/dev/stdout", "/dev/stderr"} {
		flags := memfs.O_WRONLY
		if fd == 0 {
			flags = memfs.O_RDONLY
		}
		f, er := memfs.Open(0, path, flags, 0)
		if er != 0 {
			fatal("files: cannot open the console devices")
		}
		fds[fd] = fdEntry{kind: fdFile, obj: int32(f)}
	}
	if r := chdir(0, cstring(cwdBuf[:cwdLen])); r != 0 {
		kputs("files: the working directory does not exist in the image: ")
		kputs(cstring(cwdBuf[:cwdLen]))
		kflush()
		if chdir(0, "/") != 0 {
			fatal("files: no root directory")
		}
	}
}

// cstring returns b up to its first NUL, as a string sharing b's memory.
func cstring(b []byte) string {
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	return unsafeString(b[:n])
}
