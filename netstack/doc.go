// Package netstack is Gobi's TCP/IP stack: gVisor's netstack
// (gvisor.dev/gvisor/pkg/tcpip) over a network interface card such as the
// virtio-net device of package virtionet, configured statically from boot
// arguments or by DHCPv4, with a small explicit API for programs that want
// the stack directly — MirageOS's "stack device" model: Listen, Dial and
// ListenPacket return the standard net.Listener, net.Conn and net.PacketConn.
//
// Layering, bottom up: a NIC moves whole Ethernet frames; the link endpoint
// here pumps frames between the NIC and gVisor's channel endpoint (two
// goroutines, one per direction), wrapped by gVisor's Ethernet endpoint;
// gVisor provides IPv4 and IPv6, ARP, NDP, ICMP (echo requests are answered
// by the stack itself), UDP, and TCP with SACK and CUBIC.
//
// Ordinary Go: it allocates and runs goroutines. The standard library's own
// net package does not use it yet; that needs the guest kernel to answer
// socket system calls from it (see docs/net.md).
package netstack
