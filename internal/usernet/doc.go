// Package usernet is a rootless user-mode network for one sandboxed guest, in
// the manner of QEMU's slirp: it runs inside the host-side launcher process,
// needs no privileges, TUN device or bridge, and gives the guest a gateway
// whose traffic leaves the host through ordinary sockets of the launcher.
//
// The guest's link is one end of socketpair(AF_UNIX, SOCK_SEQPACKET, 0): each
// message is one whole Ethernet frame (destination MAC, source MAC, EtherType,
// payload; no FCS), at most MTU bytes of payload. usernet owns the other end
// and runs a gVisor network stack (gvisor.dev/gvisor/pkg/tcpip) on it that
// plays the gateway, with slirp's addressing so that a guest configured for
// QEMU's user network needs no change:
//
//	Subnet   10.0.2.0/24
//	Gateway  10.0.2.2   the host; connections to it reach the host's 127.0.0.1
//	DNS      10.0.2.3   relayed to the host's first resolv.conf nameserver
//	Guest    10.0.2.15  configured statically by the launcher (no DHCP here)
//
// What it does:
//   - ARP (RFC 826): answers for Gateway and DNS only.
//   - Port forwards (Forward): host TCP listeners and UDP sockets whose
//     traffic is relayed to a guest port; the guest sees it coming from
//     Gateway.
//   - Outbound NAT: every TCP connection and UDP flow the guest opens to an
//     address outside Subnet is accepted by gVisor's forwarders and relayed
//     through a host socket dialled to the same destination. A refused or
//     unreachable destination resets the guest's connection (RFC 9293
//     section 3.10.7.1), so the guest fails as fast as the host did.
//
// Limits: IPv4 only (the guest's IPv6 frames are dropped); no ICMP relay (the
// stack answers pings to Gateway and DNS itself, pings beyond go unanswered);
// at most 1024 connections and UDP flows opened by the guest at once.
//
// Why not gVisor's link/fdbased endpoint: it reads SOCK_SEQPACKET sockets
// correctly, but it writes without blocking and drops the frame when the
// socket would block, and an AF_UNIX peer's receive queue holds only
// net.unix.max_dgram_qlen messages (10 by default). Measured with two gVisor
// stacks over such a socketpair, 64 MiB of TCP: fdbased retransmitted 200 to
// 1000 segments and ran at 3-130 MB/s; a channel endpoint with a pump that
// blocks on write retransmitted about 1 and ran at 150-270 MB/s. So link.go
// pumps frames between a channel endpoint and the socket.
package usernet
