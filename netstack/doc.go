// Package netstack is Gobi's TCP/IP stack: gVisor's netstack
// (gvisor.dev/gvisor/pkg/tcpip) over a network interface card such as the
// virtio-net device of package virtionet, configured statically from boot
// arguments or by DHCPv4, with a small explicit API for programs that want
// the stack directly — MirageOS's "stack device" model: Listen, Dial and
// ListenPacket return the standard net.Listener, net.Conn and net.PacketConn.
//
// Layering, bottom up: a NIC moves whole Ethernet frames; the link here
// delivers received frames from a pump goroutine and sends gVisor's frames
// from the goroutine that writes them (transmit.go), wrapped by gVisor's
// Ethernet endpoint;
// gVisor provides IPv4 and IPv6, ARP, NDP, ICMP (echo requests are answered
// by the stack itself), UDP, and TCP with SACK and CUBIC.
//
// Ordinary Go: it allocates and runs goroutines. In a Gobi image the
// standard library's net package reaches it through the guest kernel's
// socket calls and package pump (docs/net.md).
package netstack
