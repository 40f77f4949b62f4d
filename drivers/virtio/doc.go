// Package virtio is Gobi's guest-side driver core for virtio 1.x devices
// (OASIS virtio 1.2): the split virtqueue (§2.7), device initialisation and
// feature negotiation (§3.1.1), and two transports behind one Transport
// interface — MMIO version 2 (§4.2, QEMU's microvm machine) and PCI modern
// (§4.1, q35 and pc) — so that device drivers such as package virtionet are
// written once, the way Firecracker's devices/virtio keeps its transports
// apart from its devices.
//
// It is ordinary Go: it allocates and runs in goroutines, never in trap
// context. Hardware is reached only through the small Bus, Ports and DMA
// interfaces defined here, so tests supply RAM-backed fakes (package
// virtiotest) and the guest kernel supplies the real thing: under Gobi's
// identity map a physical address is also a pointer.
//
// The device is not trusted: every index and length it writes into shared
// memory is checked before use, and a device that breaks the protocol gets
// ErrDeviceBroken instead of a panic or an out-of-range access.
package virtio
