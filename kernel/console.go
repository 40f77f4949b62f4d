package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// The console: the program's stdin, stdout and stderr on COM1/COM2, and the
// host's control records on COM3 (docs/hostabi.md). In the VM these are
// UARTs polled at every scheduling point, which the timer makes at least
// every time slice; in the sandbox they are the launcher's sockets
// (sandbox_console.go), polled whenever a reader waits.

const stdinBufSize = 4096

var (
	stdinBuf  [stdinBufSize]byte
	stdinHead int // next byte to read
	stdinTail int // next free slot
	stdinEOF  bool
	stdinEsc  bool // an 0xff escape byte was seen
	ctlLine   [64]byte
	ctlLen    int
)

// pollConsole drains the UART receive FIFOs and completes waiting readers.
func pollConsole() {
	before, eofBefore := stdinTail, stdinEOF
	for {
		c, ok := uartGet(com1)
		if !ok {
			break
		}
		if stdinEsc {
			stdinEsc = false
			if c == 0 {
				stdinEOF = true
				continue
			}
			stdinPut(0xff) // ff ff: a literal 0xff
			continue
		}
		if c == 0xff {
			stdinEsc = true
			continue
		}
		stdinPut(c)
	}
	if stdinTail != before || stdinEOF != eofBefore {
		stdinChanged()
	}
	for {
		c, ok := uartGet(com3)
		if !ok {
			break
		}
		controlByte(c)
	}
	for i := 1; i < threadHi; i++ {
		t := &threads[i]
		if t.state == tsBlocked && t.wait == waitStdin && (stdinTail != stdinHead || stdinEOF) {
			wake(i, stdinCopy(t.readBuf, t.readLen))
		}
	}
}

// stdinPut buffers a byte; the host writes no faster than the FIFO drains
// only if the guest reads, so a full buffer drops the oldest data never.
func stdinPut(c byte) {
	next := (stdinTail + 1) % stdinBufSize
	if next == stdinHead {
		return // full: the UART keeps further bytes in QEMU until read
	}
	stdinBuf[stdinTail] = c
	stdinTail = next
}

// stdinCopy moves buffered input to a reader.
func stdinCopy(buf, n uintptr) uint64 {
	if !userOK(buf, n, true) {
		return errno(eFAULT)
	}
	b := bytesAt(buf, int(n))
	k := 0
	for k < len(b) && stdinHead != stdinTail {
		b[k] = stdinBuf[stdinHead]
		stdinHead = (stdinHead + 1) % stdinBufSize
		k++
	}
	return uint64(k)
}

// readStdin returns buffered input, or blocks the reader until some arrives
// (EAGAIN instead for a reader with O_NONBLOCK, which waits in epoll).
func readStdin(i int, buf, n uint64, nonblock bool) uint64 {
	if n == 0 {
		return 0
	}
	pollConsole()
	if stdinHead != stdinTail || stdinEOF {
		return stdinCopy(uintptr(buf), uintptr(n))
	}
	if nonblock {
		return errno(eAGAIN)
	}
	t := &threads[i]
	t.readBuf, t.readLen = uintptr(buf), uintptr(n)
	block(waitStdin, 0, 0)
	return noReturn
}

// controlByte collects a host record: "\x01sig N\n" sends signal N.
func controlByte(c byte) {
	if c == '\n' {
		line := ctlLine[:ctlLen]
		ctlLen = 0
		if len(line) > 5 && line[0] == 1 && hasPrefix(line[1:], "sig ") {
			if sig := atou(line[5:]); sig >= 1 && sig <= maxSig {
				sendProcess(int(sig), sigInfoLite{code: siUser})
			}
		}
		return
	}
	if ctlLen < len(ctlLine) {
		ctlLine[ctlLen] = c
		ctlLen++
	}
}

// consoleWrite sends program output to the host.
func consoleWrite(dev uint64, b []byte) {
	port := uint16(com1)
	if dev == memfs.DevStderr {
		port = com2
	}
	uartWrite(port, b)
}
