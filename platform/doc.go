// Package platform is the contract between Gobi's guest kernel and the Go code
// above it that drives hardware: device drivers and the network stack. It is
// the bottom of the guest's Go layers; everything here is a thin, documented
// wrapper over the kernel's own system calls (docs/guestabi.md) and over the
// CPU instructions a driver needs.
//
// What the platform provides:
//   - Device registers: Read8/16/32 and Write8/16/32 at a physical address
//     (physical memory and device windows are identity mapped and guest code
//     runs at CPL 0), and x86 port I/O (In8/Out8...).
//   - Interrupts: IRQ binds an interrupt line to a file that becomes readable
//     when the line fires, so a driver goroutine waits in the runtime's
//     poller like any network connection; AckIRQ re-enables the line.
//   - DMA memory: DMAAlloc returns physically contiguous zeroed memory and its
//     physical address.
//   - Sockets: the calls the network pump uses to move data between the
//     kernel's socket buffers and the network stack (net.go).
//
// These calls exist only inside a Gobi guest. Elsewhere (a plain host
// process) they fail with ErrNotGuest, so code using them can be compiled and
// unit-tested anywhere with fakes at its own seams.
package platform
