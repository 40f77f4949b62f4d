package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// /proc files that describe the running program (proc(5)), made afresh
// each time one is opened, by whatever path: /proc/self/stat, status,
// limits, cmdline and environ, /proc/stat, meminfo, uptime and loadavg, and
// the directory /proc/self/fd, what process metrics libraries (Prometheus'
// procfs, gopsutil) and ps-like code read. The values are the
// kernel's own: memory in use and free, the live threads, the limits
// prlimit64 reports, and the time since the program started, all of which
// counts as user time (as getrusage says).

const (
	procSelfStat   = "/proc/self/stat"
	procSelfLimits = "/proc/self/limits"
	procStat       = "/proc/stat"
	procMeminfo    = "/proc/meminfo"
	procSelfStatus = "/proc/self/status"
	procCmdline    = "/proc/self/cmdline"
	procEnviron    = "/proc/self/environ"
	procUptime     = "/proc/uptime"
	procLoadavg    = "/proc/loadavg"
	procSelfFD     = "/proc/self/fd"
)

// procPaths are the files procFill makes on open.
var procPaths = [...]string{procSelfStat, procSelfLimits, procStat, procMeminfo,
	procSelfStatus, procCmdline, procEnviron, procUptime, procLoadavg}

// userHz is the unit of the clock-tick fields: USER_HZ, 100 on x86-64.
const userHz = 100

var (
	procInos [len(procPaths)]uint64 // the files' nodes
	fdDirIno uint64                 // /proc/self/fd's node
	procBuf  [4 << 10]byte
	startNs  int64 // nanotime when the program started
)

// setupProcFiles creates the files (empty) at boot, and /proc/PID as a
// link to /proc/self (Linux links the other way; readers that look the
// program up by its ID find the same files), and notes the start.
func setupProcFiles() {
	startNs = nanotime()
	var name [24]byte
	t := text{b: name[:]}
	t.s("/proc/").u(uint64(processID()))
	memfs.SetLink(unsafeString(t.b[:t.n]), "self")
	for k, path := range procPaths {
		mode := uint32(0o444)
		if path == procEnviron {
			mode = 0o400
		}
		procInos[k] = makeOnOpen(path, mode)
	}
	var st memfs.Stat
	if memfs.MkdirAll(procSelfFD, 0o500) == 0 && memfs.StatAt(memfs.NoFile, procSelfFD, &st, 0) == 0 {
		fdDirIno = st.Ino
	}
}

// makeOnOpen creates the empty file at path, which refreshOpened fills
// whenever it is opened, and returns its node (0 if it could not).
func makeOnOpen(path string, mode uint32) uint64 {
	var st memfs.Stat
	if memfs.WriteFile(path, nil, mode) != 0 || memfs.StatAt(memfs.NoFile, path, &st, 0) != 0 {
		return 0
	}
	return st.Ino
}

// refreshProcFile rewrites the file f was just opened on if it is one of
// these, and reports whether it was.
func refreshProcFile(f memfs.File) bool {
	ino := memfs.Ino(f)
	if fdDirIno != 0 && ino == fdDirIno {
		fillFDDir()
		return true
	}
	for k, want := range procInos {
		if want != 0 && ino == want {
			t := text{b: procBuf[:]}
			procFill(procPaths[k], &t)
			memfs.WriteFile(procPaths[k], t.b[:t.n], 0) // the node keeps its mode
			return true
		}
	}
	return false
}

// procFill writes the text of the file at path.
func procFill(path string, t *text) {
	up := nanotime() - startNs
	ticks := uint64(up / (1e9 / userHz))
	switch path {
	case procSelfStat:
		// pid (comm) state ppid pgrp session tty_nr tpgid flags minflt
		// cminflt majflt cmajflt utime stime cutime cstime priority nice
		// num_threads itrealvalue starttime vsize rss rsslim, then 27
		// fields this kernel has no values for, 52 in all.
		pid := uint64(processID())
		t.u(pid).s(" (")
		t.s(progName()).s(") R 0 ").u(pid).s(" ").u(pid).s(" 0 -1 4194304 0 0 0 0 ")
		t.u(ticks).s(" 0 0 0 20 0 ").u(uint64(max(nLive, 1))).s(" 0 ").u(uint64(startNs / (1e9 / userHz))).s(" ")
		t.u(usedFrames * pageSize).s(" ").u(usedFrames).s(" 18446744073709551615")
		for f := 26; f <= 52; f++ {
			if f == 38 {
				t.s(" 17") // exit_signal: SIGCHLD
			} else {
				t.s(" 0")
			}
		}
		t.s("\n")
	case procSelfLimits:
		t.s("Limit                     Soft Limit           Hard Limit           Units     \n")
		for _, l := range [...]struct {
			name, unit string
			res        uint64
		}{
			{"Max cpu time", "seconds", 0}, {"Max file size", "bytes", 1}, {"Max data size", "bytes", 2},
			{"Max stack size", "bytes", rlimitStack}, {"Max core file size", "bytes", 4},
			{"Max resident set", "bytes", 5}, {"Max processes", "processes", 6},
			{"Max open files", "files", rlimitNofile}, {"Max locked memory", "bytes", 8},
			{"Max address space", "bytes", 9}, {"Max file locks", "locks", 10},
			{"Max pending signals", "signals", 11}, {"Max msgqueue size", "bytes", 12},
			{"Max nice priority", "", 13}, {"Max realtime priority", "", 14},
			{"Max realtime timeout", "us", 15},
		} {
			soft, hard := rlimit(l.res)
			t.pad(l.name, 26).limit(soft, 21).limit(hard, 21).pad(l.unit, 10).s("\n")
		}
	case procStat:
		t.s("cpu  ").u(ticks).s(" 0 0 0 0 0 0 0 0 0\ncpu0 ").u(ticks).s(" 0 0 0 0 0 0 0 0 0\n")
		t.s("intr 0\nctxt 0\nbtime ").u(uint64((walltime() - nanotime()) / 1e9))
		t.s("\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n")
	case procSelfStatus:
		// The fields ps-like code reads, in Linux's order and format.
		t.s("Name:\t").s(progName()).s("\nUmask:\t0022\nState:\tR (running)\nTgid:\t").u(uint64(processID()))
		t.s("\nNgid:\t0\nPid:\t").u(uint64(processID())).s("\nPPid:\t0\nTracerPid:\t0\n")
		for _, c := range [...]struct {
			name string
			ids  *ids
		}{{"Uid:", &uids}, {"Gid:", &gids}} {
			t.s(c.name).s("\t").u(uint64(c.ids.real)).s("\t").u(uint64(c.ids.eff)).s("\t").u(uint64(c.ids.saved)).s("\t").u(uint64(c.ids.fs)).s("\n")
		}
		t.s("FDSize:\t").u(fdLimit).s("\nVmSize:\t").uw(usedFrames*pageSize>>10, 8).s(" kB\nVmRSS:\t").uw(usedFrames*pageSize>>10, 8)
		t.s(" kB\nThreads:\t").u(uint64(max(nLive, 1))).s("\n")
	case procCmdline:
		t.s(unsafeString(argBuf[:envOff]))
	case procEnviron:
		writeEnviron(t)
	case procUptime: // seconds since boot and idle, to the hundredth; this CPU is never idle
		boot := nanotime() // the host's boot in the sandbox, as sysinfo(2) says
		t.u(uint64(boot / 1e9)).s(".")
		if cs := uint64(boot % 1e9 / 1e7); cs < 10 {
			t.s("0").u(cs)
		} else {
			t.u(cs)
		}
		t.s(" 0.00\n")
	case procLoadavg:
		t.s("0.00 0.00 0.00 1/").u(uint64(max(nLive, 1))).s(" ").u(uint64(processID())).s("\n")
	case procMeminfo:
		total, free := (usedFrames+freeFrames)*pageSize>>10, freeFrames*pageSize>>10
		for _, l := range [...]struct {
			name string
			kb   uint64
		}{{"MemTotal:", total}, {"MemFree:", free}, {"MemAvailable:", free}, {"Buffers:", 0}, {"Cached:", 0}, {"SwapTotal:", 0}, {"SwapFree:", 0}} {
			t.pad(l.name, 16).s("")
			t.uw(l.kb, 8).s(" kB\n")
		}
	}
}

// fillFDDir makes /proc/self/fd's entries: a symbolic link per open
// descriptor, named by its number, to what Linux names there for a device,
// a pipe, a socket or an epoll or eventfd instance. A regular file, whose
// path memfs does not keep, links to "memfs:[INODE]".
func fillFDDir() {
	memfs.ClearDir(procSelfFD)
	var pathBuf, targetBuf [64]byte
	for fd := 0; fd < fdLimit; fd++ {
		e := &fds[fd]
		if e.kind == fdNone {
			continue
		}
		p := text{b: pathBuf[:]}
		p.s(procSelfFD).s("/").u(uint64(fd))
		t := text{b: targetBuf[:]}
		switch e.kind {
		case fdFile:
			f := memfs.File(e.obj)
			if dev, isDev := memfs.Device(f); isDev {
				t.s("/dev/").s(memfs.DeviceName(dev))
			} else {
				t.s("memfs:[").u(memfs.Ino(f)).s("]")
			}
		case fdEpoll:
			t.s("anon_inode:[eventpoll]")
		case fdEventfd:
			t.s("anon_inode:[eventfd]")
		case fdPipeRead, fdPipeWrite:
			t.s("pipe:[").u(uint64(e.obj)).s("]")
		case fdSocket:
			t.s("socket:[").u(uint64(e.obj)).s("]")
		}
		memfs.SetLink(unsafeString(p.b[:p.n]), unsafeString(t.b[:t.n]))
	}
}

// progName is the program's name as Linux's comm keeps it: the last
// element of argv[0], at most 15 bytes.
func progName() string {
	name := cstring(argBuf[:])
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			name = name[i+1:]
			break
		}
	}
	return name[:min(len(name), 15)]
}

// rlimit returns resource res's limits as prlimit64 reports them.
func rlimit(res uint64) (soft, hard uint64) {
	switch res {
	case rlimitNofile:
		return fdLimit, fdLimit
	case rlimitStack:
		return mainStackSize, rlimInfinity
	}
	return rlimInfinity, rlimInfinity
}

// text builds a file's contents in a fixed buffer; what does not fit is
// left out.
type text struct {
	b []byte
	n int
}

func (t *text) s(v string) *text {
	t.n += copy(t.b[t.n:], v)
	return t
}

// u writes v in decimal.
func (t *text) u(v uint64) *text { return t.uw(v, 0) }

// uw writes v in decimal, right-aligned in width columns.
func (t *text) uw(v uint64, width int) *text {
	var d [20]byte
	n := putDec(d[:], v)
	for k := n; k < width; k++ {
		t.s(" ")
	}
	return t.s(unsafeString(d[:n]))
}

// pad writes v left-aligned in width columns.
func (t *text) pad(v string, width int) *text {
	t.s(v)
	for k := len(v); k < width; k++ {
		t.s(" ")
	}
	return t
}

// limit writes a limit left-aligned in width columns, "unlimited" for none.
func (t *text) limit(v uint64, width int) *text {
	start := t.n
	if v == rlimInfinity {
		t.s("unlimited")
	} else {
		t.u(v)
	}
	for k := t.n - start; k < width; k++ {
		t.s(" ")
	}
	return t
}
