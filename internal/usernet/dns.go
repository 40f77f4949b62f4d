package usernet

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"
)

// The DNS relay is the NAT with the destination rewritten: hostDest sends
// the guest's UDP and TCP flows to DNS port 53 to the host's nameserver, and
// the replies come back from DNS.

// dnsIdle is how long a UDP flow to DNS lives without a datagram. Stub
// resolvers send each query from a fresh port, so a flow carries one
// exchange; RFC 4787 REQ-5a allows a shorter timer for well-known ports,
// and it frees the host socket soon after the answer.
const dnsIdle = 10 * time.Second

// hostResolver returns the first nameserver in the resolv.conf(5) at path,
// with port 53. The launcher runs on the host, so a loopback stub such as
// systemd-resolved's 127.0.0.53 is reachable too.
func hostResolver(path string) (netip.AddrPort, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("finding the host's nameserver: %w: DNS at %s will not answer", err, DNS)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		if a, err := netip.ParseAddr(f[1]); err == nil {
			return netip.AddrPortFrom(a.Unmap(), 53), nil
		}
	}
	return netip.AddrPort{}, fmt.Errorf("no nameserver in %s: DNS at %s will not answer; add a nameserver line", path, DNS)
}
