package linuxguest

import (
	"fmt"
	"strings"
)

// Machine is one boot of the Linux guest.
type Machine struct {
	Kernel string // vmlinuz
	Initrd string // the gzip-compressed initramfs
	Memory string // QEMU -m syntax, e.g. "256M"
	// TSCkHz is the host's TSC frequency. microvm under TCG gives Linux
	// only a PIT to calibrate the TSC against, which is unreliable there
	// (boots hang), so it is passed as tsc_early_khz.
	TSCkHz uint64
	// HostFwd are QEMU user-networking forwards such as
	// "tcp:127.0.0.1:18080-:8080"; none means no NIC at all.
	HostFwd []string
	// InitArgs are /init's arguments (passed after "--" on the kernel
	// command line, so they must not contain spaces).
	InitArgs []string
}

// Command returns the qemu-system-x86_64 command line. The machine matches
// Gobi's: microvm, TCG, one vCPU, no firmware, -cpu max; it adds the legacy
// PIT, PIC and RTC that Linux expects on it. The console is QEMU's stdio;
// panic=-1 and -no-reboot turn /init's exit (a kernel panic) into QEMU's exit.
func (m Machine) Command() ([]string, error) {
	cmdline := []string{"console=ttyS0", "quiet", "panic=-1", fmt.Sprintf("tsc_early_khz=%d", m.TSCkHz)}
	if m.TSCkHz == 0 {
		return nil, fmt.Errorf("the Linux guest needs the host TSC frequency")
	}
	if len(m.InitArgs) > 0 {
		for _, a := range m.InitArgs {
			if a == "" || strings.ContainsAny(a, " \t\n\"") {
				return nil, fmt.Errorf("/init argument %q cannot travel on the kernel command line", a)
			}
		}
		cmdline = append(append(cmdline, "--"), m.InitArgs...)
	}
	args := []string{
		"qemu-system-x86_64",
		"-accel", "tcg",
		"-M", "microvm,pit=on,pic=on,rtc=on",
		"-cpu", "max",
		"-m", m.Memory,
		"-nodefaults", "-no-reboot", "-nographic",
		"-serial", "stdio",
		"-kernel", m.Kernel,
		"-initrd", m.Initrd,
		"-append", strings.Join(cmdline, " "),
	}
	if len(m.HostFwd) > 0 {
		netdev := "user,id=n0"
		for _, f := range m.HostFwd {
			netdev += ",hostfwd=" + f
		}
		args = append(args, "-netdev", netdev, "-device", "virtio-net-device,netdev=n0")
	}
	return args, nil
}
