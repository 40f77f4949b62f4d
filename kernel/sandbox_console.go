//go:build gobisandbox

package kernel

import "unsafe"

// The sandbox's serial ports are the launcher's sockets, so console.go and
// klog.go serve both platforms unchanged: COM1 is stdin (read, non-blocking)
// and stdout (written), COM2 stderr, COM3 the kernel log and records. The
// host's control records (COM3 input) do not exist here: the launcher sends
// real signals to the process instead.

const (
	com1 = 1
	com2 = 2
	com3 = 3
)

var (
	stdinChunk [512]byte
	chunkHead  int
	chunkLen   int
)

// uartGet returns the next byte of input on port, without waiting.
func uartGet(port uint16) (byte, bool) {
	if port != com1 {
		return 0, false
	}
	if chunkHead == chunkLen {
		r := hostSyscall(nrRead, hostStdin, uintptr(unsafe.Pointer(&stdinChunk[0])), uintptr(len(stdinChunk)), 0, 0, 0)
		if hostErr(r) || r == 0 {
			return 0, false // nothing yet (EAGAIN), or the launcher is gone
		}
		chunkHead, chunkLen = 0, int(r)
	}
	c := stdinChunk[chunkHead]
	chunkHead++
	return c, true
}

// uartWrite sends b whole on port's socket.
func uartWrite(port uint16, b []byte) {
	fd := uintptr(hostStdout)
	switch port {
	case com2:
		fd = hostStderr
	case com3:
		fd = hostLog
	}
	for len(b) > 0 {
		r := hostSyscall(nrWrite, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, 0, 0)
		if hostErr(r) {
			if r == ^uintptr(3) { // EINTR
				continue
			}
			return // the launcher is gone: output has nowhere to go
		}
		b = b[r:]
	}
}

func uartPut(port uint16, c byte) {
	b := [1]byte{c}
	uartWrite(port, b[:])
}
