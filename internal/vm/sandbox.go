package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/gobi-os/gobi/internal/image"
	"golang.org/x/sys/unix"
)

// SandboxConfig describes one run of a sandbox executable (-target sandbox,
// docs/sandbox.md): a process that confines itself with a seccomp filter
// before its Go runtime starts and serves its own files and sockets.
type SandboxConfig struct {
	Path   string   // the sandbox executable
	Entry  string   // the symbol it must start at (build.SandboxEntrySymbol)
	Argv   []string // the program's os.Args, argv[0] included
	Env    []string // the entire environment
	Dir    string   // the working directory in the sandbox's own file system; "" means /
	Debug  bool     // log every unimplemented system call
	Strict bool     // kill the process at its first forbidden system call
	Net    *Net     // NetUser, NetTap or NetNone; nil for none

	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Console io.Writer // kernel messages and gobi's notices

	Timeout time.Duration
	Grace   time.Duration
	Signals <-chan os.Signal
}

// The descriptors the launcher passes, in order from 3 (kernel/sandbox.go):
// the four sockets, the pipe carrying the boot words, then the network's.
const (
	sandboxStdin = iota
	sandboxStdout
	sandboxStderr
	sandboxLog
)

// RunSandbox runs the executable and returns the program's exit status, or
// one of the Exit* statuses, as Run does for a VM. The process is dead when
// RunSandbox returns.
func RunSandbox(ctx context.Context, c *SandboxConfig) (int, error) {
	// Checked and run through one open file (O_CLOEXEC, so the program
	// does not inherit it): nothing can swap the executable in between.
	exe, err := os.Open(c.Path)
	if err != nil {
		return 0, err
	}
	defer exe.Close()
	if err := image.CheckSandbox(exe, c.Entry); err != nil {
		return 0, err
	}
	words := Cmdline{Argv: c.Argv, Cwd: c.Dir, Debug: c.Debug}
	if c.Strict {
		words.Net = append(words.Net, "gobi.strict=1")
	}
	host, guest, err := socketPairs("sandbox stdin", "sandbox stdout", "sandbox stderr", "sandbox log")
	if err != nil {
		return 0, err
	}
	defer closeAll(host)
	defer func() { closeAll(guest) }() // what the child has not taken
	bootR, bootW, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("creating the sandbox's boot pipe: %w", err)
	}
	defer bootW.Close()
	guest = append(guest, bootR)
	stopNet, netWords, netFile, err := c.startNet()
	if err != nil {
		return 0, err
	}
	defer stopNet()
	words.Net = append(words.Net, netWords...)
	if netFile != nil {
		guest = append(guest, netFile)
	}

	// The child execs the checked file by descriptor, numbered above the
	// ones os/exec moves into place for ExtraFiles (3..8).
	exeFD, err := unix.FcntlInt(exe.Fd(), unix.F_DUPFD_CLOEXEC, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.Path, err)
	}
	defer unix.Close(exeFD)
	cmd := exec.Command(fmt.Sprintf("/proc/self/fd/%d", exeFD))
	cmd.Args = c.Argv
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = "/"
	cmd.ExtraFiles = guest
	var early tailBuffer // the process's own fds 0-2: only a failure before the entry closed them
	cmd.Stdout, cmd.Stderr = &early, &early
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	closeAll(guest)
	guest = nil
	if err != nil {
		return 0, fmt.Errorf("starting %s: %w", c.Path, err)
	}
	go func() { // the entry reads until EOF; a pipe holds less than a long command line
		io.WriteString(bootW, words.String())
		bootW.Close()
	}()

	ch := newChannel(io.Discard) // no host records go to the sandbox: signals are real
	wg := serveStreams(ch, c.Stdin, c.Stdout, c.Stderr, c.Console,
		host[sandboxStdin], host[sandboxStdout], host[sandboxStderr], host[sandboxLog])

	sup := supervisor{timeout: c.Timeout, grace: c.Grace, signals: c.Signals, console: c.Console}
	r, ws, err := sup.process(ctx, cmd)
	if err != nil {
		return 0, err
	}
	wg.Wait()
	outcome, status := ch.result()
	switch {
	case r.timedOut:
		return ExitTimeout, nil
	case outcome == outcomeExit: // the kernel ended the process itself (a bad boot word)
		return status, nil
	case outcome == outcomeFault:
		fmt.Fprintf(c.Console, "gobi: the sandbox's kernel faulted (report above)\n")
		return ExitFault, nil
	case outcome == outcomeOOM:
		fmt.Fprintf(c.Console, "gobi: the program ran out of the sandbox's kernel memory\n")
		return ExitOOM, nil
	case ws.Signaled() && ws.Signal() == syscall.SIGSYS && c.Strict:
		fmt.Fprintf(c.Console, "gobi: the sandbox killed the program at a forbidden system call (-strict; docs/sandbox.md)\n")
	case ws.Signaled():
		if msg := strings.TrimSpace(early.String()); msg != "" {
			fmt.Fprintf(c.Console, "gobi: %s\n", msg)
		}
		if sig := ws.Signal(); sig == syscall.SIGSEGV || sig == syscall.SIGBUS {
			// The runtime turns a fault of the program into a panic and
			// exit status 2: a fault that kills outright happened where
			// every signal is blocked, in the kernel's trap handler.
			fmt.Fprintf(c.Console, "gobi: the program died of %v inside the sandbox's kernel: a bad pointer passed to a system call, or a kernel bug (docs/sandbox.md, Limits)\n", sig)
		}
	}
	return shellStatus(ws), nil
}

// startNet connects the sandbox's network: a socketpair to gobi's user-mode
// network (NetUser), or a tap device (NetTap). It returns the descriptor to
// pass, the boot words that configure the guest, and a function that stops
// the host side.
func (c *SandboxConfig) startNet() (stop func(), words []string, f *os.File, err error) {
	n := c.Net
	if n == nil || n.Mode == NetNone || n.Mode == "" {
		return func() {}, []string{"gobi.ip=none"}, nil, nil
	}
	switch n.Mode {
	case NetTap:
		f, err := openTap(n.Name)
		if err != nil {
			return nil, nil, nil, err
		}
		return func() {}, n.Cmdline(), f, nil
	case NetUser:
		return c.startUserNet()
	}
	return nil, nil, nil, fmt.Errorf("-net %s:%s is not available in the sandbox: use -net user or -net tap:NAME", n.Mode, n.Name)
}

// openTap attaches to the tap device name (creating it if it does not exist
// and gobi may), without packet information: one Ethernet frame per read
// and write (Documentation/networking/tuntap.rst).
func openTap(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("-net tap:%s: opening /dev/net/tun: %w (is the tun module loaded?)", name, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("-net tap:%s: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("-net tap:%s: not allowed to attach: create it for this user first (ip tuntap add %s mode tap user $USER) or run as root", name, name)
		}
		return nil, fmt.Errorf("-net tap:%s: TUNSETIFF: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "tap:"+name), nil
}
