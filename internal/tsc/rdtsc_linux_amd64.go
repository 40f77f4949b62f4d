package tsc

// rdtsc returns the time-stamp counter after all earlier instructions
// completed (LFENCE; RDTSC). Defined in rdtsc_linux_amd64.s.
func rdtsc() uint64
