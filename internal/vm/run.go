package vm

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultGrace is how long a program has to exit after gobi forwarded a
// signal or, on -timeout, asked for a goroutine dump, before gobi kills it.
const DefaultGrace = 10 * time.Second

// Config describes one run of an image.
type Config struct {
	QEMU      string // path of qemu-system-x86_64, from LookQEMU
	Image     string // the PVH image
	MemoryMiB uint64 // guest RAM
	Accel     string // AccelTCG or AccelKVM
	Cmdline   string // kernel command line, from Cmdline.String
	GDBPort   int    // if non-zero, QEMU's gdb stub listens here and the CPU starts halted
	Net       *Net   // the network card and how it is connected; nil for none

	lanSocket string // the LAN hub's socket, for Net.Mode NetLAN

	Stdin   io.Reader // the program's fd 0; nil means empty
	Stdout  io.Writer // the program's fd 1
	Stderr  io.Writer // the program's fd 2
	Console io.Writer // kernel messages and gobi's notices, "gobi: " prefixed

	// Timeout, if non-zero, is when gobi sends SIGQUIT to the program (a
	// goroutine dump) and, Grace later, kills QEMU; Run then returns
	// ExitTimeout.
	Timeout time.Duration
	Grace   time.Duration // 0 means DefaultGrace

	// Signals are forwarded to the program as signal records. A second
	// signal, or Grace passing after the first, kills QEMU.
	Signals <-chan os.Signal
}

// Run boots the image and returns the program's exit status, or one of the
// Exit* statuses when the guest did not exit by itself. A non-nil error
// means QEMU failed or could not start (the caller exits ExitFailure). QEMU
// is dead when Run returns, whatever happened.
func Run(ctx context.Context, c *Config) (int, error) {
	if c.Net != nil && c.Net.Mode == NetLAN {
		sock, stop, err := JoinLAN(c.Net.Name)
		if err != nil {
			return 0, err
		}
		defer stop()
		c.lanSocket = sock
	}
	// The serial ports' sockets, for QEMU at fdCOM1..fdCOM3.
	host, guest, err := socketPairs("com1", "com2", "com3")
	if err != nil {
		return 0, err
	}
	defer closeAll(host)
	cmd := exec.Command(c.QEMU, c.args()...)
	cmd.ExtraFiles = guest
	var qemuOut tailBuffer
	cmd.Stdout, cmd.Stderr = &qemuOut, &qemuOut
	// Its own process group keeps the terminal's ^C away from QEMU (gobi
	// forwards it as a record instead); Pdeathsig kills QEMU if gobi dies
	// without running its own cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	closeAll(guest)
	if err != nil {
		return 0, fmt.Errorf("starting %s: %w", c.QEMU, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	reaped := false
	defer func() { // on a panic: never leave QEMU behind
		if !reaped {
			cmd.Process.Kill()
			<-exited
		}
	}()

	ch := newChannel(host[2])
	ch.image = c.Image
	wg := serveStreams(ch, c.Stdin, c.Stdout, c.Stderr, c.Console, host[0], host[0], host[1], host[2])
	if c.GDBPort != 0 {
		fmt.Fprintf(c.Console, "gobi: the CPU waits for gdb: gdb %s -ex 'target remote 127.0.0.1:%d'\n", c.Image, c.GDBPort)
	}

	sup := supervisor{
		timeout: c.Timeout, grace: c.Grace, signals: c.Signals, console: c.Console,
		send: func(sig syscall.Signal) { ch.send(fmt.Sprintf("sig %d", sig)) },
		kill: func() { cmd.Process.Kill() },
	}
	r, err := sup.wait(ctx, exited)
	reaped = true
	if err != nil {
		return 0, err
	}
	// QEMU is gone, so every socket reaches EOF once its data is read.
	wg.Wait()
	outcome, status := ch.result()
	switch {
	case r.timedOut:
		return ExitTimeout, nil
	case outcome == outcomeExit:
		return status, nil
	case outcome == outcomeFault:
		fmt.Fprintf(c.Console, "gobi: the guest kernel faulted (report above)\n")
		return ExitFault, nil
	case outcome == outcomeOOM:
		fmt.Fprintf(c.Console, "gobi: the program ran out of memory in a %d MiB guest: run it with a larger -m\n", c.MemoryMiB)
		return ExitOOM, nil
	case r.killed && r.signaled != 0:
		return 128 + int(r.signaled), nil
	}
	msg := strings.TrimSpace(qemuOut.String())
	if msg != "" {
		msg = ":\n" + msg
	}
	return 0, fmt.Errorf("QEMU exited (%v) without the guest reporting an exit status%s", r.waitErr, msg)
}

// serveStreams connects a guest's console to the caller's streams: it copies
// the guest's stdout and stderr to stdout and stderr, reads the kernel's
// messages and records from log into ch (messages go to console), and once
// the guest is ready copies stdin to it. The returned group is done when
// the three outputs have reached EOF.
func serveStreams(ch *channel, stdin io.Reader, stdout, stderr, console io.Writer, toGuest io.Writer, fromStdout, fromStderr, log io.Reader) *sync.WaitGroup {
	var wg sync.WaitGroup
	drain := func(w io.Writer, r io.Reader) {
		defer wg.Done()
		copyDraining(w, r)
	}
	wg.Add(3)
	go drain(stdout, fromStdout)
	go drain(stderr, fromStderr)
	go func() {
		defer wg.Done()
		ch.read(log, console)
	}()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	go func() { // never waited for: a terminal may never reach EOF
		<-ch.ready
		copyStdin(toGuest, stdin)
	}()
	return &wg
}

// socketPairs returns a connected stream socket pair per name: the host
// ends, non-blocking so that closing them ends pending reads and writes,
// and the guest's ends, in the order of names.
func socketPairs(names ...string) (host, guest []*os.File, err error) {
	for _, name := range names {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			closeAll(host)
			closeAll(guest)
			return nil, nil, fmt.Errorf("creating the %s socket: %w", name, err)
		}
		syscall.SetNonblock(fds[0], true)
		host = append(host, os.NewFile(uintptr(fds[0]), name))
		guest = append(guest, os.NewFile(uintptr(fds[1]), name+"-guest"))
	}
	return host, guest, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// copyDraining copies r to w until r ends. If w fails (a closed pipe), the
// rest of r is discarded rather than left unread, so the guest never blocks
// on a full serial port.
func copyDraining(w io.Writer, r io.Reader) {
	if _, err := io.Copy(w, r); err != nil {
		io.Copy(io.Discard, r)
	}
}

// tailBuffer keeps the last 16 KiB written to it: enough of QEMU's own
// messages to explain a failure.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 16<<10; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
