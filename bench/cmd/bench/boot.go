package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gobi-os/gobi/bench/internal/timed"
	"github.com/gobi-os/gobi/internal/tsc"
	"github.com/gobi-os/gobi/internal/vm"
)

// bootResult is what one boot measured.
type bootResult struct {
	first   time.Duration // process start to the program's first output
	exit    time.Duration // process start to process exit
	touched int64         // peak guest RAM touched, bytes
}

// bootTarget is one way of booting the program.
type bootTarget struct {
	name string
	size int64 // image bytes (kernel and initramfs for Linux)
	// boot boots once with mem (QEMU -m syntax) and checks that the program
	// ran to completion as it does natively.
	boot func(ctx context.Context, mem string) (bootResult, error)
	// err, if set, says why this target could not be measured; the table
	// shows it instead of numbers.
	err error
}

// nativeRun is what the program does as a plain host process: the
// reference each boot is checked against.
type nativeRun struct {
	status int
	lines  int // lines on stdout and stderr
}

func runBoot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flag.NewFlagSet("boot", flag.ContinueOnError)
	c.register(fs)
	n := fs.Int("n", 5, "boots per target; the median is reported")
	mem := fs.String("m", "256M", "guest memory for the timed boots (QEMU -m syntax)")
	pkg := fs.String("pkg", "./examples/hello", "the program to boot")
	minMem := fs.Bool("minmem", true, "binary-search the smallest -m each guest runs the program in")
	timeout := fs.Duration("timeout", 90*time.Second, "limit for one boot")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *n < 1 {
		return fmt.Errorf("boot: want flags only and -n >= 1")
	}
	cleanup, err := c.setup(stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	ref, err := runNative(ctx, &c, *pkg)
	if err != nil {
		return err
	}
	targets, err := bootTargets(ctx, &c, *pkg, ref, *timeout, stderr)
	if err != nil {
		return err
	}
	hi, err := vm.ParseMemory(*mem)
	if err != nil {
		return err
	}
	results := make([][]bootResult, len(targets))
	// Interleave the targets so that drift in the host's load hits all alike.
	for i := 0; i < *n; i++ {
		for j := range targets {
			t := &targets[j]
			if t.err != nil {
				continue
			}
			fmt.Fprintf(stderr, "boot %d/%d: %s\n", i+1, *n, t.name)
			r, err := t.boot(ctx, *mem)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				t.err = fmt.Errorf("boot %d with -m %s: %w", i+1, *mem, err)
				fmt.Fprintf(stderr, "%s: %v\n", t.name, t.err)
				continue
			}
			results[j] = append(results[j], r)
		}
	}
	smallest := make([]uint64, len(targets))
	for j, t := range targets {
		if !*minMem || t.err != nil {
			continue
		}
		if smallest[j], err = smallestMemory(ctx, t, hi, stderr); err != nil {
			return err
		}
	}
	printBoot(stdout, bootReport{pkg: *pkg, mem: *mem, n: *n, targets: targets, results: results, smallest: smallest})
	return nil
}

// runNative builds pkg for the host and runs it once.
func runNative(ctx context.Context, c *common, pkg string) (nativeRun, error) {
	bin := filepath.Join(c.work, filepath.Base(strings.TrimRight(pkg, "/"))+".host")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return nativeRun{}, fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	out, err := exec.CommandContext(ctx, bin).CombinedOutput()
	var exit *exec.ExitError
	status := 0
	if errors.As(err, &exit) {
		status = exit.ExitCode()
	} else if err != nil {
		return nativeRun{}, fmt.Errorf("running %s on the host: %w", pkg, err)
	}
	return nativeRun{status: status, lines: strings.Count(string(out), "\n")}, nil
}

// bootTargets prepares the guests: gobi run, gobi's QEMU launcher driven
// directly, and the Linux guest.
func bootTargets(ctx context.Context, c *common, pkg string, ref nativeRun, timeout time.Duration, log io.Writer) ([]bootTarget, error) {
	linux, err := prepareLinux(ctx, c, pkg, false, log)
	if err != nil {
		return nil, err
	}
	khz, err := tsc.FrequencyKHz()
	if err != nil {
		return nil, err
	}
	qemu, err := vm.LookQEMU()
	if err != nil {
		return nil, err
	}
	// A Gobi that does not build is reported in the table, not fatal, so
	// the baseline is measured regardless.
	g, err := buildGobi(ctx, c, log)
	var image string
	var size int64
	if err == nil {
		image, size, err = g.build(ctx, c, pkg, log)
	}
	if err != nil {
		fmt.Fprintf(log, "gobi: %v\n", err)
	}
	b := booter{ref: ref, timeout: timeout}
	return []bootTarget{
		{name: "gobi run", size: size, err: err, boot: b.gobiRun(g, image)},
		{name: "gobi (QEMU)", size: size, err: err, boot: b.gobiQEMU(qemu, image, khz)},
		{name: "Linux guest", size: linux.size, boot: b.linux(linux)},
	}, nil
}

// booter makes the boot functions of the targets.
type booter struct {
	ref     nativeRun     // what a successful run looks like
	timeout time.Duration // limit for one boot
}

// check compares one boot's program exit status and output with the
// native run's.
func (b booter) check(status int, log *timed.Log, isProgram func(timed.Line) bool) (time.Duration, error) {
	lines := log.Count(isProgram)
	if status != b.ref.status || lines != b.ref.lines {
		return 0, fmt.Errorf("the program exited %d after %d lines, want %d after %d lines as on the host; output:\n%s",
			status, lines, b.ref.status, b.ref.lines, tail(log.Text(), 40))
	}
	first, _ := log.First(isProgram)
	return first.At, nil
}

// gobiRun boots with the gobi run command.
func (b booter) gobiRun(g *gobiTool, image string) func(context.Context, string) (bootResult, error) {
	return func(ctx context.Context, mem string) (bootResult, error) {
		ctx, cancel := context.WithTimeout(ctx, b.timeout)
		defer cancel()
		ram, err := vm.ParseMemory(mem)
		if err != nil {
			return bootResult{}, err
		}
		p, status, r, err := bootOnce(ctx, g.runCommand(mem, nil, image), ram)
		if err != nil {
			return bootResult{}, err
		}
		r.first, err = b.check(status, p.Log, isGobiProgramLine)
		return r, err
	}
}

// gobiQEMU boots through gobi's own QEMU launcher, internal/vm.Run, with
// the configuration gobi run gives it (cmd/gobi/run.go), so that QEMU's
// process start to exit is timed as the Linux guest's is.
func (b booter) gobiQEMU(qemu, image string, khz uint64) func(context.Context, string) (bootResult, error) {
	return func(ctx context.Context, mem string) (bootResult, error) {
		ctx, cancel := context.WithTimeout(ctx, b.timeout)
		defer cancel()
		ram, err := vm.ParseMemory(mem)
		if err != nil {
			return bootResult{}, err
		}
		log := timed.NewLog()
		// vm.Run writes each from its own goroutine.
		out, errw, console := log.Writer(timed.Stdout), log.Writer(timed.Stderr), log.Writer(timed.Stderr)
		done := make(chan struct{})
		peak := timed.PeakTouched(os.Getpid(), int64(ram)<<20, done)
		status, err := vm.Run(ctx, &vm.Config{
			QEMU: qemu, Image: image, MemoryMiB: ram, Accel: vm.AccelTCG,
			Cmdline: vm.Cmdline{Argv: []string{filepath.Base(image)}, TSCKHz: khz}.String(),
			Stdout:  out, Stderr: errw, Console: console,
		})
		end := log.Since()
		close(done)
		log.End(out, errw, console)
		r := bootResult{exit: end, touched: <-peak}
		if err != nil {
			return r, err
		}
		r.first, err = b.check(status, log, isGobiProgramLine)
		return r, err
	}
}

// linux boots the Linux guest.
func (b booter) linux(g *linuxGuest) func(context.Context, string) (bootResult, error) {
	return func(ctx context.Context, mem string) (bootResult, error) {
		ctx, cancel := context.WithTimeout(ctx, b.timeout)
		defer cancel()
		ram, err := vm.ParseMemory(mem)
		if err != nil {
			return bootResult{}, err
		}
		cmd, err := g.command(mem, nil, nil)
		if err != nil {
			return bootResult{}, err
		}
		p, _, r, err := bootOnce(ctx, cmd, ram)
		if err != nil {
			return bootResult{}, err
		}
		status, err := linuxExitStatus(p.Log.Text())
		if err != nil {
			return r, fmt.Errorf("%w; console:\n%s", err, tail(p.Log.Text(), 40))
		}
		r.first, err = b.check(status, p.Log, isLinuxProgramLine)
		return r, err
	}
}

// smallestMemory binary-searches the least whole number of MiB, at most hi,
// in which the target runs the program. Each probe is one boot.
func smallestMemory(ctx context.Context, t bootTarget, hi uint64, log io.Writer) (uint64, error) {
	lo := uint64(0) // known to fail (or be impossible)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		_, err := t.boot(ctx, fmt.Sprintf("%dM", mid))
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		fmt.Fprintf(log, "smallest -m: %s with -m %dM: %s\n", t.name, mid, okOrFailed(err))
		if err == nil {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

func okOrFailed(err error) string {
	if err == nil {
		return "ok"
	}
	return "failed"
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// bootOnce runs one boot to its end and returns the process, its exit
// status, and the time to exit and the peak guest RAM touched (of ramMiB).
func bootOnce(ctx context.Context, cmd []string, ramMiB uint64) (*timed.Proc, int, bootResult, error) {
	p, err := timed.Start(cmd)
	if err != nil {
		return nil, 0, bootResult{}, err
	}
	peak := timed.PeakTouched(p.Pid(), int64(ramMiB)<<20, p.Done())
	status, end, err := p.Wait(ctx)
	if err != nil {
		return nil, 0, bootResult{}, err
	}
	return p, status, bootResult{exit: end, touched: <-peak}, nil
}
