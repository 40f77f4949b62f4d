package tests

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
)

// The sandbox target (docs/sandbox.md): the same programs as the VM tests,
// run as seccomp-confined processes. They need no QEMU.

var (
	sandboxGuest = &builtImage{pkg: "./tests/testdata/guest", file: "guest.sandbox", target: "sandbox"}
	sandboxNet   = &builtImage{pkg: "./tests/testdata/netguest", file: "netguest.sandbox", target: "sandbox"}
	sandboxProbe = &builtImage{pkg: "./tests/testdata/sandboxguest", file: "sandboxguest.sandbox", target: "sandbox"}
)

// runSandbox runs the sandbox build of testdata/guest in one of its modes.
func runSandbox(t *testing.T, inv invocation, flags []string, mode string, args ...string) result {
	t.Helper()
	all := append([]string{"run", "-target", "sandbox", "-timeout", "2m"}, flags...)
	all = append(all, sandboxGuest.get(t), mode)
	return gobi(t, inv, append(all, args...)...)
}

func TestSandboxHello(t *testing.T) {
	t.Parallel()
	r := gobi(t, invocation{}, "run", "-target", "sandbox", "-timeout", "1m", "./examples/hello")
	r.want(t, 3, []string{
		"hello from Gobi: 3 goroutines\n",
		"goroutine 0: timer fired", "goroutine 1: timer fired", "goroutine 2: timer fired",
		"all 3 goroutines done; exiting with status 3\n",
	}, []string{"gobi: compiling github.com/gobi-os/gobi/examples/hello with the Gobi kernel for sandbox/amd64"})
	if strings.Contains(r.stderr, "sandbox: refused") || strings.Contains(r.stderr, "unimplemented syscall") {
		t.Errorf("hello made a call the sandbox does not serve:\n%s", r.stderr)
	}
	r = gobi(t, invocation{}, "run", "-target", "sandbox", "-timeout", "1m", "./examples/hello", "--", "-exit", "0", "-n", "5")
	r.want(t, 0, []string{"goroutine 4: timer fired", "exiting with status 0\n"}, nil)
}

// TestSandboxRuntime runs the VM's runtime checks in the sandbox: the same
// outcomes, on the host kernel's threads, memory and signals.
func TestSandboxRuntime(t *testing.T) {
	t.Parallel()
	t.Run("args", func(t *testing.T) {
		args := []string{"a b", "", "-e", "ünï", "--"}
		r := runSandbox(t, invocation{}, []string{"-e", "A=1", "-e", "B=two words", "-e", "EMPTY="}, "args", args...)
		wantArgsAndEnv(t, r, args, []string{"A=1", "B=two words", "EMPTY="})
	})
	t.Run("nilderef", func(t *testing.T) {
		r := runSandbox(t, invocation{}, nil, "nilderef")
		r.want(t, 2, []string{"about to dereference nil\n"}, []string{
			"panic: runtime error: invalid memory address or nil pointer dereference",
			"goroutine 1 [running]:", "main.nilDeref(",
		})
	})
	t.Run("badptr", func(t *testing.T) {
		// Unmapped memory fails with EFAULT as in the VM; an inaccessible
		// mapping is the documented limit: a death gobi explains.
		r := runSandbox(t, invocation{}, nil, "badptr")
		r.want(t, 128+int(syscall.SIGSEGV), []string{"write: bad address\nwriting from an inaccessible page\n"},
			[]string{"gobi: the program died of segmentation fault inside the sandbox's kernel"})
	})
	t.Run("allthreads", func(t *testing.T) {
		// The waiting reader's thread sleeps in the kernel: it must still
		// take the runtime's per-thread signal (waitSignalledFor).
		r := runSandbox(t, invocation{}, []string{"-timeout", "30s"}, "allthreads")
		r.want(t, 0, []string{"setgroups done\nread \"after\" <nil>\n"}, nil)
	})
	t.Run("creds", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "creds").want(t, 0, []string{credsWant}, nil)
	})
	t.Run("scm", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "scm").want(t, 0, []string{scmWant}, nil)
	})
	t.Run("itimers", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "itimers").want(t, 0, []string{itimersWant}, nil)
	})
	t.Run("peerclose", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "peerclose").want(t, 0, []string{peerCloseWant}, nil)
	})
	t.Run("selfdial", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "selfdial").want(t, 0, []string{selfDialWant}, nil)
	})
	t.Run("sockopts", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "sockopts").want(t, 0, []string{sockOptsWant}, nil)
	})
	t.Run("filelocks", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "filelocks").want(t, 0, []string{fileLocksWant}, nil)
	})
	t.Run("procself", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "procself").want(t, 0, []string{procSelfWant}, nil)
	})
	t.Run("timecalls", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "timecalls").want(t, 0, []string{timeCallsWant}, nil)
	})
	t.Run("msgflags", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "msgflags").want(t, 0, []string{msgFlagsWant}, nil)
	})
	t.Run("prctl", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "prctl").want(t, 0, []string{prctlWant}, nil)
	})
	t.Run("interfaces", func(t *testing.T) {
		r := runSandbox(t, invocation{}, nil, "interfaces")
		r.want(t, 0, append(interfacesWant, "2 eth0 mtu 1500 mac \""), nil)
		if strings.Contains(r.stdout, "eth0 mtu 1500 mac \"\"") {
			t.Errorf("eth0 has no hardware address:\n%s", r.stdout)
		}
	})
	t.Run("spin", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "spin").want(t, 0, []string{"main ran while a goroutine spun\n"}, nil)
	})
	t.Run("gc", func(t *testing.T) {
		runSandbox(t, invocation{}, nil, "gc").want(t, 0, []string{"allocated 20"}, nil)
	})
	t.Run("clock", func(t *testing.T) {
		// The host's own clock: no slack.
		wantClock(t, 0, func() result { return runSandbox(t, invocation{}, nil, "clock") })
	})
	t.Run("random", func(t *testing.T) {
		var seen []string
		for range 2 {
			r := runSandbox(t, invocation{}, nil, "random")
			r.want(t, 0, nil, nil)
			if b, err := hex.DecodeString(strings.TrimSpace(r.stdout)); err != nil || len(b) != 32 {
				t.Fatalf("printed %q", r.stdout)
			}
			seen = append(seen, r.stdout)
		}
		if seen[0] == seen[1] {
			t.Errorf("two runs read the same random bytes %s", seen[0])
		}
	})
	t.Run("streams", func(t *testing.T) {
		in := "hello\xffworld\n"
		r := runSandbox(t, invocation{stdin: in}, nil, "streams")
		r.want(t, 0, []string{"this goes to stdout\n", "stdin: 12 bytes: " + strconv.Quote(in) + "\n"},
			[]string{"this goes to stderr\n"})
	})
	t.Run("pollstdin", func(t *testing.T) {
		wantLateStdin(t, "run", "-target", "sandbox", "-timeout", "3m", sandboxGuest.get(t), "pollstdin")
	})
	t.Run("timeout", func(t *testing.T) {
		// The goroutine dump is written from the runtime's SIGQUIT handler:
		// its write traps into the kernel from inside a signal handler.
		r := gobi(t, invocation{}, "run", "-target", "sandbox", "-timeout", "2s", sandboxGuest.get(t), "hang")
		r.want(t, 124, []string{"hanging\n"}, []string{"gobi: timed out after 2s", "SIGQUIT: quit", "main.hang("})
	})
	t.Run("sigterm", func(t *testing.T) {
		wantSIGTERMHandled(t, "run", "-target", "sandbox", "-timeout", "1m", sandboxGuest.get(t), "sigterm")
	})
}

// TestSandboxRefusesHostAccess: every attempt to reach the host is refused
// and the program keeps running; each forbidden call is reported once by
// name; with -strict the first forbidden call kills the program.
func TestSandboxRefusesHostAccess(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	img := sandboxProbe.get(t)
	attempts := []string{"open /etc/passwd", "host socket", "dup2 onto a host descriptor", "execve /bin/sh", "ptrace", "mprotect PROT_EXEC", "fork"}

	r := gobi(t, invocation{}, "run", "-target", "sandbox", "-net", "none", "-timeout", "1m", img, ln.Addr().String(), string(passwd))
	r.want(t, 0, []string{"still running\n"}, nil)
	for _, a := range attempts {
		if !strings.Contains(r.stdout, a+": refused (") {
			t.Errorf("%s was not refused:\n%s", a, r.stdout)
		}
	}
	for _, call := range []string{"execve", "ptrace", "mprotect", "fork"} {
		if n := strings.Count(r.stderr, "sandbox: refused "+call+":"); n != 1 {
			t.Errorf("the refusal of %s was reported %d times, want once:\n%s", call, n, r.stderr)
		}
	}
	select {
	case <-accepted:
		t.Errorf("the sandbox reached the host's listener %s", ln.Addr())
	default:
	}

	r = gobi(t, invocation{}, "run", "-target", "sandbox", "-strict", "-net", "none", "-timeout", "1m", img, ln.Addr().String(), string(passwd))
	r.want(t, 128+int(syscall.SIGSYS), []string{"open /etc/passwd: refused", "host socket: refused", "dup2 onto a host descriptor: refused"},
		[]string{"gobi: the sandbox killed the program at a forbidden system call"})
	if strings.Contains(r.stdout, "execve /bin/sh:") || strings.Contains(r.stdout, "still running") {
		t.Errorf("the program went on after its first forbidden call under -strict:\n%s", r.stdout)
	}
}

// TestSandboxHTTP: an unmodified net/http server in the sandbox answers a
// host client through -p over gobi's user-mode network, as root and as an
// unprivileged user.
func TestSandboxHTTP(t *testing.T) {
	t.Parallel()
	img := sandboxNet.get(t)
	t.Run("root", func(t *testing.T) {
		port := freePort(t)
		startGuest(t, nil, "run", "-target", "sandbox", "-p", fmt.Sprintf("%d:8080", port), img, "serve")
		body := waitHTTP(t, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/hi", port))
		if body != "hello from the guest: /hi\n" {
			t.Errorf("GET /hi = %q", body)
		}
		out, err := exec.Command(mustLookPath(t, "curl"), "-sS", "-m", "20", fmt.Sprintf("http://127.0.0.1:%d/curl", port)).CombinedOutput()
		if err != nil || string(out) != "hello from the guest: /curl\n" {
			t.Errorf("curl: %v: %q", err, out)
		}
	})
	t.Run("unprivileged", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("already unprivileged: the root subtest covers it")
		}
		// Copies nobody can read, in a directory nobody can enter.
		dir, err := os.MkdirTemp("", "gobi-nobody-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		os.Chmod(dir, 0o755)
		bin, prog := filepath.Join(dir, "gobi"), filepath.Join(dir, "netguest")
		copyFile(t, gobiBin, bin)
		copyFile(t, img, prog)
		port := freePort(t)
		g := &background{cmd: exec.Command(bin, "run", "-target", "sandbox", "-p", fmt.Sprintf("%d:8080", port), prog, "serve"), done: make(chan struct{})}
		g.cmd.Dir = dir
		g.cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
		g.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		g.cmd.Stdout, g.cmd.Stderr = lockedWriter{&g.mu, &g.stdout}, lockedWriter{&g.mu, &g.stderr}
		if err := g.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { g.cmd.Wait(); close(g.done) }()
		defer func() {
			g.cmd.Process.Signal(syscall.SIGTERM)
			<-g.done
		}()
		body := waitHTTP(t, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/nobody", port))
		if body != "hello from the guest: /nobody\n" {
			_, stderr := g.output()
			t.Errorf("GET /nobody = %q\nstderr:\n%s", body, stderr)
		}
	})
}

// TestSandboxHTTPS: examples/https (crypto/tls, embed) serves TLS 1.3 from
// the sandbox.
func TestSandboxHTTPS(t *testing.T) {
	t.Parallel()
	checkHTTPS(t, "-target", "sandbox")
}

// TestSandboxGuestClient: the program in the sandbox fetches from a host
// server, gets a UDP echo and resolves a name, through gobi's user-mode
// network (outbound NAT and the -dns address).
func TestSandboxGuestClient(t *testing.T) {
	t.Parallel()
	checkGuestClient(t, sandboxNet.get(t), "-target", "sandbox")
}

// TestSandboxTap: as root, the sandbox's network can be a tap device; a
// client in a network namespace reaches the server in the sandbox.
func TestSandboxTap(t *testing.T) {
	t.Parallel()
	in := tapNamespace(t, "gobi-sbtap", "sbtap0", "10.78.0.1/24")
	startGuest(t, in, "run", "-target", "sandbox", "-net", "tap:sbtap0", "-ip", "10.78.0.2/24", sandboxNet.get(t), "serve")
	curl := append(in[1:], mustLookPath(t, "curl"), "-sS", "-m", "5", "http://10.78.0.2:8080/tap")
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := exec.Command(in[0], curl...).CombinedOutput()
		if err == nil && string(out) == "hello from the guest: /tap\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("curl over the tap device: %v: %q", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSandboxFilterMatchesDocs reads the seccomp filter back from a running
// sandbox (PTRACE_SECCOMP_GET_FILTER, which needs CAP_SYS_ADMIN), runs it
// for every system call number, and compares the calls it lets through with
// the allowlist in docs/sandbox.md.
func TestSandboxFilterMatchesDocs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reading a seccomp filter back needs root")
	}
	t.Parallel()
	documented := docAllowlist(t)
	if len(documented) > 30 {
		t.Errorf("docs/sandbox.md allows %d host calls; the budget is 30", len(documented))
	}

	cmd := exec.Command(gobiBin, "run", "-target", "sandbox", "-timeout", "1m", sandboxGuest.get(t), "hang")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "hanging\n" {
		t.Fatalf("guest printed %q", line)
	}
	pid := childOf(t, cmd.Process.Pid)
	prog := readFilter(t, pid)
	checkSyscall6Patched(t, pid, sandboxGuest.get(t))

	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("the installed filter does not load: %v", err)
	}
	consts := map[uint32]bool{0: true}
	for _, ins := range prog {
		switch i := ins.(type) {
		case bpf.JumpIf:
			consts[i.Val] = true
		}
	}
	allowed := map[int]bool{}
	for nr := 0; nr < 512; nr++ {
		for c := range consts {
			if runFilter(t, vm, nr, [6]uint32{c, c, c, c, c, c}, 0, 0) {
				allowed[nr] = true
			}
		}
		if allowed[nr] {
			continue
		}
		for lo := range consts { // calls allowed only from one instruction
			for hi := range consts {
				if runFilter(t, vm, nr, [6]uint32{}, lo, hi) {
					allowed[nr] = true
				}
			}
		}
	}
	var got, want []int
	for nr := range allowed {
		got = append(got, nr)
	}
	for nr := range documented {
		want = append(want, nr)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the installed filter allows %v; docs/sandbox.md lists %v", got, want)
	}
	// Another architecture's calls never pass.
	data := seccompData(0, 0x40000003, [6]uint32{}, 0, 0) // AUDIT_ARCH_I386
	if r, err := vm.Run(data); err != nil || uint32(r) != 0x80000000 {
		t.Errorf("an i386 call: filter returned %#x, %v; want SECCOMP_RET_KILL_PROCESS", r, err)
	}
}

// checkSyscall6Patched reads the running sandbox's Syscall6 and checks that
// it begins with the kernel's jump to fastSyscall6 (docs/sandbox.md, "Calls
// without a trap"): with it gone every call would still work, only slower,
// which no other test would notice.
func checkSyscall6Patched(t *testing.T, pid int, exe string) {
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	addr := map[string]uint64{}
	for _, s := range syms {
		addr[s.Name] = s.Value
	}
	from, to := addr["internal/runtime/syscall/linux.Syscall6"], addr["gobi/kernel.fastSyscall6"]
	if from == 0 || to == 0 {
		t.Fatalf("%s has no symbols for Syscall6 (%#x) or fastSyscall6 (%#x)", exe, from, to)
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	var code [5]byte
	if _, err := mem.ReadAt(code[:], int64(from)); err != nil {
		t.Fatalf("reading the sandbox's Syscall6: %v", err)
	}
	want := [5]byte{0xe9}
	binary.LittleEndian.PutUint32(want[1:], uint32(int32(int64(to)-int64(from+5))))
	if code != want {
		t.Errorf("the sandbox's Syscall6 at %#x begins % x; want a jump to fastSyscall6 at %#x (% x)", from, code, to, want)
	}
}

// docAllowlist returns the call numbers of docs/sandbox.md's allowlist table
// (rows "| NR | `name` | ...").
func docAllowlist(t *testing.T) map[int]string {
	b, err := os.ReadFile(filepath.Join(repo, "docs", "sandbox.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Host calls")
	if !ok {
		t.Fatal("docs/sandbox.md has no \"## Host calls\" section")
	}
	rest, _, _ = strings.Cut(rest, "\n## ")
	row := regexp.MustCompile("(?m)^\\| *([0-9]+) *\\| *`([a-z_0-9]+)`")
	calls := map[int]string{}
	for _, m := range row.FindAllStringSubmatch(rest, -1) {
		nr, _ := strconv.Atoi(m[1])
		calls[nr] = m[2]
	}
	if len(calls) == 0 {
		t.Fatal("no allowlist rows in docs/sandbox.md")
	}
	return calls
}

// seccompData encodes struct seccomp_data for x/net/bpf, whose loads are
// big-endian: each 32-bit word the filter loads is stored that way, so the
// filter sees the value the kernel's native loads would give it.
func seccompData(nr int, arch uint32, args [6]uint32, ipLo, ipHi uint32) []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[0:], uint32(nr))
	binary.BigEndian.PutUint32(b[4:], arch)
	binary.BigEndian.PutUint32(b[8:], ipLo)
	binary.BigEndian.PutUint32(b[12:], ipHi)
	for i, a := range args {
		binary.BigEndian.PutUint32(b[16+8*i:], a) // the high word stays 0
	}
	return b
}

func runFilter(t *testing.T, vm *bpf.VM, nr int, args [6]uint32, ipLo, ipHi uint32) bool {
	r, err := vm.Run(seccompData(nr, 0xc000003e, args, ipLo, ipHi))
	if err != nil {
		t.Fatalf("running the filter for call %d: %v", nr, err)
	}
	return uint32(r) == 0x7fff0000 // SECCOMP_RET_ALLOW
}

// childOf waits for the process gobi started and returns its ID.
func childOf(t *testing.T, parent int) int {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, d := range dirs {
			b, err := os.ReadFile(d)
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
			i := strings.LastIndexByte(string(b), ')')
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 1 && f[1] == strconv.Itoa(parent) {
				pid, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(filepath.Dir(d)), "/"))
				return pid
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("gobi (pid %d) started no process", parent)
	return 0
}

// readFilter attaches to pid without stopping it (PTRACE_SEIZE), interrupts
// it, and copies its first seccomp filter out.
func readFilter(t *testing.T, pid int) []bpf.Instruction {
	runtime.LockOSThread() // ptrace requests must come from the tracer thread
	defer runtime.UnlockOSThread()
	const (
		ptraceSeize     = 0x4206
		ptraceInterrupt = 0x4207
		ptraceGetFilter = 0x420c
		wAll            = 0x40000000
	)
	ptrace := func(req, arg, data uintptr) (uintptr, error) {
		r, _, e := syscall.Syscall6(syscall.SYS_PTRACE, req, uintptr(pid), arg, data, 0, 0)
		if e != 0 {
			return 0, e
		}
		return r, nil
	}
	if _, err := ptrace(ptraceSeize, 0, 0); err != nil {
		t.Fatalf("PTRACE_SEIZE %d: %v", pid, err)
	}
	defer syscall.PtraceDetach(pid)
	if _, err := ptrace(ptraceInterrupt, 0, 0); err != nil {
		t.Fatalf("PTRACE_INTERRUPT: %v", err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, wAll, nil); err != nil {
		t.Fatalf("waiting for the stop: %v", err)
	}
	n, err := ptrace(ptraceGetFilter, 0, 0)
	if err != nil {
		t.Fatalf("PTRACE_SECCOMP_GET_FILTER: %v (is the process confined?)", err)
	}
	raw := make([]byte, 8*n)
	_, _, e := syscall.Syscall6(syscall.SYS_PTRACE, ptraceGetFilter, uintptr(pid), 0, uintptr(unsafe.Pointer(&raw[0])), 0, 0)
	if e != 0 {
		t.Fatalf("PTRACE_SECCOMP_GET_FILTER: %v", e)
	}
	var prog []bpf.RawInstruction
	for i := 0; i+8 <= len(raw); i += 8 {
		prog = append(prog, bpf.RawInstruction{
			Op: binary.LittleEndian.Uint16(raw[i:]), Jt: raw[i+2], Jf: raw[i+3], K: binary.LittleEndian.Uint32(raw[i+4:]),
		})
	}
	insts, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatalf("the filter has instructions x/net/bpf does not know")
	}
	return insts
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestSandboxRefusesOtherExecutables: only an executable that starts at the
// sandbox's entry runs; anything else would run unconfined.
func TestSandboxRefusesOtherExecutables(t *testing.T) {
	t.Parallel()
	r := gobi(t, invocation{}, "run", "-target", "sandbox", "-m", "512M", "./examples/hello")
	r.want(t, 125, nil, []string{"gobi run: -m applies to the VM target only"})
	for _, exe := range []string{mustLookPath(t, "true"), guestImage(t)} {
		r := gobi(t, invocation{}, "run", "-target", "sandbox", exe)
		r.want(t, 125, nil, []string{"gobi run: "})
		if !strings.Contains(r.stderr, "sandbox") && !strings.Contains(r.stderr, "x86-64 executable") {
			t.Errorf("gobi run -target sandbox %s: %q does not say why", exe, r.stderr)
		}
	}
}

// TestSandboxConcurrentConnections: 200 concurrent connections to the server
// in the sandbox all complete (many threads in the kernel at once, under its
// lock), and 5,000 sequential ones leak neither goroutines nor memory.
func TestSandboxConcurrentConnections(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	startGuest(t, nil, "run", "-target", "sandbox", "-p", fmt.Sprintf("%d:8080", port), sandboxNet.get(t), "serve")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, client, base+"/ready")
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		go func(i int) {
			body, err := httpGet(client, fmt.Sprintf("%s/c%d", base, i))
			if err == nil && body != fmt.Sprintf("hello from the guest: /c%d\n", i) {
				err = fmt.Errorf("connection %d got %q", i, body)
			}
			errs <- err
		}(i)
	}
	failed := 0
	for range 200 {
		if err := <-errs; err != nil {
			if failed++; failed <= 3 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of 200 concurrent connections failed", failed)
	}
	checkNoLeak(t, client, base, 5000)
}
