package vm

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// QEMUBinary is the emulator gobi runs for amd64 images.
const QEMUBinary = "qemu-system-x86_64"

// LookQEMU finds QEMU on PATH.
func LookQEMU() (string, error) {
	path, err := exec.LookPath(QEMUBinary)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH: apt-get install qemu-system-x86", QEMUBinary)
	}
	return path, nil
}

// Accelerators QEMU can use.
const (
	AccelTCG = "tcg" // QEMU's portable emulator
	AccelKVM = "kvm" // Linux's hypervisor, through /dev/kvm
)

// Guest file descriptors for the serial port sockets, as passed through
// exec.Cmd.ExtraFiles (fd 3 is the first extra file).
const (
	fdCOM1 = 3 + iota // stdout and stdin
	fdCOM2            // stderr
	fdCOM3            // kernel channel
)

// machine is microvm without the legacy devices Gobi does not drive: no
// option ROMs, no PIT, no PIC (the kernel uses the I/O APIC and the LAPIC
// timer); the RTC gives the wall clock. Without ACPI and the second I/O
// APIC, virtio-mmio transport i sits at 0xfeb00000+512*i on interrupt line
// 5+i (docs/guestabi.md), where the guest looks for its network card.
const machine = "microvm,x-option-roms=off,pit=off,pic=off,rtc=on,acpi=off,ioapic2=off"

// args returns QEMU's arguments for c, with the three serial ports on the
// sockets at fdCOM1..fdCOM3.
func (c *Config) args() []string {
	cpu := "max" // TCG: every feature TCG emulates (RDRAND, RDSEED, x2APIC…)
	if c.Accel == AccelKVM {
		cpu = "host"
	}
	a := []string{
		"-M", machine,
		"-accel", c.Accel,
		"-cpu", cpu,
		"-m", strconv.FormatUint(c.MemoryMiB, 10) + "M",
		"-nodefaults", "-no-reboot", "-display", "none",
		"-kernel", c.Image,
		"-append", c.Cmdline,
		"-chardev", fmt.Sprintf("socket,id=com1,fd=%d", fdCOM1),
		"-chardev", fmt.Sprintf("socket,id=com2,fd=%d", fdCOM2),
		"-chardev", fmt.Sprintf("socket,id=com3,fd=%d", fdCOM3),
		"-serial", "chardev:com1",
		"-device", "isa-serial,chardev=com2,iobase=0x2f8,irq=3",
		"-device", "isa-serial,chardev=com3,iobase=0x3e8,irq=4",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=4",
	}
	if c.Net != nil {
		a = append(a, c.Net.qemuArgs(c.lanSocket)...)
	}
	if c.GDBPort != 0 {
		// Listen on loopback only, and hold the CPU until gdb says continue.
		a = append(a, "-gdb", fmt.Sprintf("tcp:127.0.0.1:%d", c.GDBPort), "-S")
	}
	return a
}

var memoryRE = regexp.MustCompile(`^([0-9]+)(\.[0-9]+)?([bBkKmMgGtT]?)$`)

// ParseMemory parses a memory size in QEMU's -m syntax (a number with an
// optional B, K, M, G or T suffix; a bare number is MiB) and returns it in
// MiB, rounded up.
func ParseMemory(s string) (uint64, error) {
	m := memoryRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bad memory size %q: want a number of MiB or a size like 512M or 1G", s)
	}
	f, err := strconv.ParseFloat(m[1]+m[2], 64)
	if err != nil {
		return 0, fmt.Errorf("bad memory size %q: %w", s, err)
	}
	shift := map[string]uint{"b": 0, "k": 10, "": 20, "m": 20, "g": 30, "t": 40}[strings.ToLower(m[3])]
	bytes := f * float64(uint64(1)<<shift)
	mib := uint64((bytes + (1<<20 - 1)) / (1 << 20))
	if mib < minMemoryMiB {
		return 0, fmt.Errorf("memory size %q is below gobi's minimum of %d MiB", s, minMemoryMiB)
	}
	if mib > maxMemoryMiB {
		return 0, errors.New("memory size " + strconv.Quote(s) + " is above gobi's maximum of 1T")
	}
	return mib, nil
}

// minMemoryMiB is the least memory gobi boots a guest with: the image is
// loaded at 1 MiB and the Go runtime's heap arenas start at 4 MiB.
const minMemoryMiB = 8

const maxMemoryMiB = 1 << 20
