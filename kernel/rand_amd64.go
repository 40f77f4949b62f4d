package kernel

// Entropy from RDSEED (a conditioned entropy source) or, failing that, RDRAND
// (a DRBG reseeded from it), as Intel's DRNG guide describes; both retry a
// bounded number of times on underflow.

var hasRDRAND, hasRDSEED bool

func setupRandom() {
	_, _, c, _ := cpuid(1, 0)
	hasRDRAND = c&(1<<30) != 0
	_, b, _, _ := cpuid(7, 0)
	hasRDSEED = b&(1<<18) != 0
	if !hasRDRAND && !hasRDSEED {
		fatal("random: the CPU has neither RDSEED nor RDRAND (a VM needs QEMU -cpu max or host)")
	}
}

func random64() uint64 {
	for try := 0; try < 128; try++ {
		if hasRDSEED {
			if v, ok := rdseed(); ok {
				return v
			}
		}
		if hasRDRAND {
			if v, ok := rdrand(); ok {
				return v
			}
		}
		pause()
	}
	fatal("random: the hardware generator keeps failing")
	return 0
}

func fillRandom(b []byte) {
	for len(b) >= 8 {
		put64(b, random64())
		b = b[8:]
	}
	if len(b) > 0 {
		v := random64()
		for k := range b {
			b[k] = byte(v >> (8 * k))
		}
	}
}
