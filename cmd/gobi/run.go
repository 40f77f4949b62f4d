package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gobi-os/gobi/internal/build"
	"github.com/gobi-os/gobi/internal/image"
	"github.com/gobi-os/gobi/internal/vm"
)

const runUsage = "[-target qemu|sandbox|host] [-strict] [-m SIZE] [-e K=V]... [-timeout DUR] [-accel auto|kvm|tcg] [-gdb PORT] [-debug] [-net user|tap:NAME|lan:NAME|none] [-p [ADDR:]HOST:GUEST[/udp]]... [-ip ADDR/PREFIX] [-gw ADDR] [-dns ADDR] PKG|IMAGE [ARGS...]"

// forwardedSignals are passed on to the program rather than ending gobi.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// runRun runs `gobi run`: it builds PKG (or takes the existing image file
// IMAGE) and runs it, passing the program's exit status through.
func runRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", runUsage, stderr)
	target := targetFlag(fs)
	mem := fs.String("m", "256M", "guest memory `size` in QEMU's syntax (a bare number is MiB)")
	var env envFlag
	fs.Var(&env, "e", "set `K=V` in the program's environment (repeatable; the environment is exactly these)")
	timeout := fs.Duration("timeout", 0, "after `duration`, dump the goroutines (SIGQUIT) and exit 124")
	accel := fs.String("accel", "auto", accelFlagUsage)
	gdb := fs.Int("gdb", 0, "start halted with QEMU's gdb stub on localhost:`port`")
	debug := fs.Bool("debug", false, "have the kernel log every unimplemented system call")
	strict := fs.Bool("strict", false, "-target sandbox: kill the program at its first forbidden system call instead of refusing it")
	netFlags := addNetFlags(fs)
	if status, ok := parseFlags(fs, args, vm.ExitFailure); !ok {
		return status
	}
	what, progArgs, ok := programArgs(fs.Args())
	if !ok {
		fmt.Fprintf(stderr, "gobi run: missing PKG or IMAGE\nusage: gobi run %s\n", runUsage)
		return vm.ExitFailure
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gobi run: %v\n", err)
		return vm.ExitFailure
	}
	memMiB, err := vm.ParseMemory(*mem)
	if err != nil {
		return fail(err)
	}
	network, err := netFlags.config()
	if err != nil {
		return fail(err)
	}
	if *target == build.TargetSandbox {
		var vmOnly []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "m" || f.Name == "accel" || f.Name == "gdb" {
				vmOnly = append(vmOnly, "-"+f.Name)
			}
		})
		if len(vmOnly) > 0 {
			return fail(fmt.Errorf("%s applies to the VM target only: a sandbox is a host process (debug it with gdb on the host; it uses the host's memory)", strings.Join(vmOnly, ", ")))
		}
	}

	// Signals are gobi's from here on: during the build they cancel it,
	// once the program runs they are forwarded to it.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)

	dir, err := os.MkdirTemp("", "gobi-run-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	prog, name, err := buildForRun(ctx, sigs, what, *target, dir, stderr)
	if err != nil {
		return fail(err)
	}
	argv := append([]string{name}, progArgs...)
	if *target == build.TargetSandbox {
		status, err := vm.RunSandbox(ctx, &vm.SandboxConfig{
			Path: prog, Entry: build.SandboxEntrySymbol, Argv: argv, Env: env, Debug: *debug, Strict: *strict, Net: network,
			Stdin: stdin, Stdout: stdout, Stderr: stderr, Console: stderr,
			Timeout: *timeout, Signals: sigs,
		})
		if err != nil {
			return fail(err)
		}
		return status
	}
	if *strict {
		return fail(fmt.Errorf("-strict applies to -target sandbox only"))
	}
	if *target == build.TargetHost {
		status, err := vm.RunHost(ctx, &vm.HostConfig{
			Path: prog, Args: progArgs, Env: env,
			Stdin: stdin, Stdout: stdout, Stderr: stderr, Console: stderr,
			Timeout: *timeout, Signals: sigs,
		})
		if err != nil {
			return fail(err)
		}
		return status
	}
	m, err := newMachine(ctx, *accel, stderr)
	if err != nil {
		return fail(err)
	}
	status, err := vm.Run(ctx, &vm.Config{
		QEMU: m.qemu, Image: prog, MemoryMiB: memMiB, Accel: m.accel, GDBPort: *gdb, Net: network,
		Cmdline: vm.Cmdline{Argv: argv, Env: env, TSCKHz: m.tscKHz, Debug: *debug, Net: network.Cmdline()}.String(),
		Stdin:   stdin, Stdout: stdout, Stderr: stderr, Console: stderr,
		Timeout: *timeout, Signals: sigs,
	})
	if err != nil {
		return fail(err)
	}
	return status
}

// buildForRun returns the executable to run and the program's name
// (argv[0]). An existing regular file is an image; anything else is a
// package, built into dir. A signal during the build cancels it.
func buildForRun(ctx context.Context, sigs <-chan os.Signal, what, target, dir string, log io.Writer) (prog, name string, err error) {
	if fi, err := os.Stat(what); err == nil && fi.Mode().IsRegular() {
		_, pvhErr := image.PVHEntry(what)
		switch {
		case target == build.TargetQEMU && pvhErr != nil:
			return "", "", fmt.Errorf("%s is not a Gobi image (%v); to run a package, name its directory", what, pvhErr)
		case target == build.TargetHost && pvhErr == nil:
			return "", "", fmt.Errorf("%s is a Gobi image; -target host runs packages and host executables", what)
		}
		abs, err := filepath.Abs(what)
		return abs, filepath.Base(what), err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(log, "gobi: %v: stopping the build\n", s)
			cancel()
		case <-ctx.Done():
		}
	}()
	b, err := build.New(ctx, build.Options{Target: target, Log: log})
	if err != nil {
		return "", "", err
	}
	pkgs, err := b.Resolve(ctx, []string{what})
	if err != nil {
		return "", "", err
	}
	if len(pkgs) != 1 {
		return "", "", fmt.Errorf("%s matches %d packages; gobi run runs one", what, len(pkgs))
	}
	name = path.Base(pkgs[0].ImportPath)
	prog = filepath.Join(dir, name)
	if err := b.BuildProgram(ctx, pkgs[0], prog); err != nil {
		return "", "", err
	}
	return prog, name, nil
}
