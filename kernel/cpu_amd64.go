//go:build !gobisandbox

package kernel

// Leaf CPU primitives, defined in cpu_amd64.s.

func outb(port uint16, v uint8)
func inb(port uint16) uint8
func outl(port uint16, v uint32)
func inl(port uint16) uint32
func rdmsr(msr uint32) uint64
func wrmsr(msr uint32, v uint64)
func rdtsc() uint64
func xsetbv(idx uint32, v uint64)
func readCR0() uint64
func readCR2() uint64
func readCR4() uint64
func writeCR4(v uint64)
func writeCR3(v uint64)
func invlpg(addr uintptr)
func loadGDT(gdtr uintptr)
func loadIDT(idtr uintptr)
func loadTR(sel uint16)
func halt()
func rt0Addr() uintptr
func imageEnd() uintptr
func textStart() uintptr

// Defined in trap_amd64.s.

func vectorAddrs(out *[49]uintptr)
func syscallEntryAddr() uintptr
func resumeCurrent()
func enterKernelTLS()
func idleAddr() uintptr

// Model-specific registers (Intel SDM vol. 4).
const (
	msrSTAR  = 0xC0000081
	msrLSTAR = 0xC0000082
	msrFMASK = 0xC0000084
)

// Control register bits (Intel SDM vol. 3 §2.5).
const (
	cr4OSXSAVE = 1 << 18
)
