// Command guest is the end-to-end tests' guest program: each mode exercises
// one promise of the kernel and gobi run, and prints what the host checks.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: guest MODE [ARGS...]")
		os.Exit(64)
	}
	modes := map[string]func(args []string){
		"args":       args,
		"nilderef":   nilDeref,
		"spin":       spin,
		"gc":         gcStress,
		"clock":      clock,
		"random":     random,
		"streams":    streams,
		"pollstdin":  pollStdin,
		"sigterm":    sigterm,
		"hang":       hang,
		"badptr":     badPointer,
		"allthreads": allThreads,
		"creds":      creds,
		"prctl":      prctlFlags,
		"msgflags":   msgFlags,
		"peerclose":  peerClose,
		"selfdial":   selfDial,
		"sockopts":   sockOpts,
		"filelocks":  fileLocks,
		"procself":   procSelf,
		"timecalls":  timeCalls,
		"itimers":    itimers,
		"procmaps":   procMaps,
		"scm":        scm,
		"interfaces": interfaces,
	}
	mode, ok := modes[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "guest: unknown mode %q\n", os.Args[1])
		os.Exit(64)
	}
	mode(os.Args[2:])
}

// args prints the arguments and the environment as JSON.
func args(rest []string) {
	json.NewEncoder(os.Stdout).Encode(map[string][]string{"args": rest, "env": os.Environ()})
}

type node struct{ next *node }

// nilDeref dereferences a nil pointer: the runtime turns the fault into a
// panic that kills the program with status 2.
func nilDeref([]string) {
	var n *node
	fmt.Println("about to dereference nil")
	fmt.Println(n.next)
}

// spin starts a goroutine looping without function calls on the only P:
// only asynchronous preemption lets main run again.
func spin([]string) {
	runtime.GOMAXPROCS(1)
	started := make(chan bool)
	go func() {
		started <- true
		x := 0
		for {
			x++
		}
	}()
	<-started
	time.Sleep(50 * time.Millisecond)
	fmt.Println("main ran while a goroutine spun")
}

// gcStress allocates 2 GiB in total, 1 MiB at a time, keeping at most
// 32 MiB live.
func gcStress([]string) {
	var live [32][]byte
	const chunk = 1 << 20
	for i := range 2048 {
		b := make([]byte, chunk)
		b[0], b[chunk-1] = byte(i), byte(i)
		live[i%len(live)] = b
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("allocated %d MiB in total, %d GCs\n", ms.TotalAlloc>>20, ms.NumGC)
}

// clock prints the wall clock and how long a 100 ms sleep took.
func clock([]string) {
	fmt.Println(time.Now().UnixNano())
	start := time.Now()
	time.Sleep(100 * time.Millisecond)
	fmt.Println(time.Since(start).Nanoseconds())
}

// random prints 32 bytes from crypto/rand.
func random([]string) {
	b := make([]byte, 32)
	rand.Read(b)
	fmt.Println(hex.EncodeToString(b))
}

// streams writes to stdout and stderr, then reports what came on stdin.
func streams([]string) {
	fmt.Fprintln(os.Stdout, "this goes to stdout")
	fmt.Fprintln(os.Stderr, "this goes to stderr")
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading stdin:", err)
		os.Exit(1)
	}
	fmt.Printf("stdin: %d bytes: %q\n", len(in), in)
}

// pollStdin reads standard input to its end through the runtime's poller,
// as a program that makes it non-blocking does: each read that finds nothing
// waits in epoll for the console to become readable. It says "ready" first,
// so the test can send its input only once the program waits.
func pollStdin([]string) {
	if err := syscall.SetNonblock(0, true); err != nil {
		fmt.Fprintln(os.Stderr, "making stdin non-blocking:", err)
		os.Exit(1)
	}
	// Nothing is sent before "ready": a read now finds nothing and must
	// say so instead of waiting.
	var b [1]byte
	if _, err := syscall.Read(0, b[:]); err != syscall.EAGAIN {
		fmt.Fprintf(os.Stderr, "read of empty non-blocking stdin: %v, want EAGAIN\n", err)
		os.Exit(1)
	}
	f := os.NewFile(0, "stdin")
	if err := f.SetReadDeadline(time.Now().Add(2 * time.Minute)); err != nil {
		fmt.Fprintln(os.Stderr, "stdin is not pollable:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	in, err := io.ReadAll(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading stdin:", err)
		os.Exit(1)
	}
	fmt.Printf("stdin: %d bytes: %q\n", len(in), in)
}

// sigterm waits for SIGTERM and exits 7 when it arrives.
func sigterm([]string) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	fmt.Println("ready")
	s := <-c
	fmt.Printf("got %v, shutting down\n", s)
	os.Exit(7)
}

// hang blocks for good, with a goroutine asleep in a timer so the runtime
// does not call it a deadlock.
func hang([]string) {
	go func() {
		for {
			time.Sleep(time.Hour)
		}
	}()
	fmt.Println("hanging")
	select {}
}

// badPointer passes write(2) an address nothing is mapped at, then one in
// a mapping the program may not read (PROT_NONE), to a pipe. A VM's kernel
// checks its page tables and fails both calls with EFAULT; the sandbox's
// kernel catches the first, and the second kills the process with SIGSEGV
// (docs/sandbox.md).
func badPointer([]string) {
	fmt.Println("writing from a bad pointer")
	_, _, e := syscall.Syscall(syscall.SYS_WRITE, 1, 0x7ead_0000_0000, 16)
	fmt.Println("write:", e)
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		fmt.Println("pipe:", err)
		return
	}
	none, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		fmt.Println("mmap:", err)
		return
	}
	fmt.Println("writing from an inaccessible page")
	_, _, e = syscall.Syscall(syscall.SYS_WRITE, uintptr(p[1]), uintptr(unsafe.Pointer(&none[0])), 16)
	fmt.Println("write:", e)
}

// allThreads makes a call on every thread of the process
// (syscall.AllThreadsSyscall, which Setuid and Setgroups use) while one
// thread waits in the kernel in a blocking read: the runtime signals each
// thread to repeat the call and waits until all have, so the waiting
// thread must take the signal, and its read must then go on waiting.
func allThreads([]string) {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		fmt.Println("pipe:", err)
		os.Exit(1)
	}
	read := make(chan string)
	go func() {
		var b [8]byte
		n, err := syscall.Read(p[0], b[:])
		read <- fmt.Sprintf("read %q %v", b[:max(n, 0)], err)
	}()
	time.Sleep(100 * time.Millisecond) // the reader now waits in the kernel
	if err := syscall.Setgroups([]int{0}); err != nil {
		fmt.Println("setgroups:", err)
		os.Exit(1)
	}
	fmt.Println("setgroups done")
	syscall.Write(p[1], []byte("after"))
	fmt.Println(<-read)
}

// creds drops root as a server does after binding its port, and prints
// what the identity calls report at each step.
func creds([]string) {
	show := func(step string, err error) {
		var u, g [3]uint32
		for nr, ids := range map[uintptr]*[3]uint32{syscall.SYS_GETRESUID: &u, syscall.SYS_GETRESGID: &g} {
			syscall.RawSyscall(nr, uintptr(unsafe.Pointer(&ids[0])), uintptr(unsafe.Pointer(&ids[1])), uintptr(unsafe.Pointer(&ids[2])))
		}
		groups, _ := syscall.Getgroups()
		// CAP_SETUID (7) in the effective and permitted sets (capget(2),
		// version 3).
		hdr := [2]uint32{0x20080522, 0}
		var data [6]uint32
		syscall.RawSyscall(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data)), 0)
		fmt.Printf("%s: %v uid %v gid %v groups %v setuid cap %v/%v\n", step, err, u, g, groups, data[0]>>7&1, data[1]>>7&1)
	}
	show("start", nil)
	show("setgroups", syscall.Setgroups([]int{10, 20}))
	show("setresgid", syscall.Setresgid(100, 100, 100))
	show("seteuid", syscall.Seteuid(1000))
	show("seteuid back", syscall.Seteuid(0))
	show("setuid", syscall.Setuid(65534))
	show("setuid root", syscall.Setuid(0))
	show("setgroups again", syscall.Setgroups(nil))
	fmt.Println("getuid", syscall.Getuid(), "geteuid", syscall.Geteuid(), "getgid", syscall.Getgid())
	fmt.Println("getppid", os.Getppid())
}

// prctlFlags sets and reads back the process flags prctl(2) keeps, one
// of them on every thread at once, as syscall.AllThreadsSyscall does.
func prctlFlags([]string) {
	const getDumpable, setDumpable, getKeepcaps, setKeepcaps, setNoNewPrivs, getNoNewPrivs = 3, 4, 7, 8, 38, 39
	get := func(op uintptr) uintptr {
		r, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, op, 0, 0)
		return r
	}
	set := func(op, v uintptr) error {
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, op, v, 0); e != 0 {
			return e
		}
		return nil
	}
	fmt.Println("keepcaps", get(getKeepcaps))
	fmt.Println("set keepcaps 1:", set(setKeepcaps, 1), get(getKeepcaps))
	fmt.Println("set keepcaps 2:", set(setKeepcaps, 2), get(getKeepcaps))
	_, _, e := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, setKeepcaps, 0, 0)
	fmt.Println("keepcaps 0 on all threads:", e == 0, get(getKeepcaps))
	fmt.Println("dumpable", get(getDumpable), "set 0:", set(setDumpable, 0), get(getDumpable))
	fmt.Println("set no_new_privs 0:", set(setNoNewPrivs, 0))
	fmt.Println("set no_new_privs 1:", set(setNoNewPrivs, 1), get(getNoNewPrivs))
}

// peerClose writes to a stream socket whose peer has closed, after reading
// the peer's end of stream: over TCP on the loopback the first write goes
// (the peer answers it with a reset) and the second fails; over a unix
// socket pair the first fails.
func peerClose([]string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, io.LimitReader(c, 6))
		io.WriteString(c, "bye\n")
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	io.WriteString(c, "hello\n")
	reply, err := io.ReadAll(c)
	fmt.Printf("tcp: read %q %v\n", reply, err)
	_, err = c.Write([]byte("more\n"))
	fmt.Printf("tcp: first write after close: %v\n", err)
	time.Sleep(100 * time.Millisecond) // for the reset
	_, err = c.Write([]byte("more\n"))
	fmt.Printf("tcp: second write after close: %v\n", errors.Is(err, syscall.EPIPE))

	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		fmt.Println("socketpair:", err)
		os.Exit(1)
	}
	syscall.Close(fds[1])
	_, err = syscall.Write(fds[0], []byte("more\n"))
	fmt.Printf("unix: first write after close: %v\n", err)
}

// selfDial connects to this host's own network address (not loopback) and
// prints whether each side sees the addresses Linux gives: the dialed
// address as the client's own, and the client's as the server's peer.
func selfDial([]string) {
	var ip net.IP
	for deadline := time.Now().Add(30 * time.Second); ip == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				ip = n.IP
			}
		}
	}
	if ip == nil {
		fmt.Println("no IPv4 address")
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	peer := make(chan net.Addr, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- nil
			return
		}
		peer <- c.RemoteAddr()
		c.Close()
	}()
	c, err := net.Dial("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)))
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	fmt.Println("client's own address is the dialed one:", c.LocalAddr().(*net.TCPAddr).IP.Equal(ip))
	fmt.Println("server's peer is the client:", (<-peer).String() == c.LocalAddr().String())
}

// sockOpts prints socket behaviour that programs read back: buffer sizes
// after SO_RCVBUF and SO_SNDBUF (Linux doubles them, with a floor), other
// options' defaults and values after a set, and the
// ECONNREFUSED a connected UDP socket receives after sending to a port on
// this host that nobody has bound.
func sockOpts([]string) {
	for _, o := range []struct {
		name string
		opt  int
	}{{"SO_RCVBUF", syscall.SO_RCVBUF}, {"SO_SNDBUF", syscall.SO_SNDBUF}} {
		for _, v := range []int{1, 65536} {
			fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
			if err != nil {
				fmt.Println("socket:", err)
				os.Exit(1)
			}
			err = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, o.opt, v)
			got, gerr := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, o.opt)
			fmt.Printf("%s set %d: %v, reads %d %v\n", o.name, v, err, got, gerr)
			syscall.Close(fd)
		}
	}
	for _, o := range []struct {
		name       string
		level, opt int
		set        int
	}{
		{"TCP_KEEPIDLE", syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 15},
		{"TCP_KEEPINTVL", syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 15},
		{"TCP_KEEPCNT", syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, 3},
		{"SO_REUSEPORT", syscall.SOL_SOCKET, 15, 1},
		{"IP_TTL", syscall.IPPROTO_IP, syscall.IP_TTL, 32},
		{"TCP_QUICKACK", syscall.IPPROTO_TCP, 12, 0},
	} {
		fd, _ := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		def, gerr := syscall.GetsockoptInt(fd, o.level, o.opt)
		serr := syscall.SetsockoptInt(fd, o.level, o.opt, o.set)
		got, gerr2 := syscall.GetsockoptInt(fd, o.level, o.opt)
		fmt.Printf("%s: default %d %v, set %d: %v, reads %d %v\n", o.name, def, gerr, o.set, serr, got, gerr2)
		syscall.Close(fd)
	}
	fd, _ := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: 1, Addr: [4]byte{127, 0, 0, 1}})
	fmt.Println("non-blocking connect to a closed port:", err)
	time.Sleep(50 * time.Millisecond)
	v, _ := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	fmt.Println("then SO_ERROR:", syscall.Errno(v))
	syscall.Close(fd)
	_, err = net.Dial("tcp", "127.0.0.1:1")
	fmt.Println("net.Dial to it: refused:", errors.Is(err, syscall.ECONNREFUSED))
	c, err := net.Dial("udp", "127.0.0.1:9")
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	_, err = c.Write([]byte("anyone?"))
	fmt.Println("udp write to an unbound port:", err)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Read(make([]byte, 16))
	fmt.Println("then read: refused:", errors.Is(err, syscall.ECONNREFUSED))
}

// fileLocks exercises what databases need of a file besides reading and
// writing it: flock(2) between two opens of one file (a waiting lock is
// granted when the holder unlocks, and a close drops the lock), fcntl(2)
// record locks, fallocate(2) and statfs(2).
func fileLocks([]string) {
	d, err := os.MkdirTemp("", "locks")
	if err != nil {
		fmt.Println("mkdirtemp:", err)
		os.Exit(1)
	}
	p := d + "/db"
	a, _ := os.Create(p)
	b, _ := os.Open(p)
	fa, fb := int(a.Fd()), int(b.Fd())
	fmt.Println("a LOCK_EX:", syscall.Flock(fa, syscall.LOCK_EX|syscall.LOCK_NB))
	fmt.Println("b LOCK_SH|LOCK_NB:", syscall.Flock(fb, syscall.LOCK_SH|syscall.LOCK_NB))
	got := make(chan error)
	go func() { got <- syscall.Flock(fb, syscall.LOCK_SH) }()
	select {
	case err := <-got:
		fmt.Println("b LOCK_SH did not wait:", err)
	case <-time.After(200 * time.Millisecond):
		fmt.Println("b LOCK_SH waits")
	}
	fmt.Println("a LOCK_UN:", syscall.Flock(fa, syscall.LOCK_UN))
	fmt.Println("b LOCK_SH granted:", <-got)
	fmt.Println("a LOCK_SH beside it:", syscall.Flock(fa, syscall.LOCK_SH|syscall.LOCK_NB))
	fmt.Println("a LOCK_EX|LOCK_NB:", syscall.Flock(fa, syscall.LOCK_EX|syscall.LOCK_NB))
	b.Close()
	fmt.Println("a LOCK_EX after b closed:", syscall.Flock(fa, syscall.LOCK_EX|syscall.LOCK_NB))
	dup, _ := syscall.Dup(fa)
	fmt.Println("a's dup shares the lock:", syscall.Flock(dup, syscall.LOCK_EX|syscall.LOCK_NB))
	syscall.Close(dup)

	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	fmt.Println("F_SETLK write lock:", syscall.FcntlFlock(a.Fd(), syscall.F_SETLK, &lk))
	lk = syscall.Flock_t{Type: syscall.F_WRLCK}
	err = syscall.FcntlFlock(a.Fd(), syscall.F_GETLK, &lk)
	fmt.Println("F_GETLK:", err, "type", lk.Type)
	r, _ := os.Open(p)
	lk = syscall.Flock_t{Type: syscall.F_WRLCK}
	fmt.Println("F_SETLK write lock on a read-only open:", syscall.FcntlFlock(r.Fd(), syscall.F_SETLK, &lk))
	r.Close()

	fmt.Println("fallocate 8192:", syscall.Fallocate(fa, 0, 0, 8192))
	st, _ := a.Stat()
	fmt.Println("size:", st.Size())
	fmt.Println("fallocate KEEP_SIZE:", syscall.Fallocate(fa, 1, 0, 65536))
	st, _ = a.Stat()
	fmt.Println("size:", st.Size())

	var sf syscall.Statfs_t
	err = syscall.Statfs(d, &sf)
	fmt.Println("statfs:", err, "sane:", sf.Bsize > 0 && sf.Blocks >= sf.Bfree && sf.Bfree > 0 && sf.Namelen == 255)
	err = syscall.Fstatfs(fa, &sf)
	fmt.Println("fstatfs:", err, "sane:", sf.Bsize > 0 && sf.Blocks >= sf.Bfree && sf.Bfree > 0)
	a.Close()
	os.RemoveAll(d)
}

// procSelf reads the /proc files that process metrics libraries read and
// prints whether each says what Linux would about this program.
func procSelf([]string) {
	pid := os.Getpid()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		fmt.Println("stat:", err)
		os.Exit(1)
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	fields := strings.Fields(s[i+1:])
	fmt.Println("stat: pid:", strings.HasPrefix(s, strconv.Itoa(pid)+" ("), "fields:", len(fields)+2 == 52)
	threads, _ := strconv.Atoi(fields[17])
	rss, _ := strconv.Atoi(fields[21])
	fmt.Println("stat: threads:", threads >= 1, "rss:", rss > 0)
	self, _ := os.ReadFile("/proc/self/stat")
	fmt.Println("stat: /proc/self is the same process:", strings.HasPrefix(string(self), strconv.Itoa(pid)+" "))
	limits, err := os.ReadFile("/proc/self/limits")
	fmt.Println("limits:", err, strings.Contains(string(limits), "Max open files"))
	f, _ := os.Open("/proc/self/limits")
	ents, err := os.ReadDir("/proc/self/fd")
	has := map[string]bool{}
	for _, e := range ents {
		has[e.Name()] = true
	}
	fmt.Println("fd:", err, has["0"] && has["1"] && has["2"] && has[strconv.Itoa(int(f.Fd()))])
	f.Close()
	ps, err := os.ReadFile("/proc/stat")
	var btime int64
	for _, l := range strings.Split(string(ps), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			btime, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	fmt.Println("stat btime:", err, btime > 0 && btime <= time.Now().Unix())
	mi, err := os.ReadFile("/proc/meminfo")
	fmt.Println("meminfo:", err, strings.HasPrefix(string(mi), "MemTotal:"), strings.Contains(string(mi), "\nMemAvailable:"))
	st, err := os.ReadFile("/proc/self/status")
	fmt.Println("status:", err, strings.Contains(string(st), "\nPid:\t"+strconv.Itoa(pid)+"\n"), strings.Contains(string(st), "\nThreads:\t"))
	cl, err := os.ReadFile("/proc/self/cmdline")
	fmt.Println("cmdline is argv:", err, string(cl) == strings.Join(os.Args, "\x00")+"\x00")
	env, err := os.ReadFile("/proc/self/environ")
	fmt.Println("environ is the environment:", err, strings.TrimSuffix(string(env), "\x00") == strings.Join(os.Environ(), "\x00"))
	up, err := os.ReadFile("/proc/uptime")
	f0, _, _ := strings.Cut(string(up), " ")
	secs, perr := strconv.ParseFloat(f0, 64)
	fmt.Println("uptime:", err, perr == nil && secs > 0)
	la, err := os.ReadFile("/proc/loadavg")
	fmt.Println("loadavg fields:", err, len(strings.Fields(string(la))))
}

// timeCalls makes the time system calls Go's time package does not, as
// other code does: gettimeofday(2) and time(2) against time.Now,
// clock_getres(2), and the affinity and robust-list calls C-minded code
// makes.
func timeCalls([]string) {
	var tv syscall.Timeval
	err := syscall.Gettimeofday(&tv)
	fmt.Println("gettimeofday:", err, "agrees with time.Now:", time.Since(time.Unix(tv.Sec, tv.Usec*1000)).Abs() < time.Second)
	t, _, errno := syscall.RawSyscall(syscall.SYS_TIME, 0, 0, 0)
	fmt.Println("time:", errno == 0, "agrees with time.Now:", time.Since(time.Unix(int64(t), 0)).Abs() < 2*time.Second)
	var ts syscall.Timespec
	_, _, errno = syscall.RawSyscall(syscall.SYS_CLOCK_GETRES, 1, uintptr(unsafe.Pointer(&ts)), 0)
	fmt.Println("clock_getres(CLOCK_MONOTONIC):", errno == 0, "1ns:", ts.Nano() == 1)
	_, _, errno = syscall.RawSyscall(syscall.SYS_CLOCK_GETRES, 1<<20, uintptr(unsafe.Pointer(&ts)), 0)
	fmt.Println("clock_getres(bad clock):", errno)
	mask := [16]uint64{1}
	_, _, errno = syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
	fmt.Println("sched_setaffinity:", errno == 0)
}

// msgFlags reads datagrams with recvmsg into buffers too small for them
// and prints what msg_flags says, over UDP on the loopback and over a unix
// socket pair.
func msgFlags([]string) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	c.Write(make([]byte, 100))
	c.Write(make([]byte, 5))
	buf := make([]byte, 10)
	for range 2 {
		n, _, flags, _, err := pc.ReadMsgUDP(buf, nil)
		fmt.Printf("udp: n %d trunc %v cloexec %v %v\n", n, flags&syscall.MSG_TRUNC != 0, flags&syscall.MSG_CMSG_CLOEXEC != 0, err)
	}
	for _, typ := range []int{syscall.SOCK_DGRAM, syscall.SOCK_SEQPACKET} {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, typ, 0)
		if err != nil {
			fmt.Println("socketpair:", err)
			os.Exit(1)
		}
		syscall.Write(fds[0], make([]byte, 50))
		n, _, flags, _, err := syscall.Recvmsg(fds[1], buf, nil, syscall.MSG_TRUNC)
		fmt.Printf("unix %d, MSG_TRUNC: n %d trunc %v %v\n", typ, n, flags&syscall.MSG_TRUNC != 0, err)
		syscall.Write(fds[0], make([]byte, 5))
		n, _, flags, _, err = syscall.Recvmsg(fds[1], buf, nil, syscall.MSG_CMSG_CLOEXEC)
		fmt.Printf("unix %d, MSG_CMSG_CLOEXEC: n %d flags %#x %v\n", typ, n, flags, err)
		// The pair's other end closed: a datagram is refused, a record
		// meets a broken pipe, and only the record reader sees the end.
		syscall.Close(fds[1])
		_, err = syscall.Write(fds[0], []byte("x"))
		syscall.SetNonblock(fds[0], true)
		n, rerr := syscall.Read(fds[0], buf)
		fmt.Printf("unix %d, closed: write %v read %d %v\n", typ, err, n, rerr)
		syscall.Close(fds[0])
	}
}

// itimers profiles a CPU-bound function with runtime/pprof, which samples
// on setitimer(ITIMER_PROF), and waits for SIGALRM from ITIMER_REAL.
func itimers([]string) {
	var prof bytes.Buffer
	if err := pprof.StartCPUProfile(&prof); err != nil {
		fmt.Println("profile:", err)
		os.Exit(1)
	}
	hog(400 * time.Millisecond)
	pprof.StopCPUProfile()
	zr, err := gzip.NewReader(&prof)
	if err != nil {
		fmt.Println("profile:", err)
		os.Exit(1)
	}
	raw, _ := io.ReadAll(zr)
	// The function names are in the profile's string table.
	fmt.Println("samples >= 5:", profileSamples(raw) >= 5, "hog named:", bytes.Contains(raw, []byte("main.hog")))

	alarms := make(chan os.Signal, 1)
	signal.Notify(alarms, syscall.SIGALRM)
	// struct itimerval: interval 0, value 50 ms.
	set := [4]int64{0, 0, 0, 50_000}
	var got [4]int64
	start := time.Now()
	_, _, e := syscall.RawSyscall(syscall.SYS_SETITIMER, 0, uintptr(unsafe.Pointer(&set)), 0)
	syscall.RawSyscall(syscall.SYS_GETITIMER, 0, uintptr(unsafe.Pointer(&got)), 0)
	fmt.Println("setitimer:", e == 0, "armed:", got[2]*1_000_000+got[3] > 0 && got[2]*1_000_000+got[3] <= 50_000)
	select {
	case <-alarms:
		fmt.Println("SIGALRM after >= 50ms:", time.Since(start) >= 50*time.Millisecond)
	case <-time.After(10 * time.Second):
		fmt.Println("no SIGALRM")
	}
	syscall.RawSyscall(syscall.SYS_GETITIMER, 0, uintptr(unsafe.Pointer(&got)), 0)
	fmt.Println("disarmed after:", got == [4]int64{})
}

// procMaps finds the program's code and a heap object in /proc/self/maps:
// the code in an r-xp mapping named as /proc/self/exe is, the object in an
// anonymous rw-p one.
func procMaps([]string) {
	// The object first: the runtime may map new heap to hold it.
	obj := new([1 << 20]byte)
	heap := uintptr(unsafe.Pointer(obj))
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		fmt.Println("maps:", err)
		os.Exit(1)
	}
	exe, _ := os.Executable()
	code := reflect.ValueOf(hog).Pointer()
	var text, data bool
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 || !strings.Contains(f[0], "-") {
			fmt.Printf("bad line %q\n", l)
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		name := ""
		if len(f) > 5 {
			name = f[5]
		}
		in := func(a uintptr) bool { return uint64(a) >= start && uint64(a) < end }
		text = text || in(code) && f[1] == "r-xp" && name == exe
		data = data || in(heap) && f[1] == "rw-p"
	}
	runtime.KeepAlive(obj)
	fmt.Println("code in r-xp", text, "heap in rw-p", data)
}

// scm passes descriptors (SCM_RIGHTS) and credentials (SCM_CREDENTIALS)
// over unix socket pairs and prints what arrives.
func scm([]string) {
	fail := func(what string, err error) {
		fmt.Println(what+":", err)
		os.Exit(1)
	}
	sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		fail("socketpair", err)
	}
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		fail("pipe", err)
	}
	// The pipe's write end goes over the socket with one byte; what
	// arrives is a new descriptor for the same pipe.
	if err := syscall.Sendmsg(sp[0], []byte("x"), syscall.UnixRights(p[1]), nil, 0); err != nil {
		fail("sendmsg", err)
	}
	buf, oob := make([]byte, 8), make([]byte, syscall.CmsgSpace(4))
	n, oobn, flags, _, err := syscall.Recvmsg(sp[1], buf, oob, syscall.MSG_CMSG_CLOEXEC)
	if err != nil {
		fail("recvmsg", err)
	}
	msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
	var got []int
	if len(msgs) == 1 {
		got, _ = syscall.ParseUnixRights(&msgs[0])
	}
	cloexec := false
	if len(got) == 1 {
		fl, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(got[0]), syscall.F_GETFD, 0)
		cloexec = fl&syscall.FD_CLOEXEC != 0
		syscall.Write(got[0], []byte("through the passed descriptor"))
		out := make([]byte, 64)
		m, _ := syscall.Read(p[0], out)
		fmt.Printf("rights: n %d fds %d new %v cloexec %v ctrunc %v; %s\n", n, len(got), got[0] != p[1], cloexec, flags&syscall.MSG_CTRUNC != 0, out[:m])
	} else {
		fmt.Println("rights: got", len(got), "descriptors")
	}
	// Three descriptors into room for two: two arrive, and MSG_CTRUNC.
	syscall.Sendmsg(sp[0], []byte("y"), syscall.UnixRights(p[0], p[1], sp[0]), nil, 0)
	n, oobn, flags, _, err = syscall.Recvmsg(sp[1], buf, oob, 0)
	msgs, _ = syscall.ParseSocketControlMessage(oob[:oobn])
	got = got[:0]
	if len(msgs) == 1 {
		got, _ = syscall.ParseUnixRights(&msgs[0])
	}
	fmt.Printf("truncated: n %d fds %d ctrunc %v %v\n", n, len(got), flags&syscall.MSG_CTRUNC != 0, err)
	// A receiver with SO_PASSCRED learns the sender's identity.
	dp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
	if err != nil {
		fail("socketpair", err)
	}
	syscall.SetsockoptInt(dp[1], syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
	syscall.Write(dp[0], []byte("z"))
	oob = make([]byte, syscall.CmsgSpace(syscall.SizeofUcred))
	_, oobn, _, _, err = syscall.Recvmsg(dp[1], buf, oob, 0)
	msgs, _ = syscall.ParseSocketControlMessage(oob[:oobn])
	if len(msgs) == 1 {
		if c, err := syscall.ParseUnixCredentials(&msgs[0]); err == nil {
			fmt.Printf("creds: pid %v uid %d gid %d\n", int(c.Pid) == os.Getpid(), c.Uid, c.Gid)
		}
	} else {
		fmt.Println("creds: none", err)
	}
}

var hogSink uint64

// hog keeps the CPU busy for d.
func hog(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
		for i := 0; i < 10000; i++ {
			hogSink = hogSink*6364136223846793005 + 1442695040888963407
		}
	}
}

// protoFields calls fn with the value of each top-level varint field and
// the bytes of each length-delimited one in a protocol buffer message.
func protoFields(b []byte, fn func(num, v uint64, data []byte)) {
	for len(b) > 0 {
		key, k := binary.Uvarint(b)
		if k <= 0 {
			return
		}
		b = b[k:]
		switch key & 7 {
		case 0: // varint
			v, m := binary.Uvarint(b)
			if m <= 0 {
				return
			}
			fn(key>>3, v, nil)
			k = m
		case 1: // 64-bit
			k = 8
		case 2: // length-delimited
			l, m := binary.Uvarint(b)
			if m <= 0 || uint64(len(b)-m) < l {
				return
			}
			fn(key>>3, 0, b[m:m+int(l)])
			k = m + int(l)
		case 5: // 32-bit
			k = 4
		default:
			return
		}
		if k > len(b) {
			return
		}
		b = b[k:]
	}
}

// profileSamples adds up the first value (the sample count) of every
// sample in a CPU profile (profile.proto: Profile.sample is field 2,
// Sample.value field 2, packed or not).
func profileSamples(raw []byte) uint64 {
	var total uint64
	protoFields(raw, func(num, _ uint64, sample []byte) {
		if num != 2 || sample == nil {
			return
		}
		first := true
		protoFields(sample, func(num, v uint64, packed []byte) {
			if num != 2 || !first {
				return
			}
			first = false
			if packed != nil {
				v, _ = binary.Uvarint(packed)
			}
			total += v
		})
	})
	return total
}

// interfaces lists the interfaces and addresses as net.Interfaces and
// net.InterfaceAddrs read them (rtnetlink), then sends the kernel's route
// socket malformed and unknown requests: each must get an answer or be
// ignored, never stop the program.
func interfaces([]string) {
	ifs, err := net.Interfaces()
	if err != nil {
		fmt.Println("interfaces:", err)
		os.Exit(1)
	}
	for _, i := range ifs {
		addrs, err := i.Addrs()
		fmt.Printf("%d %s mtu %d mac %q flags %v addrs %v %v\n", i.Index, i.Name, i.MTU, i.HardwareAddr.String(), i.Flags, addrs, err)
	}
	addrs, err := net.InterfaceAddrs()
	fmt.Println("all:", addrs, err)

	s, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW, syscall.NETLINK_ROUTE)
	if err != nil {
		fmt.Println("socket:", err)
		os.Exit(1)
	}
	to := &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}
	hdr := func(size, typ, flags int) []byte {
		b := make([]byte, 16)
		b[0], b[1], b[4], b[6], b[7], b[8] = byte(size), byte(size>>8), byte(typ), byte(flags), byte(flags>>8), 7
		return b
	}
	for _, bad := range [][]byte{
		{1, 2, 3},                            // shorter than a header
		hdr(9, syscall.RTM_GETLINK, 0x301),   // a length below the header's
		hdr(999, syscall.RTM_GETLINK, 0x301), // a length beyond the datagram
	} {
		fmt.Println("bad request:", syscall.Sendto(s, bad, 0, to))
	}
	fmt.Println("unknown request:", syscall.Sendto(s, hdr(16, 1000, 0x1), 0, to)) // beyond RTM_MAX
	rb := make([]byte, 4096)
	n, _, err := syscall.Recvfrom(s, rb, 0)
	if err != nil {
		fmt.Println("recvfrom:", err)
		os.Exit(1)
	}
	msgs, err := syscall.ParseNetlinkMessage(rb[:n])
	for _, m := range msgs {
		if m.Header.Type == syscall.NLMSG_ERROR && len(m.Data) >= 4 {
			code := -int32(uint32(m.Data[0]) | uint32(m.Data[1])<<8 | uint32(m.Data[2])<<16 | uint32(m.Data[3])<<24)
			fmt.Println("answer: error", syscall.Errno(code), "seq", m.Header.Seq)
		}
	}
	if err != nil {
		fmt.Println("parse:", err)
	}
}
