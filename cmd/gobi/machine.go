package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gobi-os/gobi/internal/tsc"
	"github.com/gobi-os/gobi/internal/vm"
)

// machine is what every VM of one gobi invocation shares.
type machine struct {
	qemu   string
	accel  string
	tscKHz uint64 // 0 if it could not be measured
}

// newMachine finds QEMU, picks the accelerator for -accel (auto uses KVM
// only if a probe guest boots under it) and measures the host TSC. The
// probe and the measurement run concurrently.
func newMachine(ctx context.Context, accel string, log io.Writer) (*machine, error) {
	qemu, err := vm.LookQEMU()
	if err != nil {
		return nil, err
	}
	m := &machine{qemu: qemu, accel: accel}
	measured := make(chan uint64, 1)
	go func() {
		khz, err := tsc.FrequencyKHz()
		if err != nil {
			fmt.Fprintf(log, "gobi: %v; the kernel calibrates the TSC itself\n", err)
		}
		measured <- khz
	}()
	switch accel {
	case "auto":
		m.accel = vm.AccelTCG
		if vm.KVMWorks(ctx, qemu) {
			m.accel = vm.AccelKVM
		}
	case vm.AccelKVM, vm.AccelTCG:
	default:
		return nil, fmt.Errorf("unknown -accel %q: want auto, kvm or tcg", accel)
	}
	m.tscKHz = <-measured
	return m, nil
}

// accelFlagUsage documents -accel for run and test.
const accelFlagUsage = "QEMU `accelerator`: auto (KVM if a probe guest boots under it, else TCG), kvm or tcg"
