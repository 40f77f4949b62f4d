// Package vm runs Gobi images under QEMU: it builds the QEMU command line,
// connects the guest's serial ports to the host's stdin, stdout and stderr,
// speaks the kernel channel (exit records, signal records, kernel messages)
// and makes sure no QEMU process outlives gobi. It also runs programs as
// plain host processes (-target host) under the same exit, timeout and
// signal rules.
//
// It runs on the host only and implements the host side of docs/hostabi.md.
package vm

// Exit statuses gobi reserves, as docker does (docker run --help), and the
// one for an out-of-memory guest that a shell reports for SIGKILL.
const (
	ExitTimeout = 124 // -timeout expired; the guest was sent SIGQUIT first
	ExitFailure = 125 // gobi or QEMU failed; the program may not have run
	ExitFault   = 126 // the guest kernel faulted and printed a report
	ExitOOM     = 137 // the guest ran out of memory (128+SIGKILL)
)
