//go:build !gobisandbox

package kernel

// Clocks. Monotonic time comes from the TSC, converted with a fixed-point
// multiplier; wall time is the CMOS RTC read once at boot plus monotonic time.
// The TSC frequency comes from the host (gobi.tsc_khz: under TCG the guest TSC
// runs at the host's rate and calibrating against emulated timers is
// unreliable), else from the hypervisor's CPUID timing leaf 0x40000010, else
// CPUID 0x15/0x16 (Intel SDM vol. 2A, CPUID).

var (
	tsc0     uint64
	tscMult  uint64 // ns per tick << 32
	bootWall int64  // Unix ns at monotonic 0
)

func setupClock() {
	tsc0 = rdtsc()
	khz := tscKHz
	if khz == 0 {
		khz = cpuidTSCKHz()
	}
	if khz == 0 {
		fatal("clock: TSC frequency unknown: pass gobi.tsc_khz on the kernel command line")
	}
	tscKHz = khz
	tscMult = (1_000_000 << 32) / khz
	bootWall = rtcUnix()*1_000_000_000 - nanotime()
}

func cpuidTSCKHz() uint64 {
	if max, _, _, _ := cpuid(0x40000000, 0); max >= 0x40000010 {
		if a, _, _, _ := cpuid(0x40000010, 0); a != 0 {
			return uint64(a)
		}
	}
	if max, _, _, _ := cpuid(0, 0); max >= 0x15 {
		a, b, c, _ := cpuid(0x15, 0)
		if a != 0 && b != 0 && c != 0 {
			return uint64(c) * uint64(b) / uint64(a) / 1000
		}
		if max >= 0x16 {
			if a, _, _, _ := cpuid(0x16, 0); a != 0 {
				return uint64(a) * 1000
			}
		}
	}
	return 0
}

// nanotime returns monotonic nanoseconds since boot.
func nanotime() int64 {
	d := rdtsc() - tsc0
	return int64((d>>32)*tscMult + (d&0xffffffff)*tscMult>>32)
}

// walltime returns Unix nanoseconds.
func walltime() int64 { return bootWall + nanotime() }

// rtcUnix reads the MC146818 RTC (CMOS registers 0-9, 0x32 century), waiting
// out an update in progress (status A bit 7).
func rtcUnix() int64 {
	for i := 0; i < 1_000_000 && cmos(0x0a)&0x80 != 0; i++ {
		pause()
	}
	sec, min, hour := cmos(0), cmos(2), cmos(4)
	day, mon, year := cmos(7), cmos(8), cmos(9)
	cent := cmos(0x32)
	b := cmos(0x0b)
	if b&0x04 == 0 { // BCD
		sec, min, day, mon, year, cent = bcd(sec), bcd(min), bcd(day), bcd(mon), bcd(year), bcd(cent)
		hour = bcd(hour&0x7f) | hour&0x80
	}
	if b&0x02 == 0 && hour&0x80 != 0 { // 12-hour clock, PM
		hour = (hour&0x7f)%12 + 12
	}
	y := int64(cent)*100 + int64(year)
	if cent == 0 {
		y = 2000 + int64(year)
	}
	return daysFromCivil(y, int64(mon), int64(day))*86400 + int64(hour)*3600 + int64(min)*60 + int64(sec)
}

func cmos(reg uint8) uint8 {
	outb(0x70, reg)
	return inb(0x71)
}

func bcd(v uint8) uint8 { return v&0x0f + v>>4*10 }

// daysFromCivil converts a proleptic Gregorian date to days since 1970-01-01.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
