// Package virtionet drives a virtio network device (virtio 1.2 §5.1) over any
// virtio transport: feature negotiation (MAC, MTU, link status), the
// virtio_net_hdr that prefixes every frame (§5.1.6), receive buffers posted in
// advance and refilled as frames arrive, interrupt-driven receive with
// interrupt suppression while draining, and batched transmit that reclaims
// completed buffers lazily, without transmit interrupts.
//
// It deals in whole Ethernet frames without the FCS. The device is offered
// no checksum or segmentation offloads (VIRTIO_NET_F_CSUM, GUEST_CSUM, the
// TSO family) and no mergeable receive buffers, so every frame fits one
// buffer and every header is all zeros on transmit; the TCP/IP stack above
// computes checksums itself.
//
// Ordinary Go: it allocates and locks. The interrupt arrives as a call to
// HandleInterrupt from whatever goroutine the platform uses to deliver it.
package virtionet
