package vm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobi-os/gobi/internal/image"
)

// bootProbe runs a probe guest under TCG with c's streams and limits.
func bootProbe(t *testing.T, p *image.Probe, c *Config) (int, error) {
	t.Helper()
	qemu, err := LookQEMU()
	if err != nil {
		t.Skipf("skipping QEMU test: %v", err)
	}
	t.Parallel()
	c.QEMU, c.Accel, c.MemoryMiB = qemu, AccelTCG, 16
	c.Image = filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(c.Image, p.ELF(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*io.Writer{&c.Stdout, &c.Stderr, &c.Console} {
		if *w == nil {
			*w = io.Discard
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Run(ctx, c)
}

func TestRunStreamsAndExitStatus(t *testing.T) {
	var p image.Probe
	p.Write(image.PortStdout, "to stdout\n").
		Write(image.PortStderr, "to stderr\n").
		Write(image.PortKernel, "a kernel message\n").
		Exit(42)
	var stdout, stderr, console bytes.Buffer
	status, err := bootProbe(t, &p, &Config{Stdout: &stdout, Stderr: &stderr, Console: &console})
	if err != nil || status != 42 {
		t.Fatalf("Run = %d, %v, want 42", status, err)
	}
	if stdout.String() != "to stdout\n" || stderr.String() != "to stderr\n" || console.String() != "gobi: a kernel message\n" {
		t.Errorf("stdout %q, stderr %q, console %q", stdout.String(), stderr.String(), console.String())
	}
}

func TestRunStdin(t *testing.T) {
	var p image.Probe
	// The host sends stdin only after the guest's ready record.
	p.Write(image.PortKernel, "\x01ready\n").Echo(image.PortStdout).Exit(0)
	in := "line one\nbyte \xff and \x00 inside\n"
	var stdout bytes.Buffer
	status, err := bootProbe(t, &p, &Config{Stdin: strings.NewReader(in), Stdout: &stdout})
	if err != nil || status != 0 {
		t.Fatalf("Run = %d, %v, want 0", status, err)
	}
	// The probe echoes the escaped stream up to its first zero byte: the
	// NUL inside the input is escaped as itself, so it ends the echo there.
	if want := "line one\nbyte \xff\xff and "; stdout.String() != want {
		t.Errorf("echo = %q, want %q", stdout.String(), want)
	}
}

func TestRunFault(t *testing.T) {
	var p image.Probe
	p.Write(image.PortKernel, "page fault at 0x0\n\x01fault\n").PowerOff()
	var console bytes.Buffer
	status, err := bootProbe(t, &p, &Config{Console: &console})
	if err != nil || status != ExitFault {
		t.Fatalf("Run = %d, %v, want %d", status, err, ExitFault)
	}
	if !strings.Contains(console.String(), "gobi: page fault at 0x0\n") || !strings.Contains(console.String(), "faulted") {
		t.Errorf("console = %q", console.String())
	}
}

func TestRunOutOfMemory(t *testing.T) {
	var p image.Probe
	p.Write(image.PortKernel, "\x01oom\n").PowerOff()
	var console bytes.Buffer
	status, err := bootProbe(t, &p, &Config{Console: &console})
	if err != nil || status != ExitOOM || !strings.Contains(console.String(), "in a 16 MiB guest: run it with a larger -m") {
		t.Fatalf("Run = %d, %v, console %q; want %d and advice", status, err, console.String(), ExitOOM)
	}
}

func TestRunNoExitRecord(t *testing.T) {
	var p image.Probe
	p.Write(image.PortStdout, "bye").PowerOff()
	status, err := bootProbe(t, &p, &Config{})
	if err == nil || !strings.Contains(err.Error(), "without the guest reporting an exit status") {
		t.Fatalf("Run = %d, %v, want a missing exit record error", status, err)
	}
}

func TestRunTimeout(t *testing.T) {
	var p image.Probe
	p.Write(image.PortStdout, "hanging\n").Halt()
	var console bytes.Buffer
	start := time.Now()
	status, err := bootProbe(t, &p, &Config{Console: &console, Timeout: 500 * time.Millisecond, Grace: 500 * time.Millisecond})
	if err != nil || status != ExitTimeout {
		t.Fatalf("Run = %d, %v, want %d", status, err, ExitTimeout)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("Run returned after %v, before timeout and grace", d)
	}
	if !strings.Contains(console.String(), "timed out after 500ms") {
		t.Errorf("console = %q", console.String())
	}
}

func TestRunSignalKillsAfterGrace(t *testing.T) {
	var p image.Probe
	p.Halt()
	sigs := make(chan os.Signal, 1)
	sigs <- syscall.SIGTERM
	status, err := bootProbe(t, &p, &Config{Signals: sigs, Grace: 300 * time.Millisecond})
	if err != nil || status != 128+int(syscall.SIGTERM) {
		t.Fatalf("Run = %d, %v, want %d", status, err, 128+syscall.SIGTERM)
	}
}

func TestRunCancelKillsQEMU(t *testing.T) {
	qemu, err := LookQEMU()
	if err != nil {
		t.Skipf("skipping QEMU test: %v", err)
	}
	t.Parallel()
	var p image.Probe
	img := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(img, p.Halt().ELF(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err = Run(ctx, &Config{QEMU: qemu, Image: img, MemoryMiB: 16, Accel: AccelTCG, Cmdline: "marker-" + t.Name(),
		Stdout: io.Discard, Stderr: io.Discard, Console: io.Discard})
	if err != context.Canceled {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	// No QEMU with this test's marker on its command line may remain.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte("marker-"+t.Name())) {
			t.Errorf("QEMU still running: %s", p)
		}
	}
}

func TestKVMWorksAnswers(t *testing.T) {
	qemu, err := LookQEMU()
	if err != nil {
		t.Skipf("skipping QEMU test: %v", err)
	}
	// Whatever the answer, it must come within the probe's bound, and it
	// must be false where KVM cannot be opened.
	start := time.Now()
	ok := KVMWorks(context.Background(), qemu)
	if d := time.Since(start); d > kvmProbeTimeout+2*time.Second {
		t.Errorf("KVMWorks took %v", d)
	}
	if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err != nil && ok {
		t.Errorf("KVMWorks = true, but /dev/kvm does not open: %v", err)
	} else if err == nil {
		f.Close()
	}
	t.Logf("KVMWorks = %v", ok)
}

// With GDBPort the CPU waits for a debugger; a gdb "continue" packet
// (GDB Remote Serial Protocol, "Packets") lets the guest run to its exit.
func TestRunGDBStub(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var p image.Probe
	p.Write(image.PortStdout, "ran").Exit(0)
	var stdout, console bytes.Buffer
	const hold = 300 * time.Millisecond
	start := time.Now()
	go func() {
		time.Sleep(hold) // the guest must not run meanwhile
		var conn net.Conn
		for range 100 {
			if conn, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if conn == nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte("+$c#63"))
		io.Copy(io.Discard, conn)
	}()
	status, err := bootProbe(t, &p, &Config{GDBPort: port, Stdout: &stdout, Console: &console})
	if err != nil || status != 0 || stdout.String() != "ran" {
		t.Fatalf("Run = %d, %v, stdout %q", status, err, stdout.String())
	}
	if d := time.Since(start); d < hold {
		t.Errorf("the guest finished after %v, before gdb said continue", d)
	}
	if want := fmt.Sprintf("target remote 127.0.0.1:%d", port); !strings.Contains(console.String(), want) {
		t.Errorf("console = %q, want the gdb command line", console.String())
	}
}
