package vm

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gobi-os/gobi/internal/image"
)

// kvmProbeTimeout bounds the KVM probe: a working KVM boots the probe in
// milliseconds.
const kvmProbeTimeout = 3 * time.Second

// KVMWorks reports whether a probe guest boots under -accel kvm -cpu host on
// this machine and prints its byte. /dev/kvm existing is not enough: nested
// or paravirtual KVM modules (kvm_pvm) accept the device but cannot run an
// ordinary guest. Nothing is cached, so the answer is never stale.
func KVMWorks(ctx context.Context, qemu string) bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	dir, err := os.MkdirTemp("", "gobi-kvm-probe-")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	probe := filepath.Join(dir, "probe")
	var p image.Probe
	if err := os.WriteFile(probe, p.Write(image.PortStdout, "K").Exit(0).ELF(), 0o644); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, kvmProbeTimeout)
	defer cancel()
	var out bytes.Buffer
	status, err := Run(ctx, &Config{
		QEMU: qemu, Image: probe, MemoryMiB: 16, Accel: AccelKVM,
		Stdout: &out, Stderr: io.Discard, Console: io.Discard,
	})
	return err == nil && status == 0 && out.String() == "K"
}
