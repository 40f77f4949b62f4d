package tests

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHello(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	r := gobi(t, invocation{}, "run", "-timeout", "3m", "./examples/hello")
	r.want(t, 3, []string{
		"hello from Gobi: 3 goroutines\n",
		"goroutine 0: timer fired", "goroutine 1: timer fired", "goroutine 2: timer fired",
		"all 3 goroutines done; exiting with status 3\n",
	}, []string{"gobi: compiling github.com/gobi-os/gobi/examples/hello with the Gobi kernel"})
	// Flags after the package are the program's; one leading -- is dropped.
	r = gobi(t, invocation{}, "run", "-timeout", "3m", "./examples/hello", "--", "-exit", "0", "-n", "5")
	r.want(t, 0, []string{"goroutine 4: timer fired", "exiting with status 0\n"}, nil)
}

func TestArgsAndEnvironment(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	args := []string{"a b", "", "-e", "ünï", "--"}
	r := runGuest(t, invocation{}, []string{"-e", "A=1", "-e", "B=two words", "-e", "EMPTY="}, "args", args...)
	wantArgsAndEnv(t, r, args, []string{"A=1", "B=two words", "EMPTY="})
}

// wantArgsAndEnv checks the guest's args mode output: exactly these
// arguments after the mode, and exactly this environment.
func wantArgsAndEnv(t *testing.T, r result, args, env []string) {
	t.Helper()
	r.want(t, 0, nil, nil)
	var got struct{ Args, Env []string }
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("guest output %q: %v", r.stdout, err)
	}
	if !slices.Equal(got.Args, args) {
		t.Errorf("guest os.Args[2:] = %q, want %q", got.Args, args)
	}
	if !slices.Equal(got.Env, env) {
		t.Errorf("guest environment = %q, want exactly %q", got.Env, env)
	}
}

func TestNilDereferencePanics(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	r := runGuest(t, invocation{}, nil, "nilderef")
	r.want(t, 2, []string{"about to dereference nil\n"}, []string{
		"panic: runtime error: invalid memory address or nil pointer dereference",
		"[signal SIGSEGV: segmentation violation",
		"goroutine 1 [running]:",
		"main.nilDeref(",
	})
}

func TestBadPointerFails(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	r := runGuest(t, invocation{}, nil, "badptr")
	r.want(t, 0, []string{"writing from a bad pointer\nwrite: bad address\nwriting from an inaccessible page\nwrite: bad address\n"}, nil)
}

// TestAllThreadsSyscall: syscall.Setgroups runs on every thread while one
// waits in a blocking read, which the runtime's signal interrupts and
// restarts (SA_RESTART), as on Linux.
func TestAllThreadsSyscall(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	r := runGuest(t, invocation{}, nil, "allthreads")
	r.want(t, 0, []string{"setgroups done\nread \"after\" <nil>\n"}, nil)
}

// credsWant is what the guest's creds mode prints on Linux, run as root
// on the host as the first process of a new PID namespace (`unshare -p -f
// --mount-proc`): root sets groups and IDs, gives root up for good, and is
// then refused both; CAP_SETUID leaves the effective set with the effective
// ID and the permitted set with the last ID that was 0; and the program has
// no parent it can see.
const credsWant = "" +
	"start: <nil> uid [0 0 0] gid [0 0 0] groups [] setuid cap 1/1\n" +
	"setgroups: <nil> uid [0 0 0] gid [0 0 0] groups [10 20] setuid cap 1/1\n" +
	"setresgid: <nil> uid [0 0 0] gid [100 100 100] groups [10 20] setuid cap 1/1\n" +
	"seteuid: <nil> uid [0 1000 0] gid [100 100 100] groups [10 20] setuid cap 0/1\n" +
	"seteuid back: <nil> uid [0 0 0] gid [100 100 100] groups [10 20] setuid cap 1/1\n" +
	"setuid: <nil> uid [65534 65534 65534] gid [100 100 100] groups [10 20] setuid cap 0/0\n" +
	"setuid root: operation not permitted uid [65534 65534 65534] gid [100 100 100] groups [10 20] setuid cap 0/0\n" +
	"setgroups again: operation not permitted uid [65534 65534 65534] gid [100 100 100] groups [10 20] setuid cap 0/0\n" +
	"getuid 65534 geteuid 65534 getgid 100\n" +
	"getppid 0\n"

// TestCredentials: the guest starts as root and drops it; the identity
// calls report what Linux reports, step by step.
func TestCredentials(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "creds").want(t, 0, []string{credsWant}, nil)
}

// prctlWant is what the guest's prctl mode prints on Linux, run as root on
// the host (built without cgo, so AllThreadsSyscall works).
const prctlWant = "" +
	"keepcaps 0\n" +
	"set keepcaps 1: <nil> 1\n" +
	"set keepcaps 2: invalid argument 1\n" +
	"keepcaps 0 on all threads: true 0\n" +
	"dumpable 1 set 0: <nil> 0\n" +
	"set no_new_privs 0: invalid argument\n" +
	"set no_new_privs 1: <nil> 1\n"

// msgFlagsWant is what the guest's msgflags mode prints on Linux: UDP and
// unix datagram and record (SOCK_SEQPACKET) socket pairs.
const msgFlagsWant = "" +
	"udp: n 10 trunc true cloexec false <nil>\n" +
	"udp: n 5 trunc false cloexec false <nil>\n" +
	"unix 2, MSG_TRUNC: n 50 trunc true <nil>\n" +
	"unix 2, MSG_CMSG_CLOEXEC: n 5 flags 0x40000000 <nil>\n" +
	"unix 2, closed: write connection refused read -1 resource temporarily unavailable\n" +
	"unix 5, MSG_TRUNC: n 50 trunc true <nil>\n" +
	"unix 5, MSG_CMSG_CLOEXEC: n 5 flags 0x40000000 <nil>\n" +
	"unix 5, closed: write broken pipe read 0 <nil>\n"

// TestMsgFlags: recvmsg reports a cut datagram in msg_flags, and datagram
// and record socket pairs behave as Linux's, also once one end is closed.
func TestMsgFlags(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "msgflags").want(t, 0, []string{msgFlagsWant}, nil)
}

// peerCloseWant is what the guest's peerclose mode prints on Linux (SIGPIPE
// is ignored there: Go ignores it for writes that are not to stdout or
// stderr).
const peerCloseWant = "" +
	"tcp: read \"bye\\n\" <nil>\n" +
	"tcp: first write after close: <nil>\n" +
	"tcp: second write after close: true\n" +
	"unix: first write after close: broken pipe\n"

// TestPeerClose: writing to a stream socket whose peer closed fails as on
// Linux: over TCP one write later than over a unix socket.
func TestPeerClose(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "peerclose").want(t, 0, []string{peerCloseWant}, nil)
}

// selfDialWant is what the guest's selfdial mode prints on Linux.
const selfDialWant = "" +
	"client's own address is the dialed one: true\n" +
	"server's peer is the client: true\n"

// TestSelfDial: a connection to the guest's own network address has that
// address at both ends, as on Linux.
func TestSelfDial(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "selfdial").want(t, 0, []string{selfDialWant}, nil)
}

// sockOptsWant is what the guest's sockopts mode prints on Linux.
const sockOptsWant = "" +
	"SO_RCVBUF set 1: <nil>, reads 2304 <nil>\n" +
	"SO_RCVBUF set 65536: <nil>, reads 131072 <nil>\n" +
	"SO_SNDBUF set 1: <nil>, reads 4608 <nil>\n" +
	"SO_SNDBUF set 65536: <nil>, reads 131072 <nil>\n" +
	"TCP_KEEPIDLE: default 7200 <nil>, set 15: <nil>, reads 15 <nil>\n" +
	"TCP_KEEPINTVL: default 75 <nil>, set 15: <nil>, reads 15 <nil>\n" +
	"TCP_KEEPCNT: default 9 <nil>, set 3: <nil>, reads 3 <nil>\n" +
	"SO_REUSEPORT: default 0 <nil>, set 1: <nil>, reads 1 <nil>\n" +
	"IP_TTL: default 64 <nil>, set 32: <nil>, reads 32 <nil>\n" +
	"TCP_QUICKACK: default 1 <nil>, set 0: <nil>, reads 0 <nil>\n" +
	"non-blocking connect to a closed port: operation now in progress\n" +
	"then SO_ERROR: connection refused\n" +
	"net.Dial to it: refused: true\n" +
	"udp write to an unbound port: <nil>\n" +
	"then read: refused: true\n"

// TestSockOpts: socket options read back (buffer sizes doubled, others'
// defaults), a refused non-blocking connect and UDP's port unreachable as
// on Linux.
func TestSockOpts(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "sockopts").want(t, 0, []string{sockOptsWant}, nil)
}

// fileLocksWant is what the guest's filelocks mode prints on Linux.
const fileLocksWant = "" +
	"a LOCK_EX: <nil>\n" +
	"b LOCK_SH|LOCK_NB: resource temporarily unavailable\n" +
	"b LOCK_SH waits\n" +
	"a LOCK_UN: <nil>\n" +
	"b LOCK_SH granted: <nil>\n" +
	"a LOCK_SH beside it: <nil>\n" +
	"a LOCK_EX|LOCK_NB: resource temporarily unavailable\n" +
	"a LOCK_EX after b closed: <nil>\n" +
	"a's dup shares the lock: <nil>\n" +
	"F_SETLK write lock: <nil>\n" +
	"F_GETLK: <nil> type 2\n" +
	"F_SETLK write lock on a read-only open: bad file descriptor\n" +
	"fallocate 8192: <nil>\n" +
	"size: 8192\n" +
	"fallocate KEEP_SIZE: <nil>\n" +
	"size: 8192\n" +
	"statfs: <nil> sane: true\n" +
	"fstatfs: <nil> sane: true\n"

// TestFileLocks: flock, record locks, fallocate and statfs answer as on
// Linux (databases such as bbolt and SQLite need them).
func TestFileLocks(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "filelocks").want(t, 0, []string{fileLocksWant}, nil)
}

// procSelfWant is what the guest's procself mode prints on Linux.
const procSelfWant = "" +
	"stat: pid: true fields: true\n" +
	"stat: threads: true rss: true\n" +
	"stat: /proc/self is the same process: true\n" +
	"limits: <nil> true\n" +
	"fd: <nil> true\n" +
	"stat btime: <nil> true\n" +
	"meminfo: <nil> true true\n" +
	"status: <nil> true true\n" +
	"cmdline is argv: <nil> true\n" +
	"environ is the environment: <nil> true\n" +
	"uptime: <nil> true\n" +
	"loadavg fields: <nil> 5\n"

// TestProcSelf: /proc/PID/stat, /proc/self/status, limits, fd, cmdline and
// environ, /proc/stat, meminfo, uptime and loadavg exist and parse as
// Linux's do.
func TestProcSelf(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "procself").want(t, 0, []string{procSelfWant}, nil)
}

// timeCallsWant is what the guest's timecalls mode prints on Linux.
const timeCallsWant = "" +
	"gettimeofday: <nil> agrees with time.Now: true\n" +
	"time: true agrees with time.Now: true\n" +
	"clock_getres(CLOCK_MONOTONIC): true 1ns: true\n" +
	"clock_getres(bad clock): invalid argument\n" +
	"sched_setaffinity: true\n"

// TestTimeCalls: gettimeofday, time, clock_getres and sched_setaffinity
// answer as on Linux.
func TestTimeCalls(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "timecalls").want(t, 0, []string{timeCallsWant}, nil)
}

// itimersWant is what the guest's itimers mode prints, on Linux too.
const itimersWant = "" +
	"samples >= 5: true hog named: true\n" +
	"setitimer: true armed: true\n" +
	"SIGALRM after >= 50ms: true\n" +
	"disarmed after: true\n"

// TestItimers: runtime/pprof's CPU profile has samples, naming the function
// that used the CPU (ITIMER_PROF), and ITIMER_REAL sends SIGALRM once.
func TestItimers(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "itimers").want(t, 0, []string{itimersWant}, nil)
}

// TestProcMaps: /proc/self/maps shows the program's code in an executable
// mapping named as /proc/self/exe is, and its heap in a writable one.
func TestProcMaps(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "procmaps").want(t, 0, []string{"code in r-xp true heap in rw-p true\n"}, nil)
}

// scmWant is what the guest's scm mode prints on Linux, run as root.
const scmWant = "" +
	"rights: n 1 fds 1 new true cloexec true ctrunc false; through the passed descriptor\n" +
	"truncated: n 1 fds 2 ctrunc true <nil>\n" +
	"creds: pid true uid 0 gid 0\n"

// TestSCM: descriptors and credentials pass over unix sockets as on Linux.
func TestSCM(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "scm").want(t, 0, []string{scmWant}, nil)
}

// TestPrctl: the flags prctl keeps read back as Linux's do.
func TestPrctl(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	runGuest(t, invocation{}, nil, "prctl").want(t, 0, []string{prctlWant}, nil)
}

// interfacesWant is what the guest's interfaces mode prints, on QEMU's
// user network or gobi's (10.0.2.15/24 from DHCP), after the card's line;
// with -net none only the first line and the loopback addresses.
var interfacesWant = []string{
	"1 lo mtu 65536 mac \"\" flags up|loopback|running addrs [127.0.0.1/8 ::1/128] <nil>\n",
	"flags up|broadcast|multicast|running addrs [10.0.2.15/24] <nil>\n" +
		"all: [127.0.0.1/8 10.0.2.15/24 ::1/128] <nil>\n" +
		"bad request: <nil>\nbad request: <nil>\nbad request: <nil>\n" +
		"unknown request: <nil>\nanswer: error operation not supported seq 7\n",
}

// TestInterfaces: net.Interfaces and net.InterfaceAddrs list the loopback
// and the card with its address and DHCP's prefix (rtnetlink served by the
// kernel), and bad route requests get Linux's answers.
func TestInterfaces(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	r := runGuest(t, invocation{}, nil, "interfaces")
	r.want(t, 0, append(interfacesWant, "2 eth0 mtu 1500 mac \"52:54:00:12:34:56\" "), nil)
	r = runGuest(t, invocation{}, []string{"-net", "none"}, "interfaces")
	r.want(t, 0, []string{interfacesWant[0] + "all: [127.0.0.1/8 ::1/128] <nil>\n"}, nil)
}

func TestAsyncPreemption(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	r := runGuest(t, invocation{}, nil, "spin")
	r.want(t, 0, []string{"main ran while a goroutine spun\n"}, nil)
}

func TestGCStress(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	r := runGuest(t, invocation{}, []string{"-m", "256M"}, "gc")
	r.want(t, 0, []string{"allocated 20"}, nil)
}

func TestClock(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	// The guest's wall clock comes from the RTC at boot: allow its rounding.
	wantClock(t, 2*time.Second, func() result { return runGuest(t, invocation{}, nil, "clock") })
}

// wantClock runs the guest's clock mode and checks that its time.Now()
// fell within the run (give or take slack) and that time.Sleep(100ms)
// slept that long, but not grossly longer.
func wantClock(t *testing.T, slack time.Duration, run func() result) {
	t.Helper()
	before := time.Now()
	r := run()
	after := time.Now()
	r.want(t, 0, nil, nil)
	lines := strings.Fields(r.stdout)
	if len(lines) != 2 {
		t.Fatalf("guest printed %q, want two numbers", r.stdout)
	}
	now, err1 := strconv.ParseInt(lines[0], 10, 64)
	slept, err2 := strconv.ParseInt(lines[1], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("guest printed %q", r.stdout)
	}
	guest := time.Unix(0, now)
	if guest.Before(before.Add(-slack)) || guest.After(after.Add(slack)) {
		t.Errorf("guest time.Now() = %v, host clock was between %v and %v", guest, before, after)
	}
	if d := time.Duration(slept); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("guest time.Sleep(100ms) took %v", d)
	}
}

func TestRandomDiffersBetweenBoots(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	var seen []string
	for range 2 {
		r := runGuest(t, invocation{}, nil, "random")
		r.want(t, 0, nil, nil)
		b, err := hex.DecodeString(strings.TrimSpace(r.stdout))
		if err != nil || len(b) != 32 {
			t.Fatalf("guest printed %q", r.stdout)
		}
		if slices.Equal(b, make([]byte, 32)) {
			t.Errorf("crypto/rand gave zeros")
		}
		seen = append(seen, r.stdout)
	}
	if seen[0] == seen[1] {
		t.Errorf("two boots read the same random bytes %s", seen[0])
	}
}

func TestStreams(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	in := "hello\xffworld\n"
	r := runGuest(t, invocation{stdin: in}, nil, "streams")
	r.want(t, 0, []string{"this goes to stdout\n", "stdin: 12 bytes: " + strconv.Quote(in) + "\n"},
		[]string{"this goes to stderr\n"})
	if strings.Contains(r.stdout, "stderr") || strings.Contains(r.stderr, "this goes to stdout") {
		t.Errorf("streams mixed:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

func TestStdinThroughPoller(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	wantLateStdin(t, "run", "-timeout", "3m", guestImage(t), "pollstdin")
}

// wantLateStdin runs the guest's pollstdin mode with args and sends its
// input only after the program says it is ready, so the input arrives while
// the program waits for it in epoll: the console must wake that wait.
func wantLateStdin(t *testing.T, args ...string) {
	t.Helper()
	g := startReady(t, args...)
	// Long enough for the program to block in epoll_pwait.
	time.Sleep(500 * time.Millisecond)
	in := "hello\xffworld\n"
	io.WriteString(g.stdin, in)
	g.stdin.Close()
	out, err := g.rest()
	if err != nil {
		t.Errorf("gobi %s: %v\nstderr:\n%s", strings.Join(args, " "), err, g.stderr.String())
	}
	if want := "stdin: 12 bytes: " + strconv.Quote(in) + "\n"; out != want {
		t.Errorf("stdout after ready: %q, want %q\nstderr:\n%s", out, want, g.stderr.String())
	}
}

// readyGuest is a gobi command whose program has printed "ready".
type readyGuest struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner // stdout after "ready"
	stderr *strings.Builder
}

// startReady starts gobi with args (a guest mode that prints "ready" when
// it waits for the test) and returns once that line arrives. The command
// is bounded by 3 minutes; the test fails if it never gets ready.
func startReady(t *testing.T, args ...string) *readyGuest {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	g := &readyGuest{cmd: exec.CommandContext(ctx, gobiBin, args...), stderr: &strings.Builder{}}
	t.Cleanup(cancel)
	g.cmd.Dir = repo
	g.cmd.Stderr = g.stderr
	var err error
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := g.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g.lines = bufio.NewScanner(stdout)
	if !g.lines.Scan() || g.lines.Text() != "ready" {
		g.cmd.Process.Kill()
		g.cmd.Wait()
		t.Fatalf("guest did not get ready: %q\nstderr:\n%s", g.lines.Text(), g.stderr.String())
	}
	return g
}

// rest returns the rest of the program's stdout once gobi has exited, and
// how gobi exited.
func (g *readyGuest) rest() (string, error) {
	var out strings.Builder
	for g.lines.Scan() {
		out.WriteString(g.lines.Text() + "\n")
	}
	return out.String(), g.cmd.Wait()
}

func TestSIGTERMReachesProgram(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	wantSIGTERMHandled(t, "run", "-timeout", "2m", guestImage(t), "sigterm")
}

// wantSIGTERMHandled runs gobi with args (the guest's sigterm mode), sends
// gobi SIGTERM once the program is ready, and checks that the program's own
// handler ran and chose the exit status.
func wantSIGTERMHandled(t *testing.T, args ...string) {
	t.Helper()
	g := startReady(t, args...)
	g.cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := g.rest()
	if status := exitStatus(g.cmd.ProcessState); status != 7 || !strings.Contains(rest, "got terminated") {
		t.Errorf("after SIGTERM: status %d, stdout %q, want 7 and the handler's message\nstderr:\n%s", status, rest, g.stderr.String())
	}
}

func TestTimeoutDumpsGoroutines(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	img := guestImage(t)
	r := gobi(t, invocation{}, "run", "-timeout", "5s", img, "hang")
	r.want(t, 124, []string{"hanging\n"}, []string{
		"gobi: timed out after 5s",
		"SIGQUIT: quit",
		"[select (no cases)]:",
		"main.hang(",
	})
}

// A program in its own module, whose go.mod knows nothing of Gobi, runs
// with an installed gobi from an unrelated directory.
func TestForeignModule(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	mod := t.TempDir()
	for _, name := range []string{"go.mod", "main.go"} {
		data, err := os.ReadFile(filepath.Join(repo, "tests", "testdata", "foreignmod", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	elsewhere := t.TempDir()
	r := gobi(t, invocation{dir: elsewhere}, "run", "-timeout", "3m", mod, "x", "y")
	r.want(t, 4, []string{"hello from a foreign module: x y\n"}, []string{"gobi: compiling example.com/foreign"})
	// gobi build -o is relative to gobi's working directory, not the module's.
	r = gobi(t, invocation{dir: elsewhere}, "build", "-o", "foreign.img", mod)
	r.want(t, 0, nil, []string{"gobi: built "})
	r = gobi(t, invocation{dir: elsewhere}, "run", "-timeout", "3m", "foreign.img", "from", "an", "image")
	r.want(t, 4, []string{"hello from a foreign module: from an image\n"}, nil)
	entries, _ := os.ReadDir(mod)
	if len(entries) != 2 {
		t.Errorf("gobi changed the module directory: %v", entries)
	}
}

// Killing gobi outright (no chance to clean up) still ends its QEMU.
func TestNoQEMULeftBehind(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	// A copy of the image with a unique name, to find this test's QEMU.
	img := filepath.Join(t.TempDir(), "leftbehind.img")
	data, err := os.ReadFile(guestImage(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gobiBin, "run", "-timeout", "2m", img, "hang")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "hanging" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("guest did not start: %q", lines.Text())
	}
	if qemuWith(img) == 0 {
		t.Fatal("found no QEMU running the image")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for qemuWith(img) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("QEMU (pid %d) still runs after gobi was killed", qemuWith(img))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// qemuWith returns the pid of a live QEMU whose command line mentions arg,
// or 0.
func qemuWith(arg string) int {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), "qemu-system") || !strings.Contains(string(b), arg) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(filepath.Dir(p), "stat"))
		if err != nil || strings.Contains(string(stat), ") Z ") { // a zombie is dead
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		return pid
	}
	return 0
}
