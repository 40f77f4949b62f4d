package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// HostConfig describes one run of a program as a plain host process
// (-target host), under the same exit, timeout and signal rules as a VM.
type HostConfig struct {
	Path    string   // the executable
	Args    []string // os.Args[1:]
	Env     []string // the entire environment, as in a guest
	Dir     string   // working directory; "" for gobi's own
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Console io.Writer // gobi's notices
	Timeout time.Duration
	Grace   time.Duration
	Signals <-chan os.Signal
}

// RunHost runs the program and returns its exit status: its own, 128+N if
// a signal N ended it (as a shell reports it, and as the guest kernel does),
// or ExitTimeout. The process is dead when RunHost returns.
func RunHost(ctx context.Context, c *HostConfig) (int, error) {
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = c.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", c.Path, err)
	}
	sup := supervisor{timeout: c.Timeout, grace: c.Grace, signals: c.Signals, console: c.Console}
	r, ws, err := sup.process(ctx, cmd)
	if err != nil {
		return 0, err
	}
	if r.timedOut {
		return ExitTimeout, nil
	}
	return shellStatus(ws), nil
}

// process supervises the started host process cmd, whose signals are
// real ones, until it is dead, and returns its wait status too.
func (s supervisor) process(ctx context.Context, cmd *exec.Cmd) (supervised, syscall.WaitStatus, error) {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.send = func(sig syscall.Signal) { cmd.Process.Signal(sig) }
	s.kill = func() { cmd.Process.Kill() }
	r, err := s.wait(ctx, exited)
	if err != nil {
		return r, 0, err
	}
	var ee *exec.ExitError
	if r.waitErr != nil && !errors.As(r.waitErr, &ee) {
		return r, 0, r.waitErr
	}
	return r, cmd.ProcessState.Sys().(syscall.WaitStatus), nil
}

// shellStatus is a process's exit status as a shell reports it: 128+N
// when signal N ended it.
func shellStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
