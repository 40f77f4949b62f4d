package vm

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runSh runs a shell script as a -target host program.
func runSh(t *testing.T, script string, c *HostConfig) (int, string) {
	t.Helper()
	t.Parallel()
	var out, console bytes.Buffer
	c.Path, c.Args = "/bin/sh", []string{"-c", script}
	c.Stdout, c.Stderr, c.Console = &out, &out, &console
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, err := RunHost(ctx, c)
	if err != nil {
		t.Fatalf("RunHost(%q): %v", script, err)
	}
	return status, out.String() + console.String()
}

func TestRunHostStatusAndEnvironment(t *testing.T) {
	status, out := runSh(t, `echo "$A|$HOME|$1"; exit 3`, &HostConfig{Env: []string{"A=1"}})
	if status != 3 || out != "1||\n" {
		t.Errorf("status %d, output %q; want 3 and only A set", status, out)
	}
}

func TestRunHostForwardsSignal(t *testing.T) {
	t.Parallel()
	sigs := make(chan os.Signal, 1)
	// The signal goes once the script says its trap is set.
	out := &notifyWriter{ready: make(chan struct{})}
	go func() { <-out.ready; sigs <- syscall.SIGTERM }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, err := RunHost(ctx, &HostConfig{
		Path: "/bin/sh", Args: []string{"-c", `trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done`},
		Stdout: out, Stderr: out, Console: out, Signals: sigs,
	})
	if err != nil || status != 7 || !strings.Contains(out.String(), "got TERM") {
		t.Errorf("RunHost = %d, %v, output %q; want 7 from the trap", status, err, out.String())
	}
}

// notifyWriter closes ready when "ready" is first written to it.
type notifyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), "ready")
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), "ready") {
		close(w.ready)
	}
	return len(p), nil
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestRunHostTimeout(t *testing.T) {
	status, out := runSh(t, `trap 'echo dumping; exit 2' QUIT; while :; do sleep 0.05; done`,
		&HostConfig{Timeout: 300 * time.Millisecond, Grace: 5 * time.Second})
	if status != ExitTimeout || !strings.Contains(out, "dumping") || !strings.Contains(out, "timed out after 300ms") {
		t.Errorf("status %d, output %q; want %d after SIGQUIT", status, out, ExitTimeout)
	}
}

func TestRunHostKilledBySignal(t *testing.T) {
	status, _ := runSh(t, `kill -KILL $$`, &HostConfig{})
	if status != 128+int(syscall.SIGKILL) {
		t.Errorf("status %d, want %d", status, 128+syscall.SIGKILL)
	}
}
