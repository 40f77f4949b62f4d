// Package virtiotest provides in-memory fakes for testing virtio drivers on
// the host: RAM that stands in for guest-physical memory, and a device model
// that plays the device side of the protocol — status and feature
// negotiation, the split virtqueue (reading descriptor chains, filling the
// used ring, event suppression) — behind register files for both transports,
// MMIO (§4.2) and PCI (§4.1). The device side checks what the driver puts in
// shared memory as a real device would, so driver bugs surface as test
// failures, not as silent corruption.
package virtiotest
