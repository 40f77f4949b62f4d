// Command bench runs Gobi's benchmarks: each group boots the same Go program
// as a Gobi unikernel and as /init of a minimal Linux guest (Debian's cloud
// kernel) on the same QEMU, under TCG, and prints the numbers side by side
// with their ratios. See docs/bench.md.
//
// Usage:
//
//	go run ./bench/cmd/bench boot [flags]        boot time, image size, memory
//	go run ./bench/cmd/bench net [flags]         HTTP requests/s, TCP throughput
//	go run ./bench/cmd/bench sandbox [flags]     the same server as a host process
//	                                             and in the sandbox (docs/sandbox.md)
//	go run ./bench/cmd/bench linuxguest [flags] PKG
//	                                             build the Linux guest for PKG and
//	                                             print its QEMU command line
//
// Run it from the root of the gobi repository: it builds ./cmd/gobi.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

const usage = `usage: bench <group> [flags]

groups:
  boot        boot time, image size and memory of examples/hello
  net         HTTP requests/s and TCP throughput of bench/net/server
  sandbox     bench/net/server as a host process and in the sandbox
  linuxguest  build the Linux guest for a package and print its QEMU command
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// QEMU asks for transparent huge pages for guest RAM, so the host backs
	// it in 2 MiB pages and "guest RAM touched" would count 2 MiB for every
	// byte used. The flag is inherited by every QEMU this process starts
	// (directly or through gobi), which then uses 4 KiB pages (prctl(2),
	// PR_SET_THP_DISABLE).
	if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "bench: disabling transparent huge pages: %v\n", err)
		os.Exit(1)
	}
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "boot":
		return runBoot(ctx, args[1:], stdout, stderr)
	case "net":
		return runNet(ctx, args[1:], stdout, stderr)
	case "sandbox":
		return runSandbox(ctx, args[1:], stdout, stderr)
	case "linuxguest":
		return runLinuxGuest(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "bench: unknown group %q\n%s", args[0], usage)
	return flag.ErrHelp
}

// common holds the flags every group takes.
type common struct {
	cache string // where downloaded kernels are kept
	keep  bool   // keep the work directory
	work  string // the work directory of this run
}

// register adds the common flags to fs.
func (c *common) register(fs *flag.FlagSet) {
	def := "bench/.cache" // gitignored
	if _, err := os.Stat("bench"); err != nil {
		if dir, err := os.UserCacheDir(); err == nil {
			def = filepath.Join(dir, "gobi-bench") // not run from the repository root
		}
	}
	fs.StringVar(&c.cache, "cache", def, "directory for downloaded kernels")
	fs.BoolVar(&c.keep, "keep", false, "keep the work directory (images, initramfs) and print its path")
}

// setup creates the work directory; the returned function removes it.
func (c *common) setup(stderr io.Writer) (func(), error) {
	dir, err := os.MkdirTemp("", "gobi-bench-")
	if err != nil {
		return nil, err
	}
	c.work = dir
	return func() {
		if c.keep {
			fmt.Fprintf(stderr, "bench: work directory kept: %s\n", dir)
			return
		}
		os.RemoveAll(dir)
	}, nil
}
