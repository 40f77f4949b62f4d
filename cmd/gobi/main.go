// Command gobi builds ordinary Go programs into unikernel images and runs them
// under QEMU, as sandboxed processes, or as plain host processes; its store
// subcommand manages Gobi's Git-compatible branchable store.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

const usage = `usage: gobi <command> [flags] [arguments]

commands:
  build    compile a Go program into a bootable image
  run      build (if needed) and run a program or image
  test     run Go tests inside the unikernel
  store    the branchable, Git-compatible store
  version  print gobi's version and the Go release it supports
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches to one subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "build":
		return runBuild(ctx, args[1:], stdout, stderr)
	case "run":
		return runRun(ctx, args[1:], stdin, stdout, stderr)
	case "test":
		return runTest(ctx, args[1:], stdout, stderr)
	case "version":
		return runVersion(stdout)
	case "store":
		return runStore(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "gobi: unknown command %q\n%s", args[0], usage)
	return 2
}
