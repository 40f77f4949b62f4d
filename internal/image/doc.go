// Package image turns a linked Go executable into a bootable Gobi image and
// builds the tiny probe guests gobi uses to test a hypervisor.
//
// It runs on the host only. The boot protocol is PVH (Xen's "PVH entry",
// implemented by QEMU's -kernel loader, Xen, Firecracker and
// cloud-hypervisor): an ELF note named "Xen" of type XEN_ELFNOTE_PHYS32_ENTRY
// (18, xen/include/public/elfnote.h) whose descriptor is the physical address
// of the 32-bit entry point. The contract with the guest kernel is in
// docs/hostabi.md.
package image
