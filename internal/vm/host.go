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
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	sup := supervisor{
		timeout: c.Timeout, grace: c.Grace, signals: c.Signals, console: c.Console,
		send: func(sig syscall.Signal) { cmd.Process.Signal(sig) },
		kill: func() { cmd.Process.Kill() },
	}
	r, err := sup.wait(ctx, exited)
	if err != nil {
		return 0, err
	}
	if r.timedOut {
		return ExitTimeout, nil
	}
	var ee *exec.ExitError
	if r.waitErr != nil && !errors.As(r.waitErr, &ee) {
		return 0, r.waitErr
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}
