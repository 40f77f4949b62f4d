// Command init is /init of the benchmarks' Linux baseline guest when the
// benchmarked program needs a network: it loads the virtio modules shipped in
// the initramfs, configures the NIC over rtnetlink the way Gobi's guest is
// configured (QEMU user networking's 10.0.2.15/24 via 10.0.2.2), prints
// "linuxguest: network up ADDR" (the counterpart of Gobi's "gobi: network up
// ADDR") and then execs the benchmarked program, which becomes PID 1. The
// benchmarked program itself is built unchanged from the same source that
// Gobi builds, so both guests run the same Go code.
//
// It runs inside the guest only (static, CGO_ENABLED=0). Flags come from the
// kernel command line after "--"; the arguments after the flags are the
// program's arguments.
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"

	"github.com/gobi-os/gobi/bench/linuxguest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		// As PID 1, exiting panics the kernel, which (with panic=-1 and
		// QEMU's -no-reboot) ends the VM: the message is the last word.
		fmt.Fprintf(os.Stderr, "linuxguest: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	addr := fs.String("ip", "10.0.2.15/24", "the NIC's address and prefix length")
	gw := fs.String("gw", "10.0.2.2", "the default gateway")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loadModules(linuxguest.ModulesDir); err != nil {
		return err
	}
	if err := configureNetwork(*addr, *gw); err != nil {
		return err
	}
	fmt.Printf("linuxguest: network up %s\n", *addr)
	argv := append([]string{linuxguest.PayloadPath}, fs.Args()...)
	if err := syscall.Exec(linuxguest.PayloadPath, argv, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", linuxguest.PayloadPath, err)
	}
	return nil
}
