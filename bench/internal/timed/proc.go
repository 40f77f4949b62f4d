// Package timed starts guests (QEMU directly, or through `gobi run`) as host
// processes and times them: when each line of their output began, when they
// exited, and how much guest memory they touched.
//
// It runs on the (Linux) host.
package timed

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
const stopGrace = 5 * time.Second

// Proc is a running guest process.
type Proc struct {
	Log *Log // its stdout and stderr

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and its output is read
	end  time.Duration // process exit, valid after done
	err  error         // cmd.Wait's result, valid after done
}

// Start starts args[0] with args[1:] in its own process group, with an
// empty stdin. The log's clock starts just before the process does.
func Start(args []string) (*Proc, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	p.Log = NewLog()
	cmd.Stdout, cmd.Stderr = p.Log.Writer(Stdout), p.Log.Writer(Stderr)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", args[0], err)
	}
	go func() {
		p.err = cmd.Wait() // returns once both streams are copied
		p.end = p.Log.Since()
		p.Log.End(cmd.Stdout, cmd.Stderr)
		close(p.done)
	}()
	return p, nil
}

// Wait waits for the process to exit and returns its exit status (-1 if a
// signal ended it) and the time from start to exit. If ctx ends first, the
// process is stopped.
func (p *Proc) Wait(ctx context.Context) (int, time.Duration, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		p.Stop()
		return -1, 0, ctx.Err()
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode(), p.end, nil
	}
	if p.err != nil {
		return -1, p.end, p.err
	}
	return 0, p.end, nil
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} {
	return p.done
}

// Stop ends the process: SIGTERM to its process group (QEMU exits on it;
// gobi, whose QEMU runs in a group of its own, forwards it to the guest and
// then stops QEMU), then SIGKILL after a grace period, and waits for it.
func (p *Proc) Stop() {
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
		}
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Pid returns the process id.
func (p *Proc) Pid() int {
	return p.cmd.Process.Pid
}
