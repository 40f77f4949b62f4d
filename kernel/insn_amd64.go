package kernel

// Unprivileged instructions (insn_amd64.s): CPU identification, the hardware
// random number generator (Intel SDM vol. 1 §7.3.17) and the spin-wait hint.

func cpuid(leaf, sub uint32) (a, b, c, d uint32)
func rdrand() (v uint64, ok bool)
func rdseed() (v uint64, ok bool)
func pause()
