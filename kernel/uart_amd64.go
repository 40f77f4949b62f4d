//go:build !gobisandbox

package kernel

// 16550 UART driver, polled (PC16550D datasheet; the register set QEMU's
// isa-serial emulates). COM1 carries the program's stdout and stdin, COM2 its
// stderr, COM3 the kernel channel (docs/hostabi.md).

const (
	com1 = 0x3f8
	com2 = 0x2f8
	com3 = 0x3e8

	uartData = 0 // THR/RBR
	uartIER  = 1
	uartFCR  = 2
	uartLCR  = 3
	uartMCR  = 4
	uartLSR  = 5

	lsrDataReady = 0x01
	lsrTHREmpty  = 0x20
)

func uartInit(port uint16) {
	outb(port+uartIER, 0)    // polled: no interrupts
	outb(port+uartLCR, 0x80) // DLAB to set the divisor
	outb(port+uartData, 1)   // 115200 baud
	outb(port+uartIER, 0)
	outb(port+uartLCR, 0x03) // 8N1
	outb(port+uartFCR, 0x07) // FIFOs on, cleared
	outb(port+uartMCR, 0x0b) // DTR, RTS, OUT2 (gates the interrupt line on a PC)
	if port == com1 {
		outb(port+uartIER, 0x01) // interrupt when received data is available
	}
}

func uartPut(port uint16, c byte) {
	for inb(port+uartLSR)&lsrTHREmpty == 0 {
		pause()
	}
	outb(port+uartData, c)
}

func uartWrite(port uint16, b []byte) {
	for _, c := range b {
		uartPut(port, c)
	}
}

// uartGet returns the next received byte, if any.
func uartGet(port uint16) (byte, bool) {
	if inb(port+uartLSR)&lsrDataReady == 0 {
		return 0, false
	}
	return inb(port + uartData), true
}
