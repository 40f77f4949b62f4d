package kernel

// Kernel messages. They go to the kernel channel (docs/hostabi.md), one line
// each, which the host prints as "gobi: <line>". They are built in a fixed
// buffer without allocation: this code runs in trap context.

var (
	klogBuf [256]byte
	klogLen int
)

func kputs(s string) {
	for i := 0; i < len(s); i++ {
		kputc(s[i])
	}
}

func kputc(c byte) {
	if klogLen < len(klogBuf) {
		klogBuf[klogLen] = c
		klogLen++
	}
}

func kputu(v uint64) {
	var b [20]byte
	for _, c := range b[:putDec(b[:], v)] {
		kputc(c)
	}
}

func kputi(v int64) {
	if v < 0 {
		kputc('-')
		kputu(uint64(-v))
		return
	}
	kputu(uint64(v))
}

func kputx(v uint64) {
	var b [16]byte
	kputs("0x")
	kputs(unsafeString(b[:putHex(b[:], v, 1)]))
}

// kflush ends the current message line and sends it.
func kflush() {
	uartWrite(com3, klogBuf[:klogLen])
	uartPut(com3, '\n')
	klogLen = 0
}

// klog prints one whole message.
func klog(s string) {
	kputs(s)
	kflush()
}

// record sends a control record (a line starting with 0x01) to the host.
func record(s string, n int64, withNum bool) {
	kputc(1)
	kputs(s)
	if withNum {
		kputc(' ')
		kputi(n)
	}
	kflush()
}
