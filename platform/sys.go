package platform

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// System call numbers of docs/guestabi.md.
const (
	sysIRQ      = 0x6000
	sysIRQAck   = 0x6001
	sysDMAAlloc = 0x6002
	sysPlatform = 0x6005
	sysHostNet  = 0x6006
)

// Platforms sysPlatform reports.
const (
	platformVM      = 1
	platformSandbox = 2
)

// ErrNotGuest is returned by every call outside a Gobi guest kernel.
var ErrNotGuest = errors.New("platform: not running on the Gobi kernel (these calls exist only inside a Gobi image)")

// result converts a raw system call result. Callers convert pointers to
// uintptr inside the syscall.Syscall6 argument list itself, the only place
// where the compiler keeps the memory alive and unmoved (unsafe.Pointer rule 4).
func result(r uintptr, e syscall.Errno) (uintptr, error) {
	if e == syscall.ENOSYS {
		return 0, ErrNotGuest
	}
	if e != 0 {
		return 0, e
	}
	return r, nil
}

func call(nr, a0 uintptr) (uintptr, error) {
	r, _, e := syscall.Syscall(nr, a0, 0, 0)
	return result(r, e)
}

// IRQ routes interrupt line to the caller and returns a file that is readable
// (an 8-byte count) after the line fired. The line stays masked after each
// interrupt until AckIRQ, which also zeroes the count: a driver may wait for
// the file's readiness edge without reading it (guestnet does).
func IRQ(line int) (*os.File, error) {
	fd, err := call(sysIRQ, uintptr(line))
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		return nil, err
	}
	return os.NewFile(fd, "irq"), nil
}

// AckIRQ zeroes line's interrupt count and unmasks it, after the driver
// acknowledged its device.
func AckIRQ(line int) error {
	_, err := result(rawSyscall(sysIRQAck, uintptr(line), 0, 0, 0))
	return err
}

// DMAAlloc returns n bytes of physically contiguous zeroed memory: a slice
// over it and its physical address. It is never freed.
func DMAAlloc(n int) ([]byte, uint64, error) {
	p, err := call(sysDMAAlloc, uintptr(n))
	if err != nil {
		return nil, 0, err
	}
	return unsafe.Slice(physPtr(p), n), uint64(p), nil
}

// physPtr turns an identity-mapped physical address into a pointer.
func physPtr(p uintptr) *byte { return *(**byte)(unsafe.Pointer(&p)) }

const (
	sysLog     = 0x6003
	sysPublish = 0x6004
)

// Log sends one message line to the host, which prints it as "gobi: <msg>".
func Log(msg string) error {
	b := []byte(msg)
	if len(b) == 0 {
		return nil
	}
	_, err := result(rawSyscall(sysLog, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, 0))
	return err
}

// Publish sets the contents of a system file under /etc (such as
// /etc/resolv.conf), which the program itself may only read.
func Publish(path string, data []byte) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	var d *byte
	if len(data) > 0 {
		d = &data[0]
	}
	_, err = result(rawSyscall(sysPublish, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(d)), uintptr(len(data)), 0))
	return err
}

// InGuest reports whether the program runs on the Gobi kernel, in a VM or in
// the sandbox. Linux does not know the call that asks (ENOSYS).
func InGuest() bool {
	_, err := call(sysPlatform, 0)
	return err == nil
}

// Sandboxed reports whether the program runs on the Gobi kernel as a
// seccomp-confined host process (gobi run -target sandbox), where there are
// no devices: the network arrives on a host descriptor (HostNetFD).
func Sandboxed() bool {
	p, err := call(sysPlatform, 0)
	return err == nil && p == platformSandbox
}

// HostNetFD returns the sandbox's descriptor for the network: a tap device or
// a socketpair to gobi's user-mode network, one Ethernet frame per read or
// write. The filter lets read and write on it through to the host.
// syscall.ENODEV means the sandbox has no network (or this is a VM).
func HostNetFD() (int, error) {
	fd, err := call(sysHostNet, 0)
	return int(fd), err
}
