package timed

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestLogSplitsLines(t *testing.T) {
	l := NewLog()
	out, errw := l.Writer(Stdout), l.Writer(Stderr)
	io.WriteString(out, "hel")
	io.WriteString(errw, "gobi: kernel\r\n")
	io.WriteString(out, "lo\nwor")
	io.WriteString(out, "ld\npartial")
	l.End(out, errw)
	var got []string
	for _, line := range l.Lines() {
		got = append(got, map[Stream]string{Stdout: "1:", Stderr: "2:"}[line.Stream]+line.Text)
	}
	want := "2:gobi: kernel|1:hello|1:world|1:partial"
	if strings.Join(got, "|") != want {
		t.Errorf("lines = %q, want %q", strings.Join(got, "|"), want)
	}
	if n := l.Count(func(line Line) bool { return line.Stream == Stdout }); n != 3 {
		t.Errorf("Count(stdout) = %d, want 3", n)
	}
}

func TestLogStampsFirstByte(t *testing.T) {
	l := NewLog()
	w := l.Writer(Stdout)
	io.WriteString(w, "a")
	before := l.Since()
	time.Sleep(20 * time.Millisecond)
	io.WriteString(w, "b\n")
	line, ok := l.First(func(Line) bool { return true })
	if !ok || line.At > before {
		t.Errorf("line stamped %v, want its first byte's time (<= %v)", line.At, before)
	}
}

func TestLogWait(t *testing.T) {
	l := NewLog()
	w := l.Writer(Stdout)
	go func() {
		time.Sleep(10 * time.Millisecond)
		io.WriteString(w, "booting\nREADY 1\n")
		l.End(w)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	line, err := l.Wait(ctx, func(line Line) bool { return strings.HasPrefix(line.Text, "READY") })
	if err != nil || line.Text != "READY 1" {
		t.Fatalf("Wait = %q, %v; want READY 1", line.Text, err)
	}
	_, err = l.Wait(ctx, func(line Line) bool { return line.Text == "never" })
	if !errors.Is(err, ErrEnded) {
		t.Errorf("Wait for a line that never comes = %v, want ErrEnded", err)
	}
}

func TestProc(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Start([]string{"sh", "-c", "echo out; echo err >&2; exit 3"})
	if err != nil {
		t.Fatal(err)
	}
	status, end, err := p.Wait(ctx)
	if err != nil || status != 3 || end <= 0 {
		t.Fatalf("Wait = %d, %v, %v; want 3 after a positive time", status, end, err)
	}
	if got := p.Log.Text(); !strings.Contains(got, "out\n") || !strings.Contains(got, "err\n") {
		t.Errorf("output = %q, want both streams", got)
	}
}

func TestProcStop(t *testing.T) {
	p, err := Start([]string{"sh", "-c", "echo up; exec sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.Log.Wait(ctx, func(l Line) bool { return l.Text == "up" }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.Stop()
	if d := time.Since(start); d > stopGrace {
		t.Errorf("Stop took %v: SIGTERM should end sleep at once", d)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Stop returned before the process ended")
	}
}

// smapsSample is QEMU's smaps, cut down: the guest RAM (256 MiB, rw-p), the
// TCG buffer (1 GiB, rwxp) and a file mapping.
const smapsSample = `55d0c4a00000-55d0c4e00000 r--p 00000000 fe:01 123 /usr/bin/qemu-system-x86_64
Size:               4096 kB
Rss:                4000 kB
7f3be7e00000-7f3bf7e00000 rw-p 00000000 00:00 0 
Size:             262144 kB
KernelPageSize:        4 kB
Rss:               12345 kB
Pss:               12345 kB
7f3bf8000000-7f3c38000000 rwxp 00000000 00:00 0 
Size:            1048576 kB
Rss:               99999 kB
`

func TestTouched(t *testing.T) {
	got, err := touched(strings.NewReader(smapsSample), 256<<20)
	if err != nil || got != 12345<<10 {
		t.Errorf("touched(256 MiB) = %d, %v; want %d", got, err, 12345<<10)
	}
	// The executable TCG buffer is never taken for guest RAM.
	if got, err := touched(strings.NewReader(smapsSample), 1<<30); err == nil {
		t.Errorf("touched(1 GiB) = %d, want an error", got)
	}
}

// TestGuestTouchedQEMU finds the guest RAM of a real, paused QEMU, both
// from QEMU's pid and from its parent's (as for gobi run).
func TestGuestTouchedQEMU(t *testing.T) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed: run scripts/setup")
	}
	// -S: the CPU never starts, so the guest touches nothing it did not
	// load; QEMU has mapped the RAM by the time its monitor answers.
	p, err := Start([]string{"sh", "-c", "qemu-system-x86_64 -M microvm -accel tcg -m 48M -nodefaults -display none -S -monitor stdio & wait"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.Log.Wait(ctx, func(l Line) bool { return strings.Contains(l.Text, "QEMU") }); err != nil {
		t.Fatalf("QEMU's monitor did not start: %v\n%s", err, p.Log.Text())
	}
	got, err := GuestTouched(p.Pid(), 48<<20)
	if err != nil {
		t.Fatalf("GuestTouched(the shell running QEMU) = %v", err)
	}
	if got < 0 || got > 48<<20 {
		t.Errorf("GuestTouched = %d bytes, want within the 48 MiB of guest RAM", got)
	}
	if _, err := GuestTouched(p.Pid(), 47<<20); err == nil {
		t.Error("GuestTouched with the wrong RAM size = nil error, want one")
	}
}

func TestTreeCPUCountsChildren(t *testing.T) {
	// A child that spins on the CPU: its parent's tree gains it.
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(100 * time.Millisecond)
	start, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		now, err := TreeCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now-start >= 100*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tree used %v in 10 s while a child spun", now-start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := TreeCPU(1 << 30); err == nil {
		t.Errorf("TreeCPU of a process that does not exist did not fail")
	}
}
