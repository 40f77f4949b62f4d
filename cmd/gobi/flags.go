package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit statuses of gobi build and gobi test, as the go command uses them.
// gobi run passes the program's status through instead and uses the
// vm.Exit* statuses for its own failures.
const (
	exitFailed = 1 // a build or a test failed
	exitUsage  = 2 // bad flags or arguments
)

// newFlagSet returns a flag set for one subcommand that prints its usage
// line and flags to stderr on error.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gobi "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gobi %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs. It reports whether to go on, and if not,
// the exit status: 0 for -h, usageStatus for a bad flag.
func parseFlags(fs *flag.FlagSet, args []string, usageStatus int) (int, bool) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0, false
	}
	if err != nil {
		return usageStatus, false
	}
	return 0, true
}

// programArgs splits what follows the flags into PKG|IMAGE and the
// program's os.Args[1:], dropping one leading "--" (which lets a program
// take arguments that look like gobi flags).
func programArgs(rest []string) (target string, args []string, ok bool) {
	if len(rest) == 0 {
		return "", nil, false
	}
	args = rest[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	return rest[0], args, true
}

// envFlag collects repeated -e K=V flags: the program's whole environment.
type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, " ") }

func (e *envFlag) Set(v string) error {
	k, _, ok := strings.Cut(v, "=")
	if !ok || k == "" || strings.ContainsRune(v, 0) {
		return fmt.Errorf("want K=V, got %q", v)
	}
	*e = append(*e, v)
	return nil
}

// targetFlag is -target: where a program runs.
func targetFlag(fs *flag.FlagSet) *string {
	return fs.String("target", "qemu", "run in a Gobi `unikernel` under QEMU (qemu), as a seccomp-confined process with its own TCP/IP (sandbox), or as a plain host process (host)")
}
