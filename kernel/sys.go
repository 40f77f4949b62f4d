package kernel

// System call dispatch: the x86-64 Linux ABI (number in rax, arguments in
// rdi, rsi, rdx, r10, r8, r9, result or -errno in rax). Calls are grouped by
// subject in sys_*.go. A call the kernel does not implement fails with ENOSYS
// and is reported once by name.

var (
	reported   [512]bool
	perSyscall [512]uint64 // calls by number, reported with gobi.debug=1
)

func doSyscall(i int) {
	c := &threads[i].ctx
	nr := c.rax
	if nr < uint64(len(perSyscall)) {
		perSyscall[nr]++
	}
	a := [6]uint64{c.rdi, c.rsi, c.rdx, c.r10, c.r8, c.r9}
	r := syscall(i, nr, &a)
	if r != noReturn {
		threads[i].ctx.rax = r
	}
}

func syscall(i int, nr uint64, a *[6]uint64) uint64 {
	if r, ok := platformSyscall(i, nr, a); ok {
		return r
	}
	switch nr {
	case 0:
		return sysRead(i, a[0], a[1], a[2], nr)
	case 1:
		return sysWrite(a[0], a[1], a[2], nr)
	case 17:
		return sysPread(a[0], a[1], a[2], a[3])
	case 18:
		return sysPwrite(a[0], a[1], a[2], a[3])
	case 19:
		return sysReadv(i, a[0], a[1], a[2])
	case 20:
		return sysWritev(a[0], a[1], a[2])
	case 3:
		return sysClose(a[0])
	case 8:
		return sysLseek(a[0], a[1], a[2])
	case 16:
		return sysIoctl(a[0], a[1], a[2])
	case 72:
		return sysFcntl(a[0], a[1], a[2])
	case 32:
		return sysDup(a[0])
	case 33:
		return sysDup3(a[0], a[1], 0, true)
	case 292:
		return sysDup3(a[0], a[1], a[2], false)
	case 5:
		return sysFstat(a[0], a[1])
	case 4: // stat
		return sysNewfstatat(atFDCWD, a[0], a[1], 0)
	case 6: // lstat
		return sysNewfstatat(atFDCWD, a[0], a[1], atSymlinkNofollow)
	case 262:
		return sysNewfstatat(a[0], a[1], a[2], a[3])
	case 2: // open
		return sysOpenat(atFDCWD, a[0], a[1], a[2])
	case 257:
		return sysOpenat(a[0], a[1], a[2], a[3])
	case 217:
		return sysGetdents64(a[0], a[1], a[2])
	case 79:
		return sysGetcwd(a[0], a[1])
	case 80:
		return sysChdir(a[0])
	case 81:
		return sysFchdir(a[0])
	case 83: // mkdir
		return sysMkdirat(atFDCWD, a[0], a[1])
	case 258:
		return sysMkdirat(a[0], a[1], a[2])
	case 87: // unlink
		return sysUnlinkat(atFDCWD, a[0], 0)
	case 84: // rmdir
		return sysUnlinkat(atFDCWD, a[0], atRemovedir)
	case 263:
		return sysUnlinkat(a[0], a[1], a[2])
	case 82: // rename
		return sysRenameat(atFDCWD, a[0], atFDCWD, a[1], 0)
	case 264:
		return sysRenameat(a[0], a[1], a[2], a[3], 0)
	case 316:
		return sysRenameat(a[0], a[1], a[2], a[3], a[4])
	case 92: // chown
		return sysFchownat(atFDCWD, a[0], a[1], a[2], 0)
	case 94: // lchown
		return sysFchownat(atFDCWD, a[0], a[1], a[2], atSymlinkNofollow)
	case 93: // fchown
		return sysFchownat(a[0], 0, a[1], a[2], 0)
	case 260:
		return sysFchownat(a[0], a[1], a[2], a[3], a[4])
	case 86: // link
		return sysLinkat(atFDCWD, a[0], atFDCWD, a[1], 0)
	case 265:
		return sysLinkat(a[0], a[1], a[2], a[3], a[4])
	case 89: // readlink
		return sysReadlinkat(atFDCWD, a[0], a[1], a[2])
	case 267:
		return sysReadlinkat(a[0], a[1], a[2], a[3])
	case 88: // symlink
		return sysSymlinkat(a[0], atFDCWD, a[1])
	case 266:
		return sysSymlinkat(a[0], a[1], a[2])
	case 21: // access
		return sysFaccessat(atFDCWD, a[0], a[1], 0)
	case 269: // faccessat: no flags argument
		return sysFaccessat(a[0], a[1], a[2], 0)
	case 439: // faccessat2
		return sysFaccessat(a[0], a[1], a[2], a[3])
	case 90: // chmod
		return sysFchmodat(atFDCWD, a[0], a[1], 0)
	case 268:
		return sysFchmodat(a[0], a[1], a[2], 0)
	case 452: // fchmodat2
		return sysFchmodat(a[0], a[1], a[2], a[3])
	case 91:
		return sysFchmod(a[0], a[1])
	case 77:
		return sysFtruncate(a[0], a[1])
	case 73:
		return sysFlock(a[0], a[1], nr)
	case 285:
		return sysFallocate(a[0], a[1], a[2], a[3])
	case 137:
		return sysStatfs(a[0], a[1])
	case 138:
		return sysFstatfs(a[0], a[1])
	case 76: // truncate
		return sysTruncate(a[0], a[1])
	case 280:
		return sysUtimensat(a[0], a[1], a[2], a[3])
	case 74, 75: // fsync, fdatasync: memory is the medium
		return sysFsync(a[0])
	case 162: // sync
		return 0
	case 95: // umask
		return sysUmask(a[0])
	case 290:
		return sysEventfd2(a[0], a[1])
	case 284: // eventfd
		return sysEventfd2(a[0], 0)
	case 213, 291: // epoll_create, epoll_create1
		return sysEpollCreate(a[0], nr == 213)
	case 233:
		return sysEpollCtl(a[0], a[1], a[2], a[3])
	case 232:
		return sysEpollWait(i, a[0], a[1], a[2], a[3], 0)
	case 281:
		return sysEpollWait(i, a[0], a[1], a[2], a[3], a[4])
	case 40:
		return sysSendfile(a[0], a[1], a[2], a[3], nr)
	case 326:
		return sysCopyFileRange(a[0], a[1], a[2], a[3], a[4], a[5], nr)
	case 275, 276, 278: // splice, tee, vmsplice
		return errno(eINVAL)
	case 22: // pipe
		return sysPipe2(a[0], 0)
	case 293:
		return sysPipe2(a[0], a[1])

	// Sockets.
	case 41:
		return sysSocket(a[0], a[1], a[2])
	case 49:
		return sysBind(a[0], a[1], a[2])
	case 50:
		return sysListen(a[0], a[1])
	case 42:
		return sysConnect(a[0], a[1], a[2], nr)
	case 43:
		return sysAccept4(a[0], a[1], a[2], 0, nr)
	case 288:
		return sysAccept4(a[0], a[1], a[2], a[3], nr)
	case 51:
		return sysGetsockname(a[0], a[1], a[2], false)
	case 52:
		return sysGetsockname(a[0], a[1], a[2], true)
	case 54:
		return sysSetsockopt(a[0], a[1], a[2], a[3], a[4])
	case 55:
		return sysGetsockopt(a[0], a[1], a[2], a[3], a[4])
	case 44:
		return sysSendto(a[0], a[1], a[2], a[3], a[4], a[5], nr)
	case 45:
		return sysRecvfrom(a[0], a[1], a[2], a[3], a[4], a[5], nr)
	case 46:
		return sysSendmsg(a[0], a[1], a[2], nr)
	case 47:
		return sysRecvmsg(a[0], a[1], a[2], nr)
	case 48:
		return sysShutdown(a[0], a[1])
	case 53:
		return sysSocketpair(a[0], a[1], a[2], a[3])

	// Identity and limits.
	case 63:
		return sysUname(a[0])
	case 125:
		return sysCapget(a[0], a[1])
	case 110: // getppid: the program has no parent it can see, which Linux
		// answers with 0 (a parent outside the caller's PID namespace).
		return 0
	case 102: // getuid
		return uint64(uids.real)
	case 104: // getgid
		return uint64(gids.real)
	case 107: // geteuid
		return uint64(uids.eff)
	case 108: // getegid
		return uint64(gids.eff)
	case 118:
		return getRESID(&uids, a[0], a[1], a[2])
	case 120:
		return getRESID(&gids, a[0], a[1], a[2])
	case 105:
		return setID(&uids, a[0])
	case 106:
		return setID(&gids, a[0])
	case 113:
		return setREID(&uids, a[0], a[1])
	case 114:
		return setREID(&gids, a[0], a[1])
	case 117:
		return setRESID(&uids, a[0], a[1], a[2])
	case 119:
		return setRESID(&gids, a[0], a[1], a[2])
	case 122:
		return setFSID(&uids, a[0])
	case 123:
		return setFSID(&gids, a[0])
	case 115:
		return sysGetgroups(a[0], a[1])
	case 116:
		return sysSetgroups(a[0], a[1])
	case 111, 112, 121, 124: // getpgrp, setsid, getpgid, getsid: one process, its own group and session
		return processID()
	case 97: // getrlimit
		return sysPrlimit(0, a[0], 0, a[1])
	case 302:
		return sysPrlimit(a[0], a[1], a[2], a[3])
	case 160: // setrlimit
		return 0
	case 157:
		return sysPrctl(a[0], a[1])
	case 318:
		return sysGetrandom(a[0], a[1], a[2])
	case 99:
		return sysSysinfo(a[0])
	case 98:
		return sysGetrusage(a[0], a[1])
	case 96:
		return sysGettimeofday(a[0])
	case 229:
		return sysClockGetres(a[0], a[1])
	case 201:
		return sysTime(a[0])
	case 203: // sched_setaffinity: nothing to change
		return 0
	case 273: // set_robust_list
		return 0
	case 334, 27: // rseq, mincore: not provided, as under a kernel without them
		return errno(eNOSYS)
	case 12: // brk: no heap segment (a break that cannot move); the runtime uses mmap
		return 0
	case 61: // wait4: never any children
		return errno(eCHILD)
	case 57, 58, 59, 322, 435: // fork, vfork, execve, execveat, clone3
		return errno(eNOSYS)
	}
	if r, ok := gobiSyscall(i, nr, a); ok {
		return r
	}
	reportOnce(nr, a)
	return errno(eNOSYS)
}

func reportOnce(nr uint64, a *[6]uint64) {
	if nr < uint64(len(reported)) && reported[nr] && !debug {
		return
	}
	if nr < uint64(len(reported)) {
		reported[nr] = true
	}
	kputs("unimplemented syscall ")
	kputSysName(nr)
	kputs(" returns ENOSYS")
	if debug {
		for _, v := range a {
			kputc(' ')
			kputx(v)
		}
	}
	kflush()
}

// kputSysName logs a system call's name, or its number if it has none.
func kputSysName(nr uint64) {
	if nr < uint64(len(sysNames)) && sysNames[nr] != "" {
		kputs(sysNames[nr])
	} else {
		kputu(nr)
	}
}
