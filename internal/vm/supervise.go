package vm

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// supervisor applies gobi's timeout and signal policy to a running program,
// whether it is a VM or a host process.
type supervisor struct {
	timeout time.Duration    // 0: none
	grace   time.Duration    // between a signal and the kill
	signals <-chan os.Signal // from gobi's own signal handler
	console io.Writer
	send    func(syscall.Signal) // deliver a signal to the program
	kill    func()               // end the program now
}

// supervised is how a supervised program ended.
type supervised struct {
	waitErr  error          // from the exited channel
	timedOut bool           // the timeout expired
	signaled syscall.Signal // the first forwarded signal, if any
	killed   bool           // gobi killed the program
}

// wait forwards signals and enforces the timeout until exited delivers.
// On -timeout the program gets SIGQUIT (Go's runtime then prints every
// goroutine's stack and exits 2, as under go test -timeout); if it has not
// exited grace later, or gobi gets a second signal, it is killed. If ctx
// ends first, the program is killed and wait returns ctx.Err().
func (s *supervisor) wait(ctx context.Context, exited <-chan error) (supervised, error) {
	grace := s.grace
	if grace == 0 {
		grace = DefaultGrace
	}
	var r supervised
	var timeout, killAt <-chan time.Time
	if s.timeout > 0 {
		t := time.NewTimer(s.timeout)
		defer t.Stop()
		timeout = t.C
	}
	startGrace := func() {
		if killAt == nil {
			killAt = time.After(grace)
		}
	}
	for {
		select {
		case r.waitErr = <-exited:
			return r, nil
		case <-timeout:
			timeout, r.timedOut = nil, true
			fmt.Fprintf(s.console, "gobi: timed out after %v: sending SIGQUIT for a goroutine dump\n", s.timeout)
			s.send(syscall.SIGQUIT)
			startGrace()
		case sig := <-s.signals:
			n, ok := sig.(syscall.Signal)
			if !ok {
				continue
			}
			if r.signaled != 0 {
				fmt.Fprintf(s.console, "gobi: second signal (%v): killing the program\n", n)
				r.killed = true
				s.kill()
				continue
			}
			r.signaled = n
			s.send(n)
			startGrace()
		case <-killAt:
			killAt = nil
			fmt.Fprintf(s.console, "gobi: the program did not exit %v after the signal: killing it\n", grace)
			r.killed = true
			s.kill()
		case <-ctx.Done():
			s.kill()
			<-exited
			return r, ctx.Err()
		}
	}
}
