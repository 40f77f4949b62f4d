//go:build !gobisandbox

package kernel

// The I/O APIC (82093AA datasheet; Intel SDM vol. 3 §10.1) routes device
// interrupt lines to vectors. Line n goes to vector vecIRQBase+n, level
// triggered, masked when it fires until the driver acknowledges the device
// (sysIRQAck): virtio-mmio holds its line high until then.

const (
	ioapicBase = 0xfec00000
	vecIRQBase = 33
	maxIRQ     = 15
)

func ioapicWrite(reg uint32, v uint32) {
	*ptr[uint32](ioapicBase) = reg
	*ptr[uint32](ioapicBase + 0x10) = v
}

// ioapicRoute programs line irq: fixed delivery to the boot CPU (APIC ID 0),
// active high, level triggered, masked if mask is set.
func ioapicRoute(irq int, mask bool) {
	lo := uint32(vecIRQBase+irq) | 1<<15 // level
	if mask {
		lo |= 1 << 16
	}
	ioapicWrite(0x10+2*uint32(irq)+1, 0)
	ioapicWrite(0x10+2*uint32(irq), lo)
}

// ioapicRouteEdge programs an ISA line the kernel serves itself: edge
// triggered, active high, as ISA interrupts are.
func ioapicRouteEdge(irq int) {
	ioapicWrite(0x10+2*uint32(irq)+1, 0)
	ioapicWrite(0x10+2*uint32(irq), uint32(vecIRQBase+irq))
}

// irqConsole is COM1's line: received stdin bytes interrupt the kernel,
// which drains the FIFO at once (the timer tick polls too, as a backstop
// for the line COM3 shares).
const irqConsole = 4

// irqBound maps each line to the eventfd its driver waits on (-1: none).
var (
	irqEventfd [maxIRQ + 1]int32
	irqCount   [maxIRQ + 1]uint64
)

func setupIRQs() {
	for i := range irqEventfd {
		irqEventfd[i] = -1
	}
	ioapicRouteEdge(irqConsole)
}

// deviceInterrupt handles vector v from the I/O APIC.
func deviceInterrupt(v uint64) {
	irq := int(v - vecIRQBase)
	if irq == irqConsole {
		lapicEOI()
		pollConsole()
		return
	}
	ioapicRoute(irq, true)
	lapicEOI()
	irqCount[irq]++
	if k := irqEventfd[irq]; k >= 0 {
		ev := &eventfds[k]
		ev.count++
		objectChanged(fdEventfd, k)
	}
}
