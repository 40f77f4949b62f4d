package kernel

// Signal numbers and siginfo codes (include/uapi/asm-generic/signal.h,
// siginfo.h) the platform-independent code raises: a write to a closed pipe
// or socket sends SIGPIPE to the process, as Linux does (sendProcess is the
// platform's).

const (
	maxSig  = 64
	sigPIPE = 13

	siUser   = 0
	siKernel = 0x80
)

// sigInfoLite is what a pending signal carries into its siginfo.
type sigInfoLite struct {
	code int32
	pid  int32
	addr uintptr
}
