package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gobi-os/gobi/bench/internal/timed"
	"github.com/gobi-os/gobi/bench/linuxguest"
	"github.com/gobi-os/gobi/internal/tsc"
)

// linuxGuest is a program packaged as a bootable Linux guest.
type linuxGuest struct {
	kernel *linuxguest.Kernel
	initrd string
	tscKHz uint64
	size   int64 // kernel plus initramfs, bytes
}

// prepareLinux builds pkg statically and packs it as /init, or, with
// network, as /payload behind the network-configuring /init wrapper together
// with the virtio modules.
func prepareLinux(ctx context.Context, c *common, pkg string, network bool, log io.Writer) (*linuxGuest, error) {
	k, err := linuxguest.FetchKernel(ctx, filepath.Join(c.cache, "kernels"), linuxguest.CloudKernel, log)
	if err != nil {
		return nil, err
	}
	khz, err := tsc.FrequencyKHz()
	if err != nil {
		return nil, err
	}
	name := filepath.Base(strings.TrimRight(pkg, "/"))
	prog := filepath.Join(c.work, name+".linux")
	fmt.Fprintf(log, "building %s for the Linux guest\n", pkg)
	if err := linuxguest.BuildStatic(ctx, pkg, prog); err != nil {
		return nil, err
	}
	fs := linuxguest.Initramfs{Init: prog}
	if network {
		wrapper := filepath.Join(c.work, "init.linux")
		if err := linuxguest.BuildStatic(ctx, linuxguest.InitWrapper, wrapper); err != nil {
			return nil, err
		}
		mods, err := k.ModuleLoadOrder(linuxguest.NetModules...)
		if err != nil {
			return nil, err
		}
		fs = linuxguest.Initramfs{Init: wrapper, Payload: prog, Modules: mods}
	}
	initrd := filepath.Join(c.work, name+".initrd.gz")
	if err := fs.WriteFile(initrd); err != nil {
		return nil, err
	}
	g := &linuxGuest{kernel: k, initrd: initrd, tscKHz: khz}
	for _, f := range []string{k.Image, initrd} {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		g.size += fi.Size()
	}
	return g, nil
}

// command returns the QEMU command line booting the guest.
func (g *linuxGuest) command(mem string, hostfwd, initArgs []string) ([]string, error) {
	return linuxguest.Machine{
		Kernel:   g.kernel.Image,
		Initrd:   g.initrd,
		Memory:   mem,
		TSCkHz:   g.tscKHz,
		HostFwd:  hostfwd,
		InitArgs: initArgs,
	}.Command()
}

// kernelLine matches a Linux console line written by the kernel: with
// CONFIG_PRINTK_TIME (Debian's default) each starts with "[ seconds.micros]".
var kernelLine = regexp.MustCompile(`^\[\s*\d+\.\d{6}\]`)

// isLinuxProgramLine reports whether a console line came from the program.
func isLinuxProgramLine(l timed.Line) bool {
	return !kernelLine.MatchString(l.Text)
}

// initExit matches the kernel's report of /init's end (kernel/exit.c: "Attempted
// to kill init! exitcode=0x%08x"), the wait status of PID 1.
var initExit = regexp.MustCompile(`Attempted to kill init! exitcode=0x([0-9a-f]{8})`)

// linuxExitStatus returns /init's exit status as a shell reports it
// (128+signal for a signal), from the kernel's panic message.
func linuxExitStatus(console string) (int, error) {
	m := initExit.FindStringSubmatch(console)
	if m == nil {
		return 0, fmt.Errorf("the Linux guest did not report /init's exit")
	}
	ws, _ := strconv.ParseUint(m[1], 16, 32)
	if sig := ws & 0x7f; sig != 0 {
		return 128 + int(sig), nil
	}
	return int(ws>>8) & 0xff, nil
}

// runLinuxGuest builds the Linux guest for a package and prints how to boot it.
func runLinuxGuest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flag.NewFlagSet("linuxguest", flag.ContinueOnError)
	c.register(fs)
	network := fs.Bool("net", false, "add the network /init wrapper and forward host ports 18080 and 19000 to guest ports 8080 and 9000")
	mem := fs.String("m", "256M", "guest memory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("linuxguest: want one package, got %d arguments", fs.NArg())
	}
	c.keep = true
	cleanup, err := c.setup(stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	g, err := prepareLinux(ctx, &c, fs.Arg(0), *network, stderr)
	if err != nil {
		return err
	}
	var fwd []string
	if *network {
		fwd = forwards(18080, 19000)
	}
	cmd, err := g.command(*mem, fwd, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, shellQuote(cmd))
	return nil
}

// shellQuote formats a command line for a POSIX shell.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,:/+@%") == "" {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
